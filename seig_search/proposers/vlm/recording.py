"""`--record DIR` saves every request and its outcome; `--replay DIR` answers from those files, no server.

Layout: DIR/calls/<seq>_<key16>.json (request with images as hashes, outcome, attempts) and
DIR/images/<sha256>.png. A replayed call is found by its key (sha256 of the canonical request and sampling
parameters); when renders differ slightly between machines the key misses, and the first unused record with
the same label (stage, round, survivor, call index) answers instead, with a warning.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from seig_search.errors import ConfigError
from seig_search.proposers.vlm.messages import Reply, Request

log = logging.getLogger(__name__)


class CallFault(Exception):
    """A call that produced no reply; ``kind`` is one of the counted fault kinds."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class Recorder:
    """Writes one JSON file per call (thread-safe)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        try:
            (self.root / "calls").mkdir(parents=True, exist_ok=True)
            (self.root / "images").mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"--record {root}: cannot create the folder ({error.strerror})") from None
        self._lock = threading.Lock()
        self._seq = len(list((self.root / "calls").glob("*.json")))

    def write(
        self,
        request: Request,
        params: dict[str, Any],
        key: str,
        reply: Reply | None,
        fault: CallFault | None,
        attempts: int,
    ) -> None:
        for image in request.images():
            path = self.root / "images" / f"{image.sha256}.png"
            if not path.exists():
                path.write_bytes(image.png)
        record = {
            "key": key,
            "label": request.label,
            "request": request.canonical(params),
            "reply": reply.to_json() if reply is not None else None,
            "fault": {"kind": fault.kind, "message": fault.message} if fault is not None else None,
            "attempts": attempts,
        }
        with self._lock:
            seq = self._seq
            self._seq += 1
        path = self.root / "calls" / f"{seq:05d}_{key[:16]}.json"
        path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")


class ReplayBackend:
    """Stands in for the network backend: answers each request with what was recorded for it."""

    name = "replay"
    replaying = True

    def __init__(self, root: Path, params: dict[str, Any], max_n: int) -> None:
        calls = Path(root) / "calls"
        if not calls.is_dir():
            raise ConfigError(f"--replay {root}: no calls/ folder of recorded requests there")
        self._params = params
        self.max_n = max_n
        self._by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for path in sorted(calls.glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise ConfigError(f"--replay: unreadable record {path.name}: {error}") from None
            record["_used"] = False
            self._by_key[record["key"]].append(record)
            self._by_label[record["label"]].append(record)
        self._lock = threading.Lock()
        self.misses = 0

    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def _take(self, pool: list[dict[str, Any]]) -> dict[str, Any] | None:
        for record in pool:
            if not record["_used"]:
                record["_used"] = True
                return record
        return None

    def find(self, request: Request, key: str) -> dict[str, Any] | None:
        """The unused record for this request: by key, else by label (same purpose, changed images)."""
        with self._lock:
            record = self._take(self._by_key.get(key, []))
            if record is None:
                record = self._take(self._by_label.get(request.label, []))
                if record is not None:
                    log.warning("replay: request %s changed since it was recorded; using the record by label",
                                request.label)
            return record

    def send(self, request: Request) -> Reply:
        record = self.find(request, request.key(self._params))
        if record is None:
            with self._lock:
                self.misses += 1
            raise CallFault("replay_miss", f"no recorded reply for {request.label}")
        return answer(record)


def answer(record: dict[str, Any]) -> Reply:
    """A recorded outcome, as the backend would have given it."""
    if record["fault"] is not None:
        raise CallFault(record["fault"]["kind"], "replayed: " + record["fault"]["message"])
    return Reply.from_json(record["reply"])


class ResumingBackend:
    """`--resume` of a recorded run: calls the recording already answered are answered from it, so the
    resumed search proposes what the interrupted one did; the rest go to the live backend."""

    name = "resume"
    replaying = False

    def __init__(self, recorded: ReplayBackend, live: Any) -> None:
        self.recorded = recorded
        self.live = live
        self.max_n = live.max_n
        self.reused = 0

    def params(self) -> dict[str, Any]:
        return self.live.params()

    def send(self, request: Request) -> Reply:
        record = self.recorded.find(request, request.key(self.params()))
        if record is None:
            return self.live.send(request)
        with self.recorded._lock:
            self.reused += 1
        reply = answer(record)
        reply.meta["reused"] = True  # already in the recording: not written again
        return reply


def has_calls(root: Path) -> bool:
    calls = Path(root) / "calls"
    return calls.is_dir() and any(calls.glob("*.json"))

"""The search log: one JSON line per evaluated candidate, programs stored by hash.

The log is what ``--resume`` reads. A run appends a line per candidate as soon as it is scored and
flushes after every batch, so an interruption (Ctrl-C, kill -9) loses at most the batch in flight; a
half-written last line is ignored on reading. Scores are stored with full float precision, so a
replayed score equals the one first computed.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seig_search.errors import SearchStateError


@dataclass(frozen=True)
class LogRecord:
    """One evaluated candidate, as written to ``search/log.jsonl``."""

    stage: str
    round: int
    hash: str
    setting: str  # render setting + score weights key: scores are comparable only within one setting
    score: float  # -inf for failed renders (written as null)
    terms: dict[str, float] = field(default_factory=dict)
    parent: str | None = None
    note: str = ""
    timing: dict[str, float] = field(default_factory=dict)
    failure: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.hash, self.setting

    def to_json(self) -> str:
        data = {
            "stage": self.stage,
            "round": self.round,
            "parent": self.parent,
            "hash": self.hash,
            "setting": self.setting,
            "score": self.score if math.isfinite(self.score) else None,
            "terms": {k: (v if math.isfinite(v) else None) for k, v in self.terms.items()},
            "note": self.note,
            "timing": self.timing,
            "failure": self.failure,
        }
        return json.dumps(data, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, line: str) -> "LogRecord":
        data = json.loads(line)
        score = data.get("score")
        terms = {k: (float("nan") if v is None else float(v)) for k, v in (data.get("terms") or {}).items()}
        return cls(
            stage=str(data["stage"]),
            round=int(data["round"]),
            hash=str(data["hash"]),
            setting=str(data["setting"]),
            score=float("-inf") if score is None else float(score),
            terms=terms,
            parent=data.get("parent"),
            note=data.get("note", ""),
            timing=dict(data.get("timing") or {}),
            failure=data.get("failure"),
        )


class SearchLog:
    """Append-only writer and reader of ``<out>/search/``."""

    def __init__(self, search_dir: Path) -> None:
        self.dir = Path(search_dir)
        self.programs_dir = self.dir / "programs"
        self.path = self.dir / "log.jsonl"
        self.programs_dir.mkdir(parents=True, exist_ok=True)
        self._handle = None

    def read(self) -> list[LogRecord]:
        """All complete records; a torn last line (interrupted write) is dropped."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").split("\n")
        records: list[LogRecord] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(LogRecord.from_json(line))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                if number >= len(lines) - 1:  # the last line may be torn by a kill
                    break
                raise SearchStateError(f"search log {self.path} is corrupt at line {number}: {error}") from None
        return records

    def truncate_torn_tail(self) -> None:
        """Cut a half-written last line so that appends start on a fresh line."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as handle:
                handle.truncate(cut)

    def append(self, records: list[LogRecord]) -> None:
        if self._handle is None:
            self.truncate_torn_tail()
            self._handle = open(self.path, "a", encoding="utf-8")
        for record in records:
            self._handle.write(record.to_json() + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def save_program(self, program_hash: str, source: str) -> Path:
        path = self.programs_dir / f"{program_hash}.py"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(source, encoding="utf-8")
            os.replace(tmp, path)
        return path

    def load_program(self, program_hash: str) -> str:
        path = self.programs_dir / f"{program_hash}.py"
        if not path.exists():
            raise SearchStateError(f"program {program_hash} is in the log but missing from {self.programs_dir}")
        return path.read_text(encoding="utf-8")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

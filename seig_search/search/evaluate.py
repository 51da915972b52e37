"""Render-and-score with the search log as a cache: the same program is never rendered twice.

:class:`Evaluator` turns proposals into scored :class:`Candidate` records. Within one run a program is
rendered at most once per setting (render settings + score weights). On ``--resume``, records of the
interrupted run are replayed instead of rendered: they count against the render budget exactly as the
first time, so the resumed run takes the same decisions and reaches the same result.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from seig_search.config import RenderConfig
from seig_search.proposers.base import Candidate, Proposal
from seig_search.search.beam import program_hash
from seig_search.search.log import LogRecord, SearchLog


@dataclass(frozen=True)
class EvalSetting:
    """Everything a score depends on besides the program: render settings and score weights."""

    render: RenderConfig
    weights: tuple[tuple[str, float], ...] = ()

    @property
    def key(self) -> str:
        digest = hashlib.sha256(json.dumps(self.weights).encode()).hexdigest()[:8]
        return f"{self.render.key()}|w{digest}"


@dataclass
class RenderOutcome:
    """One rendered program, as the search needs it."""

    srgb: np.ndarray | None
    index: np.ndarray | None = None
    summary: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)


class Renderer(Protocol):
    def render(self, programs: list[str], setting: RenderConfig, size: tuple[int, int]) -> list[RenderOutcome]:
        """Render programs in one batch, same order; failures are reported, never raised."""
        ...


class Scorer(Protocol):
    def score(self, setting: EvalSetting, renders: list[np.ndarray], index: list[np.ndarray | None]
              ) -> list[tuple[float, dict[str, float]]]:
        """(total, terms) per render; higher is better."""
        ...


class Budget:
    """A render count and/or a wall-clock deadline; None means unlimited."""

    def __init__(self, renders: int | None = None, seconds: float | None = None) -> None:
        self.max_renders = renders
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.used = 0

    def remaining(self) -> int | None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return 0
        if self.max_renders is None:
            return None
        return max(0, self.max_renders - self.used)

    def exhausted(self) -> bool:
        return self.remaining() == 0


RENDER_AGAIN_ON_RESUME = ("crash", "sandbox", "timeout", "memory")


class Evaluator:
    def __init__(self, renderer: Renderer, scorer: Scorer, size: tuple[int, int], log: SearchLog,
                 budget: Budget, replay: list[LogRecord] | None = None) -> None:
        self.renderer = renderer
        self.scorer = scorer
        self.size = size
        self.log = log
        self.budget = budget
        self.seen: dict[tuple[str, str], LogRecord] = {}
        # Faults of the machinery (a dead worker, a deadline under load) are rendered again on resume; what the
        # program itself caused (policy, syntax, its own error) is deterministic and replayed like any score.
        self.replay: dict[tuple[str, str], LogRecord] = {
            r.key: r for r in (replay or []) if not (r.failure and r.failure.get("kind") in RENDER_AGAIN_ON_RESUME)}
        self.rendered = 0  # renders actually made by this process
        self.replayed = 0  # renders taken from the interrupted run's log
        self.render_seconds = 0.0
        self.score_seconds = 0.0

    def _candidate(self, record: LogRecord, source: str, outcome: RenderOutcome | None) -> Candidate:
        return Candidate(
            program=source, hash=record.hash, stage=record.stage, round=record.round, parent=record.parent,
            note=record.note, score=record.score, terms=dict(record.terms),
            srgb=None if outcome is None else outcome.srgb, index=None if outcome is None else outcome.index,
            summary=None if outcome is None else outcome.summary, failure=record.failure,
        )

    def evaluate(self, proposals: list[Proposal], stage: str, round_: int, setting: EvalSetting,
                 keep_images: bool = True, charge: bool = True) -> list[Candidate]:
        """Scored candidates for ``proposals`` (deduplicated, in order), within the budget.

        ``charge=False`` renders outside the budget (the final pick, which every method makes).
        """
        out: list[Candidate] = []
        batch: list[tuple[str, Proposal]] = []
        batch_hashes: set[str] = set()
        for proposal in proposals:
            digest = program_hash(proposal.program)
            key = (digest, setting.key)
            if digest in batch_hashes:
                continue
            if key in self.seen:
                out.append(self._candidate(self.seen[key], proposal.program, None))
                continue
            if charge and self.budget.exhausted():
                continue
            batch_hashes.add(digest)
            if charge:
                self.budget.used += 1
            if key in self.replay:
                record = self.replay[key]
                self.seen[key] = record
                self.replayed += 1
                out.append(self._candidate(record, proposal.program, None))
                continue
            batch.append((digest, proposal))
        if batch:
            out.extend(self._render_and_score(batch, stage, round_, setting, keep_images))
        order = {program_hash(p.program): i for i, p in reversed(list(enumerate(proposals)))}
        out.sort(key=lambda c: order.get(c.hash, len(order)))
        return out

    def _render_and_score(self, batch: list[tuple[str, Proposal]], stage: str, round_: int,
                          setting: EvalSetting, keep_images: bool) -> list[Candidate]:
        start = time.perf_counter()
        outcomes = self.renderer.render([p.program for _, p in batch], setting.render, self.size)
        render_time = time.perf_counter() - start
        self.render_seconds += render_time
        self.rendered += len(batch)
        ok = [i for i, o in enumerate(outcomes) if o.failure is None and o.srgb is not None]
        start = time.perf_counter()
        scores = self.scorer.score(setting, [outcomes[i].srgb for i in ok], [outcomes[i].index for i in ok]) \
            if ok else []
        score_time = time.perf_counter() - start
        self.score_seconds += score_time
        by_index = dict(zip(ok, scores))
        records, candidates = [], []
        per_render, per_score = render_time / len(batch), score_time / max(1, len(ok))
        for i, ((digest, proposal), outcome) in enumerate(zip(batch, outcomes)):
            total, terms = by_index.get(i, (float("-inf"), {}))
            failure = outcome.failure
            if failure is None and i not in by_index:
                failure = {"kind": "render", "message": "no colour pass returned", "line": None}
            timing = {"render_s": round(per_render, 6), "score_s": round(per_score if i in by_index else 0.0, 6)}
            timing.update({f"worker_{k}": round(float(v), 6) for k, v in (outcome.timings or {}).items()})
            record = LogRecord(stage=stage, round=round_, hash=digest, setting=setting.key,
                               score=float(total) if math.isfinite(total) else float("-inf"),
                               terms={k: float(v) for k, v in terms.items()}, parent=proposal.parent,
                               note=proposal.note, timing=timing, failure=failure)
            self.log.save_program(digest, proposal.program)
            self.seen[record.key] = record
            records.append(record)
            candidates.append(self._candidate(record, proposal.program, outcome if keep_images else None))
        self.log.append(records)
        return candidates

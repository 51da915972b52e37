"""HybridProposer: the VLM proposes structure, the embedded proposer's literal search polishes numbers."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from seig_search.errors import VLMError
from seig_search.proposers.base import Candidate, Proposal, Proposer, StageContext, TargetImage

log = logging.getLogger(__name__)


def _key(program: str) -> str:
    return hashlib.sha256(program.encode("utf-8")).hexdigest()


class HybridProposer:
    """Splits each round between a VLM proposer and the embedded one.

    For the first ``vlm_rounds`` rounds of a stage, ``share`` of the candidates come from the embedded
    proposer (it tunes the literals of the survivors, which the VLM wrote) and the rest from the VLM;
    later rounds belong to the embedded proposer alone. Feedback goes back to whichever proposer wrote
    each candidate.
    """

    name = "vlm+embedded"

    def __init__(self, vlm: Any, embedded: Proposer, share: float, vlm_rounds: int) -> None:
        self.vlm = vlm
        self.embedded = embedded
        self.share = share
        self.vlm_rounds = vlm_rounds
        self._source: dict[str, str] = {}  # program key -> "vlm" | "embedded"
        self.counts = {"vlm": 0, "embedded": 0}

    def _split(self, n: int) -> tuple[int, int]:
        n_embedded = min(n, round(n * self.share))
        return n - n_embedded, n_embedded

    def _tag(self, proposals: list[Proposal], source: str) -> list[Proposal]:
        for proposal in proposals:
            self._source[_key(proposal.program)] = source
        self.counts[source] += len(proposals)
        return proposals

    def initial(self, target: TargetImage, n: int, seed: int) -> list[Proposal]:
        n_vlm, n_embedded = self._split(n)
        vlm: list[Proposal] = []
        if n_vlm > 0:
            try:
                vlm = self._tag(self.vlm.initial(target, n_vlm, seed), "vlm")
            except VLMError as error:
                log.warning("vlm gave no first program (%s); the embedded proposer fills in", error)
                n_embedded = n
        embedded = self._tag(self.embedded.initial(target, n_embedded, seed), "embedded") if n_embedded else []
        return vlm + embedded

    def propose(
        self, ctx: StageContext, survivors: list[Candidate], n_per_survivor: int, seed: int
    ) -> list[Proposal]:
        self._source = {}
        if ctx.round >= self.vlm_rounds:
            n_vlm, n_embedded = 0, n_per_survivor
        else:
            n_vlm, n_embedded = self._split(n_per_survivor)
        out: list[Proposal] = []
        if n_vlm:
            out += self._tag(self.vlm.propose(ctx, survivors, n_vlm, seed), "vlm")
        if n_embedded:
            out += self._tag(self.embedded.propose(ctx, survivors, n_embedded, seed), "embedded")
        return out

    def observe(self, ctx: StageContext, scored: list[Candidate]) -> None:
        mine: dict[str, list[Candidate]] = {"vlm": [], "embedded": []}
        for candidate in scored:
            source = self._source.get(_key(candidate.program))
            if source is not None:
                mine[source].append(candidate)
        self.vlm.observe(ctx, mine["vlm"])
        self.embedded.observe(ctx, mine["embedded"])

    def usage_totals(self) -> dict[str, Any]:
        totals = dict(self.vlm.usage_totals())
        totals["hybrid"] = {"share": self.share, "vlm_rounds": self.vlm_rounds, "candidates": dict(self.counts)}
        return totals

"""The one interface every proposer implements, and the records that flow through the search.

A proposer turns survivors (scored programs) into new candidate programs for one stage. The search
renders and scores whatever comes back; proposers never render or score themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

STAGES: tuple[str, ...] = ("geometry", "materials", "composition", "lighting")


@dataclass(frozen=True)
class TargetImage:
    """The image to reconstruct, normalised: sRGB float32 HxWx3 in [0, 1] at the working size."""

    srgb: np.ndarray
    path: Path | None = None
    alpha: np.ndarray | None = None  # HxW in [0, 1] when the file had an alpha channel
    original_size: tuple[int, int] | None = None  # (width, height) of the file on disk
    # The same image at the perception size, where that differs from the working size: image analysis
    # reads outlines and tops at the resolution its thresholds were set at, whatever size the search renders.
    analysis_srgb: np.ndarray | None = None
    analysis_alpha: np.ndarray | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the working image."""
        return int(self.srgb.shape[1]), int(self.srgb.shape[0])

    def for_analysis(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(sRGB, alpha) for image analysis: the perception-size image when there is one, else the working one."""
        if self.analysis_srgb is None:
            return self.srgb, self.alpha
        return self.analysis_srgb, self.analysis_alpha


@dataclass(frozen=True)
class Proposal:
    """A candidate program text, before it is rendered."""

    program: str
    parent: str | None = None  # hash of the survivor it came from; None for first programs
    note: str = ""  # what changed, for the log and the report ("literals", "swap obj1 cube->sphere", "vlm")
    meta: dict[str, Any] = field(default_factory=dict)  # proposer bookkeeping (e.g. optuna trial number)


@dataclass
class Candidate:
    """A proposal after rendering and scoring."""

    program: str
    hash: str
    stage: str
    round: int
    parent: str | None = None
    note: str = ""
    score: float = float("-inf")  # higher is better; -inf for failed renders
    terms: dict[str, float] = field(default_factory=dict)
    srgb: np.ndarray | None = None  # HxWx3 float32 render, when kept in memory
    index: np.ndarray | None = None  # HxW int32 object-index pass
    summary: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None  # {"kind", "message", "line"} when the render failed
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class StageContext:
    """What a proposer knows about the stage it is proposing for."""

    stage: str  # one of STAGES, or "all" for the unstaged method
    sections: tuple[str, ...]  # the program sections this stage may edit
    round: int
    target: TargetImage
    settings: dict[str, Any] = field(default_factory=dict)  # the stage's proposer settings from the config


@runtime_checkable
class Proposer(Protocol):
    """Source of candidate programs. Implementations must be deterministic for a given seed."""

    name: str

    def initial(self, target: TargetImage, n: int, seed: int) -> list[Proposal]:
        """First programs for a target image (several hypotheses, best guess first)."""
        ...

    def propose(
        self, ctx: StageContext, survivors: list[Candidate], n_per_survivor: int, seed: int
    ) -> list[Proposal]:
        """New candidates for ``ctx.stage``: up to ``n_per_survivor`` per survivor, editing only ``ctx.sections``."""
        ...

    def observe(self, ctx: StageContext, scored: list[Candidate]) -> None:
        """Feedback after the candidates of a round were scored (for ask/tell samplers, verifiers)."""
        ...

"""The search's renderer and scorer, backed by render_pool and scoring."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from seig_search.config import RenderConfig
from seig_search.proposers.base import TargetImage
from seig_search.search.evaluate import EvalSetting, RenderOutcome


def render_settings(render: RenderConfig, size: tuple[int, int], seed: int = 0, **extra: Any):
    from render_pool import RenderSettings

    return RenderSettings(engine=render.engine, width=size[0], height=size[1], samples=render.samples,
                          denoise=render.denoise, seed=seed, passes=("color", "index"),
                          timeout_s=render.timeout_s, **extra)


def outcome_of(result) -> RenderOutcome:
    """A render_pool RenderResult as the search needs it."""
    if not result.ok or result.color is None:
        failure = result.failure
        return RenderOutcome(srgb=None, summary=result.summary or None, timings=dict(result.timings or {}),
                             failure={"kind": getattr(failure, "kind", "render"),
                                      "message": getattr(failure, "message", "no colour pass"),
                                      "line": getattr(failure, "line", None)})
    return RenderOutcome(srgb=result.srgb().astype(np.float32), index=result.index, summary=result.summary,
                         timings=dict(result.timings or {}))


class PoolRenderer:
    """Renders batches of programs through a :class:`render_pool.RenderPool` (deterministic seed)."""

    def __init__(self, pool, seed: int = 0, progress=None) -> None:
        self.pool = pool
        self.seed = seed
        self.progress = progress

    def render(self, programs: list[str], setting: RenderConfig, size: tuple[int, int]) -> list[RenderOutcome]:
        from render_pool import RenderJob

        settings = render_settings(setting, size, self.seed)
        jobs = [RenderJob(program=p, settings=settings, job_id=str(i)) for i, p in enumerate(programs)]
        return [outcome_of(r) for r in self.pool.render(jobs)]


class StageScorer:
    """One :class:`scoring.Scorer` per setting: the stage's weights replace the configured ones."""

    def __init__(self, target: TargetImage, score_config: dict[str, Any]) -> None:
        self.target = target
        self.base = dict(score_config)
        self._scorers: dict[str, Any] = {}

    @cached_property
    def _target_foreground(self) -> np.ndarray | None:
        """The target's foreground found once on its perception-size copy (the scorer's own rule, at the
        resolution image analysis was tuned at); None without such a copy or for a cut-out, whose alpha is
        exact at any size: each scorer then finds it on the working image."""
        sharp, alpha = self.target.for_analysis()
        if sharp is self.target.srgb or alpha is not None:
            return None
        from scoring.scorer import parse_config
        from scoring.terms import target_foreground

        return target_foreground(sharp, None, parse_config(self.base).target_foreground)

    def scorer_for(self, setting: EvalSetting):
        if setting.key not in self._scorers:
            from scoring.scorer import Scorer

            from scoring.config import NEURAL_TERMS, TERM_NAMES

            config = dict(self.base)
            if setting.weights:  # a stage's weights name every term it uses; the rest weigh 0
                weights = {name: float(dict(setting.weights).get(name, 0.0)) for name in TERM_NAMES}
                config["weights"] = weights
                offline = {k: (0.0 if k in NEURAL_TERMS else v) for k, v in weights.items()}
                if sum(offline.values()) > 0:
                    config["offline_weights"] = offline
            # TargetImage.srgb is already composited over the background; alpha only marks the foreground.
            self._scorers[setting.key] = Scorer(self.target.srgb, config, target_alpha=self.target.alpha,
                                                target_composited=True, target_foreground=self._target_foreground)
        return self._scorers[setting.key]

    def score(self, setting: EvalSetting, renders: list[np.ndarray], index: list[np.ndarray | None]
              ) -> list[tuple[float, dict[str, float]]]:
        results = self.scorer_for(setting).score_batch(renders, index)
        return [(r.total, dict(r.terms)) for r in results]

    def describe(self, setting: EvalSetting) -> dict[str, Any]:
        return self.scorer_for(setting).describe()

"""Staged beam search over scene programs.

For each stage: expand every survivor into candidates (the proposer edits only the stage's sections),
render them all through the pool in one batch, score, keep the best ``beam`` (elitist: survivors of
earlier rounds compete with new candidates), and remember the best program of every stage. A stage whose
best has not improved for ``patience`` rounds stops early and hands its unspent renders to the next
stages (the last stage spends whatever is left), so the budget flows to the stages that pay off. When a
stage scores under another render setting than the one before (Workbench masks, then Cycles), its
survivors are re-scored under the new setting first, so a beam never mixes scores of two settings.
The final pick re-scores every stage's best and the last survivors under the ``final`` setting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from seig_search.config import RenderConfig, SearchConfig, StageConfig
from seig_search.errors import ProposerError, SearchStateError
from seig_search.proposers.base import STAGES, Candidate, Proposal, Proposer, StageContext, TargetImage
from seig_search.search.beam import derive_seed, top_k
from seig_search.search.evaluate import EvalSetting, Evaluator

RESCORE_ROUND = -1  # log round of survivors re-scored under a new stage's setting
MIN_GAIN = 1e-4  # a round that raises the stage's best score by less than this counts as stalled
MAX_ROUNDS_FACTOR = 4  # a stage given leftover renders runs at most this many times its configured rounds


@dataclass(frozen=True)
class StagePlan:
    """A stage as the engine runs it (after the method has been applied to the config)."""

    name: str
    sections: tuple[str, ...]
    beam: int
    per_survivor: int
    rounds: int
    setting: EvalSetting
    proposer: dict[str, Any]
    restart_from_best: bool = True
    patience: int = 0


@dataclass
class StageResult:
    index: int
    name: str
    best: Candidate | None
    renders: int
    rounds_done: int
    seconds: float


@dataclass
class SearchResult:
    best: Candidate
    final_setting: EvalSetting
    stages: list[StageResult]
    renders_used: int  # renders charged to the budget (search renders)
    final_renders: int  # renders of the final pick
    # after each round: (renders used, setting key, best score so far in the stage, that program's hash)
    history: list[tuple[int, str, float, str]] = field(default_factory=list)
    first: Candidate | None = None  # the first proposal, scored under the final setting


class Progress(Protocol):
    def stage_started(self, index: int, name: str, rounds: int) -> None: ...
    def round_done(self, index: int, name: str, round_: int, renders: int, best: float) -> None: ...
    def stage_done(self, index: int, name: str, best: float) -> None: ...


def _setting(render: RenderConfig, weights: dict[str, float]) -> EvalSetting:
    return EvalSetting(render=render, weights=tuple(sorted(weights.items())))


def final_setting(config: SearchConfig) -> EvalSetting:
    return _setting(config.final, {})


def plan_stages(config: SearchConfig) -> tuple[int, list[StagePlan]]:
    """(number of first hypotheses, stages) for the configured method, at comparable render counts."""
    method = config.search.method
    stages = config.stages

    def plan(s: StageConfig, **changes: Any) -> StagePlan:
        base = dict(name=s.name, sections=s.sections, beam=s.beam, per_survivor=s.per_survivor, rounds=s.rounds,
                    setting=_setting(s.render, s.weights), proposer=s.proposer.model_dump(),
                    restart_from_best=s.restart_from_best, patience=s.patience)
        base.update(changes)
        return StagePlan(**base)

    if method == "oneshot":
        return 1, []
    if method == "staged":
        return config.search.initial, [plan(s) for s in stages]
    if method == "greedy":  # beam 1, the same candidates per round as the staged beam
        return config.search.initial, [plan(s, beam=1, per_survivor=s.beam * s.per_survivor) for s in stages]
    # unstaged: every section at once, the same number of renders, under the final stage's setting
    last = stages[-1]
    sections = tuple(name for name in STAGES if any(name in s.sections for s in stages))
    rounds = sum(s.rounds for s in stages)
    total = sum(s.renders() for s in stages)
    per_survivor = max(1, math.ceil(total / (last.beam * rounds)))
    return config.search.initial, [plan(last, name="all", sections=sections, rounds=rounds,
                                        per_survivor=per_survivor)]


def _drop_images(candidates: list[Candidate], keep: list[Candidate]) -> None:
    """Free the renders of candidates that did not survive (a stage may score thousands)."""
    kept = {id(c) for c in keep}
    for candidate in candidates:
        if id(candidate) not in kept:
            candidate.srgb = None
            candidate.index = None


def _as_proposals(candidates: list[Candidate]) -> list[Proposal]:
    return [Proposal(program=c.program, parent=c.parent, note=c.note) for c in candidates]


def run_search(
    target: TargetImage,
    config: SearchConfig,
    proposer: Proposer,
    evaluator: Evaluator,
    progress: Progress | None = None,
    on_stage_best: Callable[[int, str, Candidate, EvalSetting], None] | None = None,
    fail_after_rounds: int | None = None,
) -> SearchResult:
    """Run the configured method; ``fail_after_rounds`` raises after that many rounds (to test resume)."""
    seed = config.search.seed
    n_initial, stages = plan_stages(config)
    final = final_setting(config)
    first_setting = stages[0].setting if stages else final
    history: list[tuple[int, str, float, str]] = []
    rounds_run = 0

    first = proposer.initial(target, n_initial, derive_seed(seed, "initial"))
    if not first:
        raise ProposerError(f"proposer {proposer.name!r} returned no first programs")
    first = first[:n_initial]
    # A time budget spent before the first render (slow image analysis) still renders the first programs.
    scored = evaluator.evaluate(first, "initial", 0, first_setting, charge=not evaluator.budget.exhausted())
    first_scored = scored[0] if scored else None
    survivors = top_k(scored, stages[0].beam if stages else 1)
    if not survivors:
        failures = "; ".join(str(c.failure) for c in scored[:3])
        raise SearchStateError(f"none of the first programs rendered ({failures})")
    current_setting = first_setting
    history.append((evaluator.budget.used, first_setting.key, survivors[0].score, survivors[0].hash))
    results: list[StageResult] = []
    stage_bests: list[Candidate] = list(survivors[:1])

    carry = 0  # renders a stage that stopped early left for the next ones
    for index, stage in enumerate(stages):
        started, renders_before = time.perf_counter(), evaluator.budget.used
        last = index == len(stages) - 1
        allowance = stage.beam * stage.per_survivor * stage.rounds + carry
        if progress:
            progress.stage_started(index, stage.name, stage.rounds)
        if stage.setting.key != current_setting.key:
            rescored = top_k(evaluator.evaluate(_as_proposals(survivors), stage.name, RESCORE_ROUND,
                                                stage.setting), stage.beam)
            survivors = rescored or survivors
            current_setting = stage.setting
        pool = list(survivors)
        rounds_done = stalled = 0
        for round_ in range(MAX_ROUNDS_FACTOR * stage.rounds):
            used = evaluator.budget.used - renders_before
            if evaluator.budget.exhausted() or used >= allowance:
                break
            if round_ >= stage.rounds and allowance - used < len(survivors) * stage.per_survivor:
                break  # extra rounds only for renders handed on by earlier stages, whole rounds only
            if stage.patience and not last and stalled >= stage.patience:
                break  # this stage stopped paying off: its remaining renders go to the next stages
            before = top_k(pool, 1)[0].score
            ctx = StageContext(stage=stage.name, sections=stage.sections, round=round_, target=target,
                               settings=dict(stage.proposer, beam=stage.beam))
            proposals = proposer.propose(ctx, survivors, stage.per_survivor, derive_seed(seed, stage.name, round_))
            scored = evaluator.evaluate(proposals, stage.name, round_, stage.setting)
            proposer.observe(ctx, scored)
            pool.extend(scored)
            if stage.restart_from_best:
                survivors = top_k(pool, stage.beam)
            else:
                survivors = top_k(scored, stage.beam) or survivors
            _drop_images(scored, survivors)
            rounds_done += 1
            rounds_run += 1
            stage_best = top_k(pool, 1)[0]
            best_score = stage_best.score
            stalled = stalled + 1 if best_score <= before + MIN_GAIN else 0
            history.append((evaluator.budget.used, stage.setting.key, best_score, stage_best.hash))
            if progress:
                progress.round_done(index, stage.name, round_, evaluator.budget.used - renders_before, best_score)
            if fail_after_rounds is not None and rounds_run >= fail_after_rounds:
                raise KeyboardInterrupt(f"interrupted after {rounds_run} rounds (fail_after_rounds)")
        best = top_k(pool, 1)[0] if top_k(pool, 1) else None
        if best is not None:
            stage_bests.append(best)
            if on_stage_best:
                on_stage_best(index, stage.name, best, stage.setting)
        if progress:
            progress.stage_done(index, stage.name, best.score if best else float("-inf"))
        carry = max(0, allowance - (evaluator.budget.used - renders_before))
        results.append(StageResult(index=index, name=stage.name, best=best,
                                   renders=evaluator.budget.used - renders_before, rounds_done=rounds_done,
                                   seconds=time.perf_counter() - started))

    # Final pick: every stage's best and the last survivors, under one consistent setting.
    finalists = _as_proposals(stage_bests + survivors)
    if first_scored is not None:
        finalists.append(Proposal(program=first_scored.program, parent=None, note="first proposal"))
    rendered_before = evaluator.rendered + evaluator.replayed
    picked = evaluator.evaluate(finalists, "final", 0, final, charge=False)
    final_renders = evaluator.rendered + evaluator.replayed - rendered_before
    ranked = top_k(picked, 1)
    if not ranked:
        raise SearchStateError("no finalist rendered under the final setting")
    first_final = next((c for c in picked if first_scored and c.hash == first_scored.hash), None)
    best = ranked[0]
    if first_final is not None and best.score < first_final.score + config.search.first_guess_margin:
        best = first_final  # the search's gain is within the margin: keep the first program
    return SearchResult(best=best, final_setting=final, stages=results, renders_used=evaluator.budget.used,
                        final_renders=final_renders, history=history, first=first_final)

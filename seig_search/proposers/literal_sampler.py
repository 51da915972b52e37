"""Sampling a program's numeric literals with optuna, through ask/tell.

One study per (stage, lineage): a survivor that came out of a study keeps using it; a survivor that came
from elsewhere (a first guess, a discrete edit, another stage) starts a new study at its own values.
Two ways of sampling:

- ``cmaes`` (joint): every literal of the stage's sections at once, with optuna's CMA-ES started at the
  survivor's values (absolute values in a trust region of a few steps around them). Good with many
  renders per stage; with few, most of each sample's change is noise on literals that were already right.
- ``tpe`` / ``random`` (sparse, the default): each candidate changes a few literals (1 to 4) of its
  survivor: optuna picks which literals and samples their offsets (TPE learns which literals and which
  offsets pay off; random does not learn). With small budgets and a sensible first guess this is far more sample-efficient.

Step sizes come from each literal's role: 0.25 m for locations, 12 degrees for rotations, 0.08 for colour
components and other unit values, 20 % of the value for sizes, energies and lenses.
"""

from __future__ import annotations

import ast
import logging
import math
import random
import warnings
from dataclasses import dataclass, field

import optuna

from seig_search.program.literals import Literal, find_literals, splice_values
from seig_search.proposers.base import STAGES

optuna.logging.set_verbosity(optuna.logging.WARNING)
logging.getLogger("optuna").setLevel(logging.WARNING)


def find_section_literals(source: str) -> list[Literal]:
    """``literals.find_literals(source)``, faster: the prelude's statements are blanked first.

    find_literals cuts each literal's text out of the whole source, so its cost grows with the ~270 lines of
    prelude it never tunes. Blanking whole top-level statements other than the sections keeps every line
    and column (the spans stay valid for the original source) and the program parseable.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in STAGES:
            continue
        for row in range(node.lineno - 1, int(node.end_lineno or node.lineno)):
            lines[row] = "\n" if lines[row].endswith("\n") else ""
    return find_literals("".join(lines))


def fast_rewrite(source: str, literals: dict[str, Literal], values: dict[str, float]) -> str:
    """``literals.rewrite`` for a fixed source whose literals were found once (spans reused, no re-parse)."""
    return splice_values(source, literals, values, clip=True)


WINDOW_STEPS = 3.0  # a study samples within this many steps of the survivor's value (its trust region)


@dataclass(frozen=True)
class Param:
    """A tunable literal: its id, value, the interval the study samples in and its step size."""

    id: str
    value: float
    low: float
    high: float
    step: float
    integer: bool


def step_size(role: str, value: float, low: float, high: float) -> float:
    """A typical useful change of a literal, by its role: metres, degrees, colour units, or relative."""
    role = role.lower()
    span = high - low
    if "rot" in role or "angle" in role or "deg" in role:
        step = 12.0
    elif "loc" in role or "look" in role or "position" in role:
        step = 0.25
    elif "unit" in role or "color" in role or "colour" in role or "rough" in role or "metal" in role:
        step = 0.08
    else:  # sizes, energies, lens...: relative to the value
        step = 0.2 * abs(value) if value != 0 else 0.05 * span
    return max(1e-6, min(step, span / 2.0))


def tunable(source: str, sections: tuple[str, ...], scale: float = 1.0) -> tuple[list[Param], dict[str, Literal]]:
    """The literals of ``sections`` with a non-empty range, each with its trust region."""
    params: list[Param] = []
    found = [lit for lit in find_section_literals(source) if lit.stage in sections]
    for lit in found:
        low, high = float(lit.low), float(lit.high)
        if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
            continue
        value = min(max(float(lit.value), low), high)
        step = scale * step_size(str(lit.role), value, low, high)
        w_low, w_high = max(low, value - WINDOW_STEPS * step), min(high, value + WINDOW_STEPS * step)
        if w_high <= w_low:
            continue
        params.append(Param(str(lit.id), value, w_low, w_high, step, bool(lit.discrete)))
    return params, {lit.id: lit for lit in found}


MAX_CHANGED = 4  # a sparse candidate changes 1..MAX_CHANGED literals (1 half of the time, 2 a quarter, ...)


def _sampler(kind: str, params: list[Param], seed: int) -> optuna.samplers.BaseSampler:
    if kind == "cmaes" and len(params) >= 2:
        x0 = {p.id: p.value for p in params}
        # CMA-ES works in [0, 1] per parameter: one step is 1 / (2 * WINDOW_STEPS) of an unclipped window.
        with warnings.catch_warnings():  # x0 and sigma0 are deprecated for optuna 6; pinned optuna 5 has them
            warnings.simplefilter("ignore", FutureWarning)
            return optuna.samplers.CmaEsSampler(x0=x0, sigma0=1.0 / (2.0 * WINDOW_STEPS), seed=seed,
                                                n_startup_trials=1, warn_independent_sampling=False)
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=8)
    return optuna.samplers.RandomSampler(seed=seed)


@dataclass
class LiteralStudy:
    """An optuna study over the literals of one lineage of survivors."""

    key: str
    source: str  # the program the study started from
    params: dict[str, Param]
    literals: dict[str, Literal]
    study: optuna.Study
    kind: str
    rng: random.Random
    pending: dict[int, optuna.trial.Trial] = field(default_factory=dict)

    @property
    def joint(self) -> bool:
        return self.kind == "cmaes" and len(self.params) >= 2

    @classmethod
    def create(cls, key: str, source: str, sections: tuple[str, ...], kind: str, scale: float, seed: int,
               score: float) -> "LiteralStudy | None":
        params, literals = tunable(source, sections, scale)
        if not params:
            return None
        study = optuna.create_study(direction="maximize", sampler=_sampler(kind, params, seed))
        self = cls(key=key, source=source, params={p.id: p for p in params}, literals=literals, study=study,
                   kind=kind, rng=random.Random(seed))
        if self.joint and math.isfinite(score):  # the survivor is the first trial, its score already known
            study.add_trial(optuna.trial.create_trial(
                params={p.id: p.value for p in params}, distributions=self._joint_distributions(), value=score))
        return self

    def _joint_distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        return {p.id: optuna.distributions.FloatDistribution(p.low, p.high) for p in self.params.values()}

    def ask(self, base_source: str, base_literals: dict[str, Literal]) -> tuple[int, str]:
        """A new trial: (trial number, program source). Sparse modes change ``base_source`` (the survivor)."""
        if self.joint:
            trial = self.study.ask(self._joint_distributions())
            values = {p.id: trial.params[p.id] for p in self.params.values()}
            self.pending[trial.number] = trial
            return trial.number, fast_rewrite(self.source, self.literals, values)
        choices = [i for i in self.params if i in base_literals]
        count = 1
        while count < min(MAX_CHANGED, len(choices)) and self.rng.random() < 0.5:
            count += 1
        trial = self.study.ask()
        # Which literals to change is a choice optuna makes too, so TPE learns which ones pay off.
        chosen = sorted({trial.suggest_categorical(f"pick{j}", choices) for j in range(count)}) if choices else []
        values = {}
        for lit_id in chosen:
            p = self.params[lit_id]
            reach = WINDOW_STEPS * p.step
            offset = trial.suggest_float(f"d:{lit_id}", -reach, reach)
            base, lit = float(base_literals[lit_id].value), base_literals[lit_id]
            # A move out of the literal's bounds is reflected (a literal at a bound still moves).
            values[lit_id] = base + offset if lit.low <= base + offset <= lit.high else base - offset
        self.pending[trial.number] = trial
        return trial.number, fast_rewrite(base_source, base_literals, values)

    def tell(self, number: int, score: float) -> None:
        trial = self.pending.pop(number, None)
        if trial is None:
            return
        if math.isfinite(score):
            self.study.tell(trial, score)
        else:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)

    def abandon_pending(self) -> None:
        """Trials whose program was never scored (the budget ran out) are closed as failed."""
        for number in list(self.pending):
            self.study.tell(self.pending.pop(number), state=optuna.trial.TrialState.FAIL)

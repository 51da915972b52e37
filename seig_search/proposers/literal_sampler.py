"""Sampling a program's numeric literals with optuna, through ask/tell.

One study per (stage, lineage): a survivor that came out of a study keeps using it (so CMA-ES keeps its
adapted step sizes); a survivor that came from elsewhere (a first guess, a discrete edit, another stage)
starts a new study centred on its own values. Each study's first trial is the survivor itself, told
with the survivor's known score, so the sampler starts from what is already known at no render cost.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field

import optuna

from seig_search.program.literals import Literal, find_literals, format_value

optuna.logging.set_verbosity(optuna.logging.WARNING)
logging.getLogger("optuna").setLevel(logging.WARNING)
# x0/sigma0 of CmaEsSampler are deprecated for removal in optuna 6; pinned optuna 5 keeps them.
warnings.filterwarnings("ignore", category=FutureWarning, module=r"optuna\.samplers\._cmaes")


def fast_rewrite(source: str, literals: dict[str, Literal], values: dict[str, float]) -> str:
    """``literals.rewrite`` for a fixed source whose literals were found once (spans reused, no re-parse)."""
    data = source.encode("utf-8")
    starts = [0]
    for piece in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(piece))
    edits = []
    for lit_id, value in values.items():
        lit = literals[lit_id]
        begin, end = starts[lit.line - 1] + lit.col, starts[lit.end_line - 1] + lit.end_col
        edits.append((begin, end, format_value(lit, lit.clip(value)).encode("utf-8")))
    for begin, end, text in sorted(edits, reverse=True):
        data = data[:begin] + text + data[end:]
    return data.decode("utf-8")


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
    found = [lit for lit in find_literals(source) if lit.stage in sections]
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


def _sampler(kind: str, params: list[Param], seed: int) -> optuna.samplers.BaseSampler:
    if kind == "cmaes" and len(params) >= 2:
        x0 = {p.id: p.value for p in params}
        # CMA-ES works in [0, 1] per parameter: one step is 1 / (2 * WINDOW_STEPS) of an unclipped window.
        return optuna.samplers.CmaEsSampler(x0=x0, sigma0=1.0 / (2.0 * WINDOW_STEPS), seed=seed,
                                            n_startup_trials=1, warn_independent_sampling=False)
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=4, multivariate=True,
                                          warn_independent_sampling=False)
    return optuna.samplers.RandomSampler(seed=seed)


@dataclass
class LiteralStudy:
    """An optuna study over one survivor's literals."""

    key: str
    source: str  # the program the study rewrites (its structure; literals are replaced)
    params: list[Param]
    literals: dict[str, Literal]
    study: optuna.Study
    kind: str
    scale: float
    pending: dict[int, optuna.trial.Trial] = field(default_factory=dict)

    @classmethod
    def create(cls, key: str, source: str, sections: tuple[str, ...], kind: str, scale: float, seed: int,
               score: float) -> "LiteralStudy | None":
        params, literals = tunable(source, sections, scale)
        if not params:
            return None
        study = optuna.create_study(direction="maximize", sampler=_sampler(kind, params, seed))
        self = cls(key=key, source=source, params=params, literals=literals, study=study, kind=kind, scale=scale)
        if math.isfinite(score):  # the survivor itself is the first trial, its score already known
            distributions = self._distributions()
            study.add_trial(optuna.trial.create_trial(
                params={p.id: p.value for p in params}, distributions=distributions, value=score))
        return self

    def _distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        return {p.id: optuna.distributions.FloatDistribution(p.low, p.high) for p in self.params}

    def ask(self) -> tuple[int, str]:
        """A new trial: (trial number, rewritten program source)."""
        trial = self.study.ask(self._distributions())
        values = {}
        for p in self.params:
            value = trial.params[p.id]
            values[p.id] = int(round(value)) if p.integer else value
        self.pending[trial.number] = trial
        return trial.number, fast_rewrite(self.source, self.literals, values)

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

"""``seig tune``: an optuna study over per-stage search budgets under a fixed total render budget.

Each trial samples, per stage, the beam width, candidates per survivor, rounds (0 leaves the stage out) and
render setting (plus the number of first hypotheses, and an optional last ``joint`` stage that edits every
section at once, the unstaged method's move, with its own budget; 0 rounds leaves it out), reconstructs every
tuning case with exactly the same total budget, and is worth the mean final score (or PSNR). The study first
evaluates the base config, then the base with a quarter of every stage's rounds handed to a joint stage, then
every round handed to it (the unstaged method). The study lives in SQLite (``OUT/study.db``), so running the command
again continues it; the best budgets are written as a preset TOML. ``--holdout`` then compares the tuned
preset with the base config at the same budget on cases the study never saw.
"""

from __future__ import annotations

import math
from importlib import resources
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from seig_search.config import SearchConfig, config_to_dict, load_config, validate_config
from seig_search.errors import ConfigError
from seig_search.jobs.cases import Case, discover
from seig_search.jobs.execute import RunTask
from seig_search.jobs.paired import paired_comparison
from seig_search.jobs.results import config_hash, provenance
from seig_search.jobs.scheduler import init_ray, run_tasks
from seig_search.proposers.base import STAGES
from seig_search.search.outputs import write_json

OBJECTIVES = ("score", "psnr")
JOINT = "joint"  # name of the optional last stage that edits every section at once
MAX_JOINT_ROUNDS = 16  # enough for the whole of `default` in one joint stage (3 x 8 x 16 renders)
MAX_STAGE_ROUNDS = 8


@dataclass(frozen=True)
class TuneOptions:
    source: Path
    out: Path
    trials: int = 20
    config: Path | None = None
    preset: str | None = None
    seed: int = 0
    size: int | None = None
    budget: int | None = None
    limit: int | None = None
    objective: str = "score"
    preset_name: str = "tuned"
    preset_dir: Path | None = None  # where the preset TOML goes besides OUT (default: the configs folder)
    holdout: Path | None = None
    holdout_limit: int | None = None
    ray_address: str | None = None


def sample_config(trial, base: SearchConfig, budget: int) -> dict[str, Any]:
    """The base config with per-stage budgets and render settings drawn by ``trial``."""
    data = config_to_dict(base)
    data["search"] = {**data["search"], "budget_renders": budget,
                      "initial": trial.suggest_int("initial", 1, 8)}
    stages = []
    sections = [s for s in STAGES if any(s in st["sections"] for st in data["stages"])]
    for stage in data["stages"]:
        name = stage["name"]
        rounds = trial.suggest_int(f"{name}.rounds", 0, MAX_STAGE_ROUNDS)
        if not rounds and name != JOINT:  # the stage is left out; a joint stage edits its section
            continue
        stage = {**stage, "beam": trial.suggest_int(f"{name}.beam", 1, 4),
                 "per_survivor": trial.suggest_int(f"{name}.per_survivor", 2, 12), "rounds": max(1, rounds)}
        render = dict(stage.get("render") or {})
        if render.get("engine", "CYCLES") == "WORKBENCH":  # silhouette stages may also pay for Cycles
            render["engine"] = trial.suggest_categorical(f"{name}.engine", ["WORKBENCH", "CYCLES"])
        if render.get("engine") == "CYCLES":
            render["samples"] = trial.suggest_categorical(f"{name}.samples", [1, 4, 8, 16])
        stage["render"] = render
        stage["proposer"] = _sample_proposer(trial, name, stage.get("proposer") or {})
        stages.append(stage)
    if not any(stage["name"] == JOINT for stage in stages):
        joint_rounds = trial.suggest_int(f"{JOINT}.rounds", 0, MAX_JOINT_ROUNDS)
        if joint_rounds:
            stages.append({
                "name": JOINT, "sections": sections,
                "beam": trial.suggest_int(f"{JOINT}.beam", 1, 4),
                "per_survivor": trial.suggest_int(f"{JOINT}.per_survivor", 2, 12),
                "rounds": joint_rounds, "patience": 0,
                "render": {"engine": "CYCLES", "samples": trial.suggest_categorical(f"{JOINT}.samples", [1, 4, 8, 16])},
                "proposer": _sample_proposer(trial, JOINT, dict(data["stages"][-1].get("proposer") or {})),
                "weights": {}})
    if not stages:
        raise ConfigError(f"trial {trial.number} leaves out every stage and has no joint stage")
    data["stages"] = stages
    validate_config(data, origin=f"trial {trial.number}")
    return data


SAMPLERS = ("tpe", "cmaes", "random")
STEPS = (0.5, 1.0, 2.0)


def _sample_proposer(trial, name: str, proposer: dict[str, Any]) -> dict[str, Any]:
    """How the stage's embedded proposer moves literals: which sampler, how far. These change what a render
    buys, not how many there are, and can matter more than the split of renders between stages."""
    return {**proposer, "sampler": trial.suggest_categorical(f"{name}.sampler", list(SAMPLERS)),
            "step": trial.suggest_categorical(f"{name}.step", list(STEPS))}


def base_params(base: SearchConfig) -> dict[str, Any]:
    """The base config as a point of the search space (values outside the space's ranges are left out).

    The study evaluates it first, so the tuned preset is the base unless some trial beat it on the tuning cases.
    """
    data = config_to_dict(base)
    params: dict[str, Any] = {}

    def put(name: str, value: Any, allowed) -> None:
        if value in allowed:
            params[name] = value

    put("initial", data["search"].get("initial"), range(1, 9))
    for stage in data["stages"]:
        name = stage["name"]
        put(f"{name}.beam", stage.get("beam"), range(1, 5))
        put(f"{name}.per_survivor", stage.get("per_survivor"), range(2, 13))
        put(f"{name}.rounds", stage.get("rounds"), range(1, MAX_STAGE_ROUNDS + 1))
        render = stage.get("render") or {}
        engine = render.get("engine", "CYCLES")
        if engine == "WORKBENCH":
            params[f"{name}.engine"] = "WORKBENCH"
        elif engine == "CYCLES":
            put(f"{name}.samples", render.get("samples"), (1, 4, 8, 16))
        proposer = stage.get("proposer") or {}
        put(f"{name}.sampler", proposer.get("sampler", "tpe"), SAMPLERS)
        put(f"{name}.step", float(proposer.get("step", 1.0)), STEPS)
    if not any(stage["name"] == JOINT for stage in data["stages"]):
        params[f"{JOINT}.rounds"] = 0
    return params


def joint_params(base: SearchConfig) -> dict[str, Any] | None:
    """The base config with a quarter of every stage's rounds handed to a last joint stage.

    Editing every section at once (the unstaged method) scored higher than staged search at equal renders
    in the benchmark tables, so the study tries that move second. None when the base already has a joint
    stage or no stage has rounds to spare.
    """
    if any(stage.name == JOINT for stage in base.stages):
        return None
    params = base_params(base)
    freed = 0
    for stage in base.stages:
        key = f"{stage.name}.rounds"
        if key not in params:
            return None
        keep = max(1, round(stage.rounds * 3 / 4))
        freed += (stage.rounds - keep) * stage.beam * stage.per_survivor
        params[key] = keep
    last = base.stages[-1]
    beam, per_survivor = min(last.beam, 4), min(max(last.per_survivor, 2), 12)
    rounds = min(MAX_JOINT_ROUNDS, freed // (beam * per_survivor))
    if rounds < 1:
        return None
    samples = last.render.samples if last.render.samples in (1, 4, 8, 16) else 8
    sampler = last.proposer.sampler if last.proposer.sampler in SAMPLERS else "tpe"
    step = last.proposer.step if last.proposer.step in STEPS else 1.0
    params.update({f"{JOINT}.rounds": rounds, f"{JOINT}.beam": beam, f"{JOINT}.per_survivor": per_survivor,
                   f"{JOINT}.samples": samples, f"{JOINT}.sampler": sampler, f"{JOINT}.step": step})
    return params


def unstaged_params(base: SearchConfig) -> dict[str, Any] | None:
    """Every stage left out and its renders handed to one joint stage under the last stage's render setting:
    the unstaged method of `seig bench`, which scored above the staged one at equal renders there.

    None when the base already has a joint stage or its renders do not fit the joint stage's range.
    """
    if any(stage.name == JOINT for stage in base.stages):
        return None
    params = joint_params(base)
    if params is None:
        return None
    renders = sum(stage.renders() for stage in base.stages)
    beam, per_survivor = params[f"{JOINT}.beam"], params[f"{JOINT}.per_survivor"]
    rounds = renders // (beam * per_survivor)
    if not 1 <= rounds <= MAX_JOINT_ROUNDS:
        return None
    params = {k: v for k, v in params.items() if not any(k.startswith(f"{s.name}.") for s in base.stages)}
    params.update({f"{stage.name}.rounds": 0 for stage in base.stages})
    params[f"{JOINT}.rounds"] = rounds
    return params


def _objective_value(records: list[dict[str, Any]], objective: str) -> float:
    values = []
    for r in records:
        value = (r.get("metrics") or {}).get(objective) if r.get("status") == "done" else None
        values.append(float(value) if value is not None and math.isfinite(float(value)) else -1.0)
    return sum(values) / len(values)


def _run_config(cases: list[Case], data: dict[str, Any], folder: Path, ray_address: str | None) -> list[dict]:
    tasks = [RunTask(case=c, out=folder / c.id, config=data, method=data["search"]["method"],
                     evaluate_truth=False) for c in cases]
    return run_tasks(tasks, ray_address=ray_address, workers_per_task=int(data["search"]["workers"]))


def write_preset(data: dict[str, Any], path: Path, header: str) -> Path:
    """Write a config dict as a preset TOML (None values dropped: TOML has no null)."""
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"# {line}\n" for line in header.splitlines()) + "\n" + tomli_w.dumps(clean(data)))
    validate_config(load_toml_dict(path), origin=str(path))
    return path


def load_toml_dict(path: Path) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(path.read_text())


def _close_stale_trials(study) -> None:
    """Trials left RUNNING by a killed process are marked failed, so that the study can go on."""
    from optuna.trial import TrialState

    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(trial.number, state=TrialState.FAIL)


def _plots(study, out: Path) -> list[str]:
    import warnings

    import matplotlib
    import optuna

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm

    written = []
    for name, plot in (("history", ovm.plot_optimization_history), ("importances", ovm.plot_param_importances)):
        try:
            with warnings.catch_warnings():  # optuna marks its matplotlib plots experimental on every call
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                warnings.simplefilter("ignore", UserWarning)  # importances from few trials: one per parameter
                ax = plot(study)
        except (ValueError, RuntimeError, ZeroDivisionError) as error:  # too few trials for importances
            (out / f"{name}.txt").write_text(f"not plotted: {error}\n")
            continue
        figure = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
        figure.set_size_inches(8, 5)
        figure.tight_layout()
        figure.savefig(out / f"study_{name}.png", dpi=100)
        plt.close(figure)
        written.append(f"study_{name}.png")
    return written


def run_tune(options: TuneOptions, on_trial: Callable[[int, float], None] | None = None,
             on_resume: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run (or continue) the study; ``on_resume(n)`` first says how many trials were already complete."""
    import optuna

    if options.objective not in OBJECTIVES:
        raise ConfigError(f"--objective must be one of {', '.join(OBJECTIVES)}, got {options.objective!r}")
    if options.trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {options.trials}")
    _, cases = discover(options.source, options.limit)
    base = load_config(options.config, options.preset, {"seed": options.seed, "size": options.size})
    budget = options.budget or base.total_renders()
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="seig-tune", storage=f"sqlite:///{(out / 'study.db').resolve()}",
                                direction="maximize", load_if_exists=True,
                                sampler=optuna.samplers.TPESampler(seed=options.seed))
    _close_stale_trials(study)
    started_ray = init_ray(options.ray_address)
    try:
        def objective(trial) -> float:
            data = sample_config(trial, base, budget)
            records = _run_config(cases, data, out / "trials" / f"{trial.number:04d}", options.ray_address)
            value = _objective_value(records, options.objective)
            if on_trial:
                on_trial(trial.number, value)
            return value

        complete = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
        if not study.trials:  # a new study starts from the base config, then the base with a joint stage
            study.enqueue_trial(base_params(base))
            joint = joint_params(base)
            if joint is not None:  # waits in the study's storage until a run asks for a second trial
                study.enqueue_trial(joint)
            unstaged = unstaged_params(base)
            if unstaged is not None:
                study.enqueue_trial(unstaged)
        if on_resume:
            on_resume(complete)
        if complete < options.trials:
            study.optimize(objective, n_trials=options.trials - complete)
        best = study.best_trial
        finished = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
        tuned = sample_config(optuna.trial.FixedTrial(best.params, best.number), base, budget)
        tuned["search"] = {**tuned["search"], "budget_renders": None}  # the budget is the caller's choice
        header = (f"seig search configuration: preset '{options.preset_name}', tuned by `seig tune` on "
                  f"{len(cases)} cases of {options.source}\nat {budget} renders per image; best trial "
                  f"{best.number} of {finished} ({options.objective} {best.value:.4f}).")
        preset_dir = options.preset_dir or Path(str(resources.files("configs")))
        paths = [write_preset(tuned, out / f"{options.preset_name}.toml", header),
                 write_preset(tuned, preset_dir / f"{options.preset_name}.toml", header)]
        summary: dict[str, Any] = {
            "objective": options.objective, "budget_renders": budget, "trials": finished,
            "best_trial": best.number, "best_value": best.value, "best_params": best.params,
            "base_config_hash": config_hash(config_to_dict(base)), "tuned_config_hash": config_hash(tuned),
            "presets": [str(p) for p in paths], "cases": [c.id for c in cases],
            "provenance": provenance().model_dump(), "plots": _plots(study, out)}
        if options.holdout is not None:
            summary["holdout"] = holdout_compare(options, base, tuned, budget)
        write_json(out / "tune.json", summary)
        return summary
    finally:
        if started_ray:
            import ray

            ray.shutdown()


def holdout_compare(options: TuneOptions, base: SearchConfig, tuned: dict[str, Any], budget: int) -> dict:
    """Mean objective of the base config and the tuned one, same budget, on cases the study never saw."""
    _, cases = discover(options.holdout, options.holdout_limit)
    base_data = config_to_dict(base)
    base_data["search"] = {**base_data["search"], "budget_renders": budget}
    tuned_data = {**tuned, "search": {**tuned["search"], "budget_renders": budget}}
    out = options.out / "holdout"  # folders keyed by config hash: a study that found a new best re-runs it
    base_records = _run_config(cases, base_data, out / f"base-{config_hash(base_data)}", options.ray_address)
    tuned_records = _run_config(cases, tuned_data, out / f"{options.preset_name}-{config_hash(tuned_data)}",
                                options.ray_address)
    # the other objective is compared too: a score gain that costs PSNR is no better reconstruction
    other = next(o for o in OBJECTIVES if o != options.objective)
    per_case = [{"case": c.id, "base": (b.get("metrics") or {}).get(options.objective),
                 "tuned": (t.get("metrics") or {}).get(options.objective),
                 f"base_{other}": (b.get("metrics") or {}).get(other),
                 f"tuned_{other}": (t.get("metrics") or {}).get(other)}
                for c, b, t in zip(cases, base_records, tuned_records)]
    return {"cases": len(cases), "budget_renders": budget, "objective": options.objective,
            "base_mean": _objective_value(base_records, options.objective),
            "tuned_mean": _objective_value(tuned_records, options.objective), "per_case": per_case,
            "paired": paired_comparison([c["base"] for c in per_case], [c["tuned"] for c in per_case]),
            "other": other, f"paired_{other}": paired_comparison([c[f"base_{other}"] for c in per_case],
                                                                 [c[f"tuned_{other}"] for c in per_case])}

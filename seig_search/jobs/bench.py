"""``seig bench``: every case of a suite with every method, at equal render budgets, resumable.

Each (case, method) run lives in ``OUT/runs/<case>/<method>/`` (a full reconstruction folder plus
``status.json``); ``OUT/results.json`` (schema in :mod:`seig_search.jobs.results`), ``results.md`` and plots
summarise them. Running the same command again redoes nothing that finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seig_search.config import METHODS, SearchConfig, config_to_dict, load_config
from seig_search.errors import ConfigError
from seig_search.jobs.cases import Case, discover
from seig_search.jobs.execute import RunTask
from seig_search.jobs.results import Results, RunRecord, config_hash, provenance, write_results
from seig_search.jobs.scheduler import run_tasks
from seig_search.jobs.summaries import write_index_page, write_summaries


@dataclass(frozen=True)
class BenchOptions:
    source: Path
    out: Path
    methods: tuple[str, ...] = ("staged", "unstaged", "greedy", "oneshot")
    agent: str = "embedded"
    config: Path | None = None
    preset: str | None = None
    seed: int | None = None
    size: int | None = None
    budget: int | None = None  # renders per run; default: what the staged config asks for
    limit: int | None = None
    ray_address: str | None = None
    parallel: int | None = None


def parse_methods(text: str) -> tuple[str, ...]:
    methods = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in methods if m not in METHODS]
    if not methods or unknown:
        raise ConfigError(f"--methods must list some of {', '.join(METHODS)}; got {text!r}")
    return tuple(dict.fromkeys(methods))


def method_config(base: SearchConfig, method: str, budget: int) -> dict[str, Any]:
    """The base config with ``method`` and the shared render budget set."""
    data = config_to_dict(base)
    data["search"] = {**data["search"], "method": method, "budget_renders": budget}
    return data


def bench_tasks(options: BenchOptions) -> tuple[str, list[Case], SearchConfig, int, list[RunTask]]:
    if options.agent not in ("embedded", "vlm"):
        raise ConfigError(f"--agent must be embedded or vlm, got {options.agent!r}")
    kind, cases = discover(options.source, options.limit)
    base = load_config(options.config, options.preset, {"seed": options.seed, "size": options.size})
    budget = options.budget or base.total_renders()
    if budget < 1:
        raise ConfigError(f"--budget must be at least 1 render, got {budget}")
    tasks = [RunTask(case=case, out=options.out / "runs" / case.id / method,
                     config=method_config(base, method, budget), method=method, agent=options.agent)
             for case in cases for method in options.methods]
    return kind, cases, base, budget, tasks


def run_bench(options: BenchOptions, on_done: Callable[[RunTask, dict], None] | None = None) -> Results:
    kind, _cases, base, budget, tasks = bench_tasks(options)
    options.out.mkdir(parents=True, exist_ok=True)
    records = run_tasks(tasks, ray_address=options.ray_address, workers_per_task=base.search.workers,
                        parallel=options.parallel, on_done=on_done)
    base_dict = config_to_dict(base)
    results = Results(kind="bench", source=str(options.source), source_kind=kind, agent=options.agent,
                      methods=list(options.methods), seed=base.search.seed, budget_renders=budget,
                      config_hash=config_hash(base_dict), config=base_dict, provenance=provenance(),
                      runs=[RunRecord.model_validate(r) for r in records])
    write_results(options.out / "results.json", results)
    write_summaries(results, options.out)
    write_index_page(options.out)
    return results

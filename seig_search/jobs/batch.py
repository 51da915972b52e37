"""``seig batch``: reconstruct many images, one Ray task per image, resumable after any failure.

``OUT/<case id>/`` is each image's reconstruction folder; ``OUT/results.json`` (the shared results schema)
and ``OUT/summary.md`` give per-image status and errors. Running the same command again skips finished
images and resumes interrupted ones from their search logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seig_search.config import config_to_dict, load_config
from seig_search.errors import ConfigError
from seig_search.jobs.cases import discover
from seig_search.jobs.execute import RunTask
from seig_search.jobs.results import Results, RunRecord, config_hash, provenance, write_results
from seig_search.jobs.scheduler import run_tasks
from seig_search.jobs.summaries import markdown_table, write_index_page


@dataclass(frozen=True)
class BatchOptions:
    source: Path
    out: Path
    agent: str = "embedded"
    config: Path | None = None
    preset: str | None = None
    method: str | None = None
    seed: int | None = None
    size: int | None = None
    budget: int | None = None
    limit: int | None = None
    ray_address: str | None = None
    parallel: int | None = None
    max_retries: int = 3


def batch_tasks(options: BatchOptions):
    if options.agent not in ("embedded", "vlm"):
        raise ConfigError(f"--agent must be embedded or vlm, got {options.agent!r}")
    kind, cases = discover(options.source, options.limit)
    config = load_config(options.config, options.preset, {"seed": options.seed, "size": options.size,
                                                          "method": options.method,
                                                          "budget_renders": options.budget})
    data = config_to_dict(config)
    tasks = [RunTask(case=c, out=options.out / c.id, config=data, method=config.search.method,
                     agent=options.agent) for c in cases]
    return kind, config, tasks


def run_batch(options: BatchOptions, on_done: Callable[[RunTask, dict], None] | None = None) -> Results:
    kind, config, tasks = batch_tasks(options)
    options.out.mkdir(parents=True, exist_ok=True)
    records = run_tasks(tasks, ray_address=options.ray_address, workers_per_task=config.search.workers,
                        parallel=options.parallel, max_retries=options.max_retries, on_done=on_done)
    data = config_to_dict(config)
    results = Results(kind="batch", source=str(options.source), source_kind=kind, agent=options.agent,
                      methods=[config.search.method], seed=config.search.seed,
                      budget_renders=config.search.budget_renders, config_hash=config_hash(data), config=data,
                      provenance=provenance(), runs=[RunRecord.model_validate(r) for r in records])
    write_results(options.out / "results.json", results)
    (options.out / "summary.md").write_text(markdown_table(results) + _status_lines(results))
    write_index_page(options.out)
    return results


def _status_lines(results: Results) -> str:
    lines = ["", "| image | status | PSNR dB | detail |", "|---|---|---|---|"]
    for r in results.runs:
        psnr = (r.metrics or {}).get("psnr")
        detail = r.error or ("skipped (already done)" if r.skipped else "resumed" if r.resumed else "")
        lines.append(f"| {r.case} | {r.status} | {'-' if psnr is None else f'{psnr:.2f}'} | {detail} |")
    return "\n".join(lines) + "\n"

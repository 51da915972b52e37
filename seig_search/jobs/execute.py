"""One reconstruction of one case as a unit of work: runnable in-process or as a Ray task.

A task's output folder is its state: a finished folder (``run.json`` status ``done`` with ``metrics.json``) is
never redone, a started one is resumed from its search log, so a task that is retried after a lost node, or
a batch that is run again after any failure, only does what is missing. On a cluster, ``--out`` must be on a
filesystem every node sees.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seig_search.errors import SeigError
from seig_search.jobs.cases import Case

STATUS_FILE = "status.json"


@dataclass(frozen=True)
class RunTask:
    """Reconstruct ``case`` into ``out`` with a resolved config (a ``config_to_dict`` dict)."""

    case: Case
    out: Path
    config: dict[str, Any]
    method: str
    agent: str = "embedded"
    evaluate_truth: bool = True
    verify_exports: bool = False


def finished(out: Path) -> dict[str, Any] | None:
    """The recorded result of a finished task folder, or None."""
    status = out / STATUS_FILE
    if not status.is_file():
        return None
    try:
        data = json.loads(status.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if data.get("status") == "done" else None


def _write_status(out: Path, data: dict[str, Any]) -> None:
    from seig_search.search.outputs import write_json

    out.mkdir(parents=True, exist_ok=True)
    write_json(out / STATUS_FILE, data)


def _truth_metrics(task: RunTask, pool, program: str, summary: dict[str, Any]) -> dict[str, Any] | None:
    """Ground-truth metrics of the final program against a generated case's scene.json."""
    if task.case.truth is None or not task.evaluate_truth:
        return None
    from seig_search.jobs.truth import truth_metrics

    return truth_metrics(task.case.truth, program, summary, pool)


def run_task(task: RunTask, pool=None) -> dict[str, Any]:
    """Run (or resume, or skip) one task; returns its result record. Never raises for a failed case."""
    done = finished(task.out)
    if done is not None:
        return {**done, "skipped": True}
    from seig_search.config import validate_config
    from seig_search.search.outputs import read_run
    from seig_search.search.run import RunOptions, reconstruct

    started = time.perf_counter()
    record: dict[str, Any] = {"case": task.case.id, "method": task.method, "image": str(task.case.image),
                              "out": str(task.out), "camera": task.case.camera}
    own_pool = pool is None
    try:
        config = validate_config(task.config, origin=f"task {task.case.id}/{task.method}")
        previous = read_run(task.out)
        resume = previous is not None
        options = RunOptions(image=task.case.image, out=task.out, config=config, agent=task.agent, resume=resume,
                             verify_exports=task.verify_exports,
                             args={"image": str(task.case.image), "method": task.method, "case": task.case.id})
        if own_pool:
            from render_pool import RenderPool

            pool = RenderPool(num_workers=config.search.workers)
        outcome = reconstruct(options, pool=pool)
        summary = json.loads((task.out / "scene.json").read_text())
        record.update(status="done", resumed=resume, metrics=outcome.metrics,
                      truth=_truth_metrics(task, pool, outcome.best.program, summary))
    except SeigError as error:
        record.update(status="failed", error=f"{type(error).__name__}: {error}")
    except Exception as error:  # one case's bug must not end a batch; the trace goes to its status file
        record.update(status="failed", error=f"{type(error).__name__}: {error}",
                      traceback=traceback.format_exc(limit=20))
    finally:
        if own_pool and pool is not None:
            pool.close()
    record["wall_s"] = time.perf_counter() - started
    _write_status(task.out, record)
    return record

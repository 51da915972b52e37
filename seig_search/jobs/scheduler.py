"""Running many RunTasks through Ray: locally by default, on a cluster with an address.

Each task is a Ray task that builds its own render pool (actors of one CPU each) on the cluster. Tasks ask
for no CPU themselves, so the scheduler bounds how many are in flight (cluster CPUs / workers per task):
without the bound, tasks would each hold part of the CPUs their pools need and wait on each other forever.
A task lost with its node is retried by Ray (``max_retries``); the retry resumes the task's folder. A task
that still fails becomes a failed record, never an exception of the whole run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from seig_search.errors import RenderError
from seig_search.jobs.execute import RunTask, finished, run_task

TaskDone = Callable[[RunTask, dict[str, Any]], None]


def _ray_run_task(task: RunTask) -> dict[str, Any]:
    return run_task(task)


def init_ray(ray_address: str | None, num_cpus: int | None = None) -> bool:
    """Start or join Ray; True when this call started it (and so should shut it down)."""
    import ray

    if ray.is_initialized():
        return False
    address = ray_address or os.environ.get("RAY_ADDRESS") or None
    try:
        if address:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address="local", num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as error:
        raise RenderError(f"cannot start or join Ray ({address or 'local'}): {error}") from None
    return True


def in_flight_limit(workers_per_task: int, parallel: int | None) -> int:
    import ray

    cpus = int(ray.cluster_resources().get("CPU", 1))
    fits = max(1, cpus // max(1, workers_per_task))
    return fits if parallel is None else max(1, min(parallel, fits))


def run_tasks(tasks: Sequence[RunTask], *, ray_address: str | None = None, workers_per_task: int = 2,
              parallel: int | None = None, max_retries: int = 3, on_done: TaskDone | None = None) -> list[dict]:
    """Run every task (finished ones are read back, not redone); results in the order of ``tasks``."""
    import ray

    results: list[dict[str, Any] | None] = [None] * len(tasks)
    todo: list[int] = []
    for i, task in enumerate(tasks):
        done = finished(task.out)
        if done is not None:
            results[i] = {**done, "skipped": True}
            if on_done:
                on_done(task, results[i])
        else:
            todo.append(i)
    if not todo:
        return [r for r in results if r is not None]
    started = init_ray(ray_address, num_cpus=None)
    try:
        remote = ray.remote(num_cpus=0, max_retries=max_retries, retry_exceptions=False)(_ray_run_task)
        limit = in_flight_limit(workers_per_task, parallel)
        waiting = list(todo)
        running: dict[Any, int] = {}
        while waiting or running:
            while waiting and len(running) < limit:
                i = waiting.pop(0)
                running[remote.remote(tasks[i])] = i
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                i = running.pop(ref)
                try:
                    results[i] = ray.get(ref)
                except ray.exceptions.RayError as error:  # lost after every retry, or the worker died
                    results[i] = {"case": tasks[i].case.id, "method": tasks[i].method, "out": str(tasks[i].out),
                                  "status": "failed", "error": f"{type(error).__name__}: {str(error)[:500]}"}
                if on_done:
                    on_done(tasks[i], results[i])
    finally:
        if started:
            ray.shutdown()
    return [r for r in results if r is not None]

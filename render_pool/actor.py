"""The Ray actor: one per worker, each supervising one sandboxed Blender process."""

from __future__ import annotations

import os

import ray

from render_pool.process import WorkerOptions, WorkerProcess
from render_pool.types import RenderJob, RenderResult


def _unnice() -> None:
    """Render at normal priority: Ray starts workers at nice 15 (on clusters this pool did not start), and the
    Blender processes would inherit it. Lowering niceness needs CAP_SYS_NICE; without it, stay as we are."""
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) > 0:
            os.setpriority(os.PRIO_PROCESS, 0, 0)
    except PermissionError:
        pass


class _RenderActor:
    def __init__(self, options: WorkerOptions) -> None:
        self.messages: list[str] = []
        _unnice()
        self.worker = WorkerProcess(options, on_message=self._say)
        self.worker.start()

    def _say(self, text: str) -> None:
        print(f"[seig render worker] {text}", flush=True)  # reaches the driver where log_to_driver is on
        self.messages.append(text)

    def info(self) -> dict:
        proc = self.worker.proc
        return {**self.worker.info, "starts": self.worker.starts, "jobs_done": self.worker.jobs_done,
                "host_pid": proc.pid if proc is not None else None, "alive": self.worker.alive(),
                "messages": list(self.messages)}

    def run(self, job: RenderJob) -> RenderResult:
        return self.worker.run(job)

    def run_many(self, jobs: list[RenderJob]) -> list[RenderResult]:
        # a chunk per Ray call: the Blender process renders back to back instead of idling per round trip
        return self.worker.run_many(jobs)

    def close(self) -> None:
        self.worker.close()


RenderActor = ray.remote(max_restarts=1, max_task_retries=0)(_RenderActor)

"""RenderPool: the public entry point. Checks programs in the parent, fans jobs out to Ray actors."""

from __future__ import annotations

import ast
import math
import os
import sys
from collections.abc import Callable, Sequence

import ray

from render_pool.actor import RenderActor

from render_pool.process import GPU_WARMUP_TIMEOUT_S, STARTUP_TIMEOUT_S, WorkerOptions
from render_pool.sandbox import SandboxLimits
from render_pool.types import RenderJob, RenderResult
from seig_search.errors import ConfigError, RenderError

ProgressCallback = Callable[[RenderResult], None]
_IN_FLIGHT_PER_WORKER = 2  # one chunk queued behind the running one hides the actor round trip
_MAX_CHUNK = 8


def _policy_violations(source: str) -> list | None:
    """The colleague-owned static policy; None when that module is not importable here."""
    try:
        from render_pool.policy import check_program
    except ImportError:
        return None
    return check_program(source)


def precheck(job: RenderJob, enforce_policy: bool = True) -> RenderResult | None:
    """Syntax and policy check in the parent; returns the failed result, or None when the job may be sent."""
    try:
        ast.parse(job.program, filename="<program>")
    except SyntaxError as error:
        return RenderResult.failed(job.job_id, "syntax", f"SyntaxError: {error.msg}", error.lineno)
    except ValueError as error:  # e.g. NUL bytes in the source
        return RenderResult.failed(job.job_id, "syntax", f"the program is not valid source text: {error}")
    if enforce_policy:
        violations = _policy_violations(job.program)
        if violations:
            text = "; ".join(f"line {v.line}: {v.message}" for v in violations)
            return RenderResult.failed(job.job_id, "policy", text, violations[0].line)
    return None


class RenderPool:
    """A pool of sandboxed Blender workers behind Ray actors.

    ``ray_address`` (or RAY_ADDRESS) joins a cluster; otherwise a private local Ray is started cheaply. Where the
    cluster has GPUs (or ``use_gpu=True``), each actor asks for one and Cycles renders there.
    ``enforce_policy=False`` skips the static policy check (for sandbox tests; the OS sandbox still applies).
    ``threads`` fixes Blender's render threads per worker (0: Blender's choice). ``max_jobs_per_process``
    recycles a Blender process after that many jobs. ``limits`` are the sandbox's resource limits.
    ``cpus_per_worker`` is what each actor reserves from Ray (default: 0 locally, 1 on a cluster).
    ``on_message`` receives status lines (GPU warm-up); default: stderr.
    """

    def __init__(self, num_workers: int = 2, ray_address: str | None = None, *, enforce_policy: bool = True,
                 use_gpu: bool | None = None, threads: int = 0, max_jobs_per_process: int = 200,
                 limits: SandboxLimits | None = None, cpus_per_worker: float | None = None,
                 on_message: Callable[[str], None] | None = None) -> None:
        if not isinstance(num_workers, int) or num_workers < 1:
            raise ConfigError(f"num_workers must be a positive integer, got {num_workers!r}")
        self.enforce_policy = enforce_policy
        self._started_ray = False
        address = ray_address or os.environ.get("RAY_ADDRESS") or None
        if not ray.is_initialized():
            try:
                if address:
                    ray.init(address=address, include_dashboard=False, log_to_driver=True)
                else:
                    # "local": always a private instance, even where `ray start` left a cluster on this machine
                    # worker_niceness 0: Ray runs workers at nice 15 by default, and the Blender processes
                    # inherit it, so any other load on the machine would starve the renders
                    ray.init(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False,
                             log_to_driver=False, configure_logging=False, _system_config={"worker_niceness": 0})
            except (ConnectionError, ValueError, RuntimeError) as error:
                raise RenderError(f"cannot start or join Ray ({address or 'local'}): {error}") from None
            self._started_ray = True
        gpus = ray.cluster_resources().get("GPU", 0) if use_gpu is None else (1 if use_gpu else 0)
        device = "GPU" if gpus >= 1 else "CPU"
        options = WorkerOptions(device=device, threads=threads, max_jobs=max_jobs_per_process,
                                limits=limits or SandboxLimits())
        # on one machine the pool itself bounds parallelism, so actors reserve no CPU and several pools
        # can share one local Ray; on a cluster each actor reserves a CPU so Ray spreads them over nodes
        if cpus_per_worker is None:
            cpus_per_worker = 1.0 if address else 0.0
        actor_opts = {"num_cpus": cpus_per_worker, "num_gpus": 1 if device == "GPU" else 0}
        self.device = device
        say = on_message or (lambda text: print(text, file=sys.stderr, flush=True))
        if device == "GPU":  # said before the wait, which can take minutes: the actors' own words come after
            say(f"starting {num_workers} GPU render worker(s); a new GPU's first Cycles render compiles kernels "
                "(up to ~10 minutes for bpy 5.0.1 on Hopper, cached afterwards)")
        self._actors = [RenderActor.options(**actor_opts).remote(options) for _ in range(num_workers)]
        try:
            startup = GPU_WARMUP_TIMEOUT_S if device == "GPU" else STARTUP_TIMEOUT_S
            self.worker_info = ray.get([a.info.remote() for a in self._actors], timeout=startup + 120.0)
        except (ray.exceptions.RayError, TimeoutError) as error:
            self.close()
            raise RenderError(f"render workers failed to start: {error}") from None
        for info in self.worker_info:
            for message in info.get("messages", []):
                say(message)

    @property
    def num_workers(self) -> int:
        return len(self._actors)

    def render(self, jobs: Sequence[RenderJob], progress: ProgressCallback | None = None) -> list[RenderResult]:
        """Render every job; results come back in the order of `jobs`. A job's fault never raises."""
        if not self._actors:
            raise RenderError("the render pool is closed")
        results: list[RenderResult | None] = [None] * len(jobs)
        pending: list[int] = []
        for i, job in enumerate(jobs):
            if not isinstance(job, RenderJob):
                raise ConfigError(f"jobs[{i}] is a {type(job).__name__}, not a RenderJob")
            early = precheck(job, self.enforce_policy)
            if early is None:
                pending.append(i)
            else:
                results[i] = early
                if progress:
                    progress(early)
        self._dispatch(jobs, pending, results, progress)
        return [r for r in results if r is not None]

    def _dispatch(self, jobs: Sequence[RenderJob], pending: list[int], results: list, progress) -> None:
        # chunks of a few jobs per Ray call amortise the round trip; small enough that workers stay balanced
        size = max(1, min(_MAX_CHUNK, math.ceil(len(pending) / (len(self._actors) * 4))))
        chunks = [pending[k:k + size] for k in range(0, len(pending), size)]
        queue = list(reversed(chunks))
        in_flight: dict[ray.ObjectRef, tuple[list[int], int]] = {}  # ref -> (job indices, actor index)

        def submit(actor_index: int) -> None:
            chunk = queue.pop()
            ref = self._actors[actor_index].run_many.remote([jobs[i] for i in chunk])
            in_flight[ref] = (chunk, actor_index)

        for _ in range(_IN_FLIGHT_PER_WORKER):
            for a in range(len(self._actors)):
                if queue:
                    submit(a)
        while in_flight:
            # a worker answers within its jobs' deadlines plus a process restart each; silence past that means
            # Ray itself is gone (e.g. `ray stop` on this machine), which must not hang the caller forever
            patience = sum(jobs[i].settings.timeout_s + STARTUP_TIMEOUT_S for chunk, _ in in_flight.values()
                           for i in chunk)
            done, _ = ray.wait(list(in_flight), num_returns=1, timeout=patience + 60.0)
            if not done:
                raise RenderError("render workers stopped answering (is the Ray cluster still up?)")
            chunk, a = in_flight.pop(done[0])
            try:
                chunk_results = ray.get(done[0])
            except ray.exceptions.RayError as error:  # the actor itself died; Ray restarts it once
                chunk_results = [RenderResult.failed(jobs[i].job_id, "crash", f"render actor failed: {error}")
                                 for i in chunk]
            for i, result in zip(chunk, chunk_results):
                results[i] = result
                if progress:
                    progress(result)
            if queue:
                submit(a)

    def stats(self) -> list[dict]:
        """Per worker: process starts so far, jobs since the last start, host pid, device, bpy version."""
        return ray.get([a.info.remote() for a in self._actors])

    def render_one(self, job: RenderJob) -> RenderResult:
        return self.render([job])[0]

    def close(self) -> None:
        """Stop every worker process and, if this pool started Ray, shut it down."""
        actors, self._actors = self._actors, []
        if actors and ray.is_initialized():  # after ray.shutdown the actors (and their processes) are gone
            try:
                ray.get([a.close.remote() for a in actors], timeout=30)
            except ray.exceptions.RayError:
                pass
            for actor in actors:
                ray.kill(actor)
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
            self._started_ray = False

    def __enter__(self) -> "RenderPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_actors", None) and ray.is_initialized():
            try:
                self.close()
            except Exception:  # noqa: BLE001 - interpreter shutdown
                pass

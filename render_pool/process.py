"""Supervision of one sandboxed Blender worker process: start, send a job, enforce its deadline, replace.

Plain Python (no Ray, no bpy), so it can be used and tested on its own; the Ray actor wraps one of these.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

from render_pool.protocol import ChannelClosed, FrameTimeout, pack, read_frame, write_packed
from render_pool.sandbox import SandboxLimits, warn_if_weak, worker_command
from render_pool.types import JobFailure, RenderJob, RenderResult

STARTUP_TIMEOUT_S = 120.0  # importing bpy takes ~0.6 s; allow for a loaded machine
GPU_WARMUP_TIMEOUT_S = 1800.0  # bpy 5.0.1 JIT-compiles Cycles kernels for ~8 min on Hopper GPUs
def _grow_pipe(fd: int) -> int:
    """Ask for a 1 MiB pipe buffer (the unprivileged maximum); return the capacity actually granted."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except OSError:  # over the per-user pipe quota: keep what the kernel gave
        pass
    try:
        return int(fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ))
    except OSError:
        return 4096  # one page, the smallest a pipe has


def _job_frame(job: RenderJob, seq: int) -> bytes:
    return pack({"type": "job", "seq": seq, "program": job.program, "settings": job.settings.to_wire()})


@dataclass(frozen=True)
class WorkerOptions:
    device: str = "CPU"  # CPU or GPU
    threads: int = 0  # render threads; 0 = Blender's automatic choice
    max_jobs: int = 200  # recycle the process after this many jobs (state leaks in long-lived Blender)
    max_rss_bytes: int = 3 << 30  # recycle when the process grew past this
    limits: SandboxLimits = SandboxLimits()


class WorkerProcess:
    """One persistent bpy process behind two pipes. `run` never raises for a job's fault."""

    def __init__(self, options: WorkerOptions = WorkerOptions(), on_message: Any = None) -> None:
        self.options = options
        self.on_message = on_message or (lambda text: None)
        self.proc: subprocess.Popen | None = None
        self.jobs_done = 0
        self.starts = 0
        self.info: dict[str, Any] = {}
        self._log = tempfile.NamedTemporaryFile(prefix="seig-worker-", suffix=".log", delete=False)
        self._job_w = self._result_r = -1
        self._job_pipe_bytes = 4096
        self._seq = 0  # sequence number of the last job frame sent

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def start(self) -> None:
        """Start a fresh process and wait until it has imported bpy (and warmed up a GPU)."""
        self.stop()
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        self._job_pipe_bytes = _grow_pipe(job_w)
        _grow_pipe(result_w)  # a whole result fits: the worker moves on to the next job while this side reads
        gpu = self.options.device == "GPU"
        args = ["--job-fd", str(job_r), "--result-fd", str(result_w), "--device", self.options.device,
                "--threads", str(self.options.threads)]
        first_gpu_start = gpu and self.starts == 0
        if first_gpu_start:
            args.append("--warm-up")
            self.on_message("warming up the GPU worker: the first Cycles render compiles kernels "
                            "(up to ~10 minutes on a new GPU, cached afterwards)")
        argv, env, spec = worker_command(args, gpu=gpu, limits=self.options.limits)
        warn_if_weak(spec.mode)
        self._log.seek(0)
        self._log.truncate()
        try:
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, pass_fds=(job_r, result_w),
                                         start_new_session=True, close_fds=True)
        finally:
            os.close(job_r)
            os.close(result_w)
        self._job_w, self._result_r = job_w, result_r
        self.starts += 1
        self.jobs_done = 0
        timeout = GPU_WARMUP_TIMEOUT_S if first_gpu_start else STARTUP_TIMEOUT_S
        try:
            ready = read_frame(result_r, time.monotonic() + timeout)
        except (ChannelClosed, FrameTimeout) as error:
            self.stop()
            raise RuntimeError(f"worker did not start ({error}); its output ends with:\n{self.log_tail()}") from None
        self.info = ready

    def stop(self) -> None:
        """Kill the process (SIGKILL: Blender swallows SIGINT) and close the pipes."""
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait()
            self.proc = None
        for fd in (self._job_w, self._result_r):
            if fd >= 0:
                os.close(fd)
        self._job_w = self._result_r = -1

    def close(self) -> None:
        self.stop()
        self._log.close()
        os.unlink(self._log.name)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, limit: int = 1500) -> str:
        self._log.flush()
        with open(self._log.name, "rb") as handle:
            handle.seek(max(0, os.path.getsize(self._log.name) - limit))
            return handle.read().decode("utf-8", "replace")

    # -- jobs ----------------------------------------------------------------------------------------------------
    def run(self, job: RenderJob) -> RenderResult:
        """Render one job; a hang, crash or memory exhaustion fails only this job and replaces the process."""
        return self.run_many([job])[0]

    def run_many(self, jobs: Sequence[RenderJob], retry_out_of_sequence: bool = True) -> list[RenderResult]:
        """Render jobs back to back, each with its own deadline; a fault fails only its own job.

        The next job's frame goes down the pipe while the current one renders (when it fits the pipe's free
        buffer, so the write cannot block and deadlock against the worker writing its result), so Blender
        never waits for this side between jobs. A job sent
        ahead to a process that then died or was recycled is sent again to the new one. Every frame carries a
        sequence number the worker echoes: a result out of sequence (a program forging frames) replaces the
        process, and the job is rendered again on the new one, so no job is credited with another's result.
        """
        results: list[RenderResult] = []
        current_sent = False
        seqs: dict[int, int] = {}  # job position -> sequence number of the frame that carried it
        for k, job in enumerate(jobs):
            t0 = time.perf_counter()
            if not self.alive():
                current_sent = False
                try:
                    self.start()
                except RuntimeError as error:  # the sandboxed process cannot start: this job fails, the next retries
                    results.append(self._failed(job, "sandbox", str(error), t0))
                    continue
            next_sent = False
            try:
                queued = 0  # bytes of job frames the worker may not have read yet
                if not current_sent:
                    seqs[k] = self._next_seq()
                    frame = _job_frame(job, seqs[k])
                    write_packed(self._job_w, frame)
                    queued = len(frame)
                if k + 1 < len(jobs):
                    seqs[k + 1] = self._next_seq()
                    ahead = _job_frame(jobs[k + 1], seqs[k + 1])
                    if queued + len(ahead) <= self._job_pipe_bytes:  # so this write can never block
                        write_packed(self._job_w, ahead)
                        next_sent = True
                reply = read_frame(self._result_r, time.monotonic() + job.settings.timeout_s)
            except FrameTimeout:
                self.stop()
                message = f"no result within {job.settings.timeout_s:g} s; the process was killed"
                results.append(self._failed(job, "timeout", message, t0))
                current_sent = False
                continue
            except (ChannelClosed, BrokenPipeError):
                results.append(self._failed(job, *self._death_cause(), t0))
                current_sent = False
                continue
            if reply.get("seq") != seqs.get(k):
                # A program wrote into the result channel: nothing more this process says can be trusted.
                # Replace it and render this job again on the fresh process, once.
                self.stop()
                current_sent = False
                results.append(self.run_many([job], retry_out_of_sequence=False)[0] if retry_out_of_sequence
                               else self._failed(job, "sandbox", "result frame out of sequence; the process "
                                                 "was replaced", t0))
                continue
            self.jobs_done += 1
            result = self._to_result(job, reply)
            result.timings["total_s"] = time.perf_counter() - t0
            results.append(result)
            worn = self.jobs_done >= self.options.max_jobs or reply.get("rss", 0) > self.options.max_rss_bytes
            if reply.get("recycle") or worn:
                self.stop()  # the next job starts a fresh process (and gets its frame again)
                next_sent = False
            current_sent = next_sent
        return results

    def _death_cause(self) -> tuple[str, str]:
        proc = self.proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:  # it closed its pipe but lives on: not a worker we can use
                self.stop()
                return "crash", "the Blender process closed its result pipe and was killed"
        tail = self.log_tail(600).strip().splitlines()[-3:]
        self.stop()
        # a signal shows as a negative code, or as 128 + signal where bubblewrap reports its child's death
        signum = 0
        if code is not None:
            signum = -code if code < 0 else (code - 128 if 128 < code < 160 else 0)
        if signum:
            name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else f"signal {signum}"
            kind = "memory" if signum == signal.SIGKILL else "crash"  # an outside SIGKILL is the OOM killer
            return kind, f"the Blender process died of {name}" + (f": {' | '.join(tail)}" if tail else "")
        return "crash", f"the Blender process exited with code {code}" + (f": {' | '.join(tail)}" if tail else "")

    def _failed(self, job: RenderJob, kind: str, message: str, t0: float) -> RenderResult:
        return RenderResult.failed(job.job_id, kind, message, total_s=time.perf_counter() - t0)

    @staticmethod
    def _to_result(job: RenderJob, reply: dict) -> RenderResult:
        timings = {k: float(v) for k, v in reply.get("timings", {}).items()}
        if not reply.get("ok"):
            failure = reply["failure"]
            return RenderResult(job.job_id, False, timings=timings,
                                failure=JobFailure(failure["kind"], failure["message"], failure.get("line")))
        passes, files = reply["passes"], reply.get("files", {})
        return RenderResult(job.job_id, True, color=passes.get("color"), index=passes.get("index"),
                            depth=passes.get("depth"), summary=reply["summary"], timings=timings,
                            blend=files.get("blend"), glb=files.get("glb"))

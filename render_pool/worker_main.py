"""The Blender worker process: the only module that imports bpy. Runs inside the sandbox, never imported.

Started by render_pool.process as ``python -m render_pool.worker_main --job-fd N --result-fd M``. It reads
job frames from one inherited pipe and writes result frames to another (never stdout: Blender prints there),
resets the scene before every job, runs the program with a seeded ``random``, renders and replies.
"""

from __future__ import annotations

import argparse
import builtins
import os
import random
import sys
import tempfile
import time
import traceback
from typing import Any

from render_pool.protocol import ChannelClosed, read_frame, write_frame

PROGRAM_FILENAME = "<program>"


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _program_line(error: BaseException) -> int | None:
    if isinstance(error, SyntaxError) and error.filename == PROGRAM_FILENAME:
        return error.lineno
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == PROGRAM_FILENAME]
    return frames[-1].lineno if frames else None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def run_program(source: str, seed: int) -> None:
    """Execute a scene program as a fresh __main__ module, with `random` seeded from the job."""
    code = compile(source, PROGRAM_FILENAME, "exec")
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:  # numpy is optional for programs
        pass
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins, "__file__": PROGRAM_FILENAME}
    exec(code, namespace)


class Worker:
    def __init__(self, job_fd: int, result_fd: int, device: str, threads: int) -> None:
        self.job_fd, self.result_fd, self.threads = job_fd, result_fd, threads
        self.tmpdir = tempfile.mkdtemp(prefix="seig-worker-")
        t0 = time.perf_counter()
        import bpy  # noqa: PLC0415 - the one place bpy is imported

        from render_pool import worker_render, worker_scene

        self.bpy, self.render, self.scene = bpy, worker_render, worker_scene
        bpy.ops.wm.read_factory_settings(use_empty=True)
        worker_scene.snapshot_handlers(bpy)
        worker_scene.snapshot_factory_settings(bpy)
        self.device = worker_render.configure_gpu(bpy) if device == "GPU" else "CPU"
        self.import_s = time.perf_counter() - t0

    def warm_up(self) -> None:
        """Render one tiny frame so the first job does not pay for kernel compilation (minutes on new GPUs)."""
        bpy = self.bpy
        self.scene.reset_scene(bpy)
        cam = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
        bpy.context.scene.collection.objects.link(cam)
        bpy.context.scene.camera = cam
        settings = {"engine": "CYCLES", "width": 8, "height": 8, "samples": 1, "denoise": False, "seed": 0,
                    "passes": ["color"]}
        self.render.configure(bpy, settings, self.device, self.threads)
        self.render.render_passes(bpy, settings, self.tmpdir)

    def handle(self, job: dict) -> dict:
        settings, timings = job["settings"], {}
        t0 = time.perf_counter()
        bpy = self.bpy
        self.scene.reset_scene(bpy)
        timings["reset_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            run_program(job["program"], settings["seed"])
        except MemoryError as error:
            return self._failure("memory", _describe(error), _program_line(error), timings, recycle=True)
        except SyntaxError as error:
            return self._failure("syntax", _describe(error), _program_line(error), timings)
        except BaseException as error:  # noqa: BLE001 - whatever the program raises is its failure
            if isinstance(error, KeyboardInterrupt):
                raise
            return self._failure("program", _describe(error), _program_line(error), timings)
        timings["program_s"] = time.perf_counter() - t1
        message = self.scene.ensure_camera(bpy)
        if message:
            return self._failure("program", message, None, timings)
        self.scene.assign_pass_indices(bpy)
        t2 = time.perf_counter()
        try:
            self.render.configure(bpy, settings, self.device, self.threads)
            passes = self.render.render_passes(bpy, settings, self.tmpdir)
        except MemoryError as error:
            return self._failure("memory", _describe(error), None, timings, recycle=True)
        except Exception as error:  # noqa: BLE001 - a scene Blender cannot render fails its job only
            return self._failure("program", f"render failed: {_describe(error)}", None, timings)
        timings["render_s"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        try:
            summary = self.scene.scene_summary(bpy)
            files = self.render.export_files(bpy, settings, self.tmpdir)
        except Exception as error:  # noqa: BLE001 - a scene the summary or an exporter chokes on fails its job only
            return self._failure("program", f"summary or export failed: {_describe(error)}", None, timings)
        timings["summary_s"] = time.perf_counter() - t3
        timings["worker_s"] = time.perf_counter() - t0
        return {"type": "result", "ok": True, "passes": passes, "summary": summary, "files": files,
                "timings": timings, "rss": _rss_bytes(), "device": self.device}

    def _failure(self, kind: str, message: str, line: int | None, timings: dict, recycle: bool = False) -> dict:
        return {"type": "result", "ok": False, "failure": {"kind": kind, "message": message, "line": line},
                "timings": timings, "rss": _rss_bytes(), "recycle": recycle}

    def serve(self) -> None:
        while True:
            try:
                job = read_frame(self.job_fd)
            except ChannelClosed:
                return
            if job.get("type") == "stop":
                return
            try:
                reply = self.handle(job)
            except Exception as error:  # noqa: BLE001 - a fault of the worker itself: report it, then be replaced
                reply = self._failure("crash", f"worker error: {_describe(error)}", None, {}, recycle=True)
            reply["seq"] = job.get("seq")  # the parent matches every result to the job it sent
            write_frame(self.result_fd, reply)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="render_pool.worker_main")
    parser.add_argument("--job-fd", type=int, required=True)
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--device", choices=("CPU", "GPU"), default="CPU")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--warm-up", action="store_true")
    args = parser.parse_args(argv)
    worker = Worker(args.job_fd, args.result_fd, args.device, args.threads)
    if args.warm_up:
        worker.warm_up()
    write_frame(args.result_fd, {"type": "ready", "pid": os.getpid(), "bpy": worker.bpy.app.version_string,
                                 "device": worker.device, "import_s": worker.import_s, "rss": _rss_bytes()})
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())

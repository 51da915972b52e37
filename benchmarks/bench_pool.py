"""Throughput of the render pool against a bare in-process bpy render loop, measured in the same run.

For each engine (Workbench; Cycles at 8 spp), at 128x128, the same scene program is rendered N times:
- bare: one plain Python process (a subprocess: bpy is never imported here) that, per render, removes the
  previous scene's objects, runs the program and renders with write_still to a PNG in /dev/shm;
- 1 process, no Ray: one sandboxed worker process (render_pool.process.WorkerProcess) driven directly;
- pool: RenderPool with 1 and with 2 actors (sandboxed workers: reset, seeded program, EXR of the requested
  passes read back as arrays, scene summary, result shipped through Ray).
Printed: jobs/s of each and the ratio pool / bare, as medians over rounds. In each round the bare loop runs
before and after the pools and its mean is that round's baseline, so load from other processes hits both.

    .venv/bin/python benchmarks/bench_pool.py [--jobs 40] [--rounds 3] [--engines WORKBENCH,CYCLES] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import build_test_program  # noqa: E402  (the suite's small scene: two objects, camera, sun)

from render_pool import RenderJob, RenderPool, RenderSettings  # noqa: E402
from render_pool.process import WorkerProcess  # noqa: E402

BARE_LOOP = r"""
import json, sys, time
import bpy
program, engine, size, samples, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
code = compile(program, "<program>", "exec")
def one(i):
    bpy.data.batch_remove(list(bpy.data.objects) + list(bpy.data.meshes) + list(bpy.data.materials)
                          + list(bpy.data.cameras) + list(bpy.data.lights))
    exec(code, {"__name__": "__main__"})
    scene = bpy.context.scene
    scene.render.engine = engine
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.filepath = f"/dev/shm/seig-bench-bare-{i % 2}.png"
    bpy.ops.render.render(write_still=True)
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.context.scene.world = bpy.data.worlds.new("World")
one(0)  # warm-up: first Workbench render initialises GL
t0 = time.perf_counter()
for i in range(n):
    one(i)
print(json.dumps({"jobs_per_s": n / (time.perf_counter() - t0)}))
"""


def bare_rate(program: str, engine: str, size: int, samples: int, n: int) -> float:
    blender_engine = "BLENDER_WORKBENCH" if engine == "WORKBENCH" else engine
    proc = subprocess.run([sys.executable, "-c", BARE_LOOP, program, blender_engine, str(size), str(samples), str(n)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])["jobs_per_s"]


def pool_rate(pool: RenderPool, program: str, settings: RenderSettings, n: int) -> float:
    warm = pool.render([RenderJob(program, settings, f"warm{i}") for i in range(2 * pool.num_workers)])
    assert all(r.ok for r in warm), [str(r.failure) for r in warm if not r.ok]
    jobs = [RenderJob(program, settings, f"job{i}") for i in range(n)]
    t0 = time.perf_counter()
    results = pool.render(jobs)
    rate = n / (time.perf_counter() - t0)
    failed = [str(r.failure) for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"benchmark jobs failed: {failed[:3]}")
    return rate


def process_rate(worker: WorkerProcess, program: str, settings: RenderSettings, n: int) -> float:
    """The same jobs through one sandboxed worker process driven directly, without Ray (where the cost sits)."""
    for i in range(2):
        worker.run(RenderJob(program, settings, f"warm{i}"))
    t0 = time.perf_counter()
    results = [worker.run(RenderJob(program, settings, f"job{i}")) for i in range(n)]
    rate = n / (time.perf_counter() - t0)
    if not all(r.ok for r in results):
        raise RuntimeError("benchmark jobs failed")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="repeat bare/pool/bare this often; medians printed")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--engines", default="WORKBENCH,CYCLES")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--passes", default="color", help="passes the pool returns (the bare loop writes a PNG)")
    args = parser.parse_args()
    program = build_test_program(ground=True)
    worker_counts = [int(w) for w in args.workers.split(",")]
    pools = {k: RenderPool(num_workers=k) for k in worker_counts}
    direct = WorkerProcess()
    try:
        print(f"{args.size}x{args.size}, {args.jobs} jobs per measurement, median of {args.rounds} rounds "
              "(each round: bare, pools, bare again; ratio = pool / mean of the round's two bare figures)")
        print(f"{'engine':<12} {'bare jobs/s':>12} {'1 process, no Ray':>18} {'ratio':>6}  " +
              "  ".join(f"{f'pool x{k} jobs/s':>16} {'ratio':>6}" for k in worker_counts))
        for engine in args.engines.split(","):
            samples = 8
            settings = RenderSettings(engine=engine, width=args.size, height=args.size, samples=samples,
                                      passes=tuple(args.passes.split(",")), timeout_s=120.0)
            bares, rates, ratios = [], {k: [] for k in worker_counts}, {k: [] for k in worker_counts}
            direct_rates, direct_ratios = [], []
            for _ in range(args.rounds):
                before = bare_rate(program, engine, args.size, samples, args.jobs)
                direct_rate = process_rate(direct, program, settings, args.jobs)
                round_rates = {k: pool_rate(pools[k], program, settings, args.jobs) for k in worker_counts}
                bare = (before + bare_rate(program, engine, args.size, samples, args.jobs)) / 2
                bares.append(bare)
                direct_rates.append(direct_rate)
                direct_ratios.append(direct_rate / bare)
                for k, rate in round_rates.items():
                    rates[k].append(rate)
                    ratios[k].append(rate / bare)
            label = engine if engine == "WORKBENCH" else f"CYCLES {samples}spp"
            print(f"{label:<12} {statistics.median(bares):>12.1f} {statistics.median(direct_rates):>18.1f} "
                  f"{statistics.median(direct_ratios):>5.2f}x  " +
                  "  ".join(f"{statistics.median(rates[k]):>16.1f} {statistics.median(ratios[k]):>5.2f}x"
                            for k in worker_counts) +
                  f"   (ratios per round: {'; '.join(' '.join(f'{r:.2f}' for r in ratios[k]) for k in worker_counts)})",
                  flush=True)
    finally:
        direct.close()
        for pool in pools.values():
            pool.close()


if __name__ == "__main__":
    main()

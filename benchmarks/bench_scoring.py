"""How fast the search score runs, against the cost of the renders it scores.

Measures, in one run on this machine:
  * the render cost: a bare bpy subprocess rendering a small scene with Cycles at 8 spp, 128x128, in a loop
    (the object moves between frames; render + PNG write to a RAM disk, as the pool's workers do);
  * candidates scored per second at 128x128 in batches of 1, 16 and 128, for the offline score (with and
    without object-index passes, which the render pool supplies in a search) and for the neural score (the
    real LPIPS and CLIP architectures; random weights cost the same as trained ones).
Prints ratios against the batch-1 baseline of the same mode and against the render cost.

    .venv/bin/python benchmarks/bench_scoring.py [--renders 12] [--repeats 3] [--json out.json]

On a machine without bpy (a GPU box with another Python, say), render the frames here once and score them
there, with the networks on each device named and the CPU as the baseline in the same run:

    .venv/bin/python benchmarks/bench_scoring.py --save-frames frames.npz
    python benchmarks/bench_scoring.py --frames frames.npz --devices cpu,cuda
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RENDER_SCRIPT = r"""
import bpy, bmesh, math, sys, time, mathutils
n, size, out = int(sys.argv[-3]), int(sys.argv[-2]), sys.argv[-1]
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
def mesh(name, make, loc, color):
    me = bpy.data.meshes.new(name); bm = bmesh.new(); make(bm); bm.to_mesh(me); bm.free()
    ob = bpy.data.objects.new(name, me); scene.collection.objects.link(ob); ob.location = loc
    mat = bpy.data.materials.new(name)
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*color, 1.0)
    me.materials.append(mat); return ob
mesh("ground", lambda bm: bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=10.0), (0, 0, 0), (0.5, 0.5, 0.5))
cube = mesh("cube", lambda bm: bmesh.ops.create_cube(bm, size=1.0), (-0.8, 0, 0.5), (0.8, 0.1, 0.1))
mesh("ball", lambda bm: bmesh.ops.create_uvsphere(bm, u_segments=24, v_segments=12, radius=0.5), (0.8, 0, 0.5), (0.1, 0.2, 0.8))
cam = bpy.data.objects.new("cam", bpy.data.cameras.new("cam")); scene.collection.objects.link(cam)
cam.location = (4, -4, 3)
cam.rotation_euler = (mathutils.Vector((0, 0, 0.3)) - cam.location).to_track_quat("-Z", "Y").to_euler()
scene.camera = cam
sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN")); sun.data.energy = 3.0
sun.rotation_euler = (0.6, 0.2, 0.8); scene.collection.objects.link(sun)
world = bpy.data.worlds.new("w"); scene.world = world
world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.05, 0.05, 0.05, 1)
r = scene.render; r.engine = "CYCLES"; r.resolution_x = r.resolution_y = size; r.resolution_percentage = 100
scene.cycles.samples = 8; scene.cycles.use_denoising = False; scene.cycles.device = "CPU"
scene.view_settings.view_transform = "Standard"; r.image_settings.file_format = "PNG"
times = []
for i in range(n + 1):  # the first render warms caches and is not counted
    cube.location.x = -0.8 + 0.05 * i
    r.filepath = f"{out}/frame{i:03d}.png"
    t, c = time.perf_counter(), time.process_time()
    bpy.ops.render.render(write_still=True)
    times.append((time.perf_counter() - t, time.process_time() - c))
print("TIMES", ",".join(f"{w:.6f}" for w, _ in times[1:]))
print("CPU", ",".join(f"{c:.6f}" for _, c in times[1:]))
"""


def measure_renders(n: int, size: int, folder: Path) -> tuple[list[float], list[float], list[np.ndarray]]:
    """Wall and CPU seconds (all of Blender's threads) per render, and the rendered frames."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(RENDER_SCRIPT)
    cmd = [sys.executable, "-c", f"import runpy; runpy.run_path({f.name!r}, run_name='__main__')",
           str(n), str(size), str(folder)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    os.unlink(f.name)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("TIMES ")), None)
    cpu = next((ln for ln in proc.stdout.splitlines() if ln.startswith("CPU ")), None)
    if proc.returncode != 0 or line is None or cpu is None:
        raise SystemExit(f"render subprocess failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    from PIL import Image

    images = [np.asarray(Image.open(p).convert("RGB"), dtype=np.float32) / 255.0
              for p in sorted(folder.glob("frame*.png"))]
    return [float(x) for x in line[6:].split(",")], [float(x) for x in cpu[4:].split(",")], images


POOL_PROGRAM = """
import bpy, bmesh, mathutils
scene = bpy.context.scene
def mesh(name, make, loc, color):
    me = bpy.data.meshes.new(name); bm = bmesh.new(); make(bm); bm.to_mesh(me); bm.free()
    ob = bpy.data.objects.new(name, me); scene.collection.objects.link(ob); ob.location = loc
    mat = bpy.data.materials.new(name)
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*color, 1.0)
    me.materials.append(mat)
mesh("ground", lambda bm: bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=10.0), (0, 0, 0), (0.5, 0.5, 0.5))
mesh("cube", lambda bm: bmesh.ops.create_cube(bm, size=1.0), (CUBE_X, 0, 0.5), (0.8, 0.1, 0.1))
mesh("ball", lambda bm: bmesh.ops.create_uvsphere(bm, u_segments=24, v_segments=12, radius=0.5), (0.8, 0, 0.5), (0.1, 0.2, 0.8))
cam = bpy.data.objects.new("cam", bpy.data.cameras.new("cam")); scene.collection.objects.link(cam)
cam.location = (4, -4, 3)
cam.rotation_euler = (mathutils.Vector((0, 0, 0.3)) - cam.location).to_track_quat("-Z", "Y").to_euler()
scene.camera = cam
sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN")); sun.data.energy = 3.0
sun.rotation_euler = (0.6, 0.2, 0.8); scene.collection.objects.link(sun)
scene.world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.05, 0.05, 0.05, 1)
"""


def pool_frames(n: int, size: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The same scene through the render pool, for colour and object-index passes (as the search gets them)."""
    from render_pool import RenderJob, RenderPool, RenderSettings

    settings = RenderSettings(engine="CYCLES", width=size, height=size, samples=8, seed=0,
                              passes=("color", "index"))
    jobs = [RenderJob(program=POOL_PROGRAM.replace("CUBE_X", repr(-0.8 + 0.05 * i)), settings=settings,
                      job_id=str(i)) for i in range(n)]
    with RenderPool(num_workers=1) as pool:
        results = pool.render(jobs)
    bad = [r.failure for r in results if not r.ok]
    if bad:
        raise SystemExit(f"pool renders failed: {bad[:2]}")
    return [r.srgb() for r in results], [r.index for r in results]


def time_scoring(scorer, renders: list[np.ndarray], batch: int, repeats: int,
                 index: list[np.ndarray] | None = None) -> tuple[float, float]:
    """Median wall and CPU seconds per candidate when scoring ``batch`` candidates per call."""
    pool = [renders[i % len(renders)] for i in range(batch)]
    passes = None if index is None else [index[i % len(index)] for i in range(batch)]
    scorer.score_batch(pool[:1], None if passes is None else passes[:1])  # warm-up: allocations, target analysis
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        scorer.score_batch(pool, passes)
        wall.append((time.perf_counter() - t) / batch)
        cpu.append((time.process_time() - c) / batch)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--renders", type=int, default=12, help="renders in the timed bpy loop")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batches", default="1,16,128")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--save-frames", type=Path, default=None, help="write the rendered frames here (npz)")
    ap.add_argument("--frames", type=Path, default=None,
                    help="score frames saved by --save-frames instead of rendering (no bpy needed)")
    ap.add_argument("--devices", default="cpu", help="torch devices for the neural modes, e.g. cpu,cuda")
    args = ap.parse_args()

    from scoring import ScoreConfig, Scorer
    from scoring.config import TermWeights

    import torch

    if args.frames is not None:  # frames rendered elsewhere: the render cost is that machine's
        saved = np.load(args.frames)
        render_times, render_cpu = saved["render_wall"].tolist(), saved["render_cpu"].tolist()
        images, pool_images, pool_index = list(saved["images"]), list(saved["pool_images"]), list(saved["pool_index"])
        print(f"frames and render cost from {args.frames} (rendered on another machine: the scoring/rendering "
              "ratios below compare two machines)")
    else:
        shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
        with tempfile.TemporaryDirectory(dir=shm) as tmp:
            render_times, render_cpu, images = measure_renders(args.renders, args.size, Path(tmp))
        pool_images, pool_index = pool_frames(args.renders + 1, args.size)
    if args.save_frames is not None:
        np.savez_compressed(args.save_frames, images=np.stack(images), pool_images=np.stack(pool_images),
                            pool_index=np.stack(pool_index), render_wall=np.array(render_times),
                            render_cpu=np.array(render_cpu))
    render_s, render_cpu_s = statistics.median(render_times), statistics.median(render_cpu)
    target, candidates = images[0], images[1:]
    batches = [int(b) for b in args.batches.split(",")]
    idx = (pool_images[1:], pool_index[1:], pool_images[0])
    modes = {  # name: (config, candidates, their index passes, target)
        "offline, render objects from image analysis": (ScoreConfig(neural="off"), candidates, None, target),
        "offline, with the pool's object-index passes": (ScoreConfig(neural="off"), *idx),
    }
    networks_only = TermWeights(lpips=0.30, clip=0.15, ssim=0.0, pixel=0.0, mask=0.0, objects=0.0, edges=0.0,
                                color=0.0)
    for device in [d.strip() for d in args.devices.split(",") if d.strip()]:
        on = "" if device == "cpu" else f" [{device}]"
        modes[f"neural (LPIPS-alex + CLIP ViT-B-32 @224), index passes{on}"] = (
            ScoreConfig(neural="random-weights", device=device), *idx)
        modes[f"neural, CLIP input 128, index passes{on}"] = (
            ScoreConfig(neural="random-weights", clip_image_size=128, device=device), *idx)
        modes[f"networks only (LPIPS-alex + CLIP @224, no structure terms){on}"] = (
            ScoreConfig(neural="random-weights", weights=networks_only, device=device), *idx)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"torch {torch.__version__}" + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""))
    print(f"render cost (Cycles 8 spp {args.size}x{args.size}, bare bpy loop, render + PNG write): "
          f"median {render_s * 1e3:.1f} ms wall, {render_cpu_s * 1e3:.1f} ms CPU over {len(render_times)} renders")
    print("cost ratios use CPU time (robust when other work shares the cores); wall ratios in brackets")
    results: dict = {"render_wall_s": render_s, "render_cpu_s": render_cpu_s, "size": args.size,
                     "cores": os.cpu_count(), "torch": torch.__version__, "modes": {}}
    for name, (cfg, cands, index, tgt) in modes.items():
        scorer = Scorer(tgt, cfg)
        threads = f"torch threads {torch.get_num_threads()}, " if scorer.models is not None else ""
        print(f"\n{name}: {threads}terms {sorted(scorer.weights)}")
        base = None
        rows = {}
        for b in batches:
            wall, cpu = time_scoring(scorer, cands, b, args.repeats if b <= 16 else max(1, args.repeats - 1), index)
            base = base or wall
            rows[b] = {"wall_s": wall, "cpu_s": cpu}
            print(f"  batch {b:4d}: {1.0 / wall:7.1f} candidates/s | speed-up vs batch 1: {base / wall:5.2f}x | "
                  f"scoring/rendering the batch: {100 * cpu / render_cpu_s:5.1f}% CPU "
                  f"[{100 * wall / render_s:5.1f}% wall]")
        results["modes"][name] = {str(b): r for b, r in rows.items()}
    for name, rows in results["modes"].items():  # each accelerator row against the CPU row of the same mode
        if not name.endswith("]"):
            continue
        cpu_rows = results["modes"].get(name[:name.rindex(" [")])
        if cpu_rows:
            ratios = ", ".join(f"batch {b} {cpu_rows[b]['wall_s'] / r['wall_s']:.1f}x" for b, r in rows.items())
            print(f"\n{name} vs the same mode on the CPU (wall): {ratios}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

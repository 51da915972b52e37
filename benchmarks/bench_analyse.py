"""Time of ``seig_search.perception.analyse`` per image, on generated scenes.

Images come from bench_perception's cache (``--cache``); scenes missing there are rendered first, as
bench_perception does. ``--dump F`` writes each image's estimate (shapes, locations, dims, camera) as JSON, so two
versions of the code can be compared for identical results.

    .venv/bin/python benchmarks/bench_analyse.py --n 10 --seed 1000 --repeats 3 [--baseline REV]

``--baseline REV`` times a git revision's ``analyse`` in the same run: both trees are timed in fresh
processes, alternately, ``--rounds`` times each (the machine is noisy), and the ratio of their medians is
printed, so a speed-up is a ratio measured side by side, never one absolute time.

``--hypotheses N`` times what a run's first programs cost instead: ``initial_specs`` with N hypotheses (the
analysis plus, where the pitch came from priors, the camera alternatives).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def load_images(n: int, seed: int, size: tuple[int, int], samples: int, cache: Path) -> list[np.ndarray]:
    """sRGB images of the generated scenes seed .. seed + n - 1 (rendered and cached when missing)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_perception import _render, _sample

    specs = [(f"primitives_{seed + i}_{size[0]}x{size[1]}_{samples}", _sample("primitives", seed + i))
             for i in range(n)]
    return [r["srgb"] for r in _render(specs, size, samples, cache)]


def summary(est) -> dict:
    """What ``analyse`` decided, in plain numbers."""
    cam = est.camera
    return {"camera": [float(cam.pitch_deg), float(cam.lens), float(cam.height)],
            "objects": [{"shape": o.shape, "location": [float(v) for v in o.location],
                         "dims": [float(v) for v in o.dims], "rotation": [float(v) for v in o.rotation_deg],
                         "color": [float(v) for v in o.appearance.color],
                         "fits": {k: [f.cost, f.x, f.y, f.width, f.height, f.yaw_deg] for k, f in o.fits.items()}}
                        for o in est.objects]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--size", default="128x128")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3, help="timed passes over all images; the fastest counts")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "seig" / "bench_perception")
    ap.add_argument("--dump", type=Path, default=None, help="write each image's estimate here (JSON)")
    ap.add_argument("--baseline", default=None, help="a git revision to time in the same run, for a ratio")
    ap.add_argument("--rounds", type=int, default=2, help="with --baseline: alternating runs of each tree")
    ap.add_argument("--hypotheses", type=int, default=0,
                    help="time initial_specs with this many hypotheses instead of analyse alone")
    ap.add_argument("--seconds-only", action="store_true", help=argparse.SUPPRESS)  # one tree's figure, for --baseline
    args = ap.parse_args()
    if args.baseline:
        compare_with(args)
        return
    w, h = (int(v) for v in args.size.lower().split("x"))
    images = load_images(args.n, args.seed, (w, h), args.samples, args.cache)
    work = _timed_work(args.hypotheses)
    work(images[0])  # imports and caches outside the timing
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ests = [work(im) for im in images]
        times.append((time.perf_counter() - t0) / len(images))
    if args.seconds_only:
        print(json.dumps({"seconds_per_image": min(times)}))
        return
    print(f"{_what(args)} on {len(images)} images ({args.size}), {args.repeats} passes: "
          f"{min(times):.3f} s per image (fastest pass; all: {', '.join(f'{t:.3f}' for t in times)})")
    if args.dump and not args.hypotheses:
        args.dump.write_text(json.dumps([summary(e) for e in ests], indent=1))


def _timed_work(hypotheses: int):
    """image -> what is timed: the estimate, or ``hypotheses`` first scene specs."""
    if not hypotheses:
        from seig_search.perception import analyse

        return analyse
    from seig_search.perception import initial_specs
    from seig_search.proposers.base import TargetImage

    return lambda im: initial_specs(TargetImage(srgb=im), n=hypotheses, seed=0)


def _what(args) -> str:
    return f"initial_specs (n={args.hypotheses})" if args.hypotheses else "analyse"


def _time_tree(tree: Path, args) -> float:
    """Seconds per image of the ``analyse`` in ``tree``, timed in a fresh process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--seconds-only", "--n", str(args.n), "--seed",
           str(args.seed), "--size", args.size, "--samples", str(args.samples), "--repeats", str(args.repeats),
           "--cache", str(args.cache), "--hypotheses", str(args.hypotheses)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["seconds_per_image"])


def compare_with(args) -> None:
    here = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(here), "archive", args.baseline], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        base, new = [], []
        for _ in range(args.rounds):
            base.append(_time_tree(Path(tmp), args))
            new.append(_time_tree(here, args))
    b, c = statistics.median(base), statistics.median(new)
    print(f"{_what(args)} on {args.n} images ({args.size}), {args.rounds} alternating rounds of {args.repeats} "
          "passes")
    print(f"baseline {args.baseline}: {', '.join(f'{t:.3f}' for t in base)} s per image")
    print(f"this tree: {', '.join(f'{t:.3f}' for t in new)} s per image")
    print(f"speed-up: {b / c:.2f}x (median over rounds)")


if __name__ == "__main__":
    main()

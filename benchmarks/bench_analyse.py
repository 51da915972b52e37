"""Time of ``seig_search.perception.analyse`` per image, on generated scenes.

Images come from bench_perception's cache (``--cache``); scenes missing there are rendered first, as
bench_perception does. ``--dump F`` writes each image's estimate (shapes, locations, dims, camera) as JSON, so two
versions of the code can be compared for identical results.

    .venv/bin/python benchmarks/bench_analyse.py --n 10 --seed 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import sys
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
    args = ap.parse_args()
    from seig_search.perception import analyse

    w, h = (int(v) for v in args.size.lower().split("x"))
    images = load_images(args.n, args.seed, (w, h), args.samples, args.cache)
    analyse(images[0])  # imports and caches outside the timing
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ests = [analyse(im) for im in images]
        times.append((time.perf_counter() - t0) / len(images))
    print(f"analyse on {len(images)} images ({args.size}), {args.repeats} passes: "
          f"{min(times):.3f} s per image (fastest pass; all: {', '.join(f'{t:.3f}' for t in times)})")
    if args.dump:
        args.dump.write_text(json.dumps([summary(e) for e in ests], indent=1))


if __name__ == "__main__":
    main()

"""What reading the target at ``[search] perception_size`` costs: ``analyse`` on the same images resized to
two sizes (Lanczos, as ``load_target`` does), timed alternately in one process, printed as a ratio.

    .venv/bin/python benchmarks/bench_perception_size.py --n 8 --seed 1000 --sizes 64,128 --rounds 3

Images come from bench_perception's cache (rendered there when missing). The machine is noisy: the figure is
the ratio of the medians over rounds, never one absolute time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--size", default="128x128", help="render size of the cached scenes")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--sizes", default="64,128", help="baseline size, then the size compared with it")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "seig" / "bench_perception")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_analyse import load_images

    from seig_search.perception import analyse
    from seig_search.target import _resize, working_size

    w, h = (int(v) for v in args.size.lower().split("x"))
    images = load_images(args.n, args.seed, (w, h), args.samples, args.cache)
    sizes = [int(s) for s in args.sizes.split(",")]
    resized = {s: [_resize(im, working_size(im.shape[1], im.shape[0], s)) for im in images] for s in sizes}
    times: dict[int, list[float]] = {s: [] for s in sizes}
    for _ in range(args.rounds):
        for s in sizes:  # alternate, so drifting load on the machine hits both sizes alike
            t0 = time.perf_counter()
            for im in resized[s]:
                analyse(im)
            times[s].append((time.perf_counter() - t0) / len(images))
    base = statistics.median(times[sizes[0]])
    for s in sizes:
        print(f"analyse at {s} px: {statistics.median(times[s]) / base:.2f}x the time at {sizes[0]} px "
              f"(median of {args.rounds} rounds over {len(images)} images)")


if __name__ == "__main__":
    main()

"""What a fresh process pays to get a scorer on a machine without neural weights.

Every ``seig reconstruct`` (and every task of a batch or a tuning study) builds a ``Scorer`` once. Without LPIPS
or CLIP weights the score falls back to the offline terms, which need no torch; the weights lookup and the
fallback are torch-free, so torch, torchvision and open_clip are never imported there. The baseline is the same
scorer in a process that imports torch and open_clip first, as finding the weights did before the lookup was
made torch-free. Both run in fresh processes, alternately, ``--rounds`` times each (the machine is noisy), with
empty weight caches; the ratio of the medians is printed, never one absolute time alone.

    .venv/bin/python benchmarks/bench_scorer_startup.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

SCORER = ("import numpy as np\n"
          "from scoring.scorer import Scorer\n"
          "s = Scorer(np.full((64, 64, 3), 0.5))\n"
          "assert s.describe()['neural'] == 'offline-fallback', s.describe()\n")
BASELINE = "import torch, open_clip\n" + SCORER


def timed(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "TORCH_HOME": os.path.join(empty, "torch"), "HF_HUB_CACHE": os.path.join(empty, "hf"),
               "HOME": empty}
        timed(SCORER, env)  # warm the file cache for both
        timed(BASELINE, env)
        now, base = [], []
        for _ in range(args.rounds):
            base.append(timed(BASELINE, env))
            now.append(timed(SCORER, env))
    b, n = statistics.median(base), statistics.median(now)
    print(f"fresh process to an offline-fallback scorer, median of {args.rounds} rounds each")
    print(f"  with torch and open_clip imported (baseline): {b:.2f} s")
    print(f"  torch-free lookup and fallback:               {n:.2f} s")
    print(f"  speed-up {b / n:.2f}x, {b - n:.2f} s saved per process")


if __name__ == "__main__":
    main()

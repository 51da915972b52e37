"""Staged vs unstaged vs greedy vs one-shot search, at the same number of renders.

On generated scenes with known programs (``seig_search.dataset.sample_spec``), rendered by seig itself,
each method reconstructs the image with the same render budget (the staged preset's total). Reported per
scene and method: the final score (all methods' finalists are scored under the same final setting), PSNR
and SSIM of the final render against the target, renders used, and how many renders the method needed to
reach the unstaged method's final score (each round's best program is re-scored under the final setting
after the run, outside the budget, to draw that curve). Ratios are against the unstaged method of the
same scene in the same run.

    .venv/bin/python benchmarks/bench_methods.py [--preset fast] [--scenes 3] [--suite primitives]
        [--config FILE] [--variant LABEL=CONFIG ...] [--size 64] [--methods staged,unstaged,greedy,oneshot] [--json out.json] [--out runs/bench_methods]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import sys
import time
from pathlib import Path

from render_pool import RenderJob, RenderPool
from scoring.scorer import Scorer
from seig_search.config import load_config
from seig_search.dataset import sample_spec
from seig_search.program import render_program
from seig_search.proposers.embedded import EmbeddedProposer
from seig_search.search.backends import outcome_of, render_settings
from seig_search.search.run import RunOptions, reconstruct
from seig_search.target import load_target, save_png


def curve(run, pool, scorer, config, size) -> list[tuple[int, float]]:
    """(renders used, best final-setting score so far) after each round of a run."""
    history = run.result.history
    programs = {}
    for _, _, _, digest in history:
        programs[digest] = (run.out / "search" / "programs" / f"{digest}.py").read_text()
    hashes = list(programs)
    settings = render_settings(config.final, size, config.search.seed)
    results = pool.render([RenderJob(program=programs[h], settings=settings, job_id=h) for h in hashes])
    outcomes = [outcome_of(r) for r in results]
    ok = [i for i, o in enumerate(outcomes) if o.srgb is not None]
    scored = scorer.score_batch([outcomes[i].srgb for i in ok], [outcomes[i].index for i in ok])
    final_score = {hashes[i]: s.total for i, s in zip(ok, scored)}
    points, best = [], -math.inf
    for renders, _, _, digest in history:
        best = max(best, final_score.get(digest, -math.inf))
        points.append((renders, best))
    return points


def renders_to_reach(points: list[tuple[int, float]], level: float) -> int | None:
    return next((renders for renders, score in points if score >= level - 1e-12), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--config", type=Path, default=None, help="a config file instead of --preset")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=CONFIG",
                        help="also run the staged method with another config file, as method staged:LABEL")
    parser.add_argument("--scenes", type=int, default=3)
    parser.add_argument("--suite", default="primitives")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", default="staged,unstaged,greedy,oneshot")
    parser.add_argument("--neural", default="off", help="score mode: off (offline score) | auto | random-weights")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/bench_methods"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    methods = args.methods.split(",")
    variants = dict(v.split("=", 1) for v in args.variant)
    methods += [f"staged:{label}" for label in variants]
    source = {"path": args.config} if args.config else {"preset": args.preset}
    base = load_config(**source, overrides={"size": args.size, "seed": args.seed})
    budget = base.total_renders()
    rows = []
    started = time.perf_counter()
    with RenderPool(num_workers=args.workers) as pool:
        for scene in range(args.scenes):
            spec = sample_spec(args.suite, scene)
            folder = args.out / f"{args.suite}_{scene}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            size = (args.size, args.size)
            truth = pool.render([RenderJob(program=render_program(spec),
                                           settings=render_settings(base.final, size, 0))])[0]
            if not truth.ok:
                print(f"scene {scene}: target render failed: {truth.failure}", file=sys.stderr)
                continue
            save_png(truth.srgb(), folder / "target.png")
            target = load_target(folder / "target.png", size=args.size)
            scorer = Scorer(target.srgb, {**base.score, "neural": args.neural})
            memo: dict = {}

            def perception(t, n, seed, memo=memo):  # the same first guesses for every method of a scene
                from seig_search.perception import initial_specs

                if (n, seed) not in memo:
                    memo[(n, seed)] = initial_specs(t, n, seed)
                return memo[(n, seed)]

            results = {}
            for method in methods:
                label = method.split(":", 1)[1] if ":" in method else None
                config = load_config(**({"path": Path(variants[label])} if label else source), overrides={
                    "size": args.size, "seed": args.seed, "method": method.split(":")[0], "budget_renders": budget})
                config = config.model_copy(update={"score": {**config.score, "neural": args.neural}})
                t0 = time.perf_counter()
                run = reconstruct(RunOptions(image=folder / "target.png", out=folder / method.replace(":", "_"),
                                             config=config,
                                             verify_exports=False),
                                  pool=pool, proposer=EmbeddedProposer(initial_specs=perception))
                seconds = time.perf_counter() - t0
                points = curve(run, pool, scorer, config, size)
                results[method] = (run, points, seconds)
            reference = results["unstaged"][0].best.score if "unstaged" in results else None
            for method, (run, points, seconds) in results.items():
                m = run.metrics
                row = {"scene": f"{args.suite}_{scene}", "method": method, "score": run.best.score,
                       "psnr": m["psnr"], "ssim": m["ssim"], "renders": m["renders"]["budgeted"],
                       "seconds": seconds, "first_score": m["first_proposal_score"],
                       "renders_to_unstaged": None if reference is None else renders_to_reach(points, reference),
                       "curve": points}
                rows.append(row)
                print(f"{row['scene']:<14} {method:<14} score {row['score']:.4f}  PSNR {row['psnr']:6.2f} dB  "
                      f"SSIM {row['ssim']:.3f}  renders {row['renders']:4d}  "
                      f"to-unstaged {row['renders_to_unstaged']}  ({seconds:.0f} s)", flush=True)
    print(f"\nsummary over {args.scenes} scenes ({args.suite}, preset {args.preset}, {args.size}px, "
          f"budget {budget} renders, score {args.neural}); ratios vs unstaged in the same run")
    print(f"{'method':<14} {'score':>7} {'PSNR':>7} {'SSIM':>6} {'renders':>8} {'to-unstaged':>12} "
          f"{'score/unst':>10} {'dPSNR':>6}")
    by_scene_unstaged = {r["scene"]: r for r in rows if r["method"] == "unstaged"}
    summary = {}
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        reach = [r["renders_to_unstaged"] for r in mine]
        reached = [x for x in reach if x is not None]
        ratio = [r["score"] / by_scene_unstaged[r["scene"]]["score"] for r in mine if r["scene"] in by_scene_unstaged]
        dpsnr = [r["psnr"] - by_scene_unstaged[r["scene"]]["psnr"] for r in mine if r["scene"] in by_scene_unstaged]
        summary[method] = {
            "score": statistics.mean(r["score"] for r in mine), "psnr": statistics.mean(r["psnr"] for r in mine),
            "ssim": statistics.mean(r["ssim"] for r in mine), "renders": statistics.mean(r["renders"] for r in mine),
            "reached_unstaged": f"{len(reached)}/{len(mine)}",
            "median_renders_to_unstaged": statistics.median(reached) if reached else None,
            "score_ratio_vs_unstaged": statistics.mean(ratio) if ratio else None,
            "psnr_gain_vs_unstaged_db": statistics.mean(dpsnr) if dpsnr else None,
        }
        s = summary[method]
        reach_text = f"{s['reached_unstaged']} @{s['median_renders_to_unstaged']}"
        print(f"{method:<14} {s['score']:7.4f} {s['psnr']:7.2f} {s['ssim']:6.3f} {s['renders']:8.0f} "
              f"{reach_text:>12} {s['score_ratio_vs_unstaged'] or float('nan'):10.3f} "
              f"{s['psnr_gain_vs_unstaged_db'] or float('nan'):+6.2f}")
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "budget": budget,
                                         "rows": rows, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

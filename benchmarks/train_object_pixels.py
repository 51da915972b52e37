"""Fit the per-pixel object model of ``seig_search/perception/object_pixels.py`` on rendered scenes.

For each scene of ``bench_perception.py`` (same generator, same render cache) the background analysis and its
hand-set foreground run as in ``analyse``; the foreground and shadow pixels get the cues of
``object_pixels.FEATURES`` and a label from the index pass (1 where a true object shows). A sample of them per
scene (``--per-scene`` of each kind, seeded by the scene) is kept, and a forest of extremely randomised trees is
fitted and exported as arrays (``forest.py``). Five-fold cross-validation grouped by scene reports the area under
the ROC curve and, at the thresholds the step uses, how many pixels it would move right and wrong.

    .venv/bin/python benchmarks/train_object_pixels.py --ranges 0-49 1000-1079 ... \\
        --out seig_search/perception/object_pixels_model.json
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from train_spurious_filter import (_bench, cross_validated, extra_trees, forest_options, scene_arguments,  # noqa: E402
                                   scene_data)


def _scene_rows(args: tuple[int, dict, int]) -> dict:
    """Cues and labels of a sample of one scene's foreground and shadow pixels."""
    from seig_search.perception.object_pixels import pixel_features

    k, r, per_scene = args
    analyse_mod = importlib.import_module("seig_search.perception.analyse")
    bg, smooth, fg = analyse_mod.hand_set_foreground(np.clip(r["srgb"].astype(np.float32), 0.0, 1.0))
    X = pixel_features(smooth, bg, fg)
    truth = r["index"] > r["ground_index"]
    rng = np.random.default_rng(k)
    shadow = bg.shadow_mask if bg.shadow_mask is not None else np.zeros(fg.shape, bool)
    picked = []
    for mask in (fg, shadow & ~fg):
        idx = np.flatnonzero(mask)
        picked.append(rng.choice(idx, size=min(per_scene, idx.size), replace=False) if idx.size else idx)
    idx = np.concatenate(picked)
    return {"X": X.reshape(-1, X.shape[-1])[idx], "y": truth.ravel()[idx].astype(int),
            "in_fg": fg.ravel()[idx]}


def collect(suite: str, seeds: list[int], size: tuple[int, int], samples: int, cache, workers: int,
            per_scene: int = 300) -> dict:
    bench = _bench()
    specs = [(f"{suite}_{s}_{size[0]}x{size[1]}_{samples}", bench._sample(suite, s)) for s in seeds]
    renders = bench._render(specs, size, samples, cache)
    for r in renders:  # the ground is a mesh with a pass index of its own: object pixels lie above it
        r["ground_index"] = max([int(o.get("pass_index", 0)) for o in r["summary"]["objects"]
                                 if o.get("name") == "ground"] or [0])
    with Pool(workers) as pool:
        per = pool.map(_scene_rows, [(k, r, per_scene) for k, r in zip(seeds, renders)], chunksize=4)
    return {"X": np.concatenate([s["X"] for s in per]), "y": np.concatenate([s["y"] for s in per]),
            "in_fg": np.concatenate([s["in_fg"] for s in per]),
            "scene_of": np.concatenate([np.full(len(s["y"]), k) for k, s in enumerate(per)])}


def random_forest(trees: int, depth: int | None, leaf: int):
    """A seeded random forest; each split weighs half the cues (sharper than randomised trees on pixels)."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=trees, max_depth=depth, min_samples_leaf=leaf, max_features=0.5,
                                  random_state=0, n_jobs=2)


def moved(y: np.ndarray, in_fg: np.ndarray, p: np.ndarray, drop_below: float, add_above: float) -> str:
    """Pixels the step would move at these thresholds, right / wrong, from the foreground and into it."""
    drop = in_fg & (p < drop_below)
    add = ~in_fg & (p > add_above)
    return (f"out of the foreground {int((drop & (y == 0)).sum())} right / {int((drop & (y == 1)).sum())} wrong; "
            f"into it {int((add & (y == 1)).sum())} right / {int((add & (y == 0)).sum())} wrong")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    scene_arguments(ap)
    forest_options(ap, depth=12, leaf=50)
    ap.add_argument("--model", choices=("forest", "extra"), default="forest",
                    help="a random forest (half the cues per split) or extremely randomised trees")
    ap.add_argument("--per-scene", type=int, default=300, help="pixels sampled per scene from each mask")
    ap.add_argument("--drop-below", type=float, default=0.5)
    ap.add_argument("--add-above", type=float, default=0.5)
    args = ap.parse_args()
    data = scene_data(args, lambda *a: collect(*a, per_scene=args.per_scene))
    data["in_fg"] = data["in_fg"].astype(bool)
    print(f"{len(np.unique(data['scene_of']))} scenes, {len(data['y'])} pixels, "
          f"{int(data['y'].sum())} on objects; of the foreground {data['y'][data['in_fg']].mean():.3f} object, "
          f"of the shadow mask {data['y'][~data['in_fg']].mean():.3f}")
    make = (lambda: random_forest(args.trees, args.depth, args.leaf)) if args.model == "forest" else (  # noqa: E731
        lambda: extra_trees(args.trees, args.depth, args.leaf))
    if not args.out:
        from sklearn.metrics import roc_auc_score

        p = cross_validated(data, make)
        print(f"cross-validated (5 folds by scene): area under the ROC curve {roc_auc_score(data['y'], p):.3f}")
        for lo, hi in ((0.2, 0.8), (0.3, 0.7), (0.4, 0.6)):
            print(f"  drop below {lo}, add above {hi}: {moved(data['y'], data['in_fg'], p, lo, hi)}")
        return
    from seig_search.perception.forest import export_forest
    from seig_search.perception.object_pixels import FEATURES

    forest = make().fit(data["X"], data["y"])
    model = {"features": list(FEATURES), "drop_below": args.drop_below, "add_above": args.add_above,
             "trained_on": {"suite": args.suite, "seeds": args.ranges, "size": args.size, "samples": args.samples,
                            "model": args.model, "trees": args.trees, "depth": args.depth, "leaf": args.leaf,
                            "pixels": len(data["y"]), "date": datetime.date.today().isoformat()},
             "importance": dict(zip(FEATURES, np.round(forest.feature_importances_, 4).tolist())),
             "trees": export_forest(forest, digits=6)}
    args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

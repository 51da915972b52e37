"""Fit the pair model of ``seig_search/perception/same_object.py`` on rendered scenes with known objects.

For each scene of ``bench_perception.py`` (same generator, same render cache), perception runs with the join
step off; every pair of touching found regions (``same_object.touching_pairs``) gets the cues of
``same_object.FEATURES`` and a label from the index pass: a region stands for the true object that covers most
of it when true objects cover at least half of it, and a pair is one object when both regions stand for the
same true object.

A forest of extremely randomised trees (scikit-learn's ``ExtraTreesClassifier``, seeded) is fitted to the cues
and exported as arrays (``forest.py``). Five-fold cross-validation grouped by scene reports, per threshold, how
many scenes' counts the step would make right and wrong when each scene joins its most likely pair above the
threshold; ``--threshold`` picks the one written to the model file with the trees and the scenes used.

    .venv/bin/python benchmarks/train_same_object.py --ranges 0-49 1000-1079 2000-2079 3000-3079 \\
        4000-4079 5000-5079 8000-8079 9000-9079 10000-10079 11000-11079 12000-12159 13000-14999 \\
        --data pairs.npz --out seig_search/perception/same_object_model.json
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from train_spurious_filter import (_bench, extra_trees, forest_file, forest_options, scene_arguments,  # noqa: E402
                                   scene_data, visible_true_pixels, write_forest_file)
from train_spurious_filter import cross_validated as grouped_cv  # noqa: E402

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
MIN_OBJECT_SHARE = 0.5  # a region stands for a true object only where true objects cover this share of it


def region_objects(index: np.ndarray, regions: list[np.ndarray], true_ids: set[int]) -> list[int | None]:
    """Per found region, the true object covering most of it (None where true objects cover under half)."""
    out: list[int | None] = []
    for m in regions:
        ids, counts = np.unique(index[m], return_counts=True)
        own = {int(i): int(c) for i, c in zip(ids, counts) if int(i) in true_ids}
        out.append(max(own, key=own.get) if own and sum(own.values()) >= MIN_OBJECT_SHARE * m.sum() else None)
    return out


def pair_labels(index: np.ndarray, regions: list[np.ndarray], true_ids: set[int], pairs) -> list[int]:
    """1 for each pair (``same_object.Pair``) whose two regions stand for one true object."""
    owner = region_objects(index, regions, true_ids)
    return [int(owner[p.small] is not None and owner[p.small] == owner[p.large]) for p in pairs]


def scene_effect(n_true: np.ndarray, n_found: np.ndarray, scene_of: np.ndarray, p: np.ndarray,
                 threshold: float) -> tuple[int, int]:
    """(scenes whose count the step makes right, scenes it makes wrong) when each scene joins its most likely
    pair above ``threshold``."""
    right = wrong = 0
    for s in range(len(n_true)):
        rows = np.flatnonzero(scene_of == s)
        join = int(len(rows) > 0 and p[rows].max() > threshold)
        before, after = n_found[s] == n_true[s], n_found[s] - join == n_true[s]
        right += int(after and not before)
        wrong += int(before and not after)
    return right, wrong


def _scene_rows(r: dict) -> dict:
    """Cues and labels of one rendered scene's touching pairs, perception run with the join step off."""
    from seig_search.perception.same_object import pair_features

    from seig_search.perception import checks

    analyse_mod = importlib.import_module("seig_search.perception.analyse")
    checks.JOIN_SAME_OBJECT = False
    est = analyse_mod.analyse(r["srgb"])
    true_ids = set(visible_true_pixels(r["index"], r["summary"], r["names"]))
    pairs, X = pair_features(r["srgb"], est)
    regions = [o.region.mask for o in est.objects]
    return {"X": X, "y": pair_labels(r["index"], regions, true_ids, pairs), "n_true": len(true_ids),
            "n_found": len(regions)}


def collect(suite: str, seeds: list[int], size: tuple[int, int], samples: int, cache: Path,
            workers: int) -> dict:
    """Cues, labels and counts over the scenes ``seeds`` (rendered into ``cache`` where missing)."""
    bench = _bench()
    specs = [(f"{suite}_{s}_{size[0]}x{size[1]}_{samples}", bench._sample(suite, s)) for s in seeds]
    renders = bench._render(specs, size, samples, cache)
    for (_, spec), r in zip(specs, renders):
        r["names"] = {o.name for o in spec.objects}
    with Pool(workers) as pool:
        per_scene = pool.map(_scene_rows, renders, chunksize=2)
    from seig_search.perception.same_object import FEATURES

    return {"X": np.concatenate([s["X"].reshape(-1, len(FEATURES)) for s in per_scene]),
            "y": np.concatenate([np.asarray(s["y"], int) for s in per_scene]).astype(int),
            "scene_of": np.concatenate([np.full(len(s["y"]), k) for k, s in enumerate(per_scene)]).astype(int),
            "n_true": np.array([s["n_true"] for s in per_scene]), "n_found": np.array([s["n_found"] for s in per_scene])}


def fit(data: dict, trees: int, depth: int | None, leaf: int, threshold: float, provenance: dict) -> dict:
    """The model file's content: the forest's trees, the threshold and where they came from."""
    from seig_search.perception.same_object import FEATURES

    return forest_file(extra_trees(trees, depth, leaf).fit(data["X"], data["y"]), FEATURES, threshold, provenance)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    scene_arguments(ap)
    forest_options(ap, depth=10, leaf=3)
    # 0.25: chosen on the whole analyse of 500 generated scenes (docs/perception.md, "A lower join threshold");
    # the cross-validated table below weighs pairs of the training pipeline, not the scenes' final counts
    ap.add_argument("--threshold", type=float, default=0.25)
    args = ap.parse_args()
    data = scene_data(args, collect)
    n_scenes = len(data["n_true"])
    exact = float(np.mean(data["n_true"] == data["n_found"]))
    print(f"{n_scenes} scenes ({int(np.sum(data['n_true'] < data['n_found']))} too many objects), "
          f"{len(data['y'])} touching pairs, {int(data['y'].sum())} one object; count exact without the step {exact:.3f}")
    if args.evaluate:
        from seig_search.perception.same_object import load_model, same_probability

        model = load_model(args.evaluate)
        t = float(model["threshold"])
        right, wrong = scene_effect(data["n_true"], data["n_found"], data["scene_of"],
                                    same_probability(data["X"], model), t)
        print(f"{args.evaluate} (threshold {t}): {right} scenes made right, {wrong} made wrong; count exact "
              f"{exact:.3f} -> {exact + (right - wrong) / n_scenes:.3f}")
        return
    p = grouped_cv(data, lambda: extra_trees(args.trees, args.depth, args.leaf))
    from sklearn.metrics import roc_auc_score

    print(f"cross-validated (5 folds by scene), {args.trees} trees, depth {args.depth}, leaf {args.leaf}: "
          f"area under the ROC curve {roc_auc_score(data['y'], p):.3f}")
    print("| threshold | scenes made right | scenes made wrong | count exact |\n|---|---|---|---|")
    for t in THRESHOLDS:
        right, wrong = scene_effect(data["n_true"], data["n_found"], data["scene_of"], p, t)
        print(f"| {t} | {right} | {wrong} | {exact + (right - wrong) / n_scenes:.3f} |")
    if args.out:
        model = fit(data, args.trees, args.depth, args.leaf, args.threshold, {
            "suite": args.suite, "seeds": args.ranges, "size": args.size, "samples": args.samples,
            "trees": args.trees, "depth": args.depth, "leaf": args.leaf, "pairs": len(data["y"]),
            "one_object": int(data["y"].sum()), "date": datetime.date.today().isoformat()})
        write_forest_file(args.out, model)


if __name__ == "__main__":
    main()

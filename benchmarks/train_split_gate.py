"""Fit the split model of ``seig_search/perception/joined.py`` on rendered scenes with known objects.

For each scene of ``bench_perception.py`` (same generator, same render cache), perception runs with the split
step off; every candidate split of every found object (``joined.candidates``) gets the cues of
``joined.FEATURES`` and a label from the index pass: found regions and true objects are paired by the maximum-
overlap assignment of ``train_spurious_filter.py``, and a split is good when it adds one region that the
assignment pairs with a true object (both the piece and the rest stand for objects), bad otherwise.

A forest of extremely randomised trees (scikit-learn's ``ExtraTreesClassifier``, seeded) is fitted to the cues
and exported as arrays (``forest.py``). Five-fold
cross-validation grouped by scene reports, per threshold, how many scenes' counts the step would make right
and wrong when each scene splits its most likely candidate above the threshold; ``--threshold`` picks the one
written to the model file with the weights and the scenes used.

    .venv/bin/python benchmarks/train_split_gate.py --ranges 0-49 1000-1079 2000-2079 3000-3079 \\
        4000-4079 5000-5079 8000-8079 9000-9079 10000-10079 11000-11079 12000-12159 \\
        --out seig_search/perception/joined_model.json   # 100 trees, depth 10, leaf 3, threshold 0.3
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
                                   scene_data, spurious_labels, visible_true_pixels, write_forest_file)
from train_spurious_filter import cross_validated as grouped_cv  # noqa: E402

THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)


def _real(index: np.ndarray, regions: list[np.ndarray], true_px: dict[int, int]) -> int:
    """How many of ``regions`` the assignment pairs with a true object."""
    return len(regions) - sum(spurious_labels(index, regions, true_px))


def split_labels(index: np.ndarray, regions: list[np.ndarray], true_px: dict[int, int], cands) -> list[int]:
    """1 for each candidate split (``joined.Candidate``) that adds a region standing for a true object."""
    base = _real(index, regions, true_px)
    out = []
    for c in cands:
        new = [m for k, m in enumerate(regions) if k != c.index] + [c.rest, c.piece]
        out.append(int(_real(index, new, true_px) == base + 1))
    return out


def scene_effect(n_true: np.ndarray, n_found: np.ndarray, scene_of: np.ndarray, p: np.ndarray,
                 threshold: float, y: np.ndarray | None = None) -> tuple[int, int, int]:
    """(scenes whose count the step makes right, scenes it makes wrong, and of those made right how many
    through a good split) when each scene splits its most likely candidate above ``threshold``."""
    right = wrong = right_good = 0
    for s in range(len(n_true)):
        rows = np.flatnonzero(scene_of == s)
        if not len(rows) or p[rows].max() <= threshold:
            continue
        before, after = n_found[s] == n_true[s], n_found[s] + 1 == n_true[s]
        right += int(after and not before)
        wrong += int(before and not after)
        if after and not before and y is not None:
            right_good += int(y[rows[int(np.argmax(p[rows]))]])
    return right, wrong, right_good


def _scene_rows(r: dict) -> dict:
    """Cues and labels of one rendered scene's candidate splits, perception run with the step off."""
    from seig_search.perception.joined import candidate_features

    from seig_search.perception import checks

    analyse_mod = importlib.import_module("seig_search.perception.analyse")
    checks.SPLIT_JOINED = False
    checks.JOIN_SAME_OBJECT = False  # the last step (same_object.py) was fitted on the steps' output
    est = analyse_mod.analyse(r["srgb"])
    true_px = visible_true_pixels(r["index"], r["summary"], r["names"])
    regions = [o.region.mask for o in est.objects]
    cands, X = candidate_features(r["srgb"], est)
    return {"X": X, "y": split_labels(r["index"], regions, true_px, cands), "n_true": len(true_px),
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
    from seig_search.perception.joined import FEATURES

    X = np.concatenate([s["X"].reshape(-1, len(FEATURES)) for s in per_scene])
    return {"X": X, "y": np.concatenate([np.asarray(s["y"], int) for s in per_scene]).astype(int),
            "scene_of": np.concatenate([np.full(len(s["y"]), k) for k, s in enumerate(per_scene)]).astype(int),
            "n_true": np.array([s["n_true"] for s in per_scene]), "n_found": np.array([s["n_found"] for s in per_scene])}


def _model(trees: int, depth: int | None, leaf: int):
    return extra_trees(trees, depth, leaf)


def cross_validated(data: dict, trees: int, depth: int | None, leaf: int, folds: int = 5) -> np.ndarray:
    """Out-of-fold probabilities, folds grouped by scene."""
    return grouped_cv(data, lambda: _model(trees, depth, leaf), folds)


def fit(data: dict, trees: int, depth: int | None, leaf: int, threshold: float, provenance: dict) -> dict:
    """The model file's content: the forest's trees, the threshold and where they came from."""
    from seig_search.perception.joined import FEATURES

    return forest_file(_model(trees, depth, leaf).fit(data["X"], data["y"]), FEATURES, threshold, provenance)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    scene_arguments(ap)
    forest_options(ap, depth=10, leaf=3)
    ap.add_argument("--threshold", type=float, default=0.3)
    args = ap.parse_args()
    data = scene_data(args, collect)
    n_scenes = len(data["n_true"])
    exact = float(np.mean(data["n_true"] == data["n_found"]))
    print(f"{n_scenes} scenes ({int(np.sum(data['n_true'] > data['n_found']))} too few objects), "
          f"{len(data['y'])} candidate splits, {int(data['y'].sum())} good; count exact without the step {exact:.3f}")
    if args.evaluate:
        from seig_search.perception.joined import load_model, split_probability

        model = load_model(args.evaluate)
        t = float(model["threshold"])
        right, wrong, good = scene_effect(data["n_true"], data["n_found"], data["scene_of"],
                                          split_probability(data["X"], model), t, data["y"])
        print(f"{args.evaluate} (threshold {t}): {right} scenes made right ({good} by a good split), {wrong} made "
              f"wrong; count exact {exact:.3f} -> {exact + (right - wrong) / n_scenes:.3f}")
        return
    p = cross_validated(data, args.trees, args.depth, args.leaf)
    from sklearn.metrics import roc_auc_score

    print(f"cross-validated (5 folds by scene), {args.trees} trees, depth {args.depth}, leaf {args.leaf}: "
          f"area under the ROC curve "
          f"{roc_auc_score(data['y'], p):.3f}")
    print("| threshold | scenes made right (by a good split) | scenes made wrong | count exact |\n|---|---|---|---|")
    for t in THRESHOLDS:
        right, wrong, good = scene_effect(data["n_true"], data["n_found"], data["scene_of"], p, t, data["y"])
        print(f"| {t} | {right} ({good}) | {wrong} | {exact + (right - wrong) / n_scenes:.3f} |")
    if args.out:
        model = fit(data, args.trees, args.depth, args.leaf, args.threshold, {
            "suite": args.suite, "seeds": args.ranges, "size": args.size, "samples": args.samples,
            "trees": args.trees, "depth": args.depth, "leaf": args.leaf, "candidates": len(data["y"]),
            "good": int(data["y"].sum()), "date": datetime.date.today().isoformat()})
        write_forest_file(args.out, model)


if __name__ == "__main__":
    main()

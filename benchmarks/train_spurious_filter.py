"""Fit the spurious-object model of ``seig_search/perception/spurious.py`` on rendered scenes with known objects.

For each scene of ``bench_perception.py`` (same generator, same render cache), perception runs with the filter
off; every found object gets the cues of ``spurious.FEATURES`` and a label from the index pass: found objects
and true objects are paired by a maximum-overlap assignment, and a found object is real when its partner covers
at least 20 % of itself or of the partner (10 pixels at least), spurious otherwise. (Owning the majority is the
wrong test here: an object fused with its own cast shadow is mostly ground, yet it is the only region of a real
object, and dropping it loses that object.)

An L1-regularised logistic regression (scikit-learn) is fitted to the standardised cues, or with
``--model trees`` a forest of extremely randomised trees, exported as arrays (``forest.py``). Five-fold
cross-validation grouped by scene reports, per threshold, how many scenes' counts the filter would make right
and wrong; ``--threshold`` picks the one written to the model file with the weights and the scenes used.

    .venv/bin/python benchmarks/train_spurious_filter.py --ranges 0-49 1000-1079 2000-2079 3000-3079 \\
        4000-4079 5000-5079 8000-8079 9000-9079 10000-10079 11000-11079 12000-12159 \\
        --model trees --threshold 0.4 --out seig_search/perception/spurious_model.json
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
from scipy.optimize import linear_sum_assignment

MIN_COVER = 0.2  # share of the found region or of the true object the assigned pair must share
MIN_PX = 10
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def visible_true_pixels(index: np.ndarray, summary: dict, names: set[str]) -> dict[int, int]:
    """Pass index -> visible pixels of each true object (mesh named in ``names``) that shows at least one."""
    px = {int(o["pass_index"]): int((index == int(o["pass_index"])).sum()) for o in summary["objects"]
          if o.get("type", "MESH") == "MESH" and o["name"] in names}
    return {i: n for i, n in px.items() if n > 0}


def spurious_labels(index: np.ndarray, regions: list[np.ndarray], true_px: dict[int, int]) -> list[int]:
    """1 for each found region that no true object accounts for, else 0. ``true_px``: true object id -> its
    visible pixels in ``index``."""
    ids = sorted(true_px)
    if not regions:
        return []
    overlap = np.array([[int((index[m] == i).sum()) for i in ids] for m in regions], float).reshape(len(regions),
                                                                                                   len(ids))
    labels = [1] * len(regions)
    if ids:
        for r, c in zip(*linear_sum_assignment(-overlap)):
            share = overlap[r, c]
            if share >= MIN_PX and share >= MIN_COVER * min(true_px[ids[c]], float(regions[r].sum())):
                labels[r] = 0
    return labels


def scene_effect(n_true: np.ndarray, n_found: np.ndarray, scene_of: np.ndarray, p: np.ndarray,
                 threshold: float, max_drops: int = 1) -> tuple[int, int]:
    """(scenes whose count the filter makes right, scenes it makes wrong) when each scene drops its most
    likely spurious objects above ``threshold``, at most ``max_drops``, never its last one."""
    made_right = made_wrong = 0
    for s in range(len(n_true)):
        rows = np.flatnonzero(scene_of == s)
        drop = min(int((p[rows] > threshold).sum()), max_drops, max(len(rows) - 1, 0))
        before, after = n_found[s] == n_true[s], n_found[s] - drop == n_true[s]
        made_right += int(after and not before)
        made_wrong += int(before and not after)
    return made_right, made_wrong


def _bench():
    """``bench_perception.py`` beside this script: its scene sampler and render cache."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    return importlib.import_module("bench_perception")


def _scene_rows(r: dict) -> dict:
    """Cues and labels of one rendered scene, perception run with the filter off."""
    from seig_search.perception.spurious import region_features

    from seig_search.perception import checks

    analyse_mod = importlib.import_module("seig_search.perception.analyse")
    checks.DROP_SPURIOUS = False
    checks.SPLIT_JOINED = False  # the step after this one (joined.py) was fitted on this one's output
    checks.JOIN_SAME_OBJECT = False  # the last step (same_object.py) was fitted on the steps' output
    est = analyse_mod.analyse(r["srgb"])
    true_px = visible_true_pixels(r["index"], r["summary"], r["names"])
    regions = [o.region.mask for o in est.objects]
    return {"X": region_features(r["srgb"], est), "y": spurious_labels(r["index"], regions, true_px),
            "n_true": len(true_px), "n_found": len(regions)}


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
    X = np.concatenate([s["X"] for s in per_scene])
    return {"X": X, "y": np.concatenate([s["y"] for s in per_scene]).astype(int),
            "scene_of": np.concatenate([np.full(len(s["y"]), k) for k, s in enumerate(per_scene)]).astype(int),
            "n_true": np.array([s["n_true"] for s in per_scene]), "n_found": np.array([s["n_found"] for s in per_scene])}


def logistic(C: float):
    """An L1-regularised logistic regression on standardised cues."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(l1_ratio=1.0, C=C, solver="liblinear",
                                                              max_iter=5000, random_state=0))


def extra_trees(trees: int, depth: int | None, leaf: int):
    """A seeded forest of extremely randomised trees (exported with ``forest.export_forest``)."""
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(n_estimators=trees, max_depth=depth, min_samples_leaf=leaf, random_state=0,
                                n_jobs=2)


def forest_file(forest, features: dict[str, str], threshold: float, provenance: dict) -> dict:
    """A model file's content for a fitted forest: its trees, the cues' importance, the threshold and where
    they came from (read back by ``model_file.read_model``)."""
    from seig_search.perception.forest import export_forest

    importance = dict(zip(features, np.round(forest.feature_importances_, 4).tolist()))
    return {"features": list(features), "threshold": threshold, "trained_on": provenance,
            "importance": importance, "trees": export_forest(forest)}


def write_forest_file(path: Path, model: dict) -> None:
    """Write ``model`` (from :func:`forest_file`) compactly and say which cues it uses most."""
    path.write_text(json.dumps(model, separators=(",", ":")) + "\n")
    top = sorted(model["importance"].items(), key=lambda t: -t[1])[:8]
    print(f"wrote {path}; most used cues: " + ", ".join(f"{f} {v:.3f}" for f, v in top))


def cross_validated(data: dict, make, folds: int = 5) -> np.ndarray:
    """Out-of-fold probabilities of the classifiers ``make()`` returns, folds grouped by scene."""
    from sklearn.model_selection import GroupKFold

    p = np.zeros(len(data["y"]))
    for train, test in GroupKFold(folds).split(data["X"], data["y"], data["scene_of"]):
        p[test] = make().fit(data["X"][train], data["y"][train]).predict_proba(data["X"][test])[:, 1]
    return p


def forest_options(ap: argparse.ArgumentParser, depth: int, leaf: int) -> None:
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--depth", type=int, default=depth, help="largest tree depth")
    ap.add_argument("--leaf", type=int, default=leaf, help="fewest training rows per leaf")


def _make(args: argparse.Namespace):
    if args.model == "logistic":
        return lambda: logistic(args.C)
    return lambda: extra_trees(args.trees, args.depth, args.leaf)


def fit(data: dict, args: argparse.Namespace, provenance: dict) -> dict:
    """The model file's content: the logistic model's standardisation and weights or the forest's trees, the
    threshold and where they came from."""
    from seig_search.perception.spurious import FEATURES

    model = _make(args)().fit(data["X"], data["y"])
    head = {"features": list(FEATURES), "threshold": args.threshold, "max_drops": args.max_drops,
            "trained_on": provenance}
    if args.model == "logistic":
        scaler, logreg = model[0], model[-1]
        return {**head, "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
                "coef": logreg.coef_[0].tolist(), "intercept": float(logreg.intercept_[0])}
    return {**forest_file(model, FEATURES, args.threshold, provenance), "max_drops": args.max_drops}


def parse_ranges(ranges: list[str]) -> list[int]:
    seeds: list[int] = []
    for r in ranges:
        lo, _, hi = r.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def scene_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every training script over ``bench_perception.py``'s scenes shares."""
    ap.add_argument("--suite", default="primitives")
    ap.add_argument("--ranges", nargs="+", default=["1000-1079"], help="seed ranges, e.g. 0-49 1000-1079")
    ap.add_argument("--size", default="128x128")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "seig" / "bench_perception")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="write the model file here")
    ap.add_argument("--evaluate", type=Path, default=None,
                    help="instead of fitting, apply this model file to the scenes (a held-out check)")
    ap.add_argument("--data", type=Path, default=None,
                    help="keep the scenes' cues in this .npz (read back when it exists: only the fit runs again)")


def scene_data(args: argparse.Namespace, collect_fn) -> dict:
    """The scenes' cues: read from ``--data`` when it exists, else ``collect_fn`` (written to ``--data``)."""
    if args.data and args.data.exists():
        return dict(np.load(args.data))
    w, h = (int(v) for v in args.size.lower().split("x"))
    data = collect_fn(args.suite, parse_ranges(args.ranges), (w, h), args.samples, args.cache, args.workers)
    if args.data:
        np.savez(args.data, **data)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    scene_arguments(ap)
    ap.add_argument("--model", choices=("logistic", "trees"), default="logistic",
                    help="a logistic regression (--C) or extremely randomised trees (--trees --depth --leaf)")
    ap.add_argument("--C", type=float, default=0.1, help="inverse L1 strength")
    forest_options(ap, depth=12, leaf=2)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--max-drops", type=int, default=1, help="most objects one scene may lose to the check")
    args = ap.parse_args()
    data = scene_data(args, collect)
    n_scenes = len(data["n_true"])
    exact = float(np.mean(data["n_true"] == data["n_found"]))
    print(f"{n_scenes} scenes, {len(data['y'])} found objects, {int(data['y'].sum())} spurious; "
          f"count exact without the filter {exact:.3f}")
    if args.evaluate:
        from seig_search.perception.spurious import load_model, spurious_probability

        model = load_model(args.evaluate)
        t = float(model["threshold"])
        right, wrong = scene_effect(data["n_true"], data["n_found"], data["scene_of"],
                                    spurious_probability(data["X"], model), t, int(model.get("max_drops", 1)))
        print(f"{args.evaluate} (threshold {t}): {right} scenes made right, {wrong} made wrong; count exact "
              f"{exact:.3f} -> {exact + (right - wrong) / n_scenes:.3f}")
        return
    p = cross_validated(data, _make(args))
    from sklearn.metrics import roc_auc_score

    what = f"C={args.C}" if args.model == "logistic" else f"{args.trees} trees, depth {args.depth}, leaf {args.leaf}"
    print(f"cross-validated (5 folds by scene), {what}: area under the ROC curve "
          f"{roc_auc_score(data['y'], p):.3f}")
    print(f"at most {args.max_drops} dropped per scene")
    print("| threshold | scenes made right | scenes made wrong | count exact |\n|---|---|---|---|")
    for t in THRESHOLDS:
        right, wrong = scene_effect(data["n_true"], data["n_found"], data["scene_of"], p, t, args.max_drops)
        print(f"| {t} | {right} | {wrong} | {exact + (right - wrong) / n_scenes:.3f} |")
    if args.out:
        settings = ({"C": args.C} if args.model == "logistic" else
                    {"trees": args.trees, "depth": args.depth, "leaf": args.leaf})
        model = fit(data, args, {
            "suite": args.suite, "seeds": args.ranges, "size": args.size, "samples": args.samples,
            "model": args.model, **settings, "found_objects": len(data["y"]), "spurious": int(data["y"].sum()),
            "date": datetime.date.today().isoformat()})
        if args.model == "logistic":
            args.out.write_text(json.dumps(model, indent=1) + "\n")
            weights = sorted(zip(model["coef"], model["features"]), key=lambda t: -abs(t[0]))
            print(f"wrote {args.out}; weights: " + ", ".join(f"{f} {c:+.2f}" for c, f in weights if c))
        else:
            write_forest_file(args.out, model)


if __name__ == "__main__":
    main()

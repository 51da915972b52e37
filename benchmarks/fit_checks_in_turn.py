"""Fit perception's three learned last checks in turn, on stored estimates of rendered scenes.

The spurious check (``spurious.py``), the split (``joined.py``) and the join (``same_object.py``) are the last
steps of ``analyse``, and each reads what the one before it leaves. The steps before them take nearly all of
``analyse``'s time (3-4 s a scene at 128 px on one core) and do not depend on the checks, so this script
stores that estimate once per scene (``analyse.estimate_unchecked``, pickled under ``--store`` in a folder
named after a hash of the perception sources, so a changed pipeline never reads stale estimates), then:

1. collects the spurious check's cues on the stored estimates and fits it;
2. collects the split's cues with that check in front, and fits the split;
3. collects the join's cues with both in front, and fits the join.

Cues and labels are those of ``train_spurious_filter.py``, ``train_split_gate.py`` and
``train_same_object.py``. Each step's threshold (and the spurious check's ``max_drops``) is the setting whose
five-fold cross-validation, grouped by scene, makes the most scenes' counts right net. With ``--held-out``
the whole pipeline is measured on other scenes, from their stored estimates, with the shipped models and with
the new ones (count exact, shape, colour, material, size, and the scenes made right and wrong).

    .venv/bin/python benchmarks/fit_checks_in_turn.py --ranges 16000-16999 --held-out 14500-15499 \\
        --out-dir runs/checks   # writes spurious_model.json, joined_model.json, same_object_model.json there
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib
import json
import pickle
import sys
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import train_same_object as same_train  # noqa: E402
import train_split_gate as split_train  # noqa: E402
import train_spurious_filter as spurious_train  # noqa: E402

PERCEPTION = HERE.parent / "seig_search" / "perception"


def pipeline_key() -> str:
    """A short hash of what ``estimate_unchecked`` runs: the perception sources and the per-pixel model."""
    h = hashlib.sha1()
    for f in sorted(PERCEPTION.glob("*.py")) + [PERCEPTION / "object_pixels_model.json"]:
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]


@dataclass(frozen=True)
class Scene:
    """A rendered scene (a ``bench_perception.py`` cache file) and where its stored estimate lives."""

    seed: int
    render: Path
    estimate: Path


def scenes(seeds: list[int], args: argparse.Namespace) -> list[Scene]:
    """The scenes of ``seeds`` (rendered into ``--cache`` where missing), their estimates under ``--store``."""
    bench = spurious_train._bench()
    w, h = (int(v) for v in args.size.lower().split("x"))
    keys = [f"{args.suite}_{s}_{w}x{h}_{args.samples}" for s in seeds]
    bench._render([(k, bench._sample(args.suite, s)) for k, s in zip(keys, seeds)], (w, h), args.samples, args.cache)
    folder = args.store / pipeline_key()
    folder.mkdir(parents=True, exist_ok=True)
    return [Scene(s, args.cache / f"{k}.npz", folder / f"{k}.pkl") for s, k in zip(seeds, keys)]


def _load_render(path: Path) -> dict:
    from seig_search.program.spec import SceneSpec

    d = np.load(path, allow_pickle=False)
    spec = SceneSpec.model_validate_json(str(d["spec"]))
    return {"srgb": np.clip(d["srgb"].astype(np.float32), 0.0, 1.0), "index": d["index"],
            "summary": json.loads(str(d["summary"])), "spec": spec}


def _store_one(scene: Scene) -> None:
    if scene.estimate.exists():
        return
    from seig_search.perception.analyse import estimate_unchecked

    unchecked = estimate_unchecked(_load_render(scene.render)["srgb"])
    tmp = scene.estimate.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(unchecked, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.rename(scene.estimate)  # a killed run leaves no half-written estimate behind


def store_estimates(items: list[Scene], workers: int) -> None:
    """Pickle each scene's estimate before the learned checks, where it is not stored yet."""
    todo = [s for s in items if not s.estimate.exists()]
    if todo:
        print(f"storing {len(todo)} estimates before the checks ({len(items) - len(todo)} stored already)",
              flush=True)
        with Pool(workers) as pool:
            pool.map(_store_one, todo, chunksize=4)


# The learned checks in pipeline order and the switch of each in checks.py.
STEPS = ("spurious", "split", "join")
SWITCHES = {"spurious": "DROP_SPURIOUS", "split": "SPLIT_JOINED", "join": "JOIN_SAME_OBJECT"}
MODULES = {"spurious": "seig_search.perception.spurious", "split": "seig_search.perception.joined",
           "join": "seig_search.perception.same_object"}


def _use_models(models: dict[str, dict]) -> None:
    """Make each check named in ``models`` read that model instead of its shipped file (in this process)."""
    for step, model in models.items():
        module = importlib.import_module(MODULES[step])
        module.load_model = lambda path=None, _m=model: _m


def _checked(scene: Scene, upto: str | None) -> tuple[dict, object]:
    """The scene's render and its estimate after the checks before ``upto`` (all of them for None)."""
    from seig_search.perception import checks

    on = STEPS if upto is None else STEPS[:STEPS.index(upto)]
    for step in STEPS:
        setattr(checks, SWITCHES[step], step in on)
    r = _load_render(scene.render)
    est = checks.learned_checks(r["srgb"], pickle.loads(scene.estimate.read_bytes()))
    return r, est


def _step_rows(task: tuple[str, Scene]) -> dict:
    """Cues and labels of one scene for ``step``, with the checks before it on."""
    step, scene = task
    r, est = _checked(scene, step)
    true_px = spurious_train.visible_true_pixels(r["index"], r["summary"],
                                                  {o.name for o in r["spec"].objects})
    regions = [o.region.mask for o in est.objects]
    if step == "spurious":
        from seig_search.perception.spurious import region_features

        X, y = region_features(r["srgb"], est), spurious_train.spurious_labels(r["index"], regions, true_px)
    elif step == "split":
        from seig_search.perception.joined import candidate_features

        cands, X = candidate_features(r["srgb"], est)
        y = split_train.split_labels(r["index"], regions, true_px, cands)
    else:
        from seig_search.perception.same_object import pair_features

        pairs, X = pair_features(r["srgb"], est)
        y = same_train.pair_labels(r["index"], regions, set(true_px), pairs)
    return {"X": np.asarray(X, float), "y": y, "n_true": len(true_px), "n_found": len(regions)}


def collect(step: str, items: list[Scene], models: dict[str, dict], workers: int) -> dict:
    """The cues of ``step`` over ``items``, the checks before it using ``models`` (shipped where absent)."""
    with Pool(workers, initializer=_use_models, initargs=(models,)) as pool:
        rows = pool.map(_step_rows, [(step, s) for s in items], chunksize=4)
    width = len(importlib.import_module(MODULES[step]).FEATURES)
    return {"X": np.concatenate([r["X"].reshape(-1, width) for r in rows]),
            "y": np.concatenate([np.asarray(r["y"], int) for r in rows]).astype(int),
            "scene_of": np.concatenate([np.full(len(r["y"]), k) for k, r in enumerate(rows)]).astype(int),
            "n_true": np.array([r["n_true"] for r in rows]), "n_found": np.array([r["n_found"] for r in rows])}


@dataclass(frozen=True)
class Recipe:
    """How one check is fitted: its forest and the settings its cross-validation chooses among."""

    trees: int
    depth: int
    leaf: int
    settings: tuple[tuple, ...]  # (threshold,) or, for the spurious check, (threshold, max_drops)
    effect: Callable[..., tuple[int, int]]  # (data, probabilities, *setting) -> (made right, made wrong)


RECIPES = {
    "spurious": Recipe(100, 12, 2, tuple((t, k) for t in (0.3, 0.4, 0.5, 0.6) for k in (1, 2)),
                       lambda d, p, t, k: spurious_train.scene_effect(d["n_true"], d["n_found"], d["scene_of"],
                                                                      p, t, k)),
    "split": Recipe(100, 10, 3, tuple((t,) for t in split_train.THRESHOLDS),
                    lambda d, p, t: split_train.scene_effect(d["n_true"], d["n_found"], d["scene_of"], p, t)[:2]),
    "join": Recipe(100, 10, 3, tuple((t,) for t in (0.2, 0.25, 0.3, 0.4, 0.5, 0.6)),
                   lambda d, p, t: same_train.scene_effect(d["n_true"], d["n_found"], d["scene_of"], p, t)),
}


def choose_setting(data: dict, p: np.ndarray, recipe: Recipe) -> tuple[tuple, dict[tuple, tuple[int, int]]]:
    """The setting that makes the most scenes right net (fewer made wrong on a tie), and every setting's effect."""
    effects = {s: recipe.effect(data, p, *s) for s in recipe.settings}
    best = max(recipe.settings, key=lambda s: (effects[s][0] - effects[s][1], -effects[s][1]))
    return best, effects


def fit_step(step: str, data: dict, provenance: dict) -> tuple[dict, dict[tuple, tuple[int, int]]]:
    """The model file's content for ``step`` fitted on ``data``, and the cross-validated effect per setting."""
    recipe = RECIPES[step]
    make = lambda: spurious_train.extra_trees(recipe.trees, recipe.depth, recipe.leaf)  # noqa: E731
    setting, effects = choose_setting(data, spurious_train.cross_validated(data, make), recipe)
    features = importlib.import_module(MODULES[step]).FEATURES
    model = spurious_train.forest_file(make().fit(data["X"], data["y"]), features, setting[0], {
        **provenance, "trees": recipe.trees, "depth": recipe.depth, "leaf": recipe.leaf,
        "fitted_after": list(STEPS[:STEPS.index(step)]), "rows": len(data["y"]), "positives": int(data["y"].sum())})
    if step == "spurious":
        model["max_drops"] = int(setting[1])
    return model, effects


def fit_in_turn(items: list[Scene], workers: int, provenance: dict, keep: Path | None = None) -> dict[str, dict]:
    """The three checks fitted in pipeline order, each on the estimates the ones before it leave; each step's
    cues are written to ``keep/<step>.npz`` when ``keep`` is given (with ``seeds``, for a closer look)."""
    models: dict[str, dict] = {}
    for step in STEPS:
        data = collect(step, items, models, workers)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            np.savez(keep / f"{step}.npz", **data, seeds=np.array([s.seed for s in items]))
        exact = float(np.mean(data["n_true"] == data["n_found"]))
        print(f"{step}: {len(data['n_true'])} scenes, {len(data['y'])} rows, {int(data['y'].sum())} positive; "
              f"count exact before it {exact:.3f}", flush=True)
        models[step], effects = fit_step(step, data, provenance)
        for setting, (right, wrong) in effects.items():
            print(f"  {setting}: +{right} / -{wrong}", flush=True)
        print(f"  chosen: threshold {models[step]['threshold']}"
              + (f", max_drops {models[step]['max_drops']}" if step == "spurious" else ""), flush=True)
    return models


def _scene_metrics(scene: Scene) -> dict:
    from scoring.scene_metrics import scene_metrics

    bench = spurious_train._bench()
    r, est = _checked(scene, None)
    m = scene_metrics(bench._pred_records(est), bench._gt_records(r["spec"], r["summary"], r["index"]))
    return {**m, "seed": scene.seed}


def evaluate(items: list[Scene], models: dict[str, dict], workers: int) -> list[dict]:
    """Per-scene metrics of the whole pipeline with ``models`` (shipped where absent), from stored estimates."""
    with Pool(workers, initializer=_use_models, initargs=(models,)) as pool:
        return pool.map(_scene_metrics, items, chunksize=4)


ATTRIBUTES = ("shape_accuracy", "color_accuracy", "material_accuracy", "size_accuracy")


def summarise(rows: list[dict]) -> dict:
    """Count exact and the attribute accuracies (a missed object counts as wrong) over ``rows``."""
    return {"count_exact": float(np.mean([r["count_error"] == 0 for r in rows])),
            **{k: float(np.mean([r[k] or 0.0 for r in rows])) for k in ATTRIBUTES}}


def made_right_wrong(before: list[dict], after: list[dict]) -> tuple[int, int]:
    """Scenes whose count is exact only after, and only before (rows paired by seed)."""
    was = {r["seed"]: r["count_error"] == 0 for r in before}
    now = {r["seed"]: r["count_error"] == 0 for r in after}
    return sum(now[s] and not was[s] for s in was), sum(was[s] and not now[s] for s in was)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", default="primitives")
    ap.add_argument("--ranges", nargs="+", required=True, help="seed ranges to fit on, e.g. 16000-16999")
    ap.add_argument("--size", default="128x128")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "seig" / "bench_perception",
                    help="the renders (bench_perception.py's cache)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--store", type=Path, default=Path.home() / ".cache" / "seig" / "unchecked_estimates",
                    help="where the estimates before the checks are kept (one folder per pipeline version)")
    ap.add_argument("--out-dir", type=Path, default=None, help="write the three model files here")
    ap.add_argument("--keep-cues", type=Path, default=None, help="write each step's cues here (<step>.npz)")
    ap.add_argument("--held-out", nargs="+", default=None, metavar="RANGE",
                    help="measure the whole pipeline on these seed ranges, shipped models against the new ones")
    args = ap.parse_args()
    train = scenes(spurious_train.parse_ranges(args.ranges), args)
    held = scenes(spurious_train.parse_ranges(args.held_out), args) if args.held_out else []
    store_estimates(held + train, args.workers)
    provenance = {"suite": args.suite, "seeds": args.ranges, "size": args.size, "samples": args.samples,
                  "date": datetime.date.today().isoformat()}
    models = fit_in_turn(train, args.workers, provenance, args.keep_cues)
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        for step, name in (("spurious", "spurious_model"), ("split", "joined_model"), ("join", "same_object_model")):
            spurious_train.write_forest_file(args.out_dir / f"{name}.json", models[step])
    if held:
        shipped, new = evaluate(held, {}, args.workers), evaluate(held, models, args.workers)
        print(f"{len(held)} held-out scenes | count exact | " + " | ".join(a.split("_")[0] for a in ATTRIBUTES))
        for name, rows in (("shipped", shipped), ("fitted in turn", new)):
            s = summarise(rows)
            print(f"{name} | " + " | ".join(f"{s[k]:.3f}" for k in ("count_exact", *ATTRIBUTES)))
        right, wrong = made_right_wrong(shipped, new)
        print(f"scenes made right / wrong: +{right} / -{wrong}")


if __name__ == "__main__":
    main()

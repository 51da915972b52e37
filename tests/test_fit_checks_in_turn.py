"""``benchmarks/fit_checks_in_turn.py``: the learned checks fitted in turn on stored estimates."""

from __future__ import annotations

import argparse
import importlib

import numpy as np
import pytest
from bench_scripts import load

turn = load("fit_checks_in_turn")
bench = load("bench_perception")
spurious_train, split_train, same_train = (load("train_spurious_filter"), load("train_split_gate"),
                                           load("train_same_object"))

SEED = 1064  # a generated scene with one object found as two touching regions (see test_perception_same_object)


@pytest.fixture(scope="module")
def stored(render_primitives, tmp_path_factory):
    """The scene rendered into a bench-style cache, its estimate before the checks stored, and its render."""
    root = tmp_path_factory.mktemp("checks")
    spec, res = render_primitives(SEED)
    args = argparse.Namespace(suite="primitives", size="128x128", samples=32, cache=root / "renders",
                              store=root / "store")
    args.cache.mkdir()
    bench.save_render(args.cache / f"primitives_{SEED}_128x128_32.npz", spec, res)
    items = turn.scenes([SEED], args)  # found in the cache: nothing rendered again
    turn.store_estimates(items, workers=1)
    r = {"srgb": res.srgb(), "index": res.index, "summary": res.summary, "names": {o.name for o in spec.objects}}
    return items, r


@pytest.mark.parametrize("step,script", [("spurious", "train_spurious_filter"), ("split", "train_split_gate"),
                                         ("join", "train_same_object")])
def test_cues_from_stored_estimates_equal_the_training_scripts(stored, step, script, monkeypatch):
    """Each check's cues and labels from the stored estimate (the checks before it on, shipped models) are the
    ones its own training script collects by running the whole of analyse."""
    items, r = stored
    from seig_search.perception import checks

    for switch in turn.SWITCHES.values():  # the training scripts turn steps off module-wide: restore them after
        monkeypatch.setattr(checks, switch, True)
    expected = load(script)._scene_rows(r)
    got = turn.collect(step, items, {}, workers=1)
    assert got["n_found"][0] == expected["n_found"] and got["n_true"][0] == expected["n_true"]
    assert got["y"].tolist() == list(expected["y"])
    assert np.allclose(got["X"], np.asarray(expected["X"], float).reshape(got["X"].shape))


def test_the_whole_pipeline_from_a_stored_estimate_counts_as_the_checks_on_it(stored):
    """Evaluated from its stored estimate with the shipped models, the scene gets the count of the learned
    checks on that estimate (test_perception.py checks those against analyse)."""
    import pickle

    from seig_search.perception.analyse import learned_checks

    items, r = stored
    rows = turn.evaluate(items, {}, workers=1)
    srgb = np.clip(r["srgb"].astype(np.float32), 0.0, 1.0)
    assert rows[0]["n_pred"] == len(learned_checks(srgb, pickle.loads(items[0].estimate.read_bytes())).objects)
    assert rows[0]["n_gt"] == len(spurious_train.visible_true_pixels(r["index"], r["summary"], r["names"]))


def test_a_changed_source_changes_the_store_folder(tmp_path, monkeypatch):
    src = tmp_path / "perception"
    src.mkdir()
    (src / "a.py").write_text("x = 1\n")
    (src / "object_pixels_model.json").write_text("{}")
    monkeypatch.setattr(turn, "PERCEPTION", src)
    before = turn.pipeline_key()
    (src / "a.py").write_text("x = 2\n")
    assert turn.pipeline_key() != before


def test_the_chosen_setting_makes_most_scenes_right_net():
    """Scenes of two found objects each; in the first three one is spurious (high cue), in the other three
    both are real. Dropping above 0.5 fixes the three; dropping above 0.05 also breaks the other three."""
    p = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.1, 0.3, 0.2, 0.3, 0.1, 0.4, 0.2])
    data = {"n_true": np.array([1, 1, 1, 2, 2, 2]), "n_found": np.array([2] * 6),
            "scene_of": np.repeat(np.arange(6), 2), "y": (np.arange(12) < 6) & (np.arange(12) % 2 == 0)}
    recipe = turn.Recipe(10, 4, 1, ((0.05, 1), (0.5, 1), (0.5, 2)), turn.RECIPES["spurious"].effect)
    best, effects = turn.choose_setting(data, p, recipe)
    assert effects[(0.05, 1)] == (3, 3) and effects[(0.5, 1)] == (3, 0) and effects[(0.5, 2)] == (3, 0)
    assert best == (0.5, 1)  # ties broken by fewer made wrong, then the first listed


def test_fit_in_turn_fits_each_step_on_the_output_of_the_ones_before(monkeypatch, tmp_path):
    """The driver hands each step the models fitted before it, writes max_drops for the spurious check and
    keeps each step's cues when asked."""
    seen = []

    def fake_collect(step, items, models, workers):  # a test double for the stored-estimate pass
        seen.append((step, list(models)))
        rng = np.random.default_rng(len(seen))
        width = len(importlib.import_module(turn.MODULES[step]).FEATURES)
        n = 60
        X = rng.normal(size=(n, width))
        y = (X[:, 0] > 0.5).astype(int)
        return {"X": X, "y": y, "scene_of": np.arange(n) // 3, "n_true": np.full(n // 3, 3),
                "n_found": np.full(n // 3, 3)}

    monkeypatch.setattr(turn, "collect", fake_collect)
    models = turn.fit_in_turn([], workers=1, provenance={"seeds": ["drawn"]}, keep=tmp_path / "cues")
    assert seen == [("spurious", []), ("split", ["spurious"]), ("join", ["spurious", "split"])]
    assert models["spurious"]["max_drops"] in (1, 2)
    assert models["join"]["trained_on"]["fitted_after"] == ["spurious", "split"]
    kept = np.load(tmp_path / "cues" / "split.npz")
    assert kept["X"].shape == (60, len(importlib.import_module(turn.MODULES["split"]).FEATURES))

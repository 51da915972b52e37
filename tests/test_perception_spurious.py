"""The spurious-object model (``spurious.py``) and its training script, on drawn scenes with known answers."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from bench_scripts import load
from drawn_estimates import CAM, GROUND, LIGHT, SIZE, estimate, placed_object, region_of, shade_right_half
from scipy import ndimage as ndi

from seig_search.perception.cast_shadows import shadow_footprints
from seig_search.perception.spurious import (FEATURES, MODEL_PATH, load_model, region_features,
                                             spurious_objects, spurious_probability)
from seig_search.perception.types import ObjectEstimate

train = load("train_spurious_filter")

SHADE = 0.25
_object = placed_object


def _estimate(objects: list[ObjectEstimate], colours: list, shadow_of: list[int]):
    """The image and estimate of ``objects`` drawn in ``colours`` on a grey ground, with the cast shadows
    of the objects ``shadow_of``; a shaded side darkens each coloured box's right half."""
    shape = (SIZE, SIZE)
    covered = np.any([o.region.mask for o in objects], axis=0)
    drawn = shadow_footprints(CAM, objects, LIGHT, shape)
    shadow = np.any([drawn[i] for i in shadow_of], axis=0) & ~covered
    srgb = np.full((SIZE, SIZE, 3), GROUND, np.float32)
    srgb[shadow] = SHADE
    for o, c in zip(objects, colours):
        srgb[o.region.mask] = c
        if c != SHADE:  # a lit and a shaded face
            shade_right_half(srgb, o.region.mask, c, 0.55)
    return srgb, estimate(objects, covered, shadow)


def _box_and_patch():
    """A blue box casting its shadow towards +x, a red and a yellow box in the distance, and a ground-coloured
    patch inside the blue box's shadow found as an object: a piece of shade, which the small box fitted to it
    outlines badly."""
    box, patch = _object(-1.2, 0.0, 1.2), _object(0.2, 0.1, 0.4)
    shade = shadow_footprints(CAM, [box], LIGHT, (SIZE, SIZE))[0] & ~box.region.mask
    piece = ndi.binary_dilation(patch.region.mask, iterations=4) & ndi.binary_erosion(shade, iterations=2)
    patch.region = region_of(piece)
    far = [_object(1.0, 2.5, 0.8), _object(-0.3, -2.2, 0.8)]
    return _estimate([box, patch, *far], [(0.1, 0.2, 0.8), SHADE, (0.8, 0.15, 0.1), (0.8, 0.75, 0.1)],
                     shadow_of=[0, 2, 3])


def test_the_cues_read_a_shadow_patch_and_a_coloured_box_as_they_are():
    srgb, est = _box_and_patch()
    f = dict(zip(FEATURES, region_features(srgb, est).T))
    box, patch = 0, 1
    assert f["in_drawn"][patch] > 0.9 and f["in_drawn"][box] < 0.1  # the patch lies in the box's shadow
    assert f["chroma_p90"][box] > 40 > 5 > f["chroma_p90"][patch]
    assert f["chroma_gap"][patch] < 0.01 < 0.2 < f["chroma_gap"][box]
    assert f["own_match"][box] > 0.9  # the box's drawn shadow is seen; the patch's would fall on lit ground
    assert f["own_match"][patch] < 0.1
    assert f["iou"][box] == pytest.approx(1.0)
    assert f["thick"][box] > f["thick"][patch]


def test_the_shipped_model_ranks_the_shadow_patch_first_and_keeps_coloured_objects():
    srgb, est = _box_and_patch()
    model = load_model()
    p = spurious_probability(region_features(srgb, est), model)
    assert int(np.argmax(p)) == 1
    assert max(p[0], p[2], p[3]) < 0.1 < 0.2 < p[1]  # a drawn patch lacks a render's noise and soft edges
    assert spurious_objects(srgb, est, dict(model, threshold=0.2)) == [1]
    # up to max_drops objects go (one where the file names none), most likely first, only those above the
    # threshold, never the last one
    one = {k: v for k, v in model.items() if k != "max_drops"}
    assert spurious_objects(srgb, est, dict(one, threshold=0.0)) == [1]
    assert spurious_objects(srgb, est, dict(model, threshold=0.0, max_drops=1)) == [1]
    assert spurious_objects(srgb, est, dict(model, threshold=0.2, max_drops=2)) == [1]
    two = spurious_objects(srgb, est, dict(model, threshold=0.0, max_drops=2))
    assert len(two) == 2 and two[0] == 1
    assert sorted(spurious_objects(srgb, est, dict(model, threshold=0.0, max_drops=9))) == sorted(
        set(range(4)) - {int(np.argmin(p))})
    # coloured boxes, each casting its seen shadow: nothing is dropped
    boxes = [_object(-1.2, 0.0, 1.0), _object(0.8, -1.5, 0.7), _object(1.0, 2.5, 0.8)]
    srgb, est = _estimate(boxes, [(0.1, 0.2, 0.8), (0.8, 0.2, 0.1), (0.8, 0.75, 0.1)], shadow_of=[0, 1, 2])
    assert spurious_objects(srgb, est) == []
    assert spurious_probability(region_features(srgb, est), model).max() < 0.1
    # the last object is never dropped
    srgb, est = _estimate([_object(0.05, 0.1, 0.4)], [SHADE], shadow_of=[])
    assert spurious_objects(srgb, est, dict(model, threshold=0.0, max_drops=2)) == []


def test_the_model_file_records_its_training_and_matches_the_cues(tmp_path):
    model = load_model()
    assert model["features"] == list(FEATURES)
    if "trees" in model:  # a forest: every split reads one of the module's cues
        assert all(f < len(FEATURES) for tree in model["trees"] for f in tree["feature"] if f >= 0)
    else:
        assert len(model["coef"]) == len(model["mean"]) == len(model["scale"]) == len(FEATURES)
    assert 0.0 < model["threshold"] < 1.0 and model.get("max_drops", 1) >= 1
    assert model["trained_on"]["seeds"] and model["trained_on"]["found_objects"] > 1000
    stale = dict(model, features=list(FEATURES)[::-1])
    path = tmp_path / "stale.json"
    path.write_text(json.dumps(stale))
    with pytest.raises(ValueError, match="not this module's"):
        load_model(path)
    assert MODEL_PATH.exists()


def test_labels_pair_found_and_true_objects_by_overlap():
    index = np.ones((40, 40), int)  # ground is id 1
    index[10:20, 5:15] = 2  # a box
    index[10:20, 25:35] = 3  # a cylinder
    box = index == 2
    box_with_shadow = box.copy()
    box_with_shadow[10:30, 5:20] = True  # mostly ground: the box fused with its cast shadow
    second_piece = np.zeros_like(box)
    second_piece[10:20, 25:27] = True  # a sliver of the cylinder, beside its main region
    cylinder = (index == 3) & ~second_piece
    ground_patch = np.zeros_like(box)
    ground_patch[32:38, 2:8] = True
    true_px = {2: 100, 3: 100}
    assert train.spurious_labels(index, [box_with_shadow, cylinder, second_piece, ground_patch], true_px) == [
        0, 0, 1, 1]
    assert train.spurious_labels(index, [], true_px) == []
    assert train.spurious_labels(index, [ground_patch], {}) == [1]


def test_scene_effect_counts_scenes_made_right_and_wrong():
    n_true = np.array([2, 2, 3])
    n_found = np.array([3, 2, 3])
    scene_of = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    p = np.array([0.1, 0.9, 0.2, 0.8, 0.1, 0.3, 0.2, 0.1])
    assert train.scene_effect(n_true, n_found, scene_of, p, 0.5) == (1, 1)  # scene 0 fixed, scene 1 broken
    assert train.scene_effect(n_true, n_found, scene_of, p, 0.95) == (0, 0)
    # two dropped where two are above the threshold: scene 0 loses its 0.9 and its 0.7 and goes wrong
    p2 = np.array([0.7, 0.9, 0.2, 0.8, 0.1, 0.3, 0.2, 0.1])
    assert train.scene_effect(n_true, n_found, scene_of, p2, 0.5) == (1, 1)
    assert train.scene_effect(n_true, n_found, scene_of, p2, 0.5, max_drops=2) == (0, 1)
    assert train.scene_effect(np.array([1]), np.array([3]), np.zeros(3, int), np.array([0.9, 0.8, 0.7]), 0.5,
                              max_drops=5) == (1, 0)  # never the last object


def test_the_written_model_applies_as_scikit_learn_predicts():
    rng = np.random.default_rng(0)
    n = 400
    X = rng.normal(size=(n, len(FEATURES))) * rng.uniform(0.1, 10.0, len(FEATURES))
    y = (X[:, 0] / X[:, 0].std() - X[:, 2] / X[:, 2].std() + rng.normal(0, 0.5, n) > 1.0).astype(int)
    data = {"X": X, "y": y, "scene_of": np.arange(n) // 4}
    args = argparse.Namespace(model="logistic", C=1.0, threshold=0.5, max_drops=1)
    model = train.fit(data, args, provenance={"seeds": ["drawn"]})
    pipe = train.logistic(1.0).fit(X, y)
    np.testing.assert_allclose(spurious_probability(X, model), pipe.predict_proba(X)[:, 1], atol=1e-9)
    assert model["coef"][0] > 0 > model["coef"][2]  # the L1 fit finds the two cues that carry the label
    p = train.cross_validated(data, lambda: train.logistic(1.0))
    assert ((p > 0.5) == y).mean() > 0.85
    # --model trees: the file holds the forest, applied with numpy as scikit-learn applies it
    trees = train.fit(data, argparse.Namespace(model="trees", trees=30, depth=6, leaf=2, threshold=0.5,
                                                         max_drops=2),
                      provenance={"seeds": ["drawn"]})
    assert "coef" not in trees and len(trees["trees"]) == 30 and trees["max_drops"] == 2
    forest = train.extra_trees(30, 6, 2).fit(X, y)
    np.testing.assert_allclose(spurious_probability(X, trees), forest.predict_proba(X)[:, 1], atol=1e-4)  # shares kept to 4 digits

"""The per-pixel object model (``object_pixels.py``) and its training script: the mechanics on a drawn image
with a scripted forest, the shipped model on a Cycles render with an index pass."""

from __future__ import annotations

import importlib

import numpy as np
from bench_scripts import load

from index_pass import owners
from seig_search.perception.background import analyse_background
from seig_search.perception import object_pixels
from seig_search.perception.colorspace import linear_to_srgb, srgb_to_linear
from seig_search.perception.forest import export_forest, forest_probability
from seig_search.perception.object_pixels import (ADD_ABOVE, DROP_BELOW, FEATURES, load_model, pixel_features,
                                                  refine_foreground)
from seig_search.perception.types import Background

train = load("train_object_pixels")


def _drawn() -> tuple[np.ndarray, Background, np.ndarray, dict[str, np.ndarray]]:
    """A grey ground with a red box, its flat cast shadow, a ground-coloured patch and a dark grey patch that
    the hand-set foreground took for objects, and a second shadow blob with a grey box standing in it (crisp
    edges inside the blob)."""
    h = w = 64
    lin = np.full((h, w, 3), 0.3, np.float32)
    parts = {k: np.zeros((h, w), bool) for k in ("box", "shadow", "lit_patch", "dark_patch", "edged", "grey")}
    parts["box"][20:36, 10:26] = True
    parts["shadow"][36:48, 10:26] = True
    parts["lit_patch"][10:18, 40:50] = True
    parts["dark_patch"][44:54, 40:50] = True
    parts["edged"][54:62, 4:30] = True
    parts["grey"][55:61, 8:16] = True
    lin[parts["box"]] = (0.5, 0.04, 0.03)
    lin[parts["shadow"] | parts["edged"]] *= 0.2
    lin[parts["grey"]] = 0.15
    lin[parts["lit_patch"]] *= 1.05
    lin[parts["dark_patch"]] *= 0.3
    srgb = np.clip(linear_to_srgb(lin), 0.0, 1.0).astype(np.float32)
    bg = analyse_background(srgb)
    fg = parts["box"] | parts["lit_patch"] | parts["dark_patch"]
    shadow = parts["shadow"] | parts["edged"]
    bg = Background(world_srgb=(0.05, 0.05, 0.05), ground_srgb=bg.ground_srgb, horizon_row=None,
                    ground_mask=~fg & ~shadow, shadow_mask=shadow, world_mask=np.zeros((h, w), bool),
                    shadow_ratio=0.2, ground_field=bg.ground_field)
    return srgb, bg, fg, parts


def _scripted_forest(feature: str, threshold: float, p_low: float, p_high: float) -> dict:
    """A test double of the shipped model: one tree, one split on ``feature``."""
    k = list(FEATURES).index(feature)
    tree = {"feature": [k, -2, -2], "threshold": [threshold, -2.0, -2.0], "left": [1, -1, -1],
            "right": [2, -1, -1], "p": [0.5, p_low, p_high]}
    return {"features": list(FEATURES), "trees": [tree], "drop_below": 0.3, "add_above": 0.7}


def test_the_cues_of_a_drawn_image():
    srgb, bg, fg, parts = _drawn()
    X = pixel_features(srgb, bg, fg)
    assert X.shape == (*fg.shape, len(FEATURES)) and np.isfinite(X).all()
    f = {name: X[..., i] for i, name in enumerate(FEATURES)}
    assert f["chroma"][parts["box"]].mean() > 40 > 5 > f["chroma"][parts["lit_patch"]].mean()
    assert f["log_ratio"][parts["shadow"]].mean() < np.log(0.3) < f["log_ratio"][parts["lit_patch"]].mean()
    assert (f["in_shadow"][parts["shadow"]] == 1).all() and (f["in_foreground"][parts["box"]] == 1).all()
    assert f["depth_in_foreground"][28, 18] > f["depth_in_foreground"][20, 18] > 0  # deeper in the middle


def test_refine_moves_what_the_model_disagrees_on_and_keeps_the_rest():
    srgb, bg, fg, parts = _drawn()
    # scripted: colourless pixels are not objects
    bg2, fg2 = refine_foreground(srgb, bg, fg, min_size=10, model=_scripted_forest("chroma", 10.0, 0.0, 1.0))
    inner = lambda m: m & np.roll(m, 2, 0) & np.roll(m, -2, 0) & np.roll(m, 2, 1) & np.roll(m, -2, 1)  # noqa: E731
    assert fg2[inner(parts["box"])].all()
    assert not fg2[inner(parts["lit_patch"]) | inner(parts["dark_patch"])].any()
    assert bg2.ground_mask[inner(parts["lit_patch"])].all()  # as bright as the ground: ground
    assert bg2.shadow_mask[inner(parts["dark_patch"])].all()  # darker: shadow
    assert not (bg2.ground_mask & bg2.shadow_mask).any() and not (fg2 & bg2.shadow_mask).any()
    # scripted: everything in the shadow mask is an object; only the blob with crisp edges inside gives its
    # pixels to the foreground, a flat shadow stays shadow whatever the model says
    bg3, fg3 = refine_foreground(srgb, bg, fg, min_size=10, model=_scripted_forest("in_shadow", 0.5, 0.5, 1.0))
    assert fg3[inner(parts["edged"])].all() and not bg3.shadow_mask[parts["edged"]].any()
    assert bg3.shadow_mask[parts["shadow"]].all() and not fg3[parts["shadow"]].any()
    # a model that agrees with the hand-set tests changes nothing
    same = refine_foreground(srgb, bg, fg, min_size=10, model=_scripted_forest("chroma", 1e9, 0.5, 0.5))
    assert same[1] is fg and same[0] is bg


def test_a_dark_blob_with_a_highlight_stays_whole_where_the_model_drops_it(monkeypatch):
    srgb, bg, fg, parts = _drawn()
    rr, cc = np.mgrid[0:64, 0:64]
    sphere = (rr - 28) ** 2 + (cc - 44) ** 2 <= 36  # a black metal sphere: dark body, one bright highlight
    spot = (rr - 26) ** 2 + (cc - 42) ** 2 <= 2
    lin = srgb_to_linear(srgb)
    lin[sphere] = 0.03
    lin[spot] = 0.6
    srgb = np.clip(linear_to_srgb(lin), 0.0, 1.0).astype(np.float32)
    fg = fg | sphere
    bg.ground_mask[sphere] = False
    model = _scripted_forest("chroma", 10.0, 0.0, 1.0)  # scripted: colourless pixels are not objects
    bg2, fg2 = refine_foreground(srgb, bg, fg, min_size=10, model=model)
    assert fg2[sphere].all() and not bg2.shadow_mask[sphere].any()
    assert not fg2[parts["dark_patch"]].any()  # evenly dark: still shadow
    monkeypatch.setattr(object_pixels, "KEEP_VARIED_BLOBS", False)
    assert not refine_foreground(srgb, bg, fg, min_size=10, model=model)[1][sphere].any()


def test_an_evenly_lit_grey_object_apart_stays_where_the_shadows_are_tinted(monkeypatch):
    """A grey disc under a soft key light: as flat and as dark as shade, and the scripted model drops it with
    every colourless pixel. Where the shadows carry the ambient light's (blue) tint and the disc does not, it
    is an object; a patch of tinted shade of the same size, level and crisp outline stays shade. Under a
    colourless ambient the two cannot be told apart and the disc goes too."""
    srgb, bg, fg, parts = _drawn()
    rr, cc = np.mgrid[0:64, 0:64]
    disc = (rr - 12) ** 2 + (cc - 14) ** 2 <= 30  # ~97 px, apart from the box and the patches
    lin = srgb_to_linear(srgb)
    shade = np.array([0.8, 0.9, 1.3], np.float32)  # the ambient light's tint in the shade
    for m in (parts["shadow"], parts["edged"] & ~parts["grey"], parts["dark_patch"]):
        lin[m] *= shade
    lin[disc] = 0.3 * 0.35  # evenly lit, 0.35 of the ground's level, colourless
    tinted = np.clip(linear_to_srgb(lin), 0.0, 1.0).astype(np.float32)
    fg = fg | disc
    bg.ground_mask[disc] = False
    model = _scripted_forest("chroma", 10.0, 0.0, 1.0)  # scripted: colourless pixels are not objects
    _, fg2 = refine_foreground(tinted, bg, fg, min_size=10, model=model)
    assert fg2[disc].all() and not fg2[parts["dark_patch"]].any() and not fg2[parts["lit_patch"]].any()
    shaded = (parts["shadow"] | parts["edged"] | parts["dark_patch"])[..., None]
    colourless = np.clip(linear_to_srgb(np.where(shaded, lin / shade, lin)), 0.0, 1.0).astype(np.float32)
    _, neutral = refine_foreground(colourless, bg, fg, min_size=10, model=model)
    assert not neutral[disc].any()
    monkeypatch.setattr(object_pixels, "REKEEP_FLAT_GREY", False)
    assert not refine_foreground(tinted, bg, fg, min_size=10, model=model)[1][disc].any()


def test_the_shipped_model_names_its_cues():
    model = load_model()
    assert model is not None and model["features"] == list(FEATURES)
    assert (model["drop_below"], model["add_above"]) == (DROP_BELOW, ADD_ABOVE)  # the thresholds documented
    assert model["trained_on"]["pixels"] > 100_000


def test_on_a_render_a_grey_sphere_taken_for_shadow_becomes_an_object(render_primitives, monkeypatch):
    """Generated scene 12264 (Cycles, 128 px), which the model was not fitted on: the hand-set tests put a
    large grey rubber sphere, standing in the shade beside its own shadow, in the shadow mask. The model moves
    nearly half of it (its lit side) to the foreground and the sphere becomes an object; the large objects keep
    their pixels, and the foreground agrees with the index pass far better. (A small black cylinder beside the
    sphere loses a quarter of its pixels and drops out of the count: see docs/perception.md.)"""
    analyse_mod = importlib.import_module("seig_search.perception.analyse")
    spec, res = render_primitives(12264)
    srgb = np.clip(res.srgb().astype(np.float32), 0.0, 1.0)
    bg, smooth, fg = analyse_mod.hand_set_foreground(srgb)
    _, fg2 = refine_foreground(smooth, bg, fg, min_size=16)
    ids = spec.pass_indices()
    truth = res.index > ids["ground"]
    grey = [o for o in spec.objects if o.name == "obj1"][0]
    sphere = res.index == ids[grey.name]
    assert grey.shape == "sphere" and sphere.sum() > 500
    assert fg[sphere].mean() < 0.1 and fg2[sphere].mean() > 0.4
    for o in spec.objects:
        m = res.index == ids[o.name]
        if o.name != grey.name and m.sum() >= 250:
            assert fg2[m].mean() >= 0.9
    iou = lambda a: (a & truth).sum() / (a | truth).sum()  # noqa: E731
    assert iou(fg2) > iou(fg) + 0.1

    def majorities() -> set[int]:
        est = analyse_mod.analyse(res.srgb())
        return set(owners(est, res.index))

    monkeypatch.setattr(analyse_mod, "UNPULL_KEY", False)  # the model's effect alone (see below)
    monkeypatch.setattr(analyse_mod, "REFINE_FOREGROUND", False)
    assert ids[grey.name] not in majorities()
    monkeypatch.setattr(analyse_mod, "REFINE_FOREGROUND", True)
    assert ids[grey.name] in majorities()
    # The key light, fitted again without the sphere it shaded (shadow_objects.key_without_dark_objects),
    # leaves it unexplained, so the hand-set tests alone find it as well.
    monkeypatch.setattr(analyse_mod, "UNPULL_KEY", True)
    monkeypatch.setattr(analyse_mod, "REFINE_FOREGROUND", False)
    assert ids[grey.name] in majorities()


def test_the_training_script_counts_moved_pixels_and_exports_a_random_forest():
    y = np.array([0, 0, 1, 1, 1, 0])
    in_fg = np.array([True, True, True, False, False, False])
    p = np.array([0.1, 0.6, 0.2, 0.9, 0.5, 0.95])
    assert train.moved(y, in_fg, p, 0.3, 0.7) == ("out of the foreground 1 right / 1 wrong; "
                                                  "into it 1 right / 1 wrong")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    yy = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    forest = train.random_forest(trees=5, depth=4, leaf=5).fit(X, yy)
    assert np.allclose(forest_probability(X, export_forest(forest)), forest.predict_proba(X)[:, 1], atol=1e-3)


def test_on_a_render_a_black_metal_sphere_the_cues_call_shadow_stays_an_object(render_primitives, monkeypatch):
    """Generated scene 12161 (Cycles, 128 px): a small black metal sphere in front of four objects. Pixel by
    pixel the model calls it shadow; as a whole its highlight and convex outline keep it, the fifth object."""
    analyse_mod = importlib.import_module("seig_search.perception.analyse")  # the package exports the function
    spec, res = render_primitives(12161)
    assert len(spec.objects) == 5
    est = analyse_mod.analyse(res.srgb())
    ids = spec.pass_indices()
    majority = set(owners(est, res.index))
    assert len(est.objects) == 5 and majority == {ids[o.name] for o in spec.objects}
    monkeypatch.setattr(object_pixels, "KEEP_VARIED_BLOBS", False)
    assert len(analyse_mod.analyse(res.srgb()).objects) == 4

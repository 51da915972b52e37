"""Pieces of one object joined again (``rejoin.py``): drawn cases with known answers."""

from __future__ import annotations

import importlib

import numpy as np

from index_pass import owners
from seig_search.perception.cast_shadows import silhouettes
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.place import fit_object
from seig_search.perception.rejoin import rejoin_split_objects
from seig_search.perception.tint import region_from_mask
from seig_search.perception.types import Appearance, ObjectEstimate, Region, ShapeGuess

SIZE = 96
CAM = PinholeCamera.from_pitch(30.0, 5.0, 45.0, SIZE, SIZE)


def _object(shape: str, x: float, y: float, size: float) -> ObjectEstimate:
    region = Region(mask=np.zeros((SIZE, SIZE), bool), bbox=(0, 0, 1, 1), area=1, centroid=(0.0, 0.0))
    return ObjectEstimate(region=region, shapes=[ShapeGuess(shape, 1.0)],
                          appearance=Appearance((0.5, 0.5, 0.5), 0.8, 0.0), dims=(size, size, size),
                          location=(x, y, size / 2), rotation_deg=(0.0, 0.0, 0.0))


def _fitted(mask: np.ndarray, foreground: np.ndarray, srgb: np.ndarray) -> ObjectEstimate:
    o = ObjectEstimate(region=region_from_mask(mask), shapes=[ShapeGuess("unknown", 0.0)],
                       appearance=Appearance((0.5, 0.5, 0.5), 0.8, 0.0))
    assert fit_object(o, CAM, foreground, srgb)
    return o


def _rejoin(masks: list[np.ndarray], srgb: np.ndarray, settled: tuple[int, ...] = ()) -> list[ObjectEstimate]:
    foreground = np.any(masks, axis=0)
    objects = [_fitted(m, foreground, srgb) for m in masks]

    def make(mask, like):
        return _fitted(mask, foreground, srgb)

    return rejoin_split_objects(objects, lambda o: CAM, foreground, srgb, make, [objects[i] for i in settled])


def _image(parts: list[tuple[np.ndarray, tuple[float, float, float]]]) -> np.ndarray:
    srgb = np.full((SIZE, SIZE, 3), 0.55, np.float32)
    for mask, colour in parts:
        srgb[mask] = colour
    return srgb


def test_a_cylinder_split_into_its_lit_and_shaded_sides_is_one_object_again():
    sil = silhouettes(CAM, [_object("cylinder", 0.0, 0.0, 1.2)], (SIZE, SIZE))
    cols = np.nonzero(sil.any(axis=0))[0]
    left = sil.copy()
    left[:, int(cols.mean()):] = False
    right = sil & ~left
    srgb = _image([(left, (0.2, 0.7, 0.25)), (right, (0.06, 0.3, 0.08))])  # one green, in light and shade
    joined = _rejoin([left, right], srgb)
    assert len(joined) == 1
    assert joined[0].region.area == sil.sum()
    assert joined[0].shapes[0].shape == "cylinder"
    assert abs(max(joined[0].dims) - 1.2) < 0.2


def test_pieces_tried_before_and_unchanged_are_not_tried_again():
    # the second join (after own shadows are cut off) skips pairs the first one already refused
    sil = silhouettes(CAM, [_object("cylinder", 0.0, 0.0, 1.2)], (SIZE, SIZE))
    cols = np.nonzero(sil.any(axis=0))[0]
    left = sil.copy()
    left[:, int(cols.mean()):] = False
    srgb = _image([(left, (0.2, 0.7, 0.25)), (sil & ~left, (0.06, 0.3, 0.08))])
    assert len(_rejoin([left, sil & ~left], srgb, settled=(0, 1))) == 2
    assert len(_rejoin([left, sil & ~left], srgb, settled=(0,))) == 1  # one piece changed: tried again


def test_two_objects_of_one_hue_and_two_hues_stay_apart():
    view = CAM.forward[:2] / np.linalg.norm(CAM.forward[:2])
    side = np.array([-view[1], view[0]])
    front_obj = _object("cylinder", 0.0, 0.0, 1.2)
    behind_obj = _object("cube", *(1.8 * view + 0.9 * side), 1.2)
    front = silhouettes(CAM, [front_obj], (SIZE, SIZE))
    behind = silhouettes(CAM, [behind_obj], (SIZE, SIZE)) & ~front
    assert behind.sum() > 60 and (np.roll(behind, 1, axis=1) & front).any()  # they touch
    same_hue = _image([(front, (0.2, 0.7, 0.25)), (behind, (0.1, 0.45, 0.12))])
    assert len(_rejoin([front, behind], same_hue)) == 2
    # the split cylinder of the first test, its halves in two colours: two objects
    sil = silhouettes(CAM, [front_obj], (SIZE, SIZE))
    left = sil.copy()
    left[:, int(np.nonzero(sil.any(axis=0))[0].mean()):] = False
    two_hues = _image([(left, (0.8, 0.1, 0.1)), (sil & ~left, (0.1, 0.2, 0.8))])
    assert len(_rejoin([left, sil & ~left], two_hues)) == 2


def test_split_halves_join_though_one_was_fitted_without_its_attached_shadow():
    """The shaded half carries the cast shadow at its foot; its outline is fitted without it (tint.py), which
    fits so tightly that the union, fitted with the shadow, could never match it. The join is judged against
    the whole region's fit."""
    from skimage.draw import ellipse

    sil = silhouettes(CAM, [_object("cylinder", 0.0, 0.0, 2.0)], (SIZE, SIZE))
    rows, cols = np.nonzero(sil)
    left = sil.copy()
    left[:, int(cols.mean()):] = False
    right = sil & ~left
    shadow = np.zeros_like(sil)
    rr, cc = ellipse(rows.max(), cols.max() - 2, 2, 6, shape=sil.shape)
    shadow[rr, cc] = True
    shadow &= ~sil
    srgb = _image([(left, (0.2, 0.7, 0.25)), (right, (0.06, 0.3, 0.08)), (shadow, (0.2, 0.2, 0.2))])
    joined = _rejoin([left, right | shadow], srgb)
    assert len(joined) == 1
    assert joined[0].region.area == (sil | shadow).sum()
    assert abs(max(joined[0].dims) - 2.0) < 0.3, joined[0].dims


def test_a_union_fitted_a_little_worse_than_its_pieces_still_joins_a_much_worse_one_does_not():
    """Pieces split along a reflection have ragged edges that each piece's fit partly takes for hidden outline;
    the union's outline cannot. A union within JOIN_SLACK (1.5 times) of the worse piece's cost is one object."""
    from dataclasses import replace

    from seig_search.perception.colorspace import srgb_to_linear
    from seig_search.perception.fit import fit_region
    from seig_search.perception.place import candidate_shapes
    from seig_search.perception.rejoin import _join_cost

    sil = silhouettes(CAM, [_object("cube", 0.0, 0.0, 1.2)], (SIZE, SIZE))
    rows = np.nonzero(sil.any(axis=1))[0]
    top = sil.copy()
    top[int(rows.mean()):] = False
    srgb = _image([(top, (0.2, 0.7, 0.25)), (sil & ~top, (0.06, 0.3, 0.08))])
    a, b = _fitted(top, sil, srgb), _fitted(sil & ~top, sil, srgb)
    union = fit_region(CAM, region_from_mask(sil), sil, candidate_shapes(region_from_mask(sil)))[0].cost
    lin3 = srgb_to_linear(srgb)

    def pieces_fitted_at(cost):  # both pieces' fits, as if their outlines had fitted to ``cost``
        for o in (a, b):
            o.fits = {k: replace(f, cost=cost) for k, f in o.fits.items()}
        return _join_cost(a, b, CAM, sil, lin3)

    assert union < 0.05
    assert pieces_fitted_at(union / 1.4) is not None  # 40 % worse: one object
    assert pieces_fitted_at(union / 1.8) is None  # 80 % worse: two


def test_a_dark_face_found_in_the_shadows_joins_its_box_again(render_primitives, monkeypatch):
    """Generated scene 4040: the shaded face of a green box, nearly grey in the dark, lands in the shadow mask
    and is found there as an object of its own; the second join takes it back."""
    analyse_mod = importlib.import_module("seig_search.perception.analyse")  # the package exports the function
    spec, res = render_primitives(4040)
    ids = spec.pass_indices()
    monkeypatch.setattr(analyse_mod, "REFINE_FOREGROUND", False)  # the model moves the face out of the shadows
    monkeypatch.setattr(analyse_mod, "JOIN_SHADOW_FINDS", False)
    apart = analyse_mod.analyse(res.srgb()).objects
    assert len(apart) == len(spec.objects) + 1
    monkeypatch.setattr(analyse_mod, "JOIN_SHADOW_FINDS", True)
    est = analyse_mod.analyse(res.srgb())
    assert len(est.objects) == len(spec.objects)
    majority = owners(est, res.index)
    assert sorted(majority) == sorted(ids[o.name] for o in spec.objects)  # one region per object

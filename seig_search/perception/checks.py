"""The learned last checks of perception, on the estimate before them: a spurious object dropped
(spurious.py), a region holding two objects split (joined.py), two regions holding one joined (same_object.py).

Kept apart from the steps before them (``analyse.estimate_unchecked``) so that the checks can be fitted and
measured on stored estimates: those steps take nearly all of an image's time. The switches below turn each
check off, for the scripts that fit the checks on the output of the steps before them, and for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seig_search.perception.estimate_maps import EstimateMaps
from seig_search.perception.joined import best_split
from seig_search.perception.material import estimate_appearance
from seig_search.perception.place import fit_object
from seig_search.perception.refit import fit_camera, fitted_object
from seig_search.perception.same_object import best_join
from seig_search.perception.spurious import spurious_objects
from seig_search.perception.tint import region_from_mask
from seig_search.perception.types import MAX_OBJECTS, ObjectEstimate, SceneEstimate

DROP_SPURIOUS = True  # the found object a forest over the estimate's cues calls spurious (spurious.py)
SPLIT_JOINED = True  # the found region a forest over candidate splits calls two objects (joined.py)
JOIN_SAME_OBJECT = True  # the touching pair a forest over region pairs calls one object (same_object.py)


@dataclass
class Unchecked:
    """The estimate before the learned last checks, with what they read besides the image. Kept apart so
    the checks can be fitted and measured on stored estimates (the steps before them take most of the time)."""

    est: SceneEstimate
    fg: np.ndarray
    irradiance: float
    ground_lin: np.ndarray | None


def learned_checks(srgb: np.ndarray, unchecked: Unchecked) -> SceneEstimate:
    """The learned last steps on an unchecked estimate of ``srgb`` (float sRGB in [0, 1]): a spurious object
    dropped, a region holding two objects split, two regions holding one joined (none for cut-outs)."""
    est, fg, irradiance, ground_lin = unchecked.est, unchecked.fg, unchecked.irradiance, unchecked.ground_lin
    use_alpha, objects = est.cutout, est.objects
    maps = EstimateMaps(srgb, est)  # what both learned steps read, drawn once
    if DROP_SPURIOUS and not use_alpha:  # trained on opaque scenes with a ground; cut-outs have neither
        drops = set(spurious_objects(srgb, est, maps=maps))
        est.objects = [o for i, o in enumerate(objects) if i not in drops]
    split: frozenset[int] | None = None
    if SPLIT_JOINED and not use_alpha and 0 < len(est.objects) < MAX_OBJECTS:
        est.objects, split = _split_joined(srgb, est, fg, irradiance, ground_lin, maps)
    if JOIN_SAME_OBJECT and not use_alpha and len(est.objects) > 1:
        est.objects = _join_same_object(srgb, est, fg, irradiance, ground_lin, maps,
                                        exclude=frozenset({split}) if split is not None else frozenset())
    return est


def _split_joined(srgb, est, fg, irradiance, ground_lin, maps=None) -> tuple[list[ObjectEstimate], frozenset[int] | None]:
    """The estimate's objects with the region the split model trusts most cut in two (joined.py): the piece
    fitted as a new object, the object re-fitted to the rest; unchanged when either part cannot stand. Also
    the indices of the two parts (None when nothing was split)."""
    cand = best_split(srgb, est, maps=maps)
    if cand is None:
        return est.objects, None
    h, w = fg.shape
    o = est.objects[cand.index]
    cam = fit_camera(est.camera, o.fit_scale, w, h)
    new = fitted_object(srgb, cand.piece, cam, fg, o.fit_scale, irradiance, ground_lin)
    if new is None:
        return est.objects, None
    rest = region_from_mask(cand.rest)
    if not fit_object(o, cam, fg, srgb, region=rest, scale=o.fit_scale):
        return est.objects, None
    o.region = rest
    o.appearance = estimate_appearance(srgb, rest, irradiance, ground_lin)
    if maps is not None:
        maps.forget(o)  # re-fitted in place: its drawings are stale
    return est.objects + [new], frozenset({cand.index, len(est.objects)})


def _join_same_object(srgb, est, fg, irradiance, ground_lin, maps, exclude) -> list[ObjectEstimate]:
    """The estimate's objects with the touching pair the same-object model trusts most joined
    (same_object.py): the larger object re-fitted to the union, the smaller dropped; unchanged when the union
    cannot stand on the ground."""
    pair = best_join(srgb, est, maps=maps, exclude=exclude)
    if pair is None:
        return est.objects
    h, w = fg.shape
    keep, drop = est.objects[pair.large], est.objects[pair.small]
    union = region_from_mask(keep.region.mask | drop.region.mask)
    cam = fit_camera(est.camera, keep.fit_scale, w, h)
    if not fit_object(keep, cam, fg, srgb, region=union, scale=keep.fit_scale):
        return est.objects
    keep.region = union
    keep.appearance = estimate_appearance(srgb, union, irradiance, ground_lin)
    return [o for i, o in enumerate(est.objects) if i != pair.small]

"""Pieces of one object that segmentation split apart, joined again by the outline fit.

A metal object's reflections, a cube's lit and shaded faces or a cylinder's bright top can cut one object into
touching regions of one hue. Each piece alone fits some primitive, since the fit ignores outline parts another
region may hide, so the piece count is no evidence. The joined region is: where one primitive fits the union's
outline about as well as it fits the worse-fitted piece (within ``JOIN_SLACK``), and well in absolute terms,
one object explains the pixels about as well as two, and the simpler scene wins. Two objects of one hue, one in
front of the other, give a union no primitive outlines well. A piece whose outline was fitted without its
ground-coloured cast shadow (``tint.py``) is judged by its whole region's fit, since the union is fitted with
the shadow.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.colorspace import srgb_to_linear
from seig_search.perception.colour_parts import distinct_hues
from seig_search.perception.fit import fit_region
from seig_search.perception.place import candidate_shapes
from seig_search.perception.tint import local_ground, own_colour_mask, region_from_mask
from seig_search.perception.types import ObjectEstimate

MAX_UNION_COST = 0.05  # outline RMS over the region's size that one primitive must reach on the union (dev seeds)
TOUCH_PX = 1  # regions this close touch
JOIN_SLACK = 1.5  # the union may fit this much worse than the worse piece: a metal object's reflection leaves
# ragged piece edges that each piece's fit partly takes for hidden outline, the union's cannot (450 noisy scenes:
# count exact 0.771 -> 0.789 with 1.0 -> 1.5; 2.0 joined two objects of one colour, 0.784)


def best_cost(o: ObjectEstimate) -> float:
    """The object's best outline cost (inf when it has no fit)."""
    return min((f.cost for f in o.fits.values()), default=float("inf"))


def _touch(a: np.ndarray, b: np.ndarray) -> bool:
    return bool((ndi.binary_dilation(a, iterations=TOUCH_PX) & b).any())


def rejoin_split_objects(objects: list[ObjectEstimate], fit_cam: Callable[[ObjectEstimate], object],
                         occluders: np.ndarray, srgb: np.ndarray,
                         make: Callable[[np.ndarray, ObjectEstimate], ObjectEstimate | None],
                         settled: Collection[ObjectEstimate] = ()) -> list[ObjectEstimate]:
    """``objects`` with touching one-hue pieces that one primitive outlines as well joined, best join first.

    ``fit_cam(o)``: the pinhole camera in the units of ``o``'s outline fit; ``make(mask, like)``: the object
    fitted to the joined ``mask`` (in ``like``'s units), or None when it cannot stand on the ground.
    ``settled``: objects already tried against each other, unchanged since; their pairs are not fitted again.
    """
    lin3 = srgb_to_linear(srgb)
    objects = list(objects)
    tried: dict[tuple[int, int], float | None] = {}  # join cost per pair of objects, by identity
    whole: dict[int, tuple[ObjectEstimate, float]] = {}  # each object's whole-region cost, fitted once
    for a in settled:
        for b in settled:
            tried[(id(a), id(b))] = None
    while True:
        best: tuple[float, int, int] | None = None
        for i, a in enumerate(objects):
            for j in range(i + 1, len(objects)):
                b = objects[j]
                key = (id(a), id(b))
                if key not in tried:
                    tried[key] = _join_cost(a, b, fit_cam(a), occluders, lin3, whole)
                cost = tried[key]
                if cost is not None and (best is None or cost < best[0]):
                    best = (cost, i, j)
        if best is None:
            return objects
        _, i, j = best
        a, b = objects[i], objects[j]
        joined = make(a.region.mask | b.region.mask, a if a.region.area >= b.region.area else b)
        if joined is None:
            tried[(id(a), id(b))] = None
            continue
        objects = [o for k, o in enumerate(objects) if k not in (i, j)]
        objects.insert(i, joined)


def _whole_cost(o: ObjectEstimate, cam, occluders: np.ndarray, lin3: np.ndarray,
                cache: dict[int, tuple[ObjectEstimate, float]]) -> float:
    """The best outline cost of the object's whole region, as the union is fitted: a coloured object was fitted
    without its ground-coloured cast shadow (place.outline_region), and that tighter fit is no yardstick for a
    union fitted with it. Kept in ``cache`` (by identity, with the object, so a reused id cannot match)."""
    hit = cache.get(id(o))
    if hit is not None and hit[0] is o:
        return hit[1]
    cost = best_cost(o)
    mask = o.region.mask
    if own_colour_mask(lin3, mask, local_ground(lin3, mask, occluders)) is not None:  # the fit saw less
        fits = fit_region(cam, o.region, occluders, candidate_shapes(o.region))
        if fits:
            cost = max(cost, fits[0].cost)
    cache[id(o)] = (o, cost)
    return cost


def _join_cost(a: ObjectEstimate, b: ObjectEstimate, cam, occluders: np.ndarray, lin3: np.ndarray,
               whole: dict[int, tuple[ObjectEstimate, float]] | None = None) -> float | None:
    """The union's best outline cost where joining is allowed, else None."""
    if not _touch(a.region.mask, b.region.mask):
        return None
    if distinct_hues(lin3, a.region.mask, b.region.mask):
        return None  # two colours are two objects, however well their union fits
    whole = {} if whole is None else whole
    worse = max(_whole_cost(a, cam, occluders, lin3, whole), _whole_cost(b, cam, occluders, lin3, whole))
    if not np.isfinite(worse):
        return None
    union = region_from_mask(a.region.mask | b.region.mask)
    fits = fit_region(cam, union, occluders, candidate_shapes(union))
    if not fits:
        return None
    cost = fits[0].cost
    return cost if cost < MAX_UNION_COST and cost <= worse * JOIN_SLACK else None

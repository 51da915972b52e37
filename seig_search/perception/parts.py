"""Cut-out parts: a region's thick core, with thin appendages (legs, poles, cables) cut off.

The primitives of a first program stand upright. A tripod's legs or a cable, a few pixels thin and slanted,
cannot be drawn by them, and one upright primitive fitted to a body together with its legs is as wide as the
legs' span and paints the background between them. In an RGBA cut-out (no ground, usually one object) a
poorly convex region is therefore replaced by its thick core (a morphological opening at half the region's
largest half-thickness); a thin piece left over is kept as its own region only when it fills its bounding box
well enough for an upright primitive to draw it.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import convex_hull_image, disk

from seig_search.perception.segment import _region
from seig_search.perception.types import ObjectEstimate, Region

MIN_SOLIDITY = 0.6  # a region at least this convex (area over its convex hull's) is left whole
CORE_RADIUS_SHARE = 0.5  # opening radius, as a share of the region's largest half-thickness
MIN_CORE_SHARE = 0.3  # a core smaller than this share of the region means the region is all thin parts: keep it
MIN_PIECE_FILL = 0.35  # a leftover thin piece is kept when it covers this share of its bounding box


def _pieces(mask: np.ndarray, min_size: int) -> list[np.ndarray]:
    labels, n = ndi.label(mask)
    return [labels == i for i in range(1, n + 1) if int((labels == i).sum()) >= min_size]


def _fill(mask: np.ndarray) -> float:
    rows, cols = np.nonzero(mask)
    return float(mask.sum()) / float((rows.ptp() + 1) * (cols.ptp() + 1))


def thick_parts(region: Region, min_size: int) -> list[Region]:
    """The region's thick core pieces and its well-filled thin pieces, or the region itself when it is convex
    enough or nearly all thin."""
    mask = region.mask
    if region.area < 4 * min_size or region.area >= MIN_SOLIDITY * convex_hull_image(mask).sum():
        return [region]
    radius = int(round(CORE_RADIUS_SHARE * float(ndi.distance_transform_edt(mask).max())))
    if radius < 1:
        return [region]
    core = ndi.binary_opening(mask, structure=disk(radius)) & mask
    if core.sum() < MIN_CORE_SHARE * region.area:
        return [region]
    cores = _pieces(core, min_size)
    rest = [p for p in _pieces(mask & ~ndi.binary_dilation(core), min_size) if _fill(p) >= MIN_PIECE_FILL]
    parts = cores + rest
    return [_region(p) for p in parts] if parts else [region]


def cutout_parts(regions: list[Region], shape: tuple[int, int]) -> list[Region]:
    """Every region split into its drawable parts, largest first."""
    min_size = max(10, int(0.001 * shape[0] * shape[1]))
    out = [part for r in regions for part in thick_parts(r, min_size)]
    return sorted(out, key=lambda r: -r.area)


MAX_PART_FIT_COST = 0.15  # outline fit cost (RMS, share of the region's size) beyond which no primitive draws it


def drawable(objects: list[ObjectEstimate]) -> list[ObjectEstimate]:
    """The objects whose best primitive follows their outline, or the largest one when none does.

    A thin slanted leg or a curled cable fitted by an upright primitive paints a box around it (fit costs
    0.18-0.4 against 0.01-0.08 for parts a primitive draws well): in a cut-out that costs more than leaving
    its few pixels to the background.
    """
    kept = [o for o in objects if o.fits and min(f.cost for f in o.fits.values()) <= MAX_PART_FIT_COST]
    return kept or sorted(objects, key=lambda o: -o.region.area)[:1]

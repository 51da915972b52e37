"""An object's own cast shadow left in its region, found with the fitted key light.

A grey or black object's cast shadow has no colour of its own to tell it by (``tint.py`` cuts a coloured
object's), so the two often come out as one region and the outline fit makes one big object of both. With the
key light known (``cast_shadows.fit_key_light``) the two explanations can be compared directly: a large object
whose drawn shadow falls outside the region (partly on lit ground), or a smaller one whose drawn shadow fills
the rest of it. Smaller objects are tried around the fitted one, shifted against the light, and the region
loses the shadow part of the best when it explains the pixels clearly better.

What is cut off is not all shadow where an object stands in it: shade scales a surface's colour and keeps its
chromaticity, and a cast shadow keeps the ground's, so a piece of the cut far from both the ground's and the
kept region's chromaticity is an object of its own (:func:`coloured_pieces`; a brown sphere in a grey
cylinder's shadow, joined to the cylinder by segmentation, was cut off with the shadow and lost).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.cast_shadows import fill_hull, ground_hull_points, object_points
from seig_search.perception.colorspace import chromaticity, has_own_colour, median_chromaticity
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.tint import region_from_mask
from seig_search.perception.types import ObjectEstimate, Region

# tried sizes relative to the fitted object, shifts towards the light (negative) or away and across it (in
# widths): a coarse grid, then half steps around its best
SCALES = (0.5, 0.6, 0.7, 0.8, 0.9)
ALONG = (-0.5, -0.3, -0.1, 0.1, 0.3)
ACROSS = (-0.2, 0.0, 0.2)
FINE_STEPS = (0.05, 0.1, 0.1)  # half the coarse steps of scale, along and across
LIT_WEIGHT = 0.5  # a drawn shadow on lit ground costs half a mislabelled pixel (the shadow mask misses some)
MIN_GAIN = 0.25  # the smaller object must cut the mismatch by this share of the fitted one's
MIN_CUT_SHARE = 0.12  # ... and leave this share of the region to its shadow
MIN_COLOURED_PX = 30  # a piece of the cut this large (after a one-pixel opening) may be an object in the shadow


def _masks(cam: PinholeCamera, pts: np.ndarray, light: np.ndarray, shape) -> tuple[np.ndarray, np.ndarray]:
    """Silhouette and drawn shadow (off the silhouette) of the primitive whose hull points are ``pts``."""
    sil = np.zeros(shape, bool)
    fill_hull(cam, pts, sil)
    shd = np.zeros(shape, bool)
    fill_hull(cam, ground_hull_points(pts, light), shd)
    return sil, shd & ~sil


def shadow_trimmed_region(cam: PinholeCamera, o: ObjectEstimate, region: Region, light: np.ndarray,
                          shadow: np.ndarray, foreground: np.ndarray,
                          own_colour: np.ndarray | None = None) -> Region | None:
    """``region`` without the object's own cast shadow, or None when the fitted object explains it as well.

    ``cam`` and ``o`` in the same units; ``light`` the unit vector towards the sun; ``shadow`` the observed
    shadow mask; ``foreground`` every object's pixels; ``own_colour``: pixels of a coloured object's own tint,
    never cut (its dark faces lie in the drawn shadow of a smaller object too).
    """
    if light[2] <= 0.05:
        return None
    shape = region.mask.shape
    mask = region.mask
    others = foreground & ~mask
    hidden = ndi.binary_dilation(others, iterations=1)
    dark_ok = mask | shadow | others
    area = float(mask.sum())
    along = -np.array([light[0], light[1]])
    if np.linalg.norm(along) < 1e-6:
        return None
    along /= np.linalg.norm(along)
    across = np.array([-along[1], along[0]])
    width = max(o.dims[0], o.dims[1])

    points = object_points(o)
    base = np.array([o.location[0], o.location[1], 0.0])

    def cost(pts: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        sil, shd = _masks(cam, pts, light, shape)
        miss = np.count_nonzero(mask & ~sil & ~shd)
        over = np.count_nonzero(sil & ~mask & ~hidden)
        lit = np.count_nonzero(shd & ~dark_ok)
        return (miss + over + LIT_WEIGHT * lit) / area, sil, shd

    def variant(k: float, a: float, b: float) -> tuple[float, np.ndarray, np.ndarray]:
        # the same primitive scaled by k about its base centre and moved on the ground
        off = width * (a * along + b * across)
        return cost((points - base) * k + base + np.array([off[0], off[1], 0.0]))

    plain, _, _ = cost(points)
    best = (plain, 1.0, 0.0, 0.0, None, None)
    for k in SCALES:
        for a in ALONG:
            for b in ACROSS:
                c, sil, shd = variant(k, a, b)
                if c < best[0]:
                    best = (c, k, a, b, sil, shd)
    if best[4] is not None:
        _, k0, a0, b0, _, _ = best
        dk, da, db = FINE_STEPS
        for k in (k0 - dk, k0, k0 + dk):
            for a in (a0 - da, a0, a0 + da):
                for b in (b0 - db, b0, b0 + db):
                    if k >= 1.0 or (k, a, b) == (k0, a0, b0):
                        continue
                    c, sil, shd = variant(k, a, b)
                    if c < best[0]:
                        best = (c, k, a, b, sil, shd)
    c, k, _, _, sil, shd = best
    if sil is None or c > (1.0 - MIN_GAIN) * plain:
        return None
    keep = mask & ~(shd & ~sil)
    if own_colour is not None:
        keep |= mask & own_colour
    if keep.sum() > (1.0 - MIN_CUT_SHARE) * area or keep.sum() < 16:
        return None
    lab, n = ndi.label(keep)
    if n > 1:
        sizes = ndi.sum(keep, lab, index=np.arange(1, n + 1))
        keep = lab == (1 + int(np.argmax(sizes)))
    return region_from_mask(keep)


def coloured_pieces(cut: np.ndarray, kept: np.ndarray, lin3: np.ndarray, ground_lin: np.ndarray) -> list[np.ndarray]:
    """The parts of ``cut`` (pixels trimmed from a region as its own shadow) that are objects standing in the
    shadow: at least :data:`MIN_COLOURED_PX` after a one-pixel opening, with a colour of their own against the
    lit ground's (``ground_lin``, linear) and the ``kept`` region's (``colorspace.has_own_colour``).
    ``lin3``: the linear image."""
    labels, n = ndi.label(ndi.binary_opening(cut))
    pieces = [piece for piece in (labels == k for k in range(1, n + 1)) if piece.sum() >= MIN_COLOURED_PX]
    if not pieces or not kept.any():
        return []
    others = (chromaticity(ground_lin), median_chromaticity(lin3, kept))
    return [p for p in pieces if has_own_colour(median_chromaticity(lin3, p), *others)]

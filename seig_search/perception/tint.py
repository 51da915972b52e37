"""The part of a region that carries the object's own colour, without the ground-coloured cast shadow at its foot.

A coloured object's cast shadow has the ground's chromaticity (it is the ground, darker), while the object's
pixels, shaded or mirroring the ground, keep the object's tint. When segmentation keeps the shadow attached
to the object, the outline, the lower part a mirror test reads and the reflected colour all include it. Here
the ground-coloured pixels that the object's own-coloured core does not enclose are cut off. A grey object
cannot be told from its shadow this way and is left as it is.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.colorspace import srgb_to_linear
from seig_search.perception.types import Region

GROUND_CHROMA = 0.04  # chromaticity distance (r + g + b = 1) within which a pixel has the ground's colour
MIN_CORE_SHARE = 0.4  # the own-coloured pixels must be this share of the region (a coloured object)
MIN_CUT_SHARE = 0.06  # cut only when this share of the region goes
# A pixel below the middle of the own-coloured core whose chromaticity lies this many times nearer the ground's
# than the object's has the ground's colour too. Noise scatters a dark shadow pixel's chromaticity past
# GROUND_CHROMA (the 90th percentile of shadow pixels left in regions: 0.08-0.2) while an object's own pixels stay
# about 0.25 or more away. Only below the middle: above it, what looks like the ground may be a grey object
# standing behind (hidden_objects.py).
NEARER = 0.5
CLOSE_ITER = 2  # the core is closed by this many pixels so highlights and dark seams inside stay


def chroma_distance(lin: np.ndarray, ref) -> np.ndarray:
    """Distance of each pixel's chromaticity (linear rgb / sum) from that of ``ref``."""
    r = np.asarray(ref, dtype=np.float32)
    rc = r / max(float(r.sum()), 1e-6)
    pc = lin / np.maximum(lin.sum(axis=-1, keepdims=True), 1e-6)
    return np.linalg.norm(pc - rc, axis=-1)


def local_ground(lin: np.ndarray, mask: np.ndarray, foreground: np.ndarray | None, ring: int = 3) -> np.ndarray | None:
    """Median linear colour of the background just around a region (None when nothing around it is background)."""
    around = ndi.binary_dilation(mask, iterations=ring) & ~mask
    if foreground is not None:
        around &= ~foreground
    return np.median(lin[around], axis=0) if around.sum() >= 8 else None


def lit_background(lin: np.ndarray, foreground: np.ndarray) -> np.ndarray | None:
    """Median linear colour of the brighter half of the background (the lit ground, not its shadows)."""
    bg = lin[~foreground]
    if len(bg) < 16:
        return None
    lum = bg @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    return np.median(bg[lum >= np.median(lum)], axis=0)


def ground_like(lin: np.ndarray, mask: np.ndarray, ground_lin) -> np.ndarray | None:
    """HxW bool: pixels with the ground's colour rather than the object's; None for a grey object (its own
    colour is the ground's, or too few of its pixels differ).

    A dark shadow pixel's chromaticity is noisy (a small sum divides the noise), so besides the pixels within
    ``GROUND_CHROMA`` of the ground, those whose chromaticity lies much nearer the ground's than the object's
    count too (``NEARER``)."""
    cd_ground = chroma_distance(lin, ground_lin)
    grey = cd_ground <= GROUND_CHROMA
    core = mask & ~grey
    if core.sum() < MIN_CORE_SHARE * mask.sum():
        return None
    if NEARER:
        chroma = lin / np.maximum(lin.sum(axis=-1, keepdims=True), 1e-6)
        own = np.median(chroma[core], axis=0)
        nearer = cd_ground < NEARER * chroma_distance(lin, own)
        nearer[: int(np.nonzero(core)[0].mean()) + 1] = False  # a cast shadow lies at the object's foot
        grey |= nearer
    return grey


def own_colour_mask(lin: np.ndarray, mask: np.ndarray, ground_lin) -> np.ndarray | None:
    """The region without the ground-coloured pixels its own-coloured core does not enclose; None if nothing
    is cut (grey object, or no ground-coloured fringe)."""
    if ground_lin is None or mask.sum() < 20:
        return None
    grey = ground_like(lin, mask, ground_lin)
    if grey is None:
        return None
    core = mask & ~grey
    area = int(mask.sum())
    core = ndi.binary_fill_holes(ndi.binary_closing(np.pad(core, CLOSE_ITER + 1), iterations=CLOSE_ITER))
    core = core[CLOSE_ITER + 1:-(CLOSE_ITER + 1), CLOSE_ITER + 1:-(CLOSE_ITER + 1)]
    keep = mask & (core | ~grey)
    lab, n = ndi.label(keep)
    if n == 0:
        return None
    if n > 1:
        sizes = ndi.sum(keep, lab, index=np.arange(1, n + 1))
        keep = lab == (1 + int(np.argmax(sizes)))
    if area - int(keep.sum()) < MIN_CUT_SHARE * area:
        return None
    return keep


def own_colour_pixels(lin: np.ndarray, mask: np.ndarray, foreground: np.ndarray | None) -> np.ndarray | None:
    """The pixels of ``mask`` that carry a coloured object's own tint (not the ground's around it), specks
    opened away; None for a grey object or with no ground around."""
    ref = local_ground(lin, mask, foreground)
    if ref is None or mask.sum() < 20:
        return None
    grey = ground_like(lin, mask, ref)
    return None if grey is None else ndi.binary_opening(mask & ~grey)


def region_from_mask(mask: np.ndarray) -> Region:
    rows, cols = np.nonzero(mask)
    return Region(mask=mask, bbox=(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1),
                  area=int(mask.sum()), centroid=(float(rows.mean()), float(cols.mean())))


def own_colour_region(srgb: np.ndarray, region: Region, ground_lin=None,
                      foreground: np.ndarray | None = None) -> Region:
    """``region`` without its ground-coloured cast shadow (the region itself when nothing is cut).

    ``ground_lin`` is the ground's linear colour; without it, the background just around the region is used.
    """
    lin = srgb_to_linear(srgb)
    if ground_lin is None:
        ground_lin = local_ground(lin, region.mask, foreground)
    keep = own_colour_mask(lin, region.mask, ground_lin)
    return region if keep is None else region_from_mask(keep)

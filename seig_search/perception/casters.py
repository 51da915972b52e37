"""Cast shadows need a caster: a dark, ground-coloured blob that no object can have cast is an object itself.

A shadow on the ground starts at the object that casts it, so its outline runs along that object's base, and
it falls away from the light. A dark grey or black object (a black metal in the ambient light, a grey rubber
in another object's shade) can be as dark and as flat as a shadow and lands in the shadow mask; when no found
object borders the blob, or it lies well away from the main shadow of every object it borders, nothing can
have cast it. A blob touching the frame may be cast from outside it.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.types import Background, Region

CASTER_MAX_CONTACT = 0.5  # border shared with objects, over the square root of the blob's area, of a casterless blob
CASTER_NEAR_PX = 2  # a blob this close to an object touches it


def release_casterless_shadows(bg: Background, fg: np.ndarray, min_size: int) -> tuple[Background, np.ndarray]:
    """Move shadow blobs with (almost) no object along their outline from the shadow mask to the foreground."""
    if bg.shadow_mask is None or not bg.shadow_mask.any() or not fg.any():
        return bg, fg
    labels, n = ndi.label(bg.shadow_mask, structure=np.ones((3, 3)))
    near = ndi.binary_dilation(fg, iterations=CASTER_NEAR_PX)
    idx = np.arange(1, n + 1)
    size = ndi.sum(np.ones(labels.shape), labels, idx)
    contact = ndi.sum(near, labels, idx)
    frame = np.zeros(labels.shape, bool)
    frame[0, :] = frame[-1, :] = frame[:, 0] = frame[:, -1] = True
    on_frame = np.zeros(n + 1, bool)
    on_frame[np.unique(labels[frame])] = True
    release = np.zeros(n + 1, bool)
    for k, sz, c in zip(idx, size, contact):
        if sz >= 2 * min_size and not on_frame[k] and c < CASTER_MAX_CONTACT * math.sqrt(sz):
            release[k] = True
    if not release.any():
        return bg, fg
    freed = release[labels]
    return replace(bg, shadow_mask=bg.shadow_mask & ~freed), fg | freed


STRAY_MIN_TURN_DEG = 100.0  # a blob further than this from an object's main shadow is not that object's shadow
CONTACT_MIN_PX = 3  # border pixels a blob shares with an object to count as touching it


def release_stray_shadows(bg: Background, fg: np.ndarray, regions: list[Region],
                          min_size: int) -> tuple[Background, np.ndarray]:
    """Move shadow blobs that are no touching object's shadow to the foreground.

    An object on the ground casts one shadow from its base, away from the light. A second dark blob it
    touches on another side (a black object standing behind it) is its shadow only if it lies about the
    same way as its main (largest) shadow; a blob that lies well away from the main shadow of every object
    it touches has no caster.
    """
    if bg.shadow_mask is None or not bg.shadow_mask.any() or not regions:
        return bg, fg
    labels, n = ndi.label(bg.shadow_mask, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel())
    frame = np.zeros(labels.shape, bool)
    frame[0, :] = frame[-1, :] = frame[:, 0] = frame[:, -1] = True
    on_frame = set(np.unique(labels[frame]).tolist())
    cos_max = math.cos(math.radians(STRAY_MIN_TURN_DEG))
    cast: dict[int, bool] = {}
    for r in regions:
        touch = ndi.binary_dilation(r.mask, iterations=CASTER_NEAR_PX)
        reach = ndi.binary_dilation(r.mask, iterations=max(2, int(0.6 * math.sqrt(r.area))))
        ks = [int(k) for k in np.unique(labels[touch & (labels > 0)])
              if (touch & (labels == k)).sum() >= CONTACT_MIN_PX]
        dirs: dict[int, tuple[np.ndarray, int]] = {}
        for k in ks:
            rows, cols = np.nonzero((labels == k) & reach)
            if rows.size == 0:
                continue
            v = np.array([rows.mean() - r.centroid[0], cols.mean() - r.centroid[1]])
            dirs[k] = (v / max(float(np.linalg.norm(v)), 1e-6), int(rows.size))
        if not dirs:
            continue
        main = max(dirs, key=lambda k: dirs[k][1])
        for k, (v, _) in dirs.items():
            cast[k] = cast.get(k, False) or k == main or float(v @ dirs[main][0]) >= cos_max
    release = [k for k, ok in cast.items() if not ok and sizes[k] >= 2 * min_size and k not in on_frame]
    if not release:
        return bg, fg
    freed = np.isin(labels, release)
    return replace(bg, shadow_mask=bg.shadow_mask & ~freed), fg | freed

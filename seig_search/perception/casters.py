"""Cast shadows need a caster: a dark, ground-coloured blob that no object touches is an object itself.

A shadow on the ground starts at the object that casts it, so its outline runs along that object's base. A
dark grey or black object (a black metal in the ambient light, a grey rubber in another object's shade) can
be as dark and as flat as a shadow and lands in the shadow mask together with its own shadow; when no found
object borders the blob, nothing can have cast it. A blob touching the frame may be cast from outside it.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.types import Background

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

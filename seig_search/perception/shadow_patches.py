"""Shadow patches taken for objects: ground in another object's shade that casts no shadow of its own.

A cast shadow whose edge is crisp, or which a second light split from the main one, can leave the shadow mask
and be segmented and fitted like an object. Once the key light is fitted, four cues tell it apart:

- most of it lies where the other objects' drawn shadows fall;
- the shadow it would cast itself, outside every silhouette and every other object's drawn shadow (where the
  image shows shadow anyway), finds (almost) no shadow in the image;
- its colour is the ground's colour (chromaticity, which shade does not change), looser for a deep shadow:
  light bounced off a coloured neighbour is most of what it gets, and tints it;
- it is evenly dark, as shadows are (the bound ``shadow_objects.py`` uses the other way round): an uneven
  region is part object, and dropping it would lose that object. Judged inside its two-pixel rim where that
  leaves enough pixels: a dark shadow core segmented apart carries the dark edge of the object beside it and
  its penumbra in the rim (on 370 scenes, such patches spread 0.6-1.7 over the whole region, at most 0.59
  inside).

A real object standing in another's shade still casts a shadow of its own, and most have a colour of their own.
On 160 development scenes (`bench_perception.py`, seeds 1000-1079 and 2000-2079) the four together held 10 of
the 29 found objects that were mostly ground in the truth, and none of the 674 real ones.
"""

from __future__ import annotations

import numpy as np

from seig_search.perception.cast_shadows import shadow_footprints, silhouettes
from seig_search.perception.colorspace import chromaticity
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.shadow_objects import MIN_BRIGHTNESS_SPREAD, inside_rim, spread
from seig_search.perception.types import ObjectEstimate

IN_DRAWN_MIN = 0.35  # share of the region inside the other objects' drawn shadows (real ones: mostly < 0.3)
OWN_SHADOW_MAX_MATCH = 0.1  # share of its own drawn shadow the image shows as shadow (patches: 0.0)
MAX_CHROMA_GAP = 0.2  # L1 distance of linear chromaticities (r, g, b over their sum) to the lit ground's
DEEP_SHADOW_LEVEL = 0.15  # median brightness, as a share of the lit ground's, under which a patch is deep shadow
DEEP_MAX_CHROMA_GAP = 0.45  # ... and may stray this far (tinted ones measured 0.23-0.63 at 0.04-0.11 of the
# ground, those the other cues drop 0.23-0.35; dark objects lie further: a brown one at 0.55, a near-black blue
# cylinder at 0.70, a dark blue one at 0.85)


def shadow_patches(cam: PinholeCamera, objects: list[ObjectEstimate], light: np.ndarray, shadow_mask: np.ndarray,
                   lin3: np.ndarray, ground_lin: np.ndarray) -> list[int]:
    """Indices of the objects that are patches of shadow on the ground, for a sun along ``light``.

    ``shadow_mask``: the ground pixels seen in shadow; ``lin3``: the linear image; ``ground_lin``: the lit
    ground's linear colour.
    """
    if len(objects) < 2 or not shadow_mask.any():
        return []
    shape = shadow_mask.shape
    regions = np.zeros(shape, bool)
    for o in objects:
        regions |= o.region.mask
    covered = silhouettes(cam, objects, shape) | regions
    ground_chroma = chromaticity(ground_lin)
    drawn = shadow_footprints(cam, objects, light, shape)  # one per object, each drawn once
    lum = lin3.sum(axis=2)
    patches = []
    ground_level = float(ground_lin.sum())
    for i, o in enumerate(objects):
        mask = o.region.mask
        pixels = lin3[mask]
        deep = float(np.median(lum[mask])) < DEEP_SHADOW_LEVEL * ground_level
        if np.abs(chromaticity(pixels.mean(axis=0)) - ground_chroma).sum() > (
                DEEP_MAX_CHROMA_GAP if deep else MAX_CHROMA_GAP):
            continue
        if not even_inside(lum, mask):
            continue
        others = np.any([d for k, d in enumerate(drawn) if k != i], axis=0)
        if others[mask].mean() < IN_DRAWN_MIN:
            continue
        own = drawn[i] & ~covered & ~others
        if own.any() and shadow_mask[own].mean() > OWN_SHADOW_MAX_MATCH:
            continue
        patches.append(i)
    return patches


def even_inside(lum: np.ndarray, mask: np.ndarray) -> bool:
    """Is the brightness ``lum`` even over ``mask`` as over a shadow, judged inside its soft rim where that
    leaves enough pixels (a dark shadow core's rim holds the object edges and penumbra it borders)?"""
    core = inside_rim(mask)
    return spread(lum[core if core is not None else mask]) < MIN_BRIGHTNESS_SPREAD

"""Foreground instances: what neither the ground, its shadows nor the world explain, split into objects.

Touching objects are separated where their chromaticity changes (different colours) and, for one colour,
where the mask narrows (distance-transform watershed), which is how two same-coloured overlapping primitives
usually look.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage import measure, morphology, segmentation
from skimage.feature import peak_local_max

from seig_search.perception.colorspace import chromaticity, has_own_colour, median_chromaticity, srgb_to_linear, to_lab
from seig_search.perception.colour_parts import PART_MIN_HUE_GAP, distinct_hues, split_by_colour
from seig_search.perception.concavity import join_slivers, solidity, split_by_concavity
from seig_search.perception.shadow_objects import MIN_PIECE_SHARE, spread
from seig_search.perception.types import Background, Region

SHADOW_PIECE_CHROMA = 0.035  # chromaticity distance to the ground within which a dark piece may be a cast shadow
SHADOW_PIECE_GROUND_SHARE = 0.65  # ... when less of its outline than this borders open ground (set on dev seeds);
# a darker piece of a neighbour's hue is a shadow remnant by the same bound: of the 13 such pieces that were
# most of an object, 8 measured 0.66-0.74 (the rest 0.27-0.64); the other 31 (parts of objects found anyway,
# ground) at most 0.62 (690 scenes of bench_perception.py)
WEDGED_SHADOW_MAX_SPREAD = 1.0  # ... and when its brightness varies less (std over mean, linear): such shadow
# pieces measured 0.46-0.76, the black objects taken for them 1.0-2.1 (450 scenes of bench_perception.py)


def _region(mask: np.ndarray) -> Region:
    rows, cols = np.nonzero(mask)
    return Region(
        mask=mask,
        bbox=(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1),
        area=int(mask.sum()),
        centroid=(float(rows.mean()), float(cols.mean())),
    )


def foreground_mask(srgb: np.ndarray, bg: Background, alpha: np.ndarray | None = None) -> np.ndarray:
    """Boolean HxW mask of object pixels."""
    h, w, _ = srgb.shape
    if alpha is not None:
        fg = alpha > 0.5
    else:
        fg = np.ones((h, w), bool)
        for m in (bg.ground_mask, bg.shadow_mask, bg.world_mask):
            if m is not None:
                fg &= ~m
    min_size = max(10, int(0.001 * h * w))
    if min(h, w) >= 48:
        fg = ndi.binary_opening(fg, structure=morphology.disk(1))
    fg = drop_small(fg, min_size)
    fg = ~drop_small(~fg, max(4, int(0.0005 * h * w)))  # fill pinholes, keep real holes (a torus)
    return fg


def drop_small(mask: np.ndarray, min_size: int) -> np.ndarray:
    """Remove 4-connected components smaller than ``min_size`` pixels."""
    labels, n = ndi.label(mask)
    if n == 0:
        return mask
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_size
    keep[0] = False
    return keep[labels]


def _split_by_shape(comp: np.ndarray, min_size: int) -> list[np.ndarray]:
    """Watershed on the distance transform: splits blobs joined by a narrow neck."""
    dist = ndi.distance_transform_edt(comp)
    if dist.max() < 3:
        return [comp]
    peaks = peak_local_max(dist, min_distance=max(3, int(dist.max() * 0.6)), threshold_abs=dist.max() * 0.5,
                           labels=comp.astype(int), exclude_border=False)
    if len(peaks) < 2:
        return [comp]
    markers = np.zeros(comp.shape, int)
    for i, (r, c) in enumerate(peaks, 1):
        markers[r, c] = i
    labels = segmentation.watershed(-dist, markers, mask=comp)
    parts = [labels == i for i in range(1, len(peaks) + 1)]
    # keep a split only where the neck is clearly narrower than both blobs
    keep = []
    for p in parts:
        if p.sum() < min_size:
            return [comp]
        keep.append(p)
    boundary = segmentation.find_boundaries(labels, mode="inner") & comp
    neck = dist[boundary & (ndi.binary_dilation(labels != labels.max(), iterations=1))].max(initial=0.0)
    radii = [dist[p].max() for p in keep]
    if neck > 0.7 * min(radii):
        return [comp]
    return keep


def _absorb_fragments(parts: list[np.ndarray], srgb: np.ndarray, bg: Background | None) -> list[np.ndarray]:
    """Small dark pieces stuck to a larger region: shadow remnants (dropped) or an object's shaded side (merged)."""
    if len(parts) < 2:
        return parts
    lin3 = srgb_to_linear(srgb)
    lin = lin3.sum(axis=2)
    ground_level, ground_chroma = None, None
    if bg is not None and bg.ground_mask is not None and bg.ground_mask.any():
        ground_level = float(np.median(lin[bg.ground_mask]))
        ground_chroma = chromaticity(np.median(lin3[bg.ground_mask], axis=0))
    parts = sorted(parts, key=lambda p: -int(p.sum()))
    keep = [p.copy() for p in parts]
    alive = [True] * len(keep)
    for i in range(len(keep) - 1, 0, -1):
        small = keep[i]
        ring = ndi.binary_dilation(small, iterations=1) & ~small
        best, best_touch = None, 0
        for j in range(i):
            if alive[j]:
                touch = int((ring & keep[j]).sum())
                if touch > best_touch:
                    best, best_touch = j, touch
        if best is None:
            continue
        large = small.sum() > 0.5 * keep[best].sum()
        level = float(np.median(lin[small]))
        own_chroma = median_chromaticity(lin3, small)
        gap = float("inf") if ground_level is None else float(  # chromaticity distance to the lit ground
            np.linalg.norm(own_chroma - ground_chroma))
        shadow_level = None if ground_level is None or bg.shadow_ratio is None else \
            (bg.shadow_ratio * 2.0 + 0.1) * ground_level  # below this a dark piece may be what is left of a shadow
        if ground_level is not None and 0.7 < level / ground_level < 1.4 and gap < 0.05:
            if not large:
                alive[i] = False  # ground tinted by light bounced off the object next to it
            continue
        # The ground's colour at a shadow's level, wedged against objects (little of its outline on open
        # ground): a cast shadow between or behind objects, even when it is not darker than its neighbour.
        # A grey object standing out into the ground is kept.
        if shadow_level is not None and level < shadow_level and gap < SHADOW_PIECE_CHROMA and \
                _ground_share(small, bg) < SHADOW_PIECE_GROUND_SHARE and \
                not _varied_like_an_object(small, lin):
            alive[i] = False  # however large: a grey object the size of its neighbour would show shading
            continue
        if large:
            continue
        dark = level < 0.5 * float(np.median(lin[keep[best]]))
        if not dark or distinct_hues(lin3, small, keep[best]):
            continue  # a darker object of another colour, not the shaded side of this one
        # Shading scales a colour but keeps its chromaticity, and a cast shadow keeps the ground's: a piece far
        # from both is another object. distinct_hues cannot say so beside a grey neighbour, which has no hue (a
        # dark purple box against a grey one was dropped as a shadow's remnant).
        if ground_level is not None and has_own_colour(own_chroma, ground_chroma,
                                                       median_chromaticity(lin3, keep[best])):
            continue  # a colour of its own: neither the neighbour's shaded side nor a shadow's remnant
        min_size = max(10, int(0.001 * small.size))
        if small.sum() >= 2 * min_size and len(split_by_concavity(small | keep[best], min_size)) > 1:
            continue  # a shaded side makes one convex outline with its object; this is another object
        if shadow_level is not None and level < shadow_level:
            if _ground_share(small, bg) >= SHADOW_PIECE_GROUND_SHARE:
                continue  # standing out into the open ground: a dark object beside this one, not a remnant
            alive[i] = False  # a shadow remnant, stuck between objects
        else:
            keep[best] = keep[best] | small
            alive[i] = False
    return [p for p, a in zip(keep, alive) if a]


def _varied_like_an_object(piece: np.ndarray, lin: np.ndarray) -> bool:
    """Does the brightness ``lin`` vary over ``piece`` as over a black object's faces and metal highlight,
    far more than over a cast shadow? Judged on pieces large enough to measure (as in shadow_objects.py)."""
    return int(piece.sum()) >= MIN_PIECE_SHARE * piece.size and spread(lin[piece]) >= WEDGED_SHADOW_MAX_SPREAD


def _shadow_like(srgb: np.ndarray, bg: Background | None):
    """A predicate: does a region have the ground's chromaticity and a level darker than the lit ground?"""
    if bg is None or bg.ground_mask is None or not bg.ground_mask.any():
        return None
    lin3 = srgb_to_linear(srgb)
    lin = lin3.sum(axis=2)
    ground_level = float(np.median(lin[bg.ground_mask]))
    ground_chroma = chromaticity(np.median(lin3[bg.ground_mask], axis=0))

    def pred(mask: np.ndarray) -> bool:
        level = float(np.median(lin[mask]))
        chroma = median_chromaticity(lin3, mask)
        return level < 0.8 * ground_level and float(np.linalg.norm(chroma - ground_chroma)) < SHADOW_LIKE_CHROMA

    return pred


def _ground_share(mask: np.ndarray, bg: Background) -> float:
    """Share of a region's outline that borders the ground or its shadows (the rest borders objects)."""
    ring = ndi.binary_dilation(mask, iterations=1) & ~mask
    if not ring.any():
        return 1.0
    open_ground = bg.ground_mask | bg.shadow_mask if bg.shadow_mask is not None else bg.ground_mask
    return float((ring & open_ground).sum() / ring.sum())


SHADOW_LIKE_CHROMA = 0.1  # chromaticity distance to the ground of a dark piece that may be a (tinted) shadow


MIN_EDGE_GRADIENT = 6.0  # Lab units per pixel along an object's outline; pools of light fade far slower
SOFT_OBJECT_LEVELS = (0.1, 0.9)  # median brightness, as a share of the lit ground's, at which a region with a
# soft outline is still an object: grey objects whose lit top matches the ground (0.51-0.57 on 530 scenes of
# bench_perception.py); the soft regions dropped were pools of light and lit ground (0.97-3.5) and dark
# pieces of objects found whole elsewhere (0.01-0.03)
DARK_OBJECT_LEVEL = 0.05  # ... and down to this share, a soft-outlined region that is large and convex
DARK_OBJECT_SHARE = 0.018  # of the image's pixels (295 at 128 x 128)
DARK_OBJECT_SOLIDITY = 0.85  # area over convex hull area


def colour_gradient(srgb: np.ndarray) -> np.ndarray:
    lab = to_lab(srgb)
    return np.sqrt(sum(ndi.sobel(lab[..., k], 0) ** 2 + ndi.sobel(lab[..., k], 1) ** 2 for k in range(3))) / 8.0


def outlined_object(mask: np.ndarray, grad: np.ndarray, fg: np.ndarray, lum: np.ndarray,
                    ground_level: float | None) -> bool:
    """Is a region an object by its outline: crisp, or soft where it is clearly darker than the lit ground
    yet not as dark as a shaded face (a smooth grey object whose lit top has the ground's brightness)?
    Pools of lamp light and soft reflections are at least as bright as the ground."""
    if _sharp_outline(mask, grad, fg):
        return True
    if ground_level is None:
        return False
    low, high = SOFT_OBJECT_LEVELS
    level = float(np.median(lum[mask]))
    if low * ground_level < level < high * ground_level:
        return True
    # A dark grey object standing in its own cast shadow meets dark ground on most of its outline, so the
    # outline reads soft and its level falls under ``low``; it is large and convex where dark leftovers of
    # objects found elsewhere are small or ragged.
    return (DARK_OBJECT_LEVEL * ground_level < level <= low * ground_level
            and mask.sum() >= DARK_OBJECT_SHARE * mask.size and solidity(mask) >= DARK_OBJECT_SOLIDITY)


def _sharp_outline(mask: np.ndarray, grad: np.ndarray, fg: np.ndarray) -> bool:
    """Objects have crisp outlines; a pool of lamp light or a soft reflection on the ground does not."""
    edge = mask & ~ndi.binary_erosion(mask)
    h, w = mask.shape
    edge[0, :] = edge[-1, :] = False
    edge[:, 0] = edge[:, -1] = False  # the frame cuts objects without an outline
    if edge.sum() < 4:
        return True
    return float(np.percentile(grad[edge], 75)) >= MIN_EDGE_GRADIENT


def segment_instances(srgb: np.ndarray, fg: np.ndarray, bg: Background | None = None,
                      join_hues: bool = True) -> list[Region]:
    """Object instances from the foreground mask, largest first.

    ``join_hues=False`` keeps touching parts of one hue apart: in a cut-out they are the parts of one object
    (a bulldozer's shovel above its body), which primitives draw better one by one.
    """
    h, w = fg.shape
    min_size = max(10, int(0.001 * h * w))
    comps = measure.label(fg, connectivity=1)
    regions: list[Region] = []
    grad = colour_gradient(srgb)
    lin3 = srgb_to_linear(srgb)
    lum = lin3.sum(axis=2)
    ground_level = None
    if bg is not None and bg.ground_mask is not None and bg.ground_mask.any():
        ground_level = float(np.median(lum[bg.ground_mask]))
    shadow_like = _shadow_like(srgb, bg)

    def distinct(a, b):
        return distinct_hues(lin3, a, b)

    def two_colours(a, b):  # as split_by_colour keeps a part of another hue apart
        return distinct_hues(lin3, a, b, tol=PART_MIN_HUE_GAP)

    for lab_id in range(1, comps.max() + 1):
        comp = comps == lab_id
        if comp.sum() < min_size:
            continue
        pieces = []
        for part in split_by_colour(srgb, comp, min_size, join_hues=join_hues, ground_level=ground_level):
            for sub in _split_by_shape(part, min_size):
                cut = split_by_concavity(sub, min_size, shadow_like, distinct)
                pieces.extend(c for c in cut if c.sum() >= min_size)
        if len(pieces) > 1 and ground_level is not None:
            # a pool of lamp light next to an object (brighter than the ground, no crisp outline) goes before
            # it can swallow the object as its "shaded side"
            pieces = [p for p in pieces if float(np.median(lum[p])) < ground_level or _sharp_outline(p, grad, fg)]
        regions.extend(_region(p) for p in join_slivers(_absorb_fragments(pieces, srgb, bg), two_colours))
    regions = [r for r in regions if outlined_object(r.mask, grad, fg, lum, ground_level)]
    regions.sort(key=lambda r: -r.area)
    return regions

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

from seig_search.perception.colorspace import chromaticity, srgb_to_linear
from seig_search.perception.types import Background, Region


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
    min_size = max(6, int(0.0004 * h * w))
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


def _split_by_colour(srgb: np.ndarray, comp: np.ndarray, min_size: int) -> list[np.ndarray]:
    """Split one connected component where its chromaticity changes."""
    lin = srgb_to_linear(srgb)
    chrom = chromaticity(lin)[comp]
    if chrom.shape[0] < 2 * min_size:
        return [comp]
    # Quantise chromaticity; a colour boundary shows up as separate clusters of coarse bins.
    from scipy.cluster.vq import kmeans2

    best = [comp]
    feats = chrom[:, :2].astype(float)
    if np.ptp(feats, axis=0).max() < 0.08:
        return best
    for k in (2, 3):
        centres, labels = kmeans2(feats, k, seed=0, minit="++")
        dists = np.linalg.norm(centres[:, None] - centres[None], axis=2)[np.triu_indices(k, 1)]
        if dists.min() < 0.08:
            break
        parts = []
        lab_img = np.zeros(comp.shape, int)
        lab_img[comp] = labels + 1
        need = max(3 * min_size, int(0.12 * comp.sum()))
        for j in range(1, k + 1):
            pm = drop_small(ndi.binary_opening(lab_img == j, structure=morphology.disk(1)), need)
            if pm.sum() >= need:
                parts.append(pm)
        if len(parts) == k:
            best = parts
    if len(best) > 1:  # give unassigned pixels (edges, highlights) to the nearest part
        marker = np.zeros(comp.shape, int)
        for i, p in enumerate(best, 1):
            marker[p] = i
        _, idx = ndi.distance_transform_edt(marker == 0, return_indices=True)
        filled = marker[idx[0], idx[1]] * comp
        best = [filled == i for i in range(1, len(best) + 1)]
    return best


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
        if best is None or small.sum() > 0.5 * keep[best].sum():
            continue
        level = float(np.median(lin[small]))
        if ground_level is not None and 0.7 < level / ground_level < 1.4 and np.linalg.norm(
                np.median(chromaticity(lin3[small]), axis=0) - ground_chroma) < 0.05:
            alive[i] = False  # ground tinted by light bounced off the object next to it
            continue
        dark = level < 0.5 * float(np.median(lin[keep[best]]))
        if not dark:
            continue
        if ground_level is not None and bg.shadow_ratio is not None and \
                float(np.median(lin[small])) < (bg.shadow_ratio * 2.0 + 0.1) * ground_level:
            alive[i] = False  # a shadow remnant
        else:
            keep[best] = keep[best] | small
            alive[i] = False
    return [p for p, a in zip(keep, alive) if a]


def segment_instances(srgb: np.ndarray, fg: np.ndarray, bg: Background | None = None) -> list[Region]:
    """Object instances from the foreground mask, largest first."""
    h, w = fg.shape
    min_size = max(6, int(0.0004 * h * w))
    comps = measure.label(fg, connectivity=1)
    regions: list[Region] = []
    for lab_id in range(1, comps.max() + 1):
        comp = comps == lab_id
        if comp.sum() < min_size:
            continue
        pieces = []
        for part in _split_by_colour(srgb, comp, min_size):
            pieces.extend(sub for sub in _split_by_shape(part, min_size) if sub.sum() >= min_size)
        regions.extend(_region(p) for p in _absorb_fragments(pieces, srgb, bg))
    regions.sort(key=lambda r: -r.area)
    return regions

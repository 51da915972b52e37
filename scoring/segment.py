"""Scoring's own image analysis: foreground/background and object regions of an image or an index pass.

The target's segmentation: pixels whose colour stays close to the border's colour, and are connected to the
border, are background; the rest is foreground, split into objects by connectivity. A render's object-index
pass gives its objects directly; an index label that covers a quarter or more of the image border (the ground
plane, a backdrop) counts as background, like the target's border-coloured region.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.color import rgb2lab

_BORDER = 2  # border frame width in pixels used to estimate the background colour
_MIN_DE = 12.0  # minimal CIELAB distance that separates foreground from background
_CHROMA_EDGE = 0.03  # rg-chromaticity change per pixel (after smoothing) that separates two objects
_MIN_PART = 0.02  # a colour part smaller than this share of the foreground is not an object of its own


def border_mask(shape: tuple[int, int], width: int = _BORDER) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    w = max(1, min(width, shape[0] // 2, shape[1] // 2))
    m[:w], m[-w:], m[:, :w], m[:, -w:] = True, True, True, True
    return m


def min_region_px(shape: tuple[int, int]) -> int:
    """Regions smaller than this (0.1 % of the image, at least 4 px) are noise."""
    return max(4, int(0.001 * shape[0] * shape[1]))


def foreground_from_image(srgb: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """Boolean HxW foreground of an sRGB image (from ``alpha`` > 0.5 when the image has one)."""
    if alpha is not None and float(alpha.min()) < 0.5:
        return _clean(alpha > 0.5)
    lab = rgb2lab(srgb)
    frame = border_mask(srgb.shape[:2])
    near = np.zeros(srgb.shape[:2], dtype=bool)
    for centre, thresh in _border_colours(lab[frame]):
        near |= np.linalg.norm(lab - centre, axis=-1) < thresh
    # 3x3 majority vote: drops render noise, keeps straight edges (cheaper than a median of the image)
    near = ndimage.uniform_filter(near.astype(np.float32), size=3, mode="nearest") > 0.5
    labels, _ = ndimage.label(near)
    touching = np.unique(labels[frame & near])
    background = np.isin(labels, touching[touching > 0])
    return _clean(~background)


def _border_colours(border_lab: np.ndarray, k: int = 3) -> list[tuple[np.ndarray, float]]:
    """Up to ``k`` colour clusters of the border (sky and ground, say), each with its own tolerance."""
    from scipy.cluster.vq import kmeans2

    pts = border_lab.astype(np.float64)
    k = min(k, len(np.unique(np.round(pts, 1), axis=0)))
    if k <= 1:
        centres, assign = pts.mean(axis=0, keepdims=True), np.zeros(len(pts), dtype=int)
    else:
        centres, assign = kmeans2(pts, k, seed=0, minit="++")
    out = []
    for c in range(len(centres)):
        members = pts[assign == c]
        if len(members) < max(3, 0.03 * len(pts)):  # a few stray border pixels are not a background colour
            continue
        spread = float(np.percentile(np.linalg.norm(members - centres[c], axis=1), 90))
        out.append((centres[c], max(_MIN_DE, 2.5 * spread)))
    return out


def _clean(fg: np.ndarray) -> np.ndarray:
    fg = ndimage.binary_opening(fg, structure=np.ones((3, 3), bool))  # drops 1-2 px specks, keeps corners
    labels, n = ndimage.label(fg)
    if n == 0:
        return fg
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_region_px(fg.shape)
    keep[0] = False
    return keep[labels]


def objects_from_foreground(fg: np.ndarray, srgb: np.ndarray | None = None) -> np.ndarray:
    """int32 HxW labels 1..N of the foreground's objects (0 = background), largest first.

    With ``srgb`` given, touching objects of different colour are split along strong edges of rg
    chromaticity (r, g over r + g + b), which shading leaves nearly unchanged, so one object's lit and shaded
    faces stay together. Parts under 2 % of the foreground (a decal, a highlight) are not objects: their
    pixels, and the cut pixels, join the nearest part; a foreground region left with no part stays one object.
    """
    if srgb is None or not fg.any():
        return _components(fg)
    smooth = ndimage.gaussian_filter(srgb, sigma=(1.0, 1.0, 0.0))
    rg = smooth[..., :2] / np.maximum(smooth.sum(axis=-1, keepdims=True), 0.05)
    grad = np.hypot(ndimage.sobel(rg, axis=0), ndimage.sobel(rg, axis=1)).sum(axis=-1) / 8.0
    min_part = max(min_region_px(fg.shape), int(_MIN_PART * fg.sum()))
    parts = _components(fg & (grad < _CHROMA_EDGE), min_px=min_part)
    regions = _components(fg)
    if parts.max() > 0:
        _, (ri, ci) = ndimage.distance_transform_edt(parts == 0, return_indices=True)
        filled = parts[ri, ci]
    else:
        filled = np.zeros_like(parts)
    has_part = np.bincount(regions[parts > 0], minlength=regions.max() + 1) > 0
    alone = (regions > 0) & ~has_part[regions]
    out = np.where(regions > 0, filled, 0)
    out = np.where(alone, regions + parts.max(), out)  # regions without a part keep their own label
    return _components_relabel(out)


def _components_relabel(labels: np.ndarray) -> np.ndarray:
    """Relabel 1..N by decreasing area."""
    ids, counts = np.unique(labels[labels > 0], return_counts=True)
    remap = np.zeros(int(labels.max()) + 1, dtype=np.int32)
    remap[ids[np.argsort(-counts, kind="stable")]] = np.arange(1, len(ids) + 1, dtype=np.int32)
    return remap[labels]


def _components(fg: np.ndarray, min_px: int | None = None) -> np.ndarray:
    """Connected regions 1..N by decreasing area; regions under ``min_px`` (default: noise size) dropped."""
    labels, n = ndimage.label(fg)
    if n == 0:
        return labels.astype(np.int32)
    sizes = np.bincount(labels.ravel())[1:]
    order = np.argsort(-sizes, kind="stable")
    rank = np.zeros(n + 1, dtype=np.int32)
    rank[order + 1] = np.arange(1, n + 1, dtype=np.int32)
    rank[1:][sizes < (min_region_px(fg.shape) if min_px is None else min_px)] = 0
    out = rank[labels]
    kept = np.unique(out[out > 0])  # relabel densely after dropping the small ones
    dense = np.zeros(n + 1, dtype=np.int32)
    dense[kept] = np.arange(1, len(kept) + 1, dtype=np.int32)
    return dense[out]


def objects_from_index(index: np.ndarray) -> np.ndarray:
    """Object labels of an index pass with background-like labels (covering >= 25 % of the border) set to 0."""
    idx = np.asarray(index).astype(np.int64, copy=False)
    if idx.size == 0:
        return idx.astype(np.int32)
    frame = border_mask(idx.shape, width=1)
    vals, counts = np.unique(idx[frame], return_counts=True)
    background = vals[(counts >= 0.25 * frame.sum()) & (vals > 0)]
    out = np.where(np.isin(idx, background), 0, idx)
    return out.astype(np.int32)


def label_ids(labels: np.ndarray) -> np.ndarray:
    ids = np.unique(labels)
    return ids[ids > 0]

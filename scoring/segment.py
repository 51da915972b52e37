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
    bg_lab = np.median(lab[frame], axis=0)
    dist = np.linalg.norm(lab - bg_lab, axis=-1)
    # The threshold adapts to how much the border itself varies (shading on a ground plane, noise).
    thresh = max(_MIN_DE, 2.5 * float(np.percentile(dist[frame], 90)))
    near = dist < thresh
    labels, _ = ndimage.label(near)
    touching = np.unique(labels[frame & near])
    background = np.isin(labels, touching[touching > 0])
    return _clean(~background)


def _clean(fg: np.ndarray) -> np.ndarray:
    fg = ndimage.binary_opening(fg, structure=np.ones((3, 3), bool))  # drops 1-2 px specks, keeps corners
    labels, n = ndimage.label(fg)
    if n == 0:
        return fg
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_region_px(fg.shape)
    keep[0] = False
    return keep[labels]


def objects_from_foreground(fg: np.ndarray) -> np.ndarray:
    """int32 HxW labels 1..N of the connected foreground regions (0 = background), largest first."""
    labels, n = ndimage.label(fg)
    if n == 0:
        return labels.astype(np.int32)
    sizes = np.bincount(labels.ravel())[1:]
    order = np.argsort(-sizes, kind="stable")
    remap = np.zeros(n + 1, dtype=np.int32)
    small = sizes < min_region_px(fg.shape)
    remap[order + 1] = np.arange(1, n + 1, dtype=np.int32)
    remap[1:][small] = 0
    out = remap[labels]
    # relabel densely after dropping the small ones
    uniq = np.unique(out[out > 0])
    dense = np.zeros(out.max() + 1, dtype=np.int32)
    dense[uniq] = np.arange(1, len(uniq) + 1, dtype=np.int32)
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

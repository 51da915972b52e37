"""The non-neural terms of the score; each compares one render with the analysed target and lies in [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment
from skimage.feature import canny
from skimage.metrics import structural_similarity

from scoring.images import gray
from scoring.segment import foreground_from_image, objects_from_foreground, objects_from_index


@dataclass(frozen=True)
class TargetView:
    """The target at one resolution with everything the terms need, computed once."""

    srgb: np.ndarray  # HxWx3
    fg: np.ndarray  # HxW bool
    objects: np.ndarray  # HxW int32, 0 = background
    edges: np.ndarray  # HxW bool
    edge_dist: np.ndarray  # HxW float, distance to the nearest target edge
    regions: np.ndarray  # HxW int, 0 = background region, k = target object k
    region_hist: np.ndarray  # (regions, bins**3) colour histograms, rows sum to 1 (or 0 if empty)
    region_share: np.ndarray  # (regions,) area fraction of each region


def edges_of(srgb: np.ndarray, sigma: float) -> np.ndarray:
    return canny(gray(srgb), sigma=sigma)


def color_codes(srgb: np.ndarray, bins: int) -> np.ndarray:
    q = np.minimum((srgb * bins).astype(np.int32), bins - 1)
    return (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]


def region_histograms(codes: np.ndarray, regions: np.ndarray, n_regions: int, bins: int) -> np.ndarray:
    """One normalised colour histogram per region, from one bincount over (region, colour) pairs."""
    k = bins ** 3
    h = np.bincount((regions.astype(np.int64) * k + codes).ravel(), minlength=n_regions * k)
    h = h.reshape(n_regions, k).astype(np.float64)
    s = h.sum(axis=1, keepdims=True)
    return np.divide(h, s, out=np.zeros_like(h), where=s > 0)


def target_foreground(srgb: np.ndarray, alpha: np.ndarray | None, mode: str = "objects") -> np.ndarray:
    """The target's object pixels. ``objects``: the image analysis's object mask, without the ground's cast
    shadows and lamp light (a render's index pass has neither); ``border``: everything unlike the border."""
    if mode == "border" or (alpha is not None and float(alpha.min()) < 0.5) or min(srgb.shape[:2]) < 16:
        return foreground_from_image(srgb, alpha)
    from seig_search.perception.analyse import object_foreground

    return object_foreground(srgb)


def analyse_target(srgb: np.ndarray, alpha: np.ndarray | None, edge_sigma: float, bins: int,
                   foreground: str = "objects", fg: np.ndarray | None = None) -> TargetView:
    """The target's view at this resolution; ``fg`` is its object mask when the caller has it already."""
    if fg is None:
        fg = target_foreground(srgb, alpha, foreground)
    objects = objects_from_foreground(fg, srgb)
    edges = edges_of(srgb, edge_sigma)
    edge_dist = ndimage.distance_transform_edt(~edges) if edges.any() else np.full(edges.shape, np.inf)
    n_regions = int(objects.max()) + 1
    hist = region_histograms(color_codes(srgb, bins), objects, n_regions, bins)
    share = np.bincount(objects.ravel(), minlength=n_regions) / objects.size
    return TargetView(srgb, fg, objects, edges, edge_dist, objects, hist, share)


def render_objects(srgb: np.ndarray, index: np.ndarray | None, foreground: str = "objects") -> np.ndarray:
    """The render's object labels: from its index pass when given, else from the same analysis as the target."""
    if index is not None:
        return objects_from_index(index)
    return objects_from_foreground(target_foreground(srgb, None, foreground), srgb)


def ssim_term(t: TargetView, srgb: np.ndarray) -> float:
    side = min(srgb.shape[:2])
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        return float(1.0 - np.abs(t.srgb - srgb).mean())
    return max(0.0, float(structural_similarity(t.srgb, srgb, channel_axis=2, data_range=1.0, win_size=win)))


def pixel_term(t: TargetView, srgb: np.ndarray) -> float:
    return float(1.0 - np.abs(t.srgb - srgb).mean())


def mask_term(t: TargetView, objects: np.ndarray) -> float:
    """IoU of the foregrounds (1 when both are empty)."""
    fg = objects > 0
    union = np.logical_or(t.fg, fg).sum()
    return 1.0 if union == 0 else float(np.logical_and(t.fg, fg).sum() / union)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IoU between every label of ``a`` and every label of ``b`` (labels > 0), with the label ids."""
    ia, ib = np.unique(a[a > 0]), np.unique(b[b > 0])
    if len(ia) == 0 or len(ib) == 0:
        return np.zeros((len(ia), len(ib))), ia, ib
    ra = np.where(a > 0, np.searchsorted(ia, a) + 1, 0)  # dense ranks 1..len(ia), 0 = background
    rb = np.where(b > 0, np.searchsorted(ib, b) + 1, 0)
    joint = np.bincount((ra.astype(np.int64) * (len(ib) + 1) + rb).ravel(),
                        minlength=(len(ia) + 1) * (len(ib) + 1)).reshape(len(ia) + 1, len(ib) + 1)
    inter = joint[1:, 1:].astype(np.float64)
    area_a, area_b = joint[1:, :].sum(axis=1), joint[:, 1:].sum(axis=0)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0), ia, ib


def objects_term(t: TargetView, objects: np.ndarray) -> float:
    """Mean IoU of target and render objects after a one-to-one matching; extra or missing objects count 0."""
    iou, ia, ib = iou_matrix(t.objects, objects)
    n = max(len(ia), len(ib))
    if n == 0:
        return 1.0
    if iou.size == 0:
        return 0.0
    rows, cols = linear_sum_assignment(iou, maximize=True)
    return float(iou[rows, cols].sum() / n)


def edges_term(t: TargetView, srgb: np.ndarray, sigma: float, tol: int) -> float:
    """F1 of edge pixels that lie within ``tol`` pixels of an edge in the other image."""
    edges = edges_of(srgb, sigma)
    nt, nr = int(t.edges.sum()), int(edges.sum())
    if nt == 0 and nr == 0:
        return 1.0
    if nt == 0 or nr == 0:
        return 0.0
    precision = float((t.edge_dist[edges] <= tol).mean())
    recall = float((ndimage.distance_transform_edt(~edges)[t.edges] <= tol).mean())
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def color_term(t: TargetView, srgb: np.ndarray, bins: int) -> float:
    """Histogram intersection of colours inside each target region, weighted by the region's area."""
    hist = region_histograms(color_codes(srgb, bins), t.regions, len(t.region_share), bins)
    inter = np.minimum(hist, t.region_hist).sum(axis=1)
    return float((inter * t.region_share).sum() / max(t.region_share.sum(), 1e-12))

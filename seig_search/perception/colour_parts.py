"""Colour parts of one foreground blob: SLIC superpixels merged by hue, grey and dark pieces placed.

Hue survives shading, metal reflections and an ambient tint, so superpixels of one hue are one object's; grey,
dark and highlight superpixels carry no hue and join the neighbour they share most border with, unless a
large, shaded grey group is an object of its own.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.colorspace import linear_to_srgb, srgb_to_linear

GREY_MIN_LEVEL = 0.06  # linear r+g+b: below this a superpixel is dark, not grey
GREY_MIN_SHARE = 0.25  # a grey group this share of its blob is an object of its own
GREY_MIN_CV = 0.15  # brightness spread (std / mean over superpixels) of a grey object: faces in light and shade
GREY_MIN_IMAGE_SHARE = 0.006  # ... or a grey group this share of the image, darker than the lit ground, whatever
# its share of a large blob (a grey object beside or behind a coloured one; None: off)
MIN_PART_SHARE = 0.08  # a colour part smaller than this share of its blob joins a neighbour (set on dev seeds)
PART_MIN_IMAGE_SHARE = 0.0015  # ... unless it covers this share of the image and differs clearly in hue,
PART_LIT_IMAGE_SHARE = 0.003  # ... and, below this share, is lit: a small dark part's hue is a metal's reflection
PART_MIN_LEVEL = 0.3  # or a tinted shadow (mean linear r+g+b; where the lower share changed the count in 450
# scenes of bench_perception.py, the small objects measured 0.45-0.64 and the false parts 0.03-0.13)
SUPERPIXEL_PX = 24  # mean SLIC superpixel area; 16 split small objects off but broke more scenes than it fixed
SLIC_COMPACTNESS = 8.0
PART_MIN_HUE_GAP = 25.0  # degrees of sRGB hue between such a part and the neighbour it would join


def split_by_colour(srgb: np.ndarray, comp: np.ndarray, min_size: int, tol: float = 18.0,
                     join_hues: bool = True, ground_level: float | None = None) -> list[np.ndarray]:
    """Split one connected component where its chromaticity changes.

    SLIC superpixels inside the component are merged greedily by chromaticity (shading-invariant), so faces of
    one object in light and shade join while differently coloured neighbours stay apart. Superpixels whose
    chromaticity means little (very dark, or white highlights) join the neighbour they touch most.
    ``ground_level``: the lit ground's linear r+g+b, when known (a large grey group below it is an object).
    """
    area = int(comp.sum())
    if area < 3 * min_size:
        return [comp]
    from skimage.segmentation import slic

    rows, cols = np.nonzero(comp)
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    sub_mask = comp[r0:r1, c0:c1]
    sub = srgb[r0:r1, c0:c1]
    n_seg = int(np.clip(area / SUPERPIXEL_PX, 4, 400))
    labels = slic(sub, n_segments=n_seg, compactness=SLIC_COMPACTNESS, mask=sub_mask, start_label=1, channel_axis=-1,
                  convert2lab=True, enforce_connectivity=True)
    n = int(labels.max())
    if n < 2:
        return [comp]
    lin = srgb_to_linear(sub)
    idx = np.arange(1, n + 1)
    size = ndi.sum(np.ones(labels.shape), labels, idx)
    mean_lin = np.stack([ndi.mean(lin[..., k], labels, idx) for k in range(3)], axis=1)
    hue, sat = hue_sat(linear_to_srgb(mean_lin))  # sRGB hue: perceptually even, separates red from brown
    # Hue survives shading, metal reflections and ambient tint; saturation and brightness do not. Grey,
    # dark or highlight superpixels carry no hue and join a neighbour instead.
    reliable = (sat > 0.3) & (mean_lin.sum(axis=1) > 0.02)
    adj = _adjacency(labels, n)
    parent = list(range(n + 1))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    unit = np.stack([np.cos(np.radians(hue)), np.sin(np.radians(hue))], axis=1)
    cw = {i: (unit[i - 1] * size[i - 1], size[i - 1]) for i in idx if reliable[i - 1]}
    while True:  # greedy average-linkage merge of reliable superpixels by chromaticity
        best = None
        for (a, b) in adj:
            ra, rb = find(a), find(b)
            if ra == rb or ra not in cw or rb not in cw:
                continue
            va, vb = cw[ra][0], cw[rb][0]
            cosang = float(va @ vb / max(np.linalg.norm(va) * np.linalg.norm(vb), 1e-9))
            d = math.degrees(math.acos(min(1.0, max(-1.0, cosang))))
            if d < tol and (best is None or d < best[0]):
                best = (d, ra, rb)
        if best is None:
            break
        _, ra, rb = best
        parent[rb] = ra
        cw[ra] = (cw[ra][0] + cw[rb][0], cw[ra][1] + cw[rb][1])
        del cw[rb]
    # A large connected group of grey superpixels (no hue, yet not dark) is a grey object of its own, not a
    # highlight or shaded side of a coloured neighbour.
    grey = ~reliable & (mean_lin.sum(axis=1) > GREY_MIN_LEVEL)
    for (a, b) in adj:
        if grey[a - 1] and grey[b - 1]:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[rb] = ra
    grey_size: dict[int, float] = {}
    grey_levels: dict[int, list] = {}
    grey_light: dict[int, float] = {}  # level x pixels, for each group's mean level
    bright = mean_lin.sum(axis=1)
    for i in idx:
        if grey[i - 1]:
            grey_size[find(i)] = grey_size.get(find(i), 0.0) + size[i - 1]
            grey_levels.setdefault(find(i), []).append(bright[i - 1])
            grey_light[find(i)] = grey_light.get(find(i), 0.0) + bright[i - 1] * size[i - 1]
    large_grey = set()
    for root, sz in grey_size.items():
        lv = np.array(grey_levels[root])
        shaded = lv.size >= 2 and float(np.std(lv) / max(np.mean(lv), 1e-6)) >= GREY_MIN_CV
        if sz >= max(2 * min_size, GREY_MIN_SHARE * area) and shaded:
            cw[root] = (np.zeros(2), sz)
        elif _large_and_under_ground(sz, grey_light[root] / sz, min_size, comp.size, ground_level):
            cw[root] = (np.zeros(2), sz)
            large_grey.add(root)
    # unreliable superpixels join the reliable cluster they share the longest border with
    for _ in range(3):
        for i in idx:
            if find(i) in cw:
                continue
            touching = [(w, find(j)) for (j, w) in adj.get_neighbours(i) if find(j) in cw]
            if touching:
                parent[find(i)] = max(touching)[1]
    roots = np.array([0] + [find(i) for i in idx])
    merged = roots[labels]
    parts = []
    kept_grey = []
    for root in np.unique(merged[merged > 0]):
        m = np.zeros(comp.shape, bool)
        m[r0:r1, c0:c1] = merged == root
        parts.append(m)
        if int(root) in large_grey:
            kept_grey.append(m)
    if join_hues:
        parts = join_same_hue(parts, srgb_to_linear(srgb), tol)
    if len(parts) < 2:
        return [comp]
    # pieces too small to be an object go to the neighbour they touch most
    need = max(2 * min_size, int(MIN_PART_SHARE * area))
    big = [p for p in parts if p.sum() >= need or any(p is g for g in kept_grey)]
    # A part of a clearly different hue that is large for the image (not only for its blob) is an object
    # peeking out beside or behind a large one, not a tinted patch of it; a small one must be lit to tell.
    need_image = max(2 * min_size, int(PART_MIN_IMAGE_SHARE * comp.size))
    # Repeated until none is added: a part may touch only another such part (two small objects side by side
    # behind a large one).
    lin_full = None
    added = True
    while added and big:
        added = False
        for p in parts:
            if not need_image <= p.sum() < need or any(p is q for q in big):
                continue
            if lin_full is None:
                lin_full = srgb_to_linear(srgb)
            ring = ndi.binary_dilation(p, iterations=1) & ~p
            touch = [int((ring & q).sum()) for q in big]
            nb = big[int(np.argmax(touch))]
            lit = p.sum() >= PART_LIT_IMAGE_SHARE * comp.size or float(lin_full[p].sum(axis=1).mean()) >= PART_MIN_LEVEL
            if max(touch) > 0 and lit and distinct_hues(lin_full, p, nb, tol=PART_MIN_HUE_GAP):
                big.append(p)
                added = True
    if not big:
        return [comp]
    marker = np.zeros(comp.shape, int)
    for i, p in enumerate(big, 1):
        marker[p] = i
    _, near = ndi.distance_transform_edt(marker == 0, return_indices=True)
    filled = marker[near[0], near[1]] * comp
    return [filled == i for i in range(1, len(big) + 1)]


def _large_and_under_ground(px: float, level: float, min_size: int, image_px: int,
                            ground_level: float | None) -> bool:
    """Is a grey group of ``px`` pixels at mean ``level`` a grey object whatever its share of the blob? Lit
    ground is the brightest grey a scene shows and is not foreground, so a large group under it, among coloured
    parts, is an object beside or behind them."""
    if GREY_MIN_IMAGE_SHARE is None or ground_level is None:
        return False
    return px >= max(2 * min_size, GREY_MIN_IMAGE_SHARE * image_px) and level < ground_level


def join_same_hue(parts: list[np.ndarray], lin3: np.ndarray, tol: float) -> list[np.ndarray]:
    """Touching colour parts of one hue are one colour: a highlight or a dark band between them kept their
    superpixels apart, not another object (two touching objects of one colour merge here anyway)."""
    parts = list(parts)
    while len(parts) > 1:
        means = np.stack([lin3[p].mean(axis=0) for p in parts])
        hue, sat = hue_sat(linear_to_srgb(means))
        pair = None
        for i in range(len(parts)):
            if sat[i] <= 0.3:
                continue
            ring = ndi.binary_dilation(parts[i], iterations=1) & ~parts[i]
            for j in range(i + 1, len(parts)):
                d = abs(float(hue[i] - hue[j])) % 360.0
                if sat[j] > 0.3 and min(d, 360.0 - d) < tol and (ring & parts[j]).any():
                    pair = (i, j)
                    break
            if pair:
                break
        if pair is None:
            break
        i, j = pair
        parts[i] = parts[i] | parts[j]
        del parts[j]
    return parts


def hue_sat(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HSV hue (degrees) and saturation of linear RGB rows."""
    from skimage.color import rgb2hsv

    hsv = rgb2hsv(np.clip(rgb / np.maximum(rgb.max(axis=1, keepdims=True), 1e-6), 0, 1)[None])[0]
    return hsv[:, 0] * 360.0, hsv[:, 1]


class _Adjacency(dict):
    """Border lengths between superpixel labels: {(a, b): length} with a < b."""

    def get_neighbours(self, i):
        return [((b if a == i else a), w) for (a, b), w in self.items() if i in (a, b)]


def _adjacency(labels: np.ndarray, n: int) -> _Adjacency:
    adj = _Adjacency()
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])):
        sel = (a != b) & (a > 0) & (b > 0)
        pa, pb = np.minimum(a[sel], b[sel]), np.maximum(a[sel], b[sel])
        keys, counts = np.unique(pa.astype(np.int64) * (n + 1) + pb, return_counts=True)
        for k, c in zip(keys.tolist(), counts.tolist()):
            key = (k // (n + 1), k % (n + 1))
            adj[key] = adj.get(key, 0) + c
    return adj

def distinct_hues(lin3: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float = 40.0) -> bool:
    """Both regions clearly coloured (saturated) and of different hues."""
    means = np.stack([lin3[a].mean(axis=0), lin3[b].mean(axis=0)])
    hue, sat = hue_sat(linear_to_srgb(means))
    if sat.min() <= 0.3:
        return False
    d = abs(float(hue[0] - hue[1])) % 360.0
    return min(d, 360.0 - d) > tol

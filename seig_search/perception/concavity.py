"""Regions from the convexity of outlines: every primitive but the torus shows a convex outline.

Two of them overlapping show an outline with two notches where their outlines cross, and a straight cut
between the notches separates them; a thin non-convex piece that closes a neighbour's convex outline is part
of that neighbour.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import ndimage as ndi

CONCAVITY_MIN_DEPTH = 0.15  # depth of an outline's notch, over the region's equivalent radius, to cut there
CUT_MIN_AREA = 20  # regions under this many times the minimum object size are not cut
CUT_MIN_PART_SHARE = 0.12  # each side of a cut keeps at least this share of the region
CUT_MIN_SOLIDITY_GAIN = 0.015  # both sides must be this much more convex than the whole
CUT_MIN_PART_SOLIDITY = 0.85  # and each side at least this convex
SLIVER_MIN_SOLIDITY = 0.85  # a small side of another colour needs only this convexity
SLIVER_MAX_SOLIDITY = 0.7  # a piece less convex than this is no object's whole outline ...
SLIVER_MIN_UNION_SOLIDITY = 0.9  # ... and joins a neighbour when together they are this convex
SLIVER_MAX_SHARE = 0.5  # ... and it is at most this share of that neighbour (set on development seeds)


def solidity(mask: np.ndarray) -> float:
    from skimage.morphology import convex_hull_image

    return float(mask.sum() / max(convex_hull_image(mask).sum(), 1))


def split_by_concavity(comp: np.ndarray, min_size: int, shadow_like=None, distinct=None) -> list[np.ndarray]:
    """Cut a region between two deep notches of its outline: two overlapping convex objects of one colour.

    Every primitive but the torus shows a convex outline, so two of them overlapping show an outline with two
    notches where their outlines cross. The region is cut along the straight line between the two deepest
    notches when both sides come out clearly more convex than the whole. ``shadow_like(mask)`` vetoes cuts
    that leave a piece looking like a cast shadow (an object's shadow stuck to it also makes notches). A side
    under ``CUT_MIN_PART_SHARE`` of the region is kept only when ``distinct(side, rest)`` (another colour).
    """
    from skimage.draw import line
    from skimage.morphology import convex_hull_image

    area = int(comp.sum())
    if area < CUT_MIN_AREA * min_size:  # a small region's pixel outline is too ragged to show notches
        return [comp]
    rows, cols = np.nonzero(comp)
    r0, c0 = max(rows.min() - 2, 0), max(cols.min() - 2, 0)
    sub = comp[r0:rows.max() + 3, c0:cols.max() + 3]
    hull = convex_hull_image(sub)
    solid = area / max(int(hull.sum()), 1)
    if solid > 0.96:
        return [comp]
    radius = math.sqrt(area / math.pi)
    depth = ndi.distance_transform_edt(hull)  # distance to the hull's edge
    notch = hull & ~sub
    labels, n = ndi.label(notch)
    cands = []
    for k in range(1, n + 1):
        m = labels == k
        d = np.where(m, depth, 0.0)
        p = np.unravel_index(int(np.argmax(d)), d.shape)
        if d[p] >= max(2.0, CONCAVITY_MIN_DEPTH * radius):
            cands.append((float(d[p]), p))
    if len(cands) < 2:
        return [comp]
    cands = sorted(cands, reverse=True)[:4]
    best = None
    for i in range(len(cands)):
        for j in range(i + 1, len(cands)):
            (_, p), (_, q) = cands[i], cands[j]
            rr, cc = line(int(p[0]), int(p[1]), int(q[0]), int(q[1]))
            cut = np.zeros(sub.shape, bool)
            cut[rr, cc] = True
            cut = ndi.binary_dilation(cut, structure=np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool))
            lab2, m2 = ndi.label(sub & ~cut)
            if m2 < 2:
                continue
            sizes = np.bincount(lab2.ravel())[1:]
            order = np.argsort(-sizes)[:2]
            if sizes[order[1]] < 2 * min_size:
                continue
            parts = [lab2 == order[0] + 1, lab2 == order[1] + 1]
            small = sizes[order[1]] < CUT_MIN_PART_SHARE * area
            if small and (distinct is None or not distinct(
                    _paste(parts[1], comp.shape, r0, c0), _paste(parts[0], comp.shape, r0, c0))):
                continue
            sols = [solidity(pp) for pp in parts]
            sol = min(sols)
            # a small sliver's pixel outline is ragged: for a clearly different colour, the larger side
            # becoming more convex is enough
            # each side must look like one primitive's outline: convex
            need = [max(solid + CUT_MIN_SOLIDITY_GAIN, CUT_MIN_PART_SOLIDITY),
                    SLIVER_MIN_SOLIDITY if small else max(solid + CUT_MIN_SOLIDITY_GAIN, CUT_MIN_PART_SOLIDITY)]
            if sols[0] < need[0] or sols[1] < need[1]:
                continue
            if _top_face(parts[0], parts[1]):
                continue
            if shadow_like is not None and any(shadow_like(_paste(pp, comp.shape, r0, c0)) for pp in parts):
                continue
            if best is None or sol > best[0]:
                best = (sol, parts)
    if best is None:
        return [comp]
    marker = np.zeros(sub.shape, int)
    marker[best[1][0]] = 1
    marker[best[1][1]] = 2
    _, near = ndi.distance_transform_edt(marker == 0, return_indices=True)
    filled = marker[near[0], near[1]] * sub
    out = []
    for i in (1, 2):
        m = np.zeros(comp.shape, bool)
        m[r0:r0 + sub.shape[0], c0:c0 + sub.shape[1]] = filled == i
        out.append(m)
    return out


TOP_FACE_MAX_OFFSET = 0.1  # share of the narrower side's width its left and right ends may differ by


def _top_face(a: np.ndarray, b: np.ndarray) -> bool:
    """One side sits on top of the other and spans the same columns: a cylinder's or a box's top face.

    Two objects overlapping rarely line up on both sides, while an upright object's top is exactly as wide
    as the side below it.
    """
    ca, cb = np.nonzero(a.any(axis=0))[0], np.nonzero(b.any(axis=0))[0]
    ra, rb = np.nonzero(a.any(axis=1))[0], np.nonzero(b.any(axis=1))[0]
    upper, lower = ((ra, ca), (rb, cb)) if ra.mean() < rb.mean() else ((rb, cb), (ra, ca))
    if upper[0].mean() >= lower[0].min():  # side by side, not one above the other
        return False
    tol = max(2.0, TOP_FACE_MAX_OFFSET * min(ca[-1] - ca[0], cb[-1] - cb[0]))
    return abs(int(ca[0]) - int(cb[0])) <= tol and abs(int(ca[-1]) - int(cb[-1])) <= tol


def join_slivers(parts: list[np.ndarray],
                 two_colours: Callable[[np.ndarray, np.ndarray], bool] | None = None) -> list[np.ndarray]:
    """A small, non-convex piece that makes one convex outline with its neighbour is part of it.

    Every primitive but the torus shows a convex outline; a thin crescent cut off by colour (a metal's dark
    rim reflecting its own shadow, a shaded edge) is not an object when it closes its neighbour's outline.
    ``two_colours(a, b)``: are the pieces clearly of two colours? Then the piece is the visible part of an
    object behind, which closes the outline of the one in front just as well, and stays apart.
    """
    parts = sorted(parts, key=lambda p: -int(p.sum()))
    changed = True
    while changed and len(parts) > 1:
        changed = False
        for i in range(len(parts) - 1, 0, -1):
            small = parts[i]
            if solidity(small) >= SLIVER_MAX_SOLIDITY:
                continue
            ring = ndi.binary_dilation(small, iterations=1) & ~small
            touch = [int((ring & parts[j]).sum()) for j in range(i)]
            j = int(np.argmax(touch))
            if touch[j] == 0 or small.sum() > SLIVER_MAX_SHARE * parts[j].sum():
                continue
            if two_colours is not None and two_colours(small, parts[j]):
                continue
            if solidity(small | parts[j]) >= SLIVER_MIN_UNION_SOLIDITY:
                parts[j] = parts[j] | small
                del parts[i]
                changed = True
                break
    return parts


def _paste(sub: np.ndarray, shape, r0: int, c0: int) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[r0:r0 + sub.shape[0], c0:c0 + sub.shape[1]] = sub
    return m

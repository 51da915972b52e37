"""Which way cast shadows fall in the image, and whether a dark piece lies on an object's shadow side.

A cast shadow lies on the side of its object away from the key light. The clean shadows (those the
background analysis already found next to objects) give that side as an image direction; a dark,
ground-coloured piece that sits on the shadow side of the object it touches is read as its shadow (a lighter
shadow of a fill light, or the part of a key shadow the shadow mask missed), while a dark piece with no
object on its light-facing side is an object.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

MIN_SHADOW_PIXELS = 6  # a clean shadow smaller than this next to an object says nothing about the direction
MIN_AGREEMENT = 0.5  # length of the mean of the unit vectors: below this the shadows disagree (several lights)


def image_shadow_direction(shadow: np.ndarray | None, fg: np.ndarray) -> tuple[float, float] | None:
    """Unit (drow, dcol) from objects towards their cast shadows, or None when no clear direction is seen."""
    if shadow is None or not shadow.any() or not fg.any():
        return None
    labels, n = ndi.label(fg)
    vecs, weights = [], []
    for i in range(1, n + 1):
        obj = labels == i
        size = int(obj.sum())
        near = ndi.binary_dilation(obj, iterations=max(2, int(0.5 * math.sqrt(size))))
        sh = shadow & near
        if sh.sum() < MIN_SHADOW_PIXELS:
            continue
        orows, ocols = np.nonzero(obj)
        srows, scols = np.nonzero(sh)
        v = np.array([srows.mean() - orows.mean(), scols.mean() - ocols.mean()])
        norm = float(np.linalg.norm(v))
        if norm < 1e-6:
            continue
        vecs.append(v / norm)
        weights.append(float(sh.sum()))
    if not vecs:
        return None
    m = np.average(np.array(vecs), axis=0, weights=np.array(weights))
    if float(np.linalg.norm(m)) < MIN_AGREEMENT:
        return None
    m = m / np.linalg.norm(m)
    return float(m[0]), float(m[1])


def on_shadow_side(piece: np.ndarray, obj: np.ndarray, direction: tuple[float, float] | None,
                   min_cos: float = 0.5) -> bool:
    """Does ``piece`` lie beyond ``obj`` along the shadow direction (within ``acos(min_cos)``)?"""
    if direction is None or not piece.any() or not obj.any():
        return False
    prows, pcols = np.nonzero(piece)
    orows, ocols = np.nonzero(obj)
    v = np.array([prows.mean() - orows.mean(), pcols.mean() - ocols.mean()])
    norm = float(np.linalg.norm(v))
    if norm < 1e-6:
        return False
    return float(v @ np.asarray(direction)) / norm >= min_cos

"""Shading inside a region: does the object's side show flat faces meeting at an edge, or a smooth curve?

A box's side shows one or two flat faces: across the side, brightness is near-constant on each face and
jumps where they meet. A cylinder's side turns away from the light gradually: brightness varies smoothly
across it. Outlines of the two are often nearly the same at small sizes, so the shading settles near-ties.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.types import Region

MIN_COLUMNS = 6


def side_profile(srgb: np.ndarray, region: Region) -> np.ndarray | None:
    """Median luminance per column over the side band (rows 45-95% down the region), eroded off the outline."""
    mask = ndi.binary_erosion(region.mask, iterations=1)
    rows = np.nonzero(mask.any(axis=1))[0]
    if len(rows) < 5:
        return None
    top, bottom = rows.min(), rows.max() + 1
    r0, r1 = top + int(round(0.45 * (bottom - top))), top + int(round(0.95 * (bottom - top)))
    band = mask[r0:r1]
    lum = (srgb[r0:r1] @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32))
    counts = band.sum(axis=0)
    cols = np.nonzero(counts >= max(1, 0.5 * counts.max()))[0] if counts.max() > 0 else np.zeros(0, int)
    if len(cols) < MIN_COLUMNS:
        return None
    cols = np.arange(cols.min(), cols.max() + 1)
    prof = np.array([np.median(lum[band[:, c], c]) if band[:, c].any() else np.nan for c in cols])
    if np.isnan(prof).any():
        ok = ~np.isnan(prof)
        prof = np.interp(np.arange(len(prof)), np.nonzero(ok)[0], prof[ok])
    return prof


def faceted_score(srgb: np.ndarray, region: Region) -> float:
    """log(smooth-fit residual / step-fit residual) of the side's brightness profile: > 0 faceted, < 0 curved.

    0 when the side is too narrow to tell or is uniform (a box seen face-on looks like neither).
    """
    prof = side_profile(srgb, region)
    if prof is None:
        return 0.0
    n = len(prof)
    x = np.linspace(-1.0, 1.0, n)
    smooth = np.polyval(np.polyfit(x, prof, 2), x)
    r_smooth = float(((prof - smooth) ** 2).sum())
    r_step = math.inf
    for k in range(2, n - 1):
        a, b = prof[:k], prof[k:]
        r = float(((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum())
        r_step = min(r_step, r)
    eps = n * (0.003 * max(float(prof.mean()), 1e-3)) ** 2  # noise floor (0.3% of the level): a uniform side tells nothing
    return math.log((r_smooth + eps) / (r_step + eps))

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


def faceted_score(srgb: np.ndarray, region: Region, min_columns: int = 0) -> float:
    """log(smooth-fit residual / step-fit residual) of the side's brightness profile: > 0 faceted, < 0 curved.

    0 when the side is too narrow to tell (or narrower than ``min_columns``) or is uniform (a box seen face-on
    looks like neither).
    """
    prof = side_profile(srgb, region)
    if prof is None or len(prof) < min_columns:
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


def surface_normals(cam, fit, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World normals where the rays through pixels (rows, cols) first meet a fitted primitive, and which rays hit.

    Boxes, spheres, cylinders and cones are intersected exactly (in the primitive's own frame, where it fills the
    box [-0.5, 0.5]^2 x [0, 1]); other shapes hit nothing.
    """
    d = cam.rays(np.asarray(rows, dtype=float) + 0.5, np.asarray(cols, dtype=float) + 0.5)
    n = len(d)
    c, s = math.cos(math.radians(fit.yaw_deg)), math.sin(math.radians(fit.yaw_deg))
    rot = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # local -> world as in fit.silhouette: p @ rot
    sc = np.array([fit.width, fit.width, fit.height], dtype=float)
    o = ((cam.location - np.array([fit.x, fit.y, 0.0])) @ rot.T) / sc
    dl = (d @ rot.T) / sc
    ol = np.broadcast_to(o, dl.shape)
    nl = np.zeros((n, 3))
    hit = np.zeros(n, bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if fit.shape == "cube":
            t1 = (np.array([-0.5, -0.5, 0.0]) - ol) / dl
            t2 = (np.array([0.5, 0.5, 1.0]) - ol) / dl
            tmin = np.nan_to_num(np.minimum(t1, t2), nan=-np.inf)
            tmax = np.nan_to_num(np.maximum(t1, t2), nan=np.inf)
            t_in, t_out = tmin.max(axis=1), tmax.min(axis=1)
            hit = (t_in <= t_out) & (t_out > 0)
            ax = tmin.argmax(axis=1)
            nl[np.arange(n), ax] = -np.sign(dl[np.arange(n), ax])
        elif fit.shape == "sphere":
            cc = ol - np.array([0.0, 0.0, 0.5])
            a = (dl * dl).sum(1)
            b = 2.0 * (cc * dl).sum(1)
            disc = b * b - 4.0 * a * ((cc * cc).sum(1) - 0.25)
            hit = disc > 0
            t = (-b - np.sqrt(np.maximum(disc, 0.0))) / (2.0 * a)
            nl = cc + t[:, None] * dl
        elif fit.shape in ("cylinder", "cone"):
            best = np.full(n, np.inf)
            if fit.shape == "cylinder":
                t = (1.0 - ol[:, 2]) / dl[:, 2]
                p = ol + t[:, None] * dl
                top = (t > 0) & (p[:, 0] ** 2 + p[:, 1] ** 2 <= 0.25)
                best[top] = t[top]
                nl[top] = (0.0, 0.0, 1.0)
                a = dl[:, 0] ** 2 + dl[:, 1] ** 2
                b = 2.0 * (ol[:, 0] * dl[:, 0] + ol[:, 1] * dl[:, 1])
                q = ol[:, 0] ** 2 + ol[:, 1] ** 2 - 0.25
            else:  # x^2 + y^2 = (0.5 (1 - z))^2
                a = dl[:, 0] ** 2 + dl[:, 1] ** 2 - 0.25 * dl[:, 2] ** 2
                b = 2.0 * (ol[:, 0] * dl[:, 0] + ol[:, 1] * dl[:, 1]) + 0.5 * (1.0 - ol[:, 2]) * dl[:, 2]
                q = ol[:, 0] ** 2 + ol[:, 1] ** 2 - 0.25 * (1.0 - ol[:, 2]) ** 2
            disc = b * b - 4.0 * a * q
            for sign in (-1.0, 1.0):
                t = (-b + sign * np.sqrt(np.maximum(disc, 0.0))) / (2.0 * a)
                p = ol + t[:, None] * dl
                ok = (disc > 0) & (t > 0) & (p[:, 2] >= 0.0) & (p[:, 2] <= 1.0) & (t < best)
                side = np.c_[p[:, 0], p[:, 1], np.zeros(n) if fit.shape == "cylinder" else 0.25 * (1.0 - p[:, 2])]
                nl[ok] = side[ok]
                best[ok] = t[ok]
            hit = np.isfinite(best)
    nw = (nl / sc) @ rot  # normals transform with the inverse transpose of the scaling
    nw /= np.maximum(np.linalg.norm(nw, axis=1, keepdims=True), 1e-12)
    return nw, hit


def top_face_mask(cam, fit, mask: np.ndarray, erode: int = 1) -> np.ndarray:
    """Pixels of ``mask`` that show the fitted primitive's upward-facing top (a box's or cylinder's top face)."""
    inner = ndi.binary_erosion(mask, iterations=1)
    rows, cols = np.nonzero(inner)
    out = np.zeros_like(mask)
    if not len(rows):
        return out
    normals, hit = surface_normals(cam, fit, rows, cols)
    up = hit & (normals[:, 2] > 0.9)
    out[rows[up], cols[up]] = True
    return ndi.binary_erosion(out, iterations=erode) if erode else out


def top_spread(srgb: np.ndarray, top: np.ndarray, min_pixels: int = 6) -> float | None:
    """(p90 - p10) / median of the linear brightness over a flat top face; None when too few pixels show it.

    A flat, diffuse top under a distant light is uniform; a glossy one shows the key light's reflection
    sweeping across it.
    """
    if top.sum() < min_pixels:
        return None
    from seig_search.perception.colorspace import luminance, srgb_to_linear

    lum = luminance(srgb_to_linear(srgb[top]))
    p10, p50, p90 = np.percentile(lum, [10, 50, 90])
    return float((p90 - p10) / max(p50, 1e-4))


def _sh9(n: np.ndarray) -> np.ndarray:
    x, y, z = n[:, 0], n[:, 1], n[:, 2]
    return np.stack([np.ones_like(x), x, y, z, x * y, x * z, y * z, x * x - y * y, 3 * z * z - 1], axis=1)


def normal_shading_residual(srgb: np.ndarray, cam, fit, mask: np.ndarray, erode: int = 1) -> float | None:
    """RMS residual of the region's log brightness explained as a smooth function (9 spherical-harmonic terms) of
    the fitted primitive's surface normal, the worst 15 % (highlights, misplaced edges) left out; None when too
    few pixels hit the primitive.

    Under distant light a diffuse surface's brightness depends on its normal only (a mirror's too, nearly, for
    a small object), so the right shape's normals explain the pixels: smoothly turning on a sphere, constant per
    face on a box.
    """
    from seig_search.perception.colorspace import luminance, srgb_to_linear

    inner = ndi.binary_erosion(mask, iterations=erode) if erode else mask
    rows, cols = np.nonzero(inner)
    if len(rows) < 12:
        return None
    normals, hit = surface_normals(cam, fit, rows, cols)
    if hit.sum() < 12:
        return None
    lum = np.log(np.maximum(luminance(srgb_to_linear(srgb[rows[hit], cols[hit]])), 1e-3))
    a = _sh9(normals[hit])
    keep = np.ones(len(lum), bool)
    for _ in range(2):  # drop the brightest misfits (specular highlights) and refit
        coef, *_ = np.linalg.lstsq(a[keep], lum[keep], rcond=None)
        res = np.abs(lum - a @ coef)
        keep = res <= np.quantile(res, 0.85)
    return float(np.sqrt(np.mean(res[keep] ** 2)))

"""Material cues per region: albedo corrected for shading, roughness and metallic from highlights.

Pixel model (measured with Cycles): linear value = albedo * (sun * cos / pi + ambient) plus a specular lobe.
Dividing an object's lit diffuse value by the irradiance the ground receives gives its albedo relative to the
ground's; specular highlights (bright, low-saturation peaks) and mirror-like contrast reveal the BSDF.
"""

from __future__ import annotations

import math

import numpy as np

from seig_search.perception.colorspace import luminance, srgb_to_linear
from seig_search.perception.types import Appearance, Region


def region_stats(lin: np.ndarray, region: Region) -> dict[str, float]:
    """Shading statistics of one region (linear RGB)."""
    px = lin[region.mask]
    lum = luminance(px)
    mx = px.max(axis=1)
    mn = px.min(axis=1)
    sat = np.where(mx > 1e-4, (mx - mn) / np.maximum(mx, 1e-4), 0.0)
    med = float(np.median(lum)) + 1e-4
    p95 = float(np.percentile(lum, 95))
    highlight = (lum > max(4.0 * med, 0.2)) & (sat < 0.35)
    return {
        "median_lum": med,
        "p95_over_median": p95 / med,
        "highlight_frac": float(highlight.mean()),
        "lum_cv": float(lum.std() / med),
        "dark_frac": float((lum < 0.25 * med).mean()),
        "saturation": float(np.median(sat)),
    }


DIFFUSE_LO, DIFFUSE_HI = 55, 90  # brightness percentiles taken as the diffuse colour (below highlights)
METAL_TINT_GAIN = 0.5  # reflected-ground brightness -> base colour
METAL_SCORE_THRESHOLD = 2.2  # log(contrast) - log(darkest tenth / ground), set on development scenes


def estimate_appearance(srgb: np.ndarray, region: Region, irradiance: float = 1.0,
                        ground_lin: np.ndarray | None = None) -> Appearance:
    """Albedo (linear), roughness and metallic for one region.

    ``irradiance`` is what a lit, upward-facing surface receives (sun * cos / pi + ambient, in pixel units),
    so a diffuse albedo = lit diffuse value / irradiance. ``ground_lin`` is the lit ground's linear colour:
    a metal mirrors its surroundings, so its base colour is what tints the reflected ground.
    """
    lin = srgb_to_linear(srgb)
    px = lin[region.mask]
    lum = luminance(px)
    stats = region_stats(lin, region)
    metallic = 1.0 if _looks_metallic(stats, lum, ground_lin) else 0.0
    if metallic and ground_lin is not None:
        lo, hi = np.percentile(lum, [75, 95])
        sel = (lum >= lo) & (lum <= hi)
        bright = np.median(px[sel], axis=0) if sel.any() else np.median(px, axis=0)
        albedo = np.clip(bright / np.maximum(ground_lin, 1e-4) * METAL_TINT_GAIN, 0.0, 1.0)
        roughness = 0.25
    else:
        # Lit diffuse colour: the upper-middle of the brightness distribution, below specular highlights.
        lo, hi = np.percentile(lum, [DIFFUSE_LO, DIFFUSE_HI])
        sel = (lum >= lo) & (lum <= hi)
        diffuse = np.median(px[sel], axis=0) if sel.any() else np.median(px, axis=0)
        albedo = np.clip(diffuse / max(irradiance, 1e-4), 0.0, 1.0)
        roughness = 0.35 if stats["highlight_frac"] > 0.02 else 0.85
    return Appearance(color=tuple(float(v) for v in albedo), roughness=roughness, metallic=metallic)  # type: ignore[arg-type]


def metal_score(stats: dict[str, float], lum: np.ndarray, ground_lin: np.ndarray | None) -> float:
    """Mirror-likeness: strong brightness spread, and parts far darker than the ground (reflected sky)."""
    ground = float(luminance(np.asarray(ground_lin))) if ground_lin is not None else float(np.median(lum))
    dark = max(float(np.percentile(lum, 10)) / max(ground, 1e-4), 1e-3)
    return math.log(max(stats["lum_cv"], 1e-3)) - math.log(dark)


def _looks_metallic(stats: dict[str, float], lum: np.ndarray, ground_lin: np.ndarray | None) -> bool:
    return metal_score(stats, lum, ground_lin) > METAL_SCORE_THRESHOLD

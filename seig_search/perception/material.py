"""Material cues per region: albedo corrected for shading, roughness and metallic from highlights.

Pixel model (measured with Cycles): linear value = albedo * (sun * cos / pi + ambient) plus a specular lobe.
Dividing an object's lit diffuse value by the irradiance the ground receives gives its albedo relative to the
ground's; specular highlights (bright, low-saturation peaks) and mirror-like contrast reveal the BSDF.
"""

from __future__ import annotations

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


def estimate_appearance(srgb: np.ndarray, region: Region, irradiance: float = 1.0) -> Appearance:
    """Albedo (linear), roughness and metallic for one region.

    ``irradiance`` is what a lit, upward-facing surface receives (sun * cos / pi + ambient, in pixel units),
    so albedo = lit diffuse value / irradiance.
    """
    lin = srgb_to_linear(srgb)
    px = lin[region.mask]
    lum = luminance(px)
    stats = region_stats(lin, region)
    # Lit diffuse colour: the upper-middle of the brightness distribution, below specular highlights.
    lo, hi = np.percentile(lum, [55, 90])
    sel = (lum >= lo) & (lum <= hi)
    diffuse = np.median(px[sel], axis=0) if sel.any() else np.median(px, axis=0)
    metallic = 1.0 if _looks_metallic(stats) else 0.0
    # A metal shows its base colour in tinted reflections of a bright surround: ~the same correction applies.
    albedo = np.clip(diffuse / max(irradiance, 1e-4), 0.0, 1.0)
    roughness = 0.25 if metallic else (0.35 if stats["highlight_frac"] > 0.01 else 0.7)
    return Appearance(color=tuple(float(v) for v in albedo), roughness=roughness, metallic=metallic)  # type: ignore[arg-type]


def _looks_metallic(stats: dict[str, float]) -> bool:
    """Mirror-like regions: strong brightness spread with dark reflections of the world."""
    return stats["lum_cv"] > 0.9 and stats["dark_frac"] > 0.15

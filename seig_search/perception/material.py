"""Material cues per region: albedo corrected for shading, roughness and metallic from highlights.

Pixel model (measured with Cycles): linear value = albedo * (sun * cos / pi + ambient) plus a specular lobe.
A surface facing up receives what the ground receives, so a diffuse object's albedo is the colour of its
upward-facing top (a cube's or cylinder's top face, a sphere's crown) over the ground's irradiance. A metal
is a tinted mirror: its lower parts reflect the lit ground, so its base colour is that reflection over the
ground's own colour (no light scale needed); its top mirrors the sky, which indoors or under a dark world is
far darker than the ground. A diffuse top is lit by the key light and is the brightest part instead.
"""

from __future__ import annotations

import math

import numpy as np

from seig_search.perception.colorspace import luminance, srgb_to_linear
from seig_search.perception.tint import own_colour_region
from seig_search.perception.types import Appearance, Region

TRIM_SHADOW = True  # read the object without a ground-coloured cast shadow left in its region (tint.py)


def region_stats(lin: np.ndarray, region: Region, irradiance: float | None = None) -> dict[str, float]:
    """Shading statistics of one region (linear RGB).

    A highlight is a pale pixel brighter than any diffuse surface under ``irradiance`` could be (a white
    top receives about the irradiance; a clipped pixel counts too): a dark object's outline mixed with the
    lit ground is pale and well above the object's median, but not that bright.
    """
    px = lin[region.mask]
    lum = luminance(px)
    mx = px.max(axis=1)
    mn = px.min(axis=1)
    sat = np.where(mx > 1e-4, (mx - mn) / np.maximum(mx, 1e-4), 0.0)
    med = float(np.median(lum)) + 1e-4
    p5, p95 = (float(v) for v in np.percentile(lum, [5, 95]))
    highlight = (lum > max(4.0 * med, 0.2)) & (sat < 0.35)
    if irradiance is not None:
        highlight &= lum >= min(HIGHLIGHT_OVER_IRRADIANCE * irradiance, 0.95)
    top, low = _bands(region)
    top_lum = float(np.median(lum[top])) + 1e-4
    low_lum = float(np.median(lum[low])) + 1e-4
    return {
        "median_lum": med,
        "highlight_frac": float(highlight.mean()),
        "spread_95_5": (p95 - p5) / med,
        "saturation": float(np.median(sat)),
        "top_over_low": top_lum / low_lum,
    }


HIGHLIGHT_OVER_IRRADIANCE = 0.9  # a highlight is brighter than a near-white diffuse top
TOP_BAND = 0.25  # upper share of a region's height taken as its upward-facing top
LOW_BAND = 0.5  # lower share taken as the part that, on a mirror, reflects the ground
# Metal score = log(brightness spread) - TOP_WEIGHT * log(top / lower brightness); set on development scenes.
# The spread is (p95 - p5) / median, not std / median: a dark diffuse object's outline keeps a few pixels mixed
# with the pale ground, which inflate the standard deviation (big dark rubber boxes read as metal) but not the
# 5-95 percentile range, where a mirror's spread is spread over its whole surface (development: material right
# 330 -> 333 of 354 with the threshold 0.6; 0.5-0.65 all helped both sets).
TOP_WEIGHT = 0.8
METAL_SCORE_THRESHOLD = 0.6


def _bands(region: Region) -> tuple[np.ndarray, np.ndarray]:
    """Boolean selectors (over the region's pixels, in mask order) of its top band and its lower part."""
    rows = np.nonzero(region.mask)[0]
    r0, r1 = int(rows.min()), int(rows.max())
    span = max(r1 - r0, 1)
    top = rows <= r0 + TOP_BAND * span
    low = rows >= r0 + (1.0 - LOW_BAND) * span
    return top, low


def _middle_colour(px: np.ndarray, lo: float = 20.0, hi: float = 80.0) -> np.ndarray:
    """Median colour of the pixels between two brightness percentiles (drops highlights and dark seams)."""
    lum = luminance(px)
    a, b = np.percentile(lum, [lo, hi])
    sel = (lum >= a) & (lum <= b)
    return np.median(px[sel], axis=0) if sel.any() else np.median(px, axis=0)


def estimate_appearance(srgb: np.ndarray, region: Region, irradiance: float = 1.0,
                        ground_lin: np.ndarray | None = None, metallic: bool | None = None) -> Appearance:
    """Albedo (linear), roughness and metallic for one region.

    ``irradiance`` is what a lit, upward-facing surface receives (sun * cos / pi + ambient, in pixel units),
    so a diffuse albedo = the top's colour / irradiance. ``ground_lin`` is the lit ground's linear colour:
    a metal mirrors its surroundings, so its base colour is what tints the reflected ground. ``metallic``
    overrides the mirror test when another cue (a glossy flat top, see ``shading.top_spread``) has decided.
    """
    if TRIM_SHADOW:
        region = own_colour_region(srgb, region, ground_lin)
    lin = srgb_to_linear(srgb)
    px = lin[region.mask]
    stats = region_stats(lin, region, irradiance)
    top, low = _bands(region)
    if metallic is None:
        metallic = metal_score(stats) > METAL_SCORE_THRESHOLD
    metallic = 1.0 if metallic else 0.0
    if metallic and ground_lin is not None:
        reflected = _middle_colour(_own_tint(px[low], ground_lin))
        albedo = np.clip(reflected / np.maximum(np.asarray(ground_lin, dtype=np.float32), 1e-4), 0.0, 1.0)
        roughness = 0.25
    else:
        albedo = np.clip(_middle_colour(px[top]) / max(irradiance, 1e-4), 0.0, 1.0)
        roughness = 0.35 if stats["highlight_frac"] > 0.02 else 0.85
    return Appearance(color=tuple(float(v) for v in albedo), roughness=roughness, metallic=metallic)  # type: ignore[arg-type]


OWN_TINT_CHROMA = 0.04  # chromaticity distance (r, g, b sums to 1) beyond which a pixel is not the ground's colour
OWN_TINT_MIN_SHARE = 0.2


def _own_tint(px: np.ndarray, ground_lin) -> np.ndarray:
    """The pixels of a mirror's lower part that carry its own tint, not the ground's colour.

    A tinted mirror reflecting the grey ground has the tint's chromaticity; outline pixels mixed with the ground
    and the cast shadow a region often keeps at its foot have the ground's. When enough pixels differ from the
    ground's chromaticity, only those tell the tint; an untinted (grey) mirror keeps them all.
    """
    g = np.asarray(ground_lin, dtype=np.float32)
    gc = g / max(float(g.sum()), 1e-6)
    pc = px / np.maximum(px.sum(axis=1, keepdims=True), 1e-6)
    own = np.linalg.norm(pc - gc, axis=1) > OWN_TINT_CHROMA
    return px[own] if own.sum() >= max(3, OWN_TINT_MIN_SHARE * len(px)) else px


def metal_score(stats: dict[str, float]) -> float:
    """Mirror-likeness: a strong brightness spread, and a top darker than the lower part (mirrored sky above,
    mirrored ground below), where a diffuse object's top is lit by the key light."""
    return math.log(max(stats["spread_95_5"], 1e-3)) - TOP_WEIGHT * math.log(max(stats["top_over_low"], 1e-3))

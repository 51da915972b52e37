"""Key light and ambient from the ground: the lit/shadow brightness ratio and the direction of cast shadows.

With pixel = albedo * (sun * sin(elevation) / pi + ambient), the ground in shadow over the lit ground gives
ambient / (sun * sin(elevation) / pi + ambient). The visible world colour fixes the ambient absolutely;
otherwise the sun strength prior fixes the scale (only albedo x light is observable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seig_search.perception.colorspace import luminance, srgb_to_linear
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.types import Background, LightEstimate, Region

PRIOR_SUN = 3.0
PRIOR_ELEVATION_DEG = 50.0
PRIOR_AMBIENT = 0.05
PRIOR_GROUND_ALBEDO = 0.3  # a grey floor or table top: fixes the albedo x light scale one image leaves open
PRIOR_AMBIENT_SHARE = 0.25  # shadowed over lit ground when no shadow is seen


@dataclass
class LightResult:
    estimate: LightEstimate
    irradiance: float  # sun * sin(el) / pi + ambient: what a lit upward surface receives, pixel units


def _direction(el_deg: float, az_deg: float) -> tuple[float, float, float]:
    el, az = math.radians(el_deg), math.radians(az_deg)
    return (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))


def shadow_azimuth(bg: Background, regions: list[Region], cam: PinholeCamera) -> tuple[float, float] | None:
    """(azimuth of the light in degrees, elevation estimate or nan) from where shadows fall around objects."""
    if bg.shadow_mask is None or not bg.shadow_mask.any() or not regions:
        return None
    from scipy import ndimage as ndi

    vecs = []
    for r in regions:
        near = ndi.binary_dilation(r.mask, iterations=max(2, int(0.6 * math.sqrt(r.area))))
        sh = bg.shadow_mask & near
        if sh.sum() < 4:
            continue
        rows, cols = np.nonzero(r.mask)
        base = cam.ground_point(float(rows.max()), float(np.median(cols[rows >= rows.max() - 1])))
        srows, scols = np.nonzero(sh)
        pts = [cam.ground_point(float(a), float(b)) for a, b in zip(srows[::3], scols[::3])]
        pts = [p for p in pts if p is not None]
        if base is None or not pts:
            continue
        v = np.mean(pts, axis=0)[:2] - base[:2]
        if np.linalg.norm(v) > 1e-6:
            vecs.append(v / np.linalg.norm(v))
    if not vecs:
        return None
    m = np.mean(vecs, axis=0)
    shadow_az = math.degrees(math.atan2(m[1], m[0]))
    return (shadow_az + 180.0) % 360.0, float("nan")


def estimate_light(srgb: np.ndarray, bg: Background, regions: list[Region], cam: PinholeCamera,
                   key: tuple[float, float] | None = None) -> LightResult:
    """Key light, ambient and irradiance; ``key`` = (azimuth, elevation) in degrees when the fitted objects'
    drawn shadows fixed the direction (``cast_shadows.fit_key_light``), else it comes from where shadows lie."""
    elevation = PRIOR_ELEVATION_DEG
    # prior azimuth: light from behind the camera's left shoulder
    fwd = cam.forward
    az = math.degrees(math.atan2(-fwd[1], -fwd[0])) + 45.0
    source = "prior"
    found = key if key is not None else shadow_azimuth(bg, regions, cam)
    if found is not None:
        az, el = found
        source = "shadows"
        if not math.isnan(el):
            elevation = el
    sin_el = math.sin(math.radians(elevation))
    world_lin = srgb_to_linear(np.asarray(bg.world_srgb, dtype=np.float32))
    world_seen = bg.world_mask is not None and bool(bg.world_mask.any())
    ratio = bg.shadow_ratio if bg.shadow_ratio is not None and 0.0 < bg.shadow_ratio < 0.9 else None
    if bg.ground_mask is not None and bg.ground_mask.any():
        # Only albedo x light is observable: fix the scale with a typical ground albedo, then split the lit
        # ground's irradiance into ambient (the shadow share) and sun.
        ground_lin = np.median(srgb_to_linear(srgb[bg.ground_mask]), axis=0)
        # a strongly coloured ground must not need an albedo above 0.9 in any channel
        irradiance = max(float(luminance(ground_lin)) / PRIOR_GROUND_ALBEDO, float(ground_lin.max()) / 0.9, 1e-4)
        ambient = irradiance * (ratio if ratio is not None else PRIOR_AMBIENT_SHARE)
        sun = max(0.1, (irradiance - ambient) * math.pi / sin_el)
    else:
        sun = PRIOR_SUN
        # the world the program renders around the objects also lights them: a cut-out on white sits in a white
        # world of strength 1, far brighter than the prior ambient, and albedo read against the prior came out
        # two to three times too light
        ambient = float(luminance(world_lin)) if world_seen else PRIOR_AMBIENT
        irradiance = sun * sin_el / math.pi + ambient
    if world_seen:
        world_color = tuple(float(v) for v in world_lin)
    else:
        world_color = (ambient, ambient, ambient)
    est = LightEstimate(direction=_direction(elevation, az), energy=float(sun), color=(1.0, 1.0, 1.0),
                        world_color=world_color, world_strength=1.0, source=source)  # type: ignore[arg-type]
    return LightResult(estimate=est, irradiance=float(irradiance))

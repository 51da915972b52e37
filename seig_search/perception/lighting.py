"""Key light and ambient from the ground: the lit/shadow brightness ratio and the direction of cast shadows.

With pixel = albedo * (sun * sin(elevation) / pi + ambient), the ground in shadow over the lit ground gives
ambient / (sun * sin(elevation) / pi + ambient). The visible world colour fixes the ambient absolutely;
otherwise the sun strength prior fixes the scale (only albedo x light is observable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seig_search.perception.colorspace import srgb_to_linear
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.types import Background, LightEstimate, Region

PRIOR_SUN = 3.0
PRIOR_ELEVATION_DEG = 50.0
PRIOR_AMBIENT = 0.05


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


def estimate_light(srgb: np.ndarray, bg: Background, regions: list[Region], cam: PinholeCamera) -> LightResult:
    elevation = PRIOR_ELEVATION_DEG
    # prior azimuth: light from behind the camera's left shoulder
    fwd = cam.forward
    az = math.degrees(math.atan2(-fwd[1], -fwd[0])) + 45.0
    source = "prior"
    found = shadow_azimuth(bg, regions, cam)
    if found is not None:
        az, el = found
        source = "shadows"
        if not math.isnan(el):
            elevation = el
    sin_el = math.sin(math.radians(elevation))
    world_lin = srgb_to_linear(np.asarray(bg.world_srgb, dtype=np.float32))
    ratio = bg.shadow_ratio
    sun = PRIOR_SUN
    if bg.ground_mask is not None and bg.ground_mask.any() and bg.world_mask is not None and bg.world_mask.any() \
            and ratio is not None and 0.0 < ratio < 0.9:
        ambient = float(np.mean(world_lin))
        sun = max(0.1, ambient * (1.0 / ratio - 1.0) * math.pi / sin_el)
        world_color = tuple(float(v) for v in world_lin)
    elif ratio is not None and 0.0 < ratio < 0.9:
        ambient = ratio / (1.0 - ratio) * sun * sin_el / math.pi
        world_color = (ambient, ambient, ambient)
    else:
        ambient = PRIOR_AMBIENT
        world_color = tuple(float(v) for v in world_lin) if bg.world_mask is not None and bg.world_mask.any() \
            else (ambient, ambient, ambient)
    irradiance = sun * sin_el / math.pi + ambient
    est = LightEstimate(direction=_direction(elevation, az), energy=float(sun), color=(1.0, 1.0, 1.0),
                        world_color=world_color, world_strength=1.0, source=source)  # type: ignore[arg-type]
    return LightResult(estimate=est, irradiance=float(irradiance))

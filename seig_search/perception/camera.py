"""Camera estimation: field of view, pitch and height from the ground plane and the horizon, else priors.

A single image fixes the camera only up to scale; the scale is set afterwards from a prior on object size
(``scale_to_objects``), which leaves every image-space quantity unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from seig_search.perception.geometry import PinholeCamera, focal_px
from seig_search.perception.types import Background, CameraEstimate

PRIOR_LENS_MM = 50.0  # Blender's default lens, also NeRF-Synthetic's (0.69 rad horizontal field of view)
PRIOR_PITCH_DEG = 30.0  # a table-top or CLEVR-style view: looking down at the objects
PITCH_RANGE_DEG = (8.0, 75.0)
HORIZON_MARGIN_DEG = 3.0
UNIT_HEIGHT = 1.0  # working camera height before scaling


def pitch_from_horizon(horizon_row: float, lens_mm: float, width: int, height: int) -> float:
    """Downward pitch that puts the horizon at ``horizon_row`` (rows above the centre mean looking down)."""
    f = focal_px(lens_mm, width, height)
    return math.degrees(math.atan((height / 2.0 - horizon_row) / f))


def initial_camera(bg: Background, width: int, height: int, lens_mm: float = PRIOR_LENS_MM) -> CameraEstimate:
    """Pitch from the ground's far edge when it is visible, else the prior. A finite ground's edge lies a
    little below the true horizon, so the edge's pitch is raised by a small margin. Height 1 until the scene
    is scaled."""
    pitch, source = PRIOR_PITCH_DEG, "prior"
    if bg.horizon_row is not None and bg.ground_srgb is not None:
        edge_pitch = pitch_from_horizon(bg.horizon_row, lens_mm, width, height)
        pitch, source = float(np.clip(edge_pitch + HORIZON_MARGIN_DEG, *PITCH_RANGE_DEG)), "horizon"
    return camera_estimate(pitch, UNIT_HEIGHT, lens_mm, source, width, height)


def camera_estimate(pitch: float, cam_height: float, lens: float, source: str, width: int, height: int) -> CameraEstimate:
    cam = PinholeCamera.from_pitch(pitch, cam_height, lens, width, height)
    return CameraEstimate(
        location=tuple(float(v) for v in cam.location),  # type: ignore[arg-type]
        look_at=(0.0, 0.0, 0.0),
        lens=float(lens),
        pitch_deg=float(pitch),
        height=float(cam_height),
        source=source,
    )


def pinhole(est: CameraEstimate, width: int, height: int) -> PinholeCamera:
    return PinholeCamera.look_at(est.location, est.look_at, est.lens, width, height)


def scaled(est: CameraEstimate, k: float) -> CameraEstimate:
    """The same view with every distance multiplied by ``k`` (about the world origin)."""
    return CameraEstimate(
        location=tuple(float(v) * k for v in est.location),  # type: ignore[arg-type]
        look_at=tuple(float(v) * k for v in est.look_at),  # type: ignore[arg-type]
        lens=est.lens,
        pitch_deg=est.pitch_deg,
        height=est.height * k,
        source=est.source,
    )

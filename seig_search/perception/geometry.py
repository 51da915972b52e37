"""A pinhole camera matching Blender's (36 mm sensor fitted to the larger side), with ground back-projection.

World frame: z up, ground plane z = 0. Image frame: (row, col) with row 0 at the top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SENSOR_WIDTH_MM = 36.0


def focal_px(lens_mm: float, width: int, height: int) -> float:
    """Focal length in pixels for Blender's default sensor fit (AUTO: the larger image side)."""
    return lens_mm / SENSOR_WIDTH_MM * max(width, height)


def lens_from_fov(fov_rad: float) -> float:
    """Lens (mm) whose field of view across the larger image side is ``fov_rad``."""
    return SENSOR_WIDTH_MM / 2.0 / math.tan(fov_rad / 2.0)


@dataclass(frozen=True)
class PinholeCamera:
    location: np.ndarray  # (3,)
    forward: np.ndarray  # unit optical axis
    right: np.ndarray  # unit, image +col
    up: np.ndarray  # unit, image -row
    f: float  # focal length in pixels
    width: int
    height: int

    @classmethod
    def look_at(cls, location, target, lens_mm: float, width: int, height: int) -> "PinholeCamera":
        loc = np.asarray(location, dtype=float)
        fwd = np.asarray(target, dtype=float) - loc
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        if np.linalg.norm(right) < 1e-9:  # looking straight down: any right vector will do
            right = np.array([1.0, 0.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, fwd)
        return cls(loc, fwd, right, up, focal_px(lens_mm, width, height), width, height)

    @classmethod
    def from_pitch(
        cls, pitch_deg: float, cam_height: float, lens_mm: float, width: int, height: int, yaw_deg: float = 45.0
    ) -> "PinholeCamera":
        """Camera at ``cam_height`` tilted ``pitch_deg`` down, looking along azimuth ``yaw_deg`` at the origin.

        The default yaw puts the camera at (+x, -y) looking towards the origin, like the dialect's example.
        """
        pitch = math.radians(max(pitch_deg, 1.0))
        dist = cam_height / math.tan(pitch)  # ground distance from the camera foot to the look-at point
        yaw = math.radians(yaw_deg)
        view = np.array([-math.sin(yaw), math.cos(yaw), 0.0])  # horizontal viewing direction
        loc = -view * dist + np.array([0.0, 0.0, cam_height])
        return cls.look_at(loc, [0.0, 0.0, 0.0], lens_mm, width, height)

    @property
    def principal(self) -> tuple[float, float]:
        return self.height / 2.0, self.width / 2.0

    def rays(self, rows, cols) -> np.ndarray:
        """Unit world-space ray directions through pixel positions (continuous, pixel centres at +0.5)."""
        rows = np.asarray(rows, dtype=float)
        cols = np.asarray(cols, dtype=float)
        cy, cx = self.principal
        d = (
            self.forward[None, :] * self.f
            + self.right[None, :] * (cols.reshape(-1) - cx)[:, None]
            - self.up[None, :] * (rows.reshape(-1) - cy)[:, None]
        )
        return d / np.linalg.norm(d, axis=1, keepdims=True)

    def ground_point(self, row: float, col: float, z: float = 0.0) -> np.ndarray | None:
        """Where the ray through (row, col) meets the plane at height ``z``; None above the horizon."""
        d = self.rays([row], [col])[0]
        if d[2] > -1e-6:
            return None
        t = (z - self.location[2]) / d[2]
        return self.location + t * d

    def project(self, points) -> np.ndarray:
        """World points (N,3) to (N,2) image (row, col); points behind the camera give nan."""
        p = np.atleast_2d(np.asarray(points, dtype=float)) - self.location
        z = p @ self.forward
        x = p @ self.right
        y = p @ self.up
        with np.errstate(divide="ignore", invalid="ignore"):
            cols = self.width / 2.0 + self.f * x / z
            rows = self.height / 2.0 - self.f * y / z
        out = np.stack([rows, cols], axis=1)
        out[z <= 1e-9] = np.nan
        return out

    def depth_of(self, point) -> float:
        """Distance along the optical axis."""
        return float((np.asarray(point, dtype=float) - self.location) @ self.forward)

    @property
    def pitch_deg(self) -> float:
        return math.degrees(math.asin(max(-1.0, min(1.0, -self.forward[2]))))

    def horizon_row(self) -> float:
        """Image row of the horizon line at the image centre column."""
        return self.height / 2.0 - self.f * math.tan(math.radians(self.pitch_deg))

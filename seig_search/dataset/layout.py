"""Geometry for procedural scenes: footprints, non-overlapping placement, camera framing.

Objects rest upright on the ground (rotation about z only), so collisions are checked between footprint
circles in the xy plane. All numbers are rounded to the program's 3 decimals, so the written program, the
spec and the built scene hold the same values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seig_search.program import CameraSpec

DECIMALS = 3


def r3(value: float) -> float:
    out = round(float(value), DECIMALS)
    return 0.0 if out == 0.0 else out  # no -0.0


def vec(values) -> tuple[float, float, float]:
    return tuple(r3(v) for v in values)  # type: ignore[return-value]


def dims3(values) -> tuple[float, float, float]:
    """Sizes on a 2 mm grid (at least 2 mm), so half a size is exact at 3 decimals: resting objects touch z = 0."""
    return tuple(r3(max(round(float(v) / 0.002), 1) * 0.002) for v in values)  # type: ignore[return-value]


def footprint_radius(shape: str, dims: tuple[float, float, float]) -> float:
    """Radius of a circle that holds the object's footprint whatever its rotation about z."""
    if shape in ("cube", "monkey", "plane"):
        return 0.5 * math.hypot(dims[0], dims[1])
    return 0.5 * max(dims[0], dims[1])  # sphere, cylinder, cone, torus: elliptical at most


@dataclass
class Member:
    """One object of a cluster, placed relative to the cluster's centre."""

    shape: str
    dims: tuple[float, float, float]
    offset: tuple[float, float, float]  # centre relative to (cluster x, cluster y, 0)
    yaw: float  # degrees about z


@dataclass
class Cluster:
    """Objects placed together: one object, a stack, or a touching pair. `radius` bounds its footprint."""

    members: list[Member]
    radius: float
    kind: str = "single"


def single(shape: str, dims: tuple[float, float, float], yaw: float) -> Cluster:
    return Cluster([Member(shape, dims, (0.0, 0.0, r3(dims[2] / 2)), yaw)], footprint_radius(shape, dims))


def stack(support: Member, top_shape: str, top_dims: tuple[float, float, float], top_yaw: float) -> Cluster:
    """`top` resting centred on the flat top of `support` (a cube or cylinder standing on the ground)."""
    base_z = support.dims[2]
    top = Member(top_shape, top_dims, (0.0, 0.0, r3(base_z + top_dims[2] / 2)), top_yaw)
    low = Member(support.shape, support.dims, (0.0, 0.0, r3(base_z / 2)), support.yaw)
    return Cluster([low, top], max(footprint_radius(support.shape, support.dims),
                                   footprint_radius(top_shape, top_dims)), kind="stack")


def touching_pair(a: tuple[str, tuple[float, float, float]], b: tuple[str, tuple[float, float, float]],
                  yaw: float) -> Cluster:
    """Two objects on the ground, same yaw, whose bounding boxes share a face along their local x axis.

    Boxes touch over a face; cylinders, spheres and cones touch the shared plane at its middle, so they touch
    each other there too.
    """
    gap = (a[1][0] + b[1][0]) / 2
    t = math.radians(yaw)
    ux, uy = math.cos(t), math.sin(t)
    da = -gap / 2  # the pair's midpoint at the cluster centre
    pa = (da * ux, da * uy)
    pb = ((da + gap) * ux, (da + gap) * uy)
    ma = Member(a[0], a[1], (pa[0], pa[1], r3(a[1][2] / 2)), yaw)
    mb = Member(b[0], b[1], (pb[0], pb[1], r3(b[1][2] / 2)), yaw)
    radius = max(math.hypot(*pa) + footprint_radius(*a), math.hypot(*pb) + footprint_radius(*b))
    return Cluster([ma, mb], radius, kind="touching")


def place_clusters(rng: np.random.Generator, clusters: list[Cluster], half_extent: float, margin: float,
                   attempts: int = 60) -> list[tuple[Cluster, float, float]]:
    """Cluster centres in [-half_extent, half_extent]^2 with footprints `margin` apart; a cluster that
    finds no room after `attempts` draws is left out (a deterministic function of the rng)."""
    placed: list[tuple[Cluster, float, float]] = []
    for cluster in clusters:
        for _ in range(attempts):
            limit = max(half_extent - cluster.radius, 0.0)
            x, y = (float(v) for v in rng.uniform(-limit, limit, size=2))
            if all(math.hypot(x - px, y - py) >= cluster.radius + other.radius + margin for other, px, py in placed):
                placed.append((cluster, x, y))
                break
    return placed


def member_location(member: Member, x: float, y: float) -> tuple[float, float, float]:
    return vec((x + member.offset[0], y + member.offset[1], member.offset[2]))


def frame_camera(rng: np.random.Generator, points: np.ndarray, radii: np.ndarray, *, lens_range: tuple[float, float],
                 elevation_deg: tuple[float, float], aspect: float = 1.0, fill: float = 0.85) -> CameraSpec:
    """A camera on a random azimuth and elevation that keeps every bounding sphere (points, radii) in frame.

    `aspect` is the image's width / height (the sensor fits horizontally); the distance grows until each
    sphere's projected disk lies within `fill` of the half frame on both axes.
    """
    centre = points.mean(axis=0)
    look_at = np.array([centre[0], centre[1], float(np.clip(centre[2], 0.0, 1.0))])
    look_at[:2] += rng.uniform(-0.3, 0.3, size=2)
    azimuth = math.radians(float(rng.uniform(0.0, 360.0)))
    elevation = math.radians(float(rng.uniform(*elevation_deg)))
    lens = r3(float(rng.uniform(*lens_range)))
    direction = np.array([math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth),
                          math.sin(elevation)])
    half = fill * 18.0 / lens  # tan of the usable horizontal half field of view (36 mm sensor)
    distance = 4.0
    for _ in range(200):
        location = look_at + distance * direction
        if all_in_frame(location, look_at, points, radii, half, half / aspect):
            break
        distance *= 1.05
    return CameraSpec(location=vec(look_at + distance * direction), look_at=vec(look_at), lens=lens)


def all_in_frame(location: np.ndarray, look_at: np.ndarray, points: np.ndarray, radii: np.ndarray,
                 half_x: float, half_y: float) -> bool:
    forward = look_at - location
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    rel = points - location
    depth = rel @ forward
    if np.any(depth <= radii + 0.1):
        return False
    # A sphere's projected half-size is at most r / sqrt(depth^2 - r^2) in tan units.
    size = radii / np.sqrt(depth**2 - radii**2)
    return bool(np.all(np.abs(rel @ right) / depth + size <= half_x) and np.all(np.abs(rel @ up) / depth + size <= half_y))

"""SceneEstimate -> the dialect's SceneSpec (the only module here that knows the program package)."""

from __future__ import annotations

import math

import numpy as np

from seig_search.program.spec import CameraSpec, GroundSpec, LightSpec, ObjectSpec, SceneSpec, WorldSpec
from seig_search.perception.assembly import toward_camera
from seig_search.perception.types import SceneEstimate

GROUND_SIZE = 30.0


def _clip01(v) -> tuple[float, float, float]:
    return tuple(float(min(max(x, 0.0), 1.0)) for x in v)  # type: ignore[return-value]


def to_spec(est: SceneEstimate, shapes: list[str] | None = None) -> SceneSpec:
    """The estimate as a SceneSpec; ``shapes`` overrides each object's shape (for alternative hypotheses)."""
    objects = []
    for i, obj in enumerate(est.objects):
        shape = (shapes[i] if shapes is not None else obj.shape)
        dims, location, rotation = obj.dims, obj.location, obj.rotation_deg
        fit = obj.fits.get(shape)
        if fit is not None and shape != obj.shape:  # an alternative shape keeps its own fitted placement
            k = obj.fit_scale
            dims = tuple(d * k for d in fit.dims)
            location = tuple(v * k for v in fit.location)
            rotation = (0.0, 0.0, fit.yaw_deg if shape in ("cube", "plane") else 0.0)
            if obj.view_scale != 1.0:  # a part lifted off the ground keeps its alternative at the same depth
                location = toward_camera(location, est.camera.location, obj.view_scale)
                dims = tuple(d * obj.view_scale for d in dims)
        if shape not in ("cube", "sphere", "cylinder", "cone", "torus", "plane"):
            shape = "cube"  # an honest "unknown" is rendered as its bounding box
        dims = tuple(max(float(d), 1e-3) for d in dims)
        if shape == "plane":
            dims = (dims[0], dims[1], 0.0)
        objects.append(ObjectSpec(
            name=f"obj{i}", shape=shape, dims=dims, location=tuple(float(v) for v in location),
            rotation_deg=tuple(float(v) for v in rotation), color=_clip01(obj.appearance.color),
            roughness=float(np.clip(obj.appearance.roughness, 0, 1)), metallic=float(np.clip(obj.appearance.metallic, 0, 1)),
        ))
    cam = est.camera
    ground = None
    if est.ground_color is not None:
        ground = GroundSpec(size=max(GROUND_SIZE, 6.0 * est.camera.height), color=_clip01(est.ground_color),
                            roughness=est.ground_roughness)
    light = est.light
    d = np.asarray(light.direction, dtype=float)
    d = d / max(np.linalg.norm(d), 1e-9)
    dist = 10.0 * max(1.0, est.camera.height / 5.0)
    lights = [LightSpec(name="key", kind="SUN", location=tuple(float(v) for v in d * dist), look_at=(0.0, 0.0, 0.0),
                        energy=float(max(light.energy, 1e-3)), color=_clip01(light.color))]
    world = WorldSpec(color=_clip01(light.world_color), strength=float(max(light.world_strength, 0.0)))
    return SceneSpec(objects=objects, ground=ground,
                     camera=CameraSpec(location=cam.location, look_at=cam.look_at, lens=cam.lens),
                     lights=lights, world=world)


def light_direction(elevation_deg: float, azimuth_deg: float) -> tuple[float, float, float]:
    """Unit vector towards a light at this elevation above the ground and azimuth (from +x, counter-clockwise)."""
    el, az = math.radians(elevation_deg), math.radians(azimuth_deg)
    return (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))

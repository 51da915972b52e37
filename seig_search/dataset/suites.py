"""Scene samplers: `sample_spec(suite, seed) -> SceneSpec`, a pure function of its arguments.

- `primitives`: CLEVR-like. Cubes, spheres and cylinders in two sizes and eight colours, rubber or metal, on a
  grey ground, never intersecting; a sun key light and a point fill; camera on a random azimuth.
- `mixed`: six primitive types with free proportions, varied materials (matte, plastic, metal, glass,
  emissive), objects stacked on others or touching side by side, two or three lights of mixed kinds and
  colours, a coloured world.
"""

from __future__ import annotations

import colorsys
import math

import numpy as np

from render_pool.color import srgb_to_linear
from seig_search.dataset.layout import (
    Cluster,
    Member,
    footprint_radius,
    frame_camera,
    member_location,
    place_clusters,
    dims3,
    r3,
    single,
    stack,
    touching_pair,
    vec,
)
from seig_search.errors import ConfigError
from seig_search.program import GroundSpec, LightSpec, ObjectSpec, SceneSpec, WorldSpec

SUITES: tuple[str, ...] = ("primitives", "mixed")

# CLEVR's palette (sRGB 0-255), stored linear as the dialect wants.
CLEVR_COLORS: dict[str, tuple[float, float, float]] = {
    name: vec(srgb_to_linear(np.array(rgb, dtype=np.float32) / 255.0))
    for name, rgb in {
        "gray": (87, 87, 87), "red": (173, 35, 35), "blue": (42, 75, 215), "green": (29, 105, 20),
        "brown": (129, 74, 25), "purple": (129, 38, 192), "cyan": (41, 208, 208), "yellow": (255, 238, 51),
    }.items()
}
CLEVR_MATERIALS: dict[str, tuple[float, float]] = {"rubber": (0.9, 0.0), "metal": (0.25, 1.0)}  # roughness, metallic
CLEVR_SIZES: dict[str, float] = {"small": 0.7, "large": 1.4}  # bounding-box side, metres


def sample_spec(suite: str, seed: int, aspect: float = 1.0) -> SceneSpec:
    """The scene of `suite` for `seed`; the same arguments always give the same spec.

    `aspect` (image width / height) only changes the camera distance, so every object stays in frame.
    """
    if suite not in SUITES:
        raise ConfigError(f"unknown suite {suite!r}; expected one of {', '.join(SUITES)}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), SUITES.index(suite)]))
    if not 0.1 <= float(aspect) <= 10.0:
        raise ConfigError(f"aspect must be within 0.1..10, got {aspect!r}")
    return _primitives(rng, float(aspect)) if suite == "primitives" else _mixed(rng, float(aspect))


def material_label(obj: ObjectSpec) -> str:
    """A material class name for benchmarks: rubber/metal for primitives, else matte/plastic/metal/glass/emissive."""
    if obj.emission_strength > 0.0:
        return "emissive"
    if obj.transmission > 0.5:
        return "glass"
    if obj.metallic >= 0.5:
        return "metal"
    return "rubber" if obj.roughness >= 0.6 else "plastic"


def color_name(color: tuple[float, float, float]) -> str | None:
    """The CLEVR colour name when `color` is one of the palette's, else None."""
    return next((name for name, rgb in CLEVR_COLORS.items() if rgb == tuple(color)), None)


def _objects(placed: list[tuple[Cluster, float, float]], style) -> list[ObjectSpec]:
    objects: list[ObjectSpec] = []
    for cluster, x, y in placed:
        for member in cluster.members:
            color, roughness, metallic, transmission, emission = style(member)
            objects.append(ObjectSpec(
                name=f"obj{len(objects)}", shape=member.shape, dims=vec(member.dims),
                location=member_location(member, x, y), rotation_deg=(0.0, 0.0, r3(member.yaw)),
                color=color, roughness=roughness, metallic=metallic, transmission=transmission,
                emission_strength=emission,
            ))
    return objects


def _camera(rng: np.random.Generator, objects: list[ObjectSpec], lens_range, elevation, aspect: float):
    points = np.array([o.location for o in objects], dtype=float)
    radii = np.array([0.5 * math.sqrt(sum(d * d for d in o.dims)) for o in objects])
    return frame_camera(rng, points, radii, lens_range=lens_range, elevation_deg=elevation, aspect=aspect)


def _around(rng: np.random.Generator, distance: float, elevation_deg: tuple[float, float]) -> tuple[float, ...]:
    azimuth = math.radians(float(rng.uniform(0.0, 360.0)))
    elevation = math.radians(float(rng.uniform(*elevation_deg)))
    return vec((distance * math.cos(elevation) * math.cos(azimuth), distance * math.cos(elevation) * math.sin(azimuth),
                distance * math.sin(elevation)))


def _primitives(rng: np.random.Generator, aspect: float) -> SceneSpec:
    count = int(rng.integers(3, 7))
    clusters = []
    for _ in range(count):
        shape = str(rng.choice(["cube", "sphere", "cylinder"]))
        side = CLEVR_SIZES[str(rng.choice(list(CLEVR_SIZES)))]
        yaw = 0.0 if shape == "sphere" else float(rng.uniform(-180.0, 180.0))
        clusters.append(single(shape, (side, side, side), yaw))
    placed = place_clusters(rng, clusters, half_extent=3.0, margin=0.25)
    names = list(CLEVR_COLORS)
    looks = [(CLEVR_COLORS[names[int(rng.integers(len(names)))]], str(rng.choice(list(CLEVR_MATERIALS))))
             for _ in range(sum(len(c.members) for c, _, _ in placed))]
    looks_iter = iter(looks)

    def style(member: Member):
        color, material = next(looks_iter)
        roughness, metallic = CLEVR_MATERIALS[material]
        return color, roughness, metallic, 0.0, 0.0

    objects = _objects(placed, style)
    camera = _camera(rng, objects, lens_range=(35.0, 50.0), elevation=(25.0, 45.0), aspect=aspect)
    lights = [
        LightSpec(name="key", kind="SUN", location=_around(rng, 10.0, (35.0, 70.0)), look_at=(0.0, 0.0, 0.0),
                  energy=r3(rng.uniform(2.5, 4.0)), color=(1.0, 1.0, 1.0), size=r3(rng.uniform(1.0, 5.0))),
        LightSpec(name="fill", kind="POINT", location=_around(rng, 6.0, (20.0, 50.0)), look_at=(0.0, 0.0, 0.0),
                  energy=r3(rng.uniform(300.0, 800.0)), color=(1.0, 1.0, 1.0), size=0.5),
    ]
    grey = r3(rng.uniform(0.18, 0.35))
    return SceneSpec(objects=objects, ground=GroundSpec(size=60.0, color=(grey, grey, grey), roughness=0.9),
                     camera=camera, lights=lights, world=WorldSpec(color=(0.05, 0.05, 0.05), strength=1.0))


MIXED_SHAPES = ("cube", "sphere", "cylinder", "cone", "torus", "monkey")
_TOUCH_SHAPES = ("cube", "sphere", "cylinder", "cone")
_TOP_SHAPES = ("cube", "sphere", "cylinder", "cone", "torus")


def _mixed_dims(rng: np.random.Generator, shape: str, scale: float = 1.0) -> tuple[float, float, float]:
    a, b, c = (float(v) * scale for v in rng.uniform(0.5, 1.5, size=3))
    if shape == "sphere":
        return dims3((a, a, a))
    if shape in ("cylinder", "cone"):
        return dims3((a, a, c))
    if shape == "torus":
        return dims3((a, a, a * float(rng.uniform(0.2, 0.35))))
    if shape == "monkey":
        return dims3((a, a * 0.85, a * 0.75))  # Suzanne's own proportions
    return dims3((a, b, c))


def _mixed_cluster(rng: np.random.Generator) -> Cluster:
    kind = str(rng.choice(["single", "single", "stack", "touching"]))
    yaw = r3(rng.uniform(-180.0, 180.0))
    if kind == "stack":
        base_shape = str(rng.choice(["cube", "cylinder"]))
        base_dims = _mixed_dims(rng, base_shape, scale=1.2)
        top_shape = str(rng.choice(list(_TOP_SHAPES)))
        inner = 0.5 * min(base_dims[0], base_dims[1])  # the support's inscribed radius
        top_dims = _mixed_dims(rng, top_shape, scale=0.6)
        shrink = min(1.0, 0.9 * inner / footprint_radius(top_shape, top_dims))
        top_dims = dims3((top_dims[0] * shrink, top_dims[1] * shrink, top_dims[2] * max(shrink, 0.5)))
        return stack(Member(base_shape, base_dims, (0.0, 0.0, 0.0), yaw), top_shape, top_dims,
                     r3(rng.uniform(-180.0, 180.0)))
    if kind == "touching":
        shapes = [str(s) for s in rng.choice(list(_TOUCH_SHAPES), size=2)]
        return touching_pair((shapes[0], _mixed_dims(rng, shapes[0])), (shapes[1], _mixed_dims(rng, shapes[1])), yaw)
    shape = str(rng.choice(list(MIXED_SHAPES)))
    return single(shape, _mixed_dims(rng, shape), yaw)


def _mixed_look(rng: np.random.Generator):
    hue, sat, val = float(rng.uniform()), float(rng.uniform(0.2, 0.95)), float(rng.uniform(0.35, 1.0))
    color = vec(srgb_to_linear(np.array(colorsys.hsv_to_rgb(hue, sat, val), dtype=np.float32)))
    kind = str(rng.choice(["matte", "plastic", "metal", "glass", "emissive"], p=[0.35, 0.3, 0.25, 0.05, 0.05]))
    if kind == "matte":
        return color, r3(rng.uniform(0.6, 1.0)), 0.0, 0.0, 0.0
    if kind == "plastic":
        return color, r3(rng.uniform(0.1, 0.45)), 0.0, 0.0, 0.0
    if kind == "metal":
        return color, r3(rng.uniform(0.1, 0.5)), 1.0, 0.0, 0.0
    if kind == "glass":
        return color, 0.05, 0.0, 1.0, 0.0
    return color, 0.5, 0.0, 0.0, r3(rng.uniform(1.0, 4.0))


def _mixed_light(rng: np.random.Generator, name: str, kind: str) -> LightSpec:
    hue = float(rng.uniform())
    tint = vec(colorsys.hsv_to_rgb(hue, float(rng.uniform(0.0, 0.35)), 1.0))
    if kind == "SUN":
        return LightSpec(name=name, kind="SUN", location=_around(rng, 10.0, (30.0, 75.0)), look_at=(0.0, 0.0, 0.0),
                         energy=r3(rng.uniform(1.5, 4.0)), color=tint, size=r3(rng.uniform(0.5, 8.0)))
    distance = float(rng.uniform(4.0, 7.0))
    location = _around(rng, distance, (25.0, 70.0))
    watts = {"POINT": 12.0, "SPOT": 15.0, "AREA": 12.0}[kind] * distance**2  # about a 1 W/m2 sun's worth
    return LightSpec(name=name, kind=kind, location=location, look_at=(0.0, 0.0, 0.5),
                     energy=r3(watts * float(rng.uniform(0.5, 1.5))), color=tint,
                     size=r3(rng.uniform(0.5, 3.0) if kind == "AREA" else rng.uniform(0.05, 0.5)))


def _mixed(rng: np.random.Generator, aspect: float) -> SceneSpec:
    clusters = [_mixed_cluster(rng) for _ in range(int(rng.integers(3, 6)))]
    placed = place_clusters(rng, clusters, half_extent=3.2, margin=0.2)
    objects = _objects(placed, lambda member: _mixed_look(rng))
    camera = _camera(rng, objects, lens_range=(28.0, 60.0), elevation=(20.0, 55.0), aspect=aspect)
    key = str(rng.choice(["SUN", "AREA"]))
    extra = [str(k) for k in rng.choice(["POINT", "SPOT", "AREA"], size=int(rng.integers(1, 3)))]
    lights = [_mixed_light(rng, "key", key)] + [_mixed_light(rng, f"light{i + 1}", k) for i, k in enumerate(extra)]
    sky = vec(colorsys.hsv_to_rgb(float(rng.uniform()), float(rng.uniform(0.1, 0.6)), float(rng.uniform(0.05, 0.3))))
    ground_color = vec(srgb_to_linear(np.array(colorsys.hsv_to_rgb(
        float(rng.uniform()), float(rng.uniform(0.0, 0.3)), float(rng.uniform(0.35, 0.8))), dtype=np.float32)))
    return SceneSpec(objects=objects,
                     ground=GroundSpec(size=60.0, color=ground_color, roughness=r3(rng.uniform(0.5, 1.0))),
                     camera=camera, lights=lights,
                     world=WorldSpec(color=sky, strength=r3(rng.uniform(0.3, 1.2))))

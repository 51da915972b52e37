"""SceneSpec: a scene as plain validated data, and its program text.

`render_program(spec)` writes the full program (header, prelude, four sections, build()) with fixed decimals,
so the same spec always gives byte-identical source. `spec_from_summary` goes the other way from a scene
summary (the render worker's, or a dataset's scene.json).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from seig_search.errors import ProgramError
from seig_search.program.prelude import BUILD, HEADER, PRELUDE

Shape = Literal["cube", "sphere", "cylinder", "cone", "torus", "plane", "monkey"]
LightKind = Literal["SUN", "POINT", "AREA", "SPOT"]
Vec3 = tuple[float, float, float]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
RGB = tuple[Unit, Unit, Unit]
# Names go into the program as string literals, so keep them to characters that need no escaping.
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,62}$")]

DECIMALS = 3


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObjectSpec(_Model):
    name: Name
    shape: Shape
    dims: Vec3 = (1.0, 1.0, 1.0)  # bounding-box size, metres
    location: Vec3 = (0.0, 0.0, 0.0)  # bounding-box centre, metres
    rotation_deg: Vec3 = (0.0, 0.0, 0.0)  # Euler XYZ, degrees
    color: RGB = (0.8, 0.8, 0.8)  # linear RGB
    roughness: Unit = 0.5
    metallic: Unit = 0.0
    transmission: Unit = 0.0
    emission_strength: Annotated[float, Field(ge=0.0)] = 0.0  # emits `color` when > 0

    @field_validator("dims")
    @classmethod
    def _positive_dims(cls, dims: Vec3) -> Vec3:
        if min(dims) < 0.0:
            raise ValueError(f"dims must not be negative, got {dims}")
        return dims

    @model_validator(mode="after")
    def _solid_dims(self) -> "ObjectSpec":
        if self.shape != "plane" and min(self.dims) <= 0.0:
            raise ValueError(f"{self.name}: dims of a {self.shape} must be positive, got {self.dims}")
        return self


class GroundSpec(_Model):
    name: Name = "ground"
    size: Annotated[float, Field(gt=0.0)] = 30.0  # side of the square, metres
    color: RGB = (0.5, 0.5, 0.5)
    roughness: Unit = 0.9
    metallic: Unit = 0.0


class CameraSpec(_Model):
    location: Vec3 = (7.0, -7.0, 5.0)
    look_at: Vec3 = (0.0, 0.0, 0.0)
    lens: Annotated[float, Field(gt=0.0)] = 50.0  # mm
    sensor_width: Annotated[float, Field(gt=0.0)] = 36.0  # mm

    @model_validator(mode="after")
    def _distinct(self) -> "CameraSpec":
        if math.dist(self.location, self.look_at) < 1e-6:
            raise ValueError("camera look_at equals its location")
        return self


class LightSpec(_Model):
    name: Name
    kind: LightKind = "SUN"
    location: Vec3 = (4.0, -4.0, 8.0)
    look_at: Vec3 = (0.0, 0.0, 0.0)
    energy: Annotated[float, Field(gt=0.0)] = 3.0  # W/m2 for SUN, W for the others
    color: RGB = (1.0, 1.0, 1.0)
    size: Annotated[float, Field(ge=0.0)] = 0.1  # metres; for SUN the angular diameter in degrees

    @model_validator(mode="after")
    def _distinct(self) -> "LightSpec":
        if math.dist(self.location, self.look_at) < 1e-6:
            raise ValueError(f"light {self.name}: look_at equals its location")
        return self


class WorldSpec(_Model):
    color: RGB = (0.05, 0.05, 0.05)
    strength: Annotated[float, Field(ge=0.0)] = 1.0


class SceneSpec(_Model):
    objects: list[ObjectSpec] = Field(default_factory=list)
    ground: GroundSpec | None = Field(default_factory=GroundSpec)
    camera: CameraSpec = Field(default_factory=CameraSpec)
    lights: list[LightSpec] = Field(default_factory=list)
    world: WorldSpec = Field(default_factory=WorldSpec)

    @model_validator(mode="after")
    def _unique_names(self) -> "SceneSpec":
        names = [o.name for o in self.objects] + [light.name for light in self.lights] + ["camera"]
        if self.ground is not None:
            names.append(self.ground.name)
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"names must be unique (the camera is 'camera'); repeated: {dupes}")
        return self

    def pass_indices(self) -> dict[str, int]:
        """The pass_index each mesh object gets: 1..N in creation order, ground first."""
        order = ([self.ground.name] if self.ground is not None else []) + [o.name for o in self.objects]
        return {name: i + 1 for i, name in enumerate(order)}


def fmt(value: float, decimals: int = DECIMALS) -> str:
    """A float with fixed decimals; never '-0.000'."""
    text = f"{float(value):.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def _vec(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(fmt(v) for v in values) + ")"


def _body(lines: list[str]) -> str:
    return "".join(f"    {line}\n" for line in lines) if lines else "    pass\n"


def render_sections(spec: SceneSpec) -> dict[str, str]:
    """The four section functions of the spec's program, each a full `def` block."""
    geometry: list[str] = []
    materials: list[str] = []
    composition: list[str] = []
    lighting: list[str] = []
    if spec.ground is not None:
        g = spec.ground
        geometry.append(f'add_ground("{g.name}", size={fmt(g.size)})')
        materials.append(
            f'set_material("{g.name}", color={_vec(g.color)}, roughness={fmt(g.roughness)}, metallic={fmt(g.metallic)})'
        )
    for o in spec.objects:
        geometry.append(f'add_object("{o.name}", "{o.shape}", dims={_vec(o.dims)})')
        extra = ""
        if o.transmission > 0.0:
            extra += f", transmission={fmt(o.transmission)}"
        if o.emission_strength > 0.0:
            extra += f", emission={_vec(o.color)}, emission_strength={fmt(o.emission_strength)}"
        materials.append(
            f'set_material("{o.name}", color={_vec(o.color)}, roughness={fmt(o.roughness)}, '
            f"metallic={fmt(o.metallic)}{extra})"
        )
        composition.append(f'place("{o.name}", location={_vec(o.location)}, rotation={_vec(o.rotation_deg)})')
    c = spec.camera
    composition.append(
        f"set_camera(location={_vec(c.location)}, look_at={_vec(c.look_at)}, lens={fmt(c.lens)}"
        + (f", sensor_width={fmt(c.sensor_width)})" if c.sensor_width != 36.0 else ")")
    )
    for light in spec.lights:
        size = f"angle={fmt(light.size)}" if light.kind == "SUN" else f"size={fmt(light.size)}"
        lighting.append(
            f'add_light("{light.name}", "{light.kind}", location={_vec(light.location)}, '
            f"look_at={_vec(light.look_at)}, energy={fmt(light.energy)}, color={_vec(light.color)}, {size})"
        )
    lighting.append(f"set_world(color={_vec(spec.world.color)}, strength={fmt(spec.world.strength)})")
    docs = {
        "geometry": "objects: names, shapes, sizes",
        "materials": "surfaces",
        "composition": "placement and camera",
        "lighting": "lights and world",
    }
    bodies = {"geometry": geometry, "materials": materials, "composition": composition, "lighting": lighting}
    return {stage: f"def {stage}():  # {docs[stage]}\n{_body(lines)}" for stage, lines in bodies.items()}


def assemble(sections: dict[str, str]) -> str:
    """Header + prelude + the four section blocks (in stage order) + build()."""
    from seig_search.proposers.base import STAGES

    missing = [s for s in STAGES if s not in sections]
    if missing:
        raise ProgramError(f"missing sections: {', '.join(missing)}")
    parts = [HEADER, PRELUDE, "\n\n# ---- scene ----\n"]
    for stage in STAGES:
        parts.append(sections[stage].rstrip("\n") + "\n\n\n")
    parts.append(BUILD)
    return "".join(parts)


def render_program(spec: SceneSpec) -> str:
    """The full, runnable program text of the spec; byte-identical for equal specs."""
    return assemble(render_sections(spec))


def spec_from_summary(summary: dict[str, Any]) -> SceneSpec:
    """A SceneSpec from a scene summary (render_pool's shape, plus each object's `shape` when present).

    The ground is the mesh whose shape/role says so (or named 'ground'). Light and camera aims are recovered
    as the point 10 m along their view direction, so the rendered scene matches while look_at may differ.
    """
    try:
        return _spec_from_summary(summary)
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise ProgramError(f"summary cannot be turned into a scene spec: {error}") from error


def _aim_point(location: list[float], rotation: list[float], distance: float = 10.0) -> Vec3:
    # Blender cameras and lights look down their local -Z axis; rotation is Euler XYZ in radians.
    rx, ry, rz = rotation
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    # Third column of R = Rz @ Ry @ Rx, negated.
    d = (-(cz * sy * cx + sz * sx), -(sz * sy * cx - cz * sx), -(cy * cx))
    return tuple(round(p + distance * k, 6) for p, k in zip(location, d))  # type: ignore[return-value]


def _rgb(values: list[float]) -> RGB:
    return tuple(min(max(float(v), 0.0), 1.0) for v in values[:3])  # type: ignore[return-value]


def _spec_from_summary(summary: dict[str, Any]) -> SceneSpec:
    ground: GroundSpec | None = None
    objects: list[ObjectSpec] = []
    meshes = sorted((o for o in summary.get("objects", []) if o.get("type", "MESH") == "MESH"),
                    key=lambda o: o.get("pass_index", 0))
    for o in meshes:
        mat = o.get("material") or {}
        color = _rgb(mat.get("base_color", [0.8, 0.8, 0.8]))
        shape = o.get("shape") or (o.get("custom") or {}).get("seig_shape") or "cube"
        role = o.get("role") or (o.get("custom") or {}).get("seig_role")
        if ground is None and (role == "ground" or (role is None and o["name"] == "ground")):
            ground = GroundSpec(name=o["name"], size=float(o["dimensions"][0]), color=color,
                                roughness=float(mat.get("roughness", 0.9)), metallic=float(mat.get("metallic", 0.0)))
            continue
        objects.append(ObjectSpec(
            name=o["name"], shape=shape, dims=tuple(o["dimensions"]), location=tuple(o["location"]),
            rotation_deg=tuple(math.degrees(r) for r in o.get("rotation_euler", (0.0, 0.0, 0.0))),
            color=color, roughness=float(mat.get("roughness", 0.5)), metallic=float(mat.get("metallic", 0.0)),
        ))
    cam = summary["camera"]
    camera = CameraSpec(location=tuple(cam["location"]), look_at=_aim_point(cam["location"], cam["rotation_euler"]),
                        lens=float(cam.get("lens", 50.0)), sensor_width=float(cam.get("sensor_width", 36.0)))
    lights = [
        LightSpec(name=light["name"], kind=light["type"], location=tuple(light["location"]),
                  look_at=_aim_point(light["location"], light.get("rotation_euler", (0.0, 0.0, 0.0))),
                  energy=float(light["energy"]), color=_rgb(light.get("color", [1.0, 1.0, 1.0])),
                  size=float(light.get("size", 0.1)))
        for light in summary.get("lights", [])
    ]
    world = summary.get("world") or {}
    return SceneSpec(objects=objects, ground=ground, camera=camera, lights=lights,
                     world=WorldSpec(color=_rgb(world.get("color", [0.05, 0.05, 0.05])),
                                     strength=float(world.get("strength", 1.0))))

"""Novel views and relighting of a reconstructed scene, as source transformations of its program.

Every function takes program text and returns program text that still runs on its own: ``orbit_programs``
rewrites the camera call in ``composition()``, ``relight_program`` replaces ``lighting()`` with a preset
placed around the camera's look-at point, ``recolor_program`` and ``move_program`` rewrite one object's
``set_material`` / ``place`` call. Nothing here renders; ``seig render`` renders what these return.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from seig_search.errors import ConfigError, ProgramError
from seig_search.program import SceneProgram

Vec3 = tuple[float, float, float]

# Defaults of the prelude's set_camera(location, look_at, lens, sensor_width)
_CAMERA_PARAMS = ("location", "look_at", "lens", "sensor_width")
_CAMERA_DEFAULTS: dict[str, Any] = {"location": (7.0, -7.0, 5.0), "look_at": (0.0, 0.0, 0.0)}


@dataclass(frozen=True)
class PresetLight:
    """A light placed relative to the view: azimuth from the camera's direction, elevation above the look-at point."""

    name: str
    kind: str  # SUN or AREA
    azimuth_deg: float  # 0 = from where the camera is, positive = counter-clockwise seen from above
    elevation_deg: float
    energy: float  # SUN: W/m2; AREA: W per (camera distance / 10 m)^2, so exposure does not depend on scale
    color: Vec3
    softness: float  # SUN: angular diameter in degrees; AREA: side as a fraction of the camera distance


@dataclass(frozen=True)
class RelightPreset:
    name: str
    description: str
    lights: tuple[PresetLight, ...]
    world_color: Vec3
    world_strength: float


RELIGHT_PRESETS: dict[str, RelightPreset] = {
    preset.name: preset
    for preset in (
        RelightPreset(
            "studio", "three soft white area lights (key, fill, rim) on a dim grey surround",
            (PresetLight("studio_key", "AREA", -45.0, 40.0, 900.0, (1.0, 0.97, 0.92), 0.35),
             PresetLight("studio_fill", "AREA", 60.0, 20.0, 300.0, (0.92, 0.96, 1.0), 0.5),
             PresetLight("studio_rim", "AREA", 170.0, 50.0, 600.0, (1.0, 1.0, 1.0), 0.25)),
            (0.8, 0.8, 0.8), 0.15,
        ),
        RelightPreset(
            "sunset", "a low warm sun from the side behind the scene, a dusky rose sky",
            (PresetLight("sunset_sun", "SUN", 110.0, 7.0, 5.0, (1.0, 0.42, 0.12), 1.5),),
            (0.42, 0.28, 0.36), 0.6,
        ),
        RelightPreset(
            "overcast", "a bright uniform grey-blue sky and a faint high diffuse sun: soft or no shadows",
            (PresetLight("overcast_sun", "SUN", -20.0, 65.0, 0.5, (0.9, 0.93, 1.0), 40.0),),
            (0.78, 0.82, 0.9), 1.1,
        ),
    )
}


def _literal(node: ast.expr | None, what: str) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise ProgramError(f"{what} must be a literal value to be transformed", line=node.lineno) from exc


def _vec3(value: Any, what: str, line: int | None) -> Vec3:
    if not (isinstance(value, (tuple, list)) and len(value) == 3 and all(isinstance(v, (int, float)) for v in value)):
        raise ProgramError(f"{what} must be three numbers, got {value!r}", line=line)
    return (float(value[0]), float(value[1]), float(value[2]))


def _fmt(value: float) -> str:
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def _vec_text(values: Sequence[float]) -> str:
    return "(" + ", ".join(_fmt(v) for v in values) + ")"


def _calls(program: SceneProgram, stage: str, func: str) -> list[ast.Call]:
    """Calls of ``func(...)`` inside the stage's section, in source order (line numbers of the whole program)."""
    tree = ast.parse(program.source)
    section = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == stage)
    found = [n for n in ast.walk(section) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _argument(call: ast.Call, name: str, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if position < len(call.args) else None


def _replace_node(source: str, node: ast.AST, text: str) -> str:
    """Swap one node's source span for ``text``; ast offsets are UTF-8 byte columns."""
    lines = source.splitlines(keepends=True)
    start_line, end_line = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
    head = lines[start_line].encode("utf-8")[: node.col_offset].decode("utf-8")
    tail = lines[end_line].encode("utf-8")[node.end_col_offset :].decode("utf-8")  # type: ignore[attr-defined]
    return "".join(lines[:start_line]) + head + text + tail + "".join(lines[end_line + 1 :])


def _set_argument(source: str, call: ast.Call, name: str, position: int, value_text: str) -> str:
    """Rewrite (or add, as a keyword) one argument of a call."""
    node = _argument(call, name, position)
    if node is not None:
        return _replace_node(source, node, value_text)
    end_line = call.end_lineno - 1  # type: ignore[attr-defined]
    lines = source.splitlines(keepends=True)
    raw = lines[end_line].encode("utf-8")
    close = call.end_col_offset - 1  # type: ignore[attr-defined]
    sep = ", " if call.args or call.keywords else ""
    lines[end_line] = (raw[:close] + f"{sep}{name}={value_text}".encode() + raw[close:]).decode("utf-8")
    return "".join(lines)


def _camera_call(source: str) -> tuple[ast.Call, Vec3, Vec3]:
    """The last ``set_camera`` call in ``composition()`` with its (location, look_at)."""
    calls = _calls(SceneProgram.from_source(source), "composition", "set_camera")
    if not calls:
        raise ProgramError("composition() has no set_camera(...) call to move")
    call = calls[-1]
    values = {}
    for position, name in enumerate(_CAMERA_PARAMS[:2]):
        value = _literal(_argument(call, name, position), f"set_camera {name}")
        values[name] = _vec3(_CAMERA_DEFAULTS[name] if value is None else value, f"set_camera {name}", call.lineno)
    return call, values["location"], values["look_at"]


def camera_of(source: str) -> tuple[Vec3, Vec3]:
    """(location, look_at) of the last ``set_camera`` call in ``composition()``."""
    _, location, look_at = _camera_call(source)
    return location, look_at


def orbit_programs(source: str, n: int) -> list[str]:
    """``n`` programs whose camera circles the look-at point at the same height and distance (frame 0 = original)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"orbit needs a positive number of views, got {n!r}")
    call, location, look_at = _camera_call(source)
    dx, dy = location[0] - look_at[0], location[1] - look_at[1]
    if math.hypot(dx, dy) < 1e-6:
        raise ProgramError("the camera looks straight down: there is no circle to orbit on", line=call.lineno)
    out = []
    for k in range(n):
        angle = 2.0 * math.pi * k / n
        c, s = math.cos(angle), math.sin(angle)
        moved = (look_at[0] + c * dx - s * dy, look_at[1] + s * dx + c * dy, location[2])
        out.append(SceneProgram.from_source(_set_argument(source, call, "location", 0, _vec_text(moved))).source)
    return out


def _scene_frame(source: str) -> tuple[Vec3, float, float]:
    """Look-at point, camera distance and camera azimuth (radians) of the program's view."""
    location, look_at = camera_of(source)
    distance = math.dist(location, look_at)
    azimuth = math.atan2(location[1] - look_at[1], location[0] - look_at[0])
    return look_at, distance, azimuth


def lighting_section(preset: RelightPreset, look_at: Vec3, distance: float, azimuth: float) -> str:
    """The body of ``lighting()`` for a preset, its lights placed around ``look_at`` relative to the view."""
    lines = [f"# relit: {preset.name} ({preset.description})"]
    for light in preset.lights:
        az = azimuth + math.radians(light.azimuth_deg)
        el = math.radians(light.elevation_deg)
        reach = distance  # lights sit as far from the look-at point as the camera
        position = (look_at[0] + reach * math.cos(el) * math.cos(az), look_at[1] + reach * math.cos(el) * math.sin(az),
                    look_at[2] + reach * math.sin(el))
        if light.kind == "SUN":
            extra, energy = f"angle={_fmt(light.softness)}", light.energy
        else:
            extra, energy = f"size={_fmt(light.softness * distance)}", light.energy * (distance / 10.0) ** 2
        lines.append(
            f'add_light("{light.name}", "{light.kind}", location={_vec_text(position)}, look_at={_vec_text(look_at)}, '
            f"energy={_fmt(energy)}, color={_vec_text(light.color)}, {extra})"
        )
    lines.append(f"set_world(color={_vec_text(preset.world_color)}, strength={_fmt(preset.world_strength)})")
    return "\n".join(lines) + "\n"


def relight_program(source: str, preset: str) -> str:
    """The program with ``lighting()`` replaced by a preset (studio, sunset, overcast)."""
    if preset not in RELIGHT_PRESETS:
        raise ConfigError(f"unknown relight preset {preset!r}; choose one of {', '.join(RELIGHT_PRESETS)}")
    look_at, distance, azimuth = _scene_frame(source)
    body = lighting_section(RELIGHT_PRESETS[preset], look_at, distance, azimuth)
    return SceneProgram.from_source(source).with_section("lighting", body).source


def _object_call(source: str, stage: str, func: str, name: str) -> ast.Call:
    program = SceneProgram.from_source(source)
    for call in reversed(_calls(program, stage, func)):
        first = call.args[0] if call.args else _argument(call, "name", 0)
        if isinstance(first, ast.Constant) and first.value == name:
            return call
    raise ProgramError(f"{stage}() has no {func}({name!r}, ...) call")


def recolor_program(source: str, name: str, color: Sequence[float]) -> str:
    """The program with object ``name``'s base colour (linear RGB in [0, 1]) changed in ``materials()``."""
    rgb = _vec3(tuple(color), "color", None)
    if not all(0.0 <= v <= 1.0 for v in rgb):
        raise ConfigError(f"colour components must be within [0, 1], got {rgb}")
    call = _object_call(source, "materials", "set_material", name)
    return SceneProgram.from_source(_set_argument(source, call, "color", 1, _vec_text(rgb))).source


def move_program(source: str, name: str, location: Sequence[float]) -> str:
    """The program with object ``name`` placed at ``location`` (metres) in ``composition()``."""
    where = _vec3(tuple(location), "location", None)
    call = _object_call(source, "composition", "place", name)
    return SceneProgram.from_source(_set_argument(source, call, "location", 1, _vec_text(where))).source


def save_orbit(frames: Sequence[np.ndarray], out_dir: Path | str, fps: float = 12.0, stem: str = "orbit") -> list[Path]:
    """Write orbit frames (HxWx3 sRGB float in [0, 1]) as ``<stem>_NNN.png`` and a looping ``<stem>.gif``."""
    from PIL import Image  # deferred: only the writers need it

    if not frames:
        raise ConfigError("no frames to save")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray((np.clip(f[..., :3], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)) for f in frames]
    paths = []
    for k, image in enumerate(images):
        path = out_dir / f"{stem}_{k:03d}.png"
        image.save(path)
        paths.append(path)
    gif = out_dir / f"{stem}.gif"
    images[0].save(gif, save_all=True, append_images=images[1:], duration=round(1000.0 / fps), loop=0)
    return paths + [gif]

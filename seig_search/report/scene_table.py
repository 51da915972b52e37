"""The reconstructed scene as tables: objects with colour swatches, camera, lights, world (from scene.json)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from render_pool.color import linear_to_srgb


def _hex(linear_rgb: Any) -> str | None:
    """A CSS colour for a linear RGB triple (what the render shows for a white-lit diffuse surface)."""
    if not isinstance(linear_rgb, (list, tuple)) or len(linear_rgb) < 3:
        return None
    try:
        srgb = linear_to_srgb(np.asarray([float(v) for v in linear_rgb[:3]], dtype=np.float32))
    except (TypeError, ValueError):
        return None
    return "#" + "".join(f"{round(float(c) * 255):02x}" for c in srgb)


def _vec(values: Any, digits: int = 2, degrees: bool = False) -> str:
    if not isinstance(values, (list, tuple)):
        return ""
    try:
        numbers = [math.degrees(float(v)) if degrees else float(v) for v in values]
    except (TypeError, ValueError):
        return ""
    return "(" + ", ".join(f"{round(v, digits) + 0.0:.{digits}f}" for v in numbers) + ")"  # + 0.0: no "-0.0"


def scene_tables(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Rows for the report's scene section; empty lists where scene.json lacks a part."""
    objects = []
    for obj in summary.get("objects") or []:
        if not isinstance(obj, dict):
            continue
        material = obj.get("material") if isinstance(obj.get("material"), dict) else {}
        objects.append({
            "name": str(obj.get("name", "")),
            "type": str(obj.get("type", "")),
            "dimensions": _vec(obj.get("dimensions")),
            "location": _vec(obj.get("location")),
            "rotation": _vec(obj.get("rotation_euler"), 0, degrees=True),
            "swatch": _hex(material.get("base_color")),
            "color": _vec((material.get("base_color") or [])[:3], 3),
            "roughness": material.get("roughness"),
            "metallic": material.get("metallic"),
        })
    lights = [{"name": str(light.get("name", "")), "type": str(light.get("type", "")),
               "location": _vec(light.get("location")), "energy": light.get("energy"),
               "swatch": _hex(light.get("color")), "color": _vec(light.get("color"), 3)}
              for light in summary.get("lights") or [] if isinstance(light, dict)]
    camera = summary.get("camera") if isinstance(summary.get("camera"), dict) else None
    cameras = [] if camera is None else [{"location": _vec(camera.get("location")),
                                          "rotation": _vec(camera.get("rotation_euler"), 1, degrees=True),
                                          "lens": camera.get("lens"), "fov_deg": camera.get("fov_deg")}]
    world = summary.get("world") if isinstance(summary.get("world"), dict) else None
    worlds = [] if world is None else [{"swatch": _hex(world.get("color")), "color": _vec(world.get("color"), 3),
                                        "strength": world.get("strength")}]
    return {"objects": objects, "lights": lights, "camera": cameras, "world": worlds}

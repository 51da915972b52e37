"""What a number means where it stands: roles, their bounds, and the helpers' signatures.

Kept as data so docs/dialect.md, the literal finder and the proposers agree on units and ranges.
"""

from __future__ import annotations

import math

# role -> (low, high, scaled): scaled bounds are multiplied by the scene extent (metres from the origin).
ROLE_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "unit": (0.0, 1.0, False),  # roughness, metallic, specular, transmission, alpha
    "color": (0.0, 1.0, False),  # linear RGB component
    "location": (-1.0, 1.0, True),  # object centres, look_at points
    "far_location": (-3.0, 3.0, True),  # cameras and lights, which stand outside the scene
    "dims": (0.001, 1.0, True),  # bounding-box size
    "length": (0.001, 1.0, True),  # radius, depth, size of raw bpy/bmesh calls
    "ground_size": (1.0, 1000.0, False),
    "rotation_deg": (-180.0, 180.0, False),
    "rotation_rad": (-math.pi, math.pi, False),
    "scale": (0.01, 10.0, False),
    "lens": (10.0, 200.0, False),  # mm
    "sensor": (5.0, 100.0, False),  # mm
    "energy_sun": (0.01, 20.0, False),  # W/m2
    "energy_watts": (1.0, 5000.0, False),  # W, point/spot/area lights
    "energy": (0.01, 5000.0, False),  # a light of unknown kind
    "strength": (0.0, 10.0, False),  # world background strength
    "emission_strength": (0.0, 50.0, False),
    "light_size": (0.0, 10.0, False),  # metres
    "angle_deg": (0.0, 90.0, False),  # sun angular diameter
    "spot_deg": (1.0, 180.0, False),
    "angle_rad": (0.0, math.pi / 2, False),
    "spot_rad": (math.radians(1.0), math.pi, False),
    "ior": (1.0, 3.0, False),
    "count": (1.0, 256.0, False),  # segments, subdivisions: discrete
}

# Positional parameters of the prelude helpers (docs/dialect.md lists the same signatures).
HELPER_PARAMS: dict[str, tuple[str, ...]] = {
    "add_ground": ("name", "size"),
    "add_object": ("name", "shape", "dims"),
    "set_material": ("name", "color", "roughness", "metallic", "specular", "transmission", "emission",
                     "emission_strength"),
    "place": ("name", "location", "rotation"),
    "set_camera": ("location", "look_at", "lens", "sensor_width"),
    "add_light": ("name", "kind", "location", "look_at", "energy", "color", "size", "angle", "spot_size"),
    "set_world": ("color", "strength"),
}

_HELPER_ROLES: dict[tuple[str, str], str] = {
    ("add_ground", "size"): "ground_size",
    ("add_object", "dims"): "dims",
    ("set_material", "color"): "color",
    ("set_material", "roughness"): "unit",
    ("set_material", "metallic"): "unit",
    ("set_material", "specular"): "unit",
    ("set_material", "transmission"): "unit",
    ("set_material", "emission"): "color",
    ("set_material", "emission_strength"): "emission_strength",
    ("place", "location"): "location",
    ("place", "rotation"): "rotation_deg",
    ("set_camera", "location"): "far_location",
    ("set_camera", "look_at"): "location",
    ("set_camera", "lens"): "lens",
    ("set_camera", "sensor_width"): "sensor",
    ("add_light", "location"): "far_location",
    ("add_light", "look_at"): "location",
    ("add_light", "color"): "color",
    ("add_light", "size"): "light_size",
    ("add_light", "angle"): "angle_deg",
    ("add_light", "spot_size"): "spot_deg",
    ("set_world", "color"): "color",
    ("set_world", "strength"): "strength",
}

# Keyword names of raw bpy/bmesh calls, and socket names of node inputs (lower case).
_KEY_ROLES: dict[str, str] = {
    "roughness": "unit", "metallic": "unit", "specular": "unit", "transmission": "unit", "alpha": "unit",
    "specular ior level": "unit", "transmission weight": "unit", "coat weight": "unit", "sheen weight": "unit",
    "subsurface weight": "unit", "coat roughness": "unit", "sheen roughness": "unit",
    "color": "color", "base color": "color", "emission color": "color", "emission": "color",
    "emission strength": "emission_strength", "emission_strength": "emission_strength", "strength": "strength",
    "ior": "ior", "energy": "energy", "lens": "lens", "location": "far_location", "rotation": "rotation_rad",
    "scale": "scale", "radius": "length", "radius1": "length", "radius2": "length", "depth": "length",
    "size": "length", "major_radius": "length", "minor_radius": "length",
    "segments": "count", "u_segments": "count", "v_segments": "count", "vertices": "count", "ring_count": "count",
    "x_segments": "count", "y_segments": "count", "subdivisions": "count", "levels": "count",
    "render_levels": "count", "count": "count", "resolution": "count", "major_segments": "count",
    "minor_segments": "count",
}

_ATTRIBUTE_ROLES: dict[str, str] = {
    "location": "far_location", "rotation_euler": "rotation_rad", "scale": "scale", "dimensions": "dims",
    "energy": "energy", "lens": "lens", "sensor_width": "sensor", "color": "color", "diffuse_color": "color",
    "roughness": "unit", "metallic": "unit", "spot_size": "spot_rad", "spot_blend": "unit", "angle": "angle_rad",
    "shadow_soft_size": "light_size", "size": "light_size", "size_y": "light_size", "strength": "strength",
    "pass_index": "excluded", "samples": "count", "levels": "count", "render_levels": "count",
    "segments": "count",
}


def role_for_key(key: str, component: int | None = None) -> str:
    """Role of a keyword argument or node-socket name; 'unknown' when it means nothing known."""
    role = _KEY_ROLES.get(key.lower(), "unknown")
    if role == "color" and component == 3:
        return "unit"  # the alpha of an RGBA value
    return role


def role_for_attribute(attr: str, socket: str | None, component: int | None) -> str:
    """Role of a value assigned to `<something>.attr` (`socket` is the key of inputs["..."] when present)."""
    if attr == "default_value" and socket is not None:
        return role_for_key(socket, component)
    role = _ATTRIBUTE_ROLES.get(attr, "unknown")
    if role == "color" and component == 3:
        return "unit"
    return role


def role_for_call(name: str, keyword: str | None, position: int | None, component: int | None,
                  kind: str | None) -> tuple[str, str]:
    """(role, parameter name) of an argument to a call, by helper signature or known function."""
    params = HELPER_PARAMS.get(name)
    if params is not None:
        param = keyword if keyword is not None else (params[position] if position is not None and
                                                     position < len(params) else f"arg{position}")
        if name == "add_light" and param == "energy":
            kind = kind or "SUN"  # the helper's default kind
            return ("energy_sun" if kind == "SUN" else "energy_watts"), param
        return _HELPER_ROLES.get((name, param), "unknown"), param
    param = keyword if keyword is not None else f"arg{position}"
    if name == "radians":
        return "rotation_deg", param
    if name == "range":
        return "count", param
    return "unknown", param

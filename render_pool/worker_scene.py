"""Scene reset and scene summary, run inside the sandboxed Blender worker.

The worker passes its ``bpy`` module in, so only ``worker_main`` imports bpy. Nothing else imports this module.
"""

from __future__ import annotations

import math
from typing import Any

# bpy.data collections emptied between jobs (scenes are swapped, not emptied: a new scene has default settings)
_DATA_COLLECTIONS = (
    "objects", "meshes", "materials", "lights", "cameras", "curves", "node_groups", "textures", "worlds",
    "collections", "actions", "texts", "fonts", "lattices", "metaballs", "particles", "volumes", "pointclouds",
    "hair_curves", "armatures", "grease_pencils", "lightprobes", "speakers", "sounds", "movieclips", "masks",
    "cache_files", "palettes", "libraries", "images",
)


# Scene settings restored to the factory startup values on every reset: a scene from bpy.data.scenes.new()
# has bare DNA defaults (another Cycles sampling pattern, white balance, Workbench lighting), not the startup
# file's, and a plain Blender run of the program would see the startup file's.
_SETTINGS_PATHS = ("render", "render.image_settings", "cycles", "cycles_curves", "display", "display.shading",
                   "view_settings", "display_settings", "eevee", "unit_settings")
_FACTORY: dict[str, dict[str, Any]] = {}


def _resolve(scene: Any, path: str) -> Any:
    obj = scene
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def snapshot_factory_settings(bpy: Any) -> None:
    """Record the writable settings of the factory startup scene (call right after read_factory_settings)."""
    scene = bpy.context.scene
    for path in _SETTINGS_PATHS:
        struct = _resolve(scene, path)
        values = {}
        for prop in struct.bl_rna.properties:
            # viewport-preview settings only matter in the UI (and their update callbacks expect a window)
            if (prop.is_readonly or prop.type in ("POINTER", "COLLECTION") or prop.identifier == "rna_type"
                    or "preview" in prop.identifier):
                continue
            value = getattr(struct, prop.identifier)
            values[prop.identifier] = tuple(value) if getattr(prop, "array_length", 0) else value
        _FACTORY[path] = values


def _apply_factory_settings(scene: Any) -> None:
    for path, values in _FACTORY.items():
        struct = _resolve(scene, path)
        for name, value in values.items():
            try:
                setattr(struct, name, value)
            except (TypeError, ValueError, AttributeError):  # values valid only in some modes
                pass


def reset_scene(bpy: Any) -> None:
    """Leave one brand-new empty scene with the factory settings and a new default world; drop every
    datablock a program made."""
    old = bpy.context.scene
    fresh = bpy.data.scenes.new("Scene.fresh")
    for scene in list(bpy.data.scenes):
        if scene != fresh:
            bpy.data.scenes.remove(scene)
    fresh.name = "Scene"
    assert bpy.context.scene == fresh or old is None, "context scene did not follow the scene swap"
    for name in _DATA_COLLECTIONS:
        coll = getattr(bpy.data, name, None)
        if coll is None:
            continue
        ids = [i for i in coll if not (name == "images" and i.type in ("RENDER_RESULT", "COMPOSITING"))]
        if ids:
            bpy.data.batch_remove(ids)
    bpy.data.orphans_purge(do_recursive=True)
    restore_handlers(bpy)
    bpy.app.driver_namespace.clear()
    _apply_factory_settings(fresh)
    fresh.world = bpy.data.worlds.new("World")


_BLENDER_HANDLERS: dict[str, list] = {}


def snapshot_handlers(bpy: Any) -> None:
    """Remember Blender's own app handlers (add-ons register some) before any program runs."""
    for name, handlers in _handler_lists(bpy):
        _BLENDER_HANDLERS[name] = list(handlers)


def restore_handlers(bpy: Any) -> None:
    """Drop every handler a program added, keep Blender's own."""
    for name, handlers in _handler_lists(bpy):
        handlers[:] = _BLENDER_HANDLERS.get(name, [])


def _handler_lists(bpy: Any) -> list[tuple[str, list]]:
    out = []
    for name in dir(bpy.app.handlers):
        value = getattr(bpy.app.handlers, name)
        if isinstance(value, list):
            out.append((name, value))
    return out


def assign_pass_indices(bpy: Any) -> None:
    """Give mesh objects without a pass_index the next free indices, in creation order."""
    meshes = [o for o in creation_order(bpy.context.scene.objects) if o.type == "MESH"]
    next_index = max([o.pass_index for o in meshes] + [0]) + 1
    for obj in meshes:
        if obj.pass_index == 0:
            obj.pass_index = next_index
            next_index += 1


def creation_order(objects: Any) -> list:
    # session_uid grows with every datablock created in this process, so it orders objects by creation
    return sorted(objects, key=lambda o: o.session_uid)


def ensure_camera(bpy: Any) -> str | None:
    """Make sure the scene has an active camera; return a message when the program built none."""
    scene = bpy.context.scene
    if scene.camera is not None:
        return None
    cameras = [o for o in creation_order(scene.objects) if o.type == "CAMERA"]
    if not cameras:
        return "the program built no camera (add a camera object and set scene.camera)"
    scene.camera = cameras[0]
    return None


def _vec(values: Any) -> list[float]:
    return [float(v) for v in values]


def _material_summary(obj: Any) -> dict[str, Any] | None:
    mat = obj.active_material
    if mat is None:
        return None
    out: dict[str, Any] = {"name": mat.name, "base_color": _vec(mat.diffuse_color), "roughness": float(mat.roughness),
                           "metallic": float(mat.metallic), "emission_strength": 0.0}
    tree = mat.node_tree
    bsdf = next((n for n in tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled"), None) if tree else None
    if bsdf is not None:
        inputs = bsdf.inputs
        out["base_color"] = _vec(inputs["Base Color"].default_value)
        out["roughness"] = float(inputs["Roughness"].default_value)
        out["metallic"] = float(inputs["Metallic"].default_value)
        out["emission_strength"] = float(inputs["Emission Strength"].default_value)
    return out


def _placement(obj: Any) -> dict[str, Any]:
    world = obj.matrix_world
    return {"location": _vec(world.to_translation()), "rotation_euler": _vec(world.to_euler("XYZ"))}


def _shape(obj: Any) -> str | None:
    """The dialect's shape name (the prelude tags each object with it), None for other objects."""
    shape = obj.get("seig_shape")
    return shape if isinstance(shape, str) else None


def _world_summary(world: Any) -> dict[str, Any] | None:
    if world is None:
        return None
    color, strength = _vec(world.color), 1.0
    tree = world.node_tree
    background = next((n for n in tree.nodes if n.bl_idname == "ShaderNodeBackground"), None) if tree else None
    if background is not None:
        color = _vec(background.inputs["Color"].default_value)[:3]
        strength = float(background.inputs["Strength"].default_value)
    return {"color": color, "strength": strength}


def scene_summary(bpy: Any) -> dict[str, Any]:
    """A plain-JSON description of what the program built (see docs/architecture.md)."""
    scene = bpy.context.scene
    bpy.context.view_layer.update()  # matrix_world and dimensions are only current after an update
    objects, lights = [], []
    for obj in creation_order(scene.objects):
        if obj.type == "LIGHT":
            lights.append({"name": obj.name, "type": obj.data.type, **_placement(obj),
                           "energy": float(obj.data.energy), "color": _vec(obj.data.color)})
        elif obj.type != "CAMERA":
            objects.append({
                "name": obj.name, "type": obj.type, "pass_index": int(obj.pass_index),
                "shape": _shape(obj),
                "location": _vec(obj.location), "rotation_euler": _vec(obj.rotation_euler), "scale": _vec(obj.scale),
                "dimensions": _vec(obj.dimensions), "matrix_world": [_vec(row) for row in obj.matrix_world],
                "material": _material_summary(obj),
            })
    camera = None
    if scene.camera is not None:
        cam = scene.camera
        camera = {"name": cam.name, **_placement(cam)}
        if cam.type == "CAMERA":
            camera.update({"lens": float(cam.data.lens), "sensor_width": float(cam.data.sensor_width),
                           "fov_deg": math.degrees(cam.data.angle), "type": cam.data.type})
    return {"objects": objects, "camera": camera, "lights": lights, "world": _world_summary(scene.world)}

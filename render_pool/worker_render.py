"""Render settings, the multilayer EXR render and exports, run inside the sandboxed Blender worker.

All requested passes come out of one render written as a multi-part EXR to the worker's private tmp and
read back with the OpenEXR package (Blender's `Render Result` has no pixels in background mode).
Workbench has no object-index pass: for it the index comes from a second, flat-shaded render in which each
object's colour holds its pass_index (exact up to 2048, the float16 range of the viewport buffer).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import OpenEXR

_ENGINE_IDS = {"CYCLES": "CYCLES", "WORKBENCH": "BLENDER_WORKBENCH"}
_BACKGROUND_DEPTH = 1e9  # Blender writes 1e10 where a ray hits nothing


def configure(bpy: Any, settings: dict, device: str, threads: int) -> None:
    """Apply a job's settings over whatever the program set; the job's settings win."""
    scene = bpy.context.scene
    render = scene.render
    render.engine = _ENGINE_IDS[settings["engine"]]
    render.resolution_x, render.resolution_y = settings["width"], settings["height"]
    render.resolution_percentage = 100
    render.use_border = False
    render.use_compositing = False
    render.use_sequencer = False
    render.threads_mode = "FIXED" if threads > 0 else "AUTO"
    if threads > 0:
        render.threads = threads
    # Standard view: linear -> sRGB of the Combined pass equals what Blender writes to a PNG
    scene.display_settings.display_device = "sRGB"
    view = scene.view_settings
    view.view_transform, view.look, view.exposure, view.gamma = "Standard", "None", 0.0, 1.0
    view.use_curve_mapping = False
    image = render.image_settings
    image.media_type = "MULTI_LAYER_IMAGE"
    image.color_depth = "32"
    image.exr_codec = "NONE"  # small frames in tmpfs: compression costs more than it saves
    layer = bpy.context.view_layer
    passes = settings["passes"]
    layer.use_pass_combined = True
    layer.use_pass_z = "depth" in passes
    layer.use_pass_object_index = "index" in passes and settings["engine"] == "CYCLES"
    if settings["engine"] == "CYCLES":
        cycles = scene.cycles
        cycles.samples = settings["samples"]
        cycles.use_denoising = bool(settings["denoise"])
        cycles.seed = settings["seed"]
        cycles.use_animated_seed = False
        cycles.device = "GPU" if device != "CPU" else "CPU"
        render.use_persistent_data = device != "CPU"  # GPU render setup dominates small frames: keep data


def _read_exr(path: str) -> dict[str, np.ndarray]:
    planes: dict[str, np.ndarray] = {}
    with OpenEXR.File(path, separate_channels=False) as exr:
        for part in exr.parts:
            for name, channel in part.channels.items():
                planes[name] = np.asarray(channel.pixels)
    return planes


def _find(planes: dict[str, np.ndarray], suffix: str) -> np.ndarray | None:
    return next((v for k, v in planes.items() if k == suffix or k.endswith("." + suffix) or suffix in k), None)


def _render_to(bpy: Any, path: str) -> dict[str, np.ndarray]:
    bpy.context.scene.render.filepath = path
    bpy.ops.render.render(write_still=True)
    planes = _read_exr(path)
    os.unlink(path)
    return planes


def render_passes(bpy: Any, settings: dict, tmpdir: str) -> dict[str, np.ndarray]:
    """Render once and return the requested passes: color HxWx4 linear, index HxW int32, depth HxW float32."""
    planes = _render_to(bpy, os.path.join(tmpdir, "render.exr"))
    out: dict[str, np.ndarray] = {}
    passes = settings["passes"]
    combined = _find(planes, "Combined")
    if combined is None:
        raise RuntimeError(f"the EXR has no Combined pass (parts: {sorted(planes)})")
    if "color" in passes:
        color = np.array(combined, dtype=np.float32)
        if not bpy.context.scene.render.film_transparent:
            color[..., 3] = 1.0  # Workbench writes 0.998 on an opaque film; opaque means 1
        out["color"] = color
    if "depth" in passes:
        depth = np.asarray(_find(planes, "Depth"), dtype=np.float32)
        out["depth"] = np.where(depth >= _BACKGROUND_DEPTH, np.float32(np.inf), depth).astype(np.float32)
    if "index" in passes:
        if settings["engine"] == "CYCLES":
            out["index"] = np.rint(_find(planes, "Object Index")).astype(np.int32)
        else:
            out["index"] = _workbench_index(bpy, tmpdir)
    return out


def _workbench_index(bpy: Any, tmpdir: str) -> np.ndarray:
    scene = bpy.context.scene
    shading, display = scene.display.shading, scene.display
    saved = (shading.light, shading.color_type, display.render_aa, shading.show_cavity, shading.show_shadows,
             shading.show_object_outline, shading.show_xray, scene.render.film_transparent)
    colors = {o.name: tuple(o.color) for o in scene.objects}
    try:
        shading.light, shading.color_type, display.render_aa = "FLAT", "OBJECT", "OFF"
        shading.show_cavity = shading.show_shadows = shading.show_object_outline = shading.show_xray = False
        scene.render.film_transparent = True  # alpha separates background from index 0 objects
        for obj in scene.objects:
            obj.color = (float(obj.pass_index), 0.0, 0.0, 1.0)
        planes = _render_to(bpy, os.path.join(tmpdir, "index.exr"))
    finally:
        (shading.light, shading.color_type, display.render_aa, shading.show_cavity, shading.show_shadows,
         shading.show_object_outline, shading.show_xray, scene.render.film_transparent) = saved
        for obj in scene.objects:
            obj.color = colors.get(obj.name, obj.color)
    rgba = _find(planes, "Combined")
    return np.where(rgba[..., 3] > 0.5, np.rint(rgba[..., 0]), 0).astype(np.int32)


def export_files(bpy: Any, settings: dict, tmpdir: str) -> dict[str, bytes]:
    """The .blend and/or .glb of the built scene, as bytes."""
    out: dict[str, bytes] = {}
    if settings.get("want_blend"):
        path = os.path.join(tmpdir, "scene.blend")
        bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, compress=True)
        out["blend"] = _slurp(path)
    if settings.get("want_glb"):
        path = os.path.join(tmpdir, "scene.glb")
        bpy.ops.export_scene.gltf(filepath=path, export_format="GLB", export_cameras=True, export_lights=True)
        out["glb"] = _slurp(path)
    return out


def _slurp(path: str) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read()
    os.unlink(path)
    return data


def configure_gpu(bpy: Any) -> str:
    """Select OptiX, else CUDA, for Cycles; return the device type in use ('CPU' when no GPU is usable)."""
    prefs = bpy.context.preferences.addons["cycles"].preferences
    for kind in ("OPTIX", "CUDA"):
        try:
            prefs.compute_device_type = kind
            prefs.refresh_devices()
        except TypeError:
            continue
        devices = [d for d in prefs.devices if d.type == kind]
        if devices:
            for d in prefs.devices:
                d.use = d.type == kind
            return kind
    prefs.compute_device_type = "NONE"
    return "CPU"

"""The perception pipeline: image -> SceneEstimate (background, instances, camera, objects, light)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import ndimage as ndi

from seig_search.errors import InputImageError
from seig_search.perception import camera as cam_mod
from seig_search.perception.assembly import stack_on_base
from seig_search.perception.background import analyse_background, denoise
from seig_search.perception.cast_shadows import drawn_shadows, fit_key_light, light_vector, silhouettes
from seig_search.perception.hidden_objects import hidden_pieces, image_lab
from seig_search.perception.checks import Unchecked, learned_checks
from seig_search.perception.casters import release_casterless_shadows, release_stray_shadows
from seig_search.perception.colorspace import srgb_to_linear
from seig_search.perception.lighting import estimate_light
from seig_search.perception.material import estimate_appearance
from seig_search.perception.object_pixels import refine_foreground
from seig_search.perception.parts import cutout_parts, drawable
from seig_search.perception.pitch_shading import refine_pitch
from seig_search.perception.refit import fit_camera, fitted_object, new_object
from seig_search.perception.own_shadow import coloured_pieces, shadow_trimmed_region
from seig_search.perception.outline_split import split_behind
from seig_search.perception.rejoin import MAX_UNION_COST, best_cost, rejoin_split_objects
from seig_search.perception.shadow_objects import (MARGIN_PX, key_without_dark_objects, lit_top_above,
                                                  unexplained_shadow_pieces)
from seig_search.perception.shadow_patches import shadow_patches
from seig_search.perception.tint import own_colour_pixels, region_from_mask
from seig_search.perception.fit import fit_region
from seig_search.perception.place import candidate_shapes, fit_object, outline_region, place_objects
from seig_search.perception.segment import colour_gradient, foreground_mask, segment_instances
from seig_search.perception.types import MAX_OBJECTS, Background, ObjectEstimate, SceneEstimate

REFINE_FOREGROUND = True  # a per-pixel model moves pixels the hand-set tests got wrong (object_pixels.py)
TRIM_OWN_SHADOWS = True  # cut a grey object's own cast shadow out of its region with the fitted light
FIND_IN_CUT = True  # ... and what the trim cuts off with a colour of its own is an object standing in the shadow
FIND_HIDDEN = True  # split objects standing behind another off its region (hidden_objects.py)
SPLIT_BY_OUTLINE = True  # ... also of like colour, where one primitive cannot outline the region (outline_split.py)
REJOIN_SPLIT = True  # join touching one-hue pieces that one primitive outlines as well (rejoin.py)
FIND_IN_SHADOW = True  # dark objects in the shadow mask that no drawn shadow explains (shadow_objects.py)
UNPULL_KEY = True  # ... the key light fitted again without the object-like pieces its first fit shades
REJOIN_AGAIN = True  # once the shadows are cut off, join split pieces again (cleaner outlines)
JOIN_SHADOW_FINDS = True  # ... trying the objects found in the shadows too (often their neighbour's shaded side)
DROP_SHADOW_PATCHES = True  # ground-coloured "objects" in another's drawn shadow that cast none (shadow_patches.py)


def check_image(srgb: np.ndarray) -> None:
    if not isinstance(srgb, np.ndarray) or srgb.ndim != 3 or srgb.shape[2] != 3:
        raise InputImageError(f"perception needs an HxWx3 sRGB image, got shape {getattr(srgb, 'shape', None)}")
    if min(srgb.shape[:2]) < 16:
        raise InputImageError(f"image too small for perception: {srgb.shape[1]}x{srgb.shape[0]} (need >= 16x16)")
    if not np.isfinite(srgb).all():
        raise InputImageError("image contains NaN or infinite values")


def _cutout_background(srgb: np.ndarray, alpha: np.ndarray) -> Background:
    """An RGBA cut-out: no ground, the world is what the image was composited on."""
    bgpix = srgb[alpha < 0.5]
    world = tuple(float(v) for v in np.median(bgpix, axis=0)) if bgpix.size else (1.0, 1.0, 1.0)
    return Background(world_srgb=world, ground_srgb=None, horizon_row=None,  # type: ignore[arg-type]
                      world_mask=alpha < 0.5)


def hand_set_foreground(srgb: np.ndarray) -> tuple[Background, np.ndarray, np.ndarray]:
    """Background, denoised image and object mask of an opaque image by the hand-set tests alone."""
    h, w, _ = srgb.shape
    bg = analyse_background(srgb)
    smooth = denoise(srgb)
    bg, fg = release_casterless_shadows(bg, foreground_mask(smooth, bg), max(10, int(0.001 * h * w)))
    return bg, smooth, fg


def _opaque_objects(srgb: np.ndarray) -> tuple[Background, np.ndarray, np.ndarray]:
    """Background, denoised image and object mask of an opaque image (cast shadows left to the ground)."""
    bg, smooth, fg = hand_set_foreground(srgb)
    if REFINE_FOREGROUND:
        h, w, _ = srgb.shape
        bg, fg = refine_foreground(smooth, bg, fg, max(10, int(0.001 * h * w)))
    return bg, smooth, fg


def object_foreground(srgb: np.ndarray) -> np.ndarray:
    """Boolean HxW mask of the objects of an opaque sRGB image: the ground, its cast shadows, pools of lamp
    light and the world are left out (the first steps of :func:`analyse`, by the hand-set tests: this is the
    render score's target mask, which weighs every candidate of a run, and the per-pixel model was fitted on
    one generator's 128 px renders; on a dark, noiseless cast shadow it can call the shadow an object)."""
    check_image(srgb)
    return hand_set_foreground(np.clip(srgb.astype(np.float32), 0.0, 1.0))[2]


def analyse(srgb: np.ndarray, alpha: np.ndarray | None = None) -> SceneEstimate:
    """Estimate a scene from one sRGB float image (HxWx3 in [0, 1]), optionally with its alpha (the camera
    hypotheses re-place the result under other pitches: reframe.py)."""
    check_image(srgb)
    srgb = np.clip(srgb.astype(np.float32), 0.0, 1.0)
    return learned_checks(srgb, estimate_unchecked(srgb, alpha))


def estimate_unchecked(srgb: np.ndarray, alpha: np.ndarray | None = None) -> Unchecked:
    """Every step of :func:`analyse` before the learned last checks."""
    check_image(srgb)
    srgb = np.clip(srgb.astype(np.float32), 0.0, 1.0)
    h, w, _ = srgb.shape
    use_alpha = alpha is not None and (alpha < 0.5).mean() > 0.01
    if use_alpha:
        bg = _cutout_background(srgb, alpha)
        smooth = denoise(srgb)
        fg = foreground_mask(smooth, bg, alpha)
        # a cut-out is one object's parts: one-hue parts stay apart, and thin legs and cables that upright
        # primitives cannot draw are cut off (parts.py)
        regions = cutout_parts(segment_instances(smooth, fg, bg, join_hues=False), fg.shape)
    else:
        bg, smooth, fg = _opaque_objects(srgb)
        regions = segment_instances(smooth, fg, bg)
        bg2, fg2 = release_stray_shadows(bg, fg, regions, max(10, int(0.001 * h * w)))
        if fg2 is not fg:
            bg, fg = bg2, fg2
            regions = segment_instances(smooth, fg, bg)
    regions = regions[:MAX_OBJECTS]
    notes: list[str] = []
    if not regions:
        notes.append("no foreground object found; the program has ground, camera and light only")
    post = cam_mod.camera_posterior(bg, w, h, regions=regions, occluders=fg)
    camera = cam_mod.camera_from_posterior(post, cam_mod.PRIOR_LENS_MM, w, h)
    if regions:
        camera = refine_pitch(srgb, fg, regions, camera, post, w, h)
    light = estimate_light(srgb, bg, regions, cam_mod.pinhole(camera, w, h))
    irradiance = light.irradiance
    ground_lin = None
    if bg.ground_mask is not None and bg.ground_mask.any():
        ground_lin = np.median(srgb_to_linear(srgb[bg.ground_mask]), axis=0)
    objects = [new_object(srgb, r, irradiance, ground_lin) for r in regions]
    camera, objects = place_objects(objects, camera, w, h, occluders=fg, srgb=srgb, free_aspect=use_alpha)
    if not use_alpha and objects and REJOIN_SPLIT:
        objects = _rejoin(srgb, objects, camera, fg, w, h, irradiance, ground_lin)
    placed = {id(o): o.region for o in objects}  # what the first join saw (None: found in the shadows since)
    if not use_alpha and objects:
        # the placed objects' drawn shadows fix the sun far better than where shadow pixels lie (cast_shadows.py)
        scene_cam = cam_mod.pinhole(camera, w, h)
        key = fit_key_light(scene_cam, objects, bg.shadow_mask)
        lin3 = srgb_to_linear(srgb)  # the linear image, once for the steps below
        if FIND_IN_SHADOW and (key is not None or UNPULL_KEY):
            # what the dark-object tests read, for both steps below: found regions and fitted silhouettes
            occupied, gradient = fg | silhouettes(scene_cam, objects, (h, w)), colour_gradient(srgb)
            if UNPULL_KEY:
                key = key_without_dark_objects(scene_cam, objects, key, bg.shadow_mask, occupied, srgb, gradient)
        if key is not None and FIND_IN_SHADOW:
            bg, fg, objects = _objects_in_shadow(srgb, lin3, objects, camera, key, bg, fg, w, h, irradiance,
                                                 ground_lin, occupied, gradient)
            # a piece freed from the shadow mask beside an object is often its shaded side (a coloured box's
            # dark face, grey in the dark, or a metal's dark flank): the second join may take it back
            if JOIN_SHADOW_FINDS:
                placed.update((id(o), None) for o in objects if id(o) not in placed)
        if key is not None and TRIM_OWN_SHADOWS:
            cut, in_cut = _trim_own_shadows(srgb, lin3, objects, camera, key, bg, fg, w, h, irradiance, ground_lin)
            objects = objects + in_cut[:max(0, MAX_OBJECTS - len(objects))]
            if FIND_HIDDEN:
                objects = objects + _hidden_objects(srgb, objects, camera, key, bg, fg, w, h, irradiance,
                                                    ground_lin)[:max(0, MAX_OBJECTS - len(objects))]
            if cut.any() or FIND_HIDDEN:
                # the objects moved a little: refine the direction from the first fit, no new grid
                key = fit_key_light(cam_mod.pinhole(camera, w, h), objects, bg.shadow_mask | cut, start=key) or key
        if key is not None and DROP_SHADOW_PATCHES and ground_lin is not None:
            bg, fg, objects, dropped = _drop_shadow_patches(lin3, objects, camera, key, bg, fg, w, h, ground_lin)
            if dropped:
                key = fit_key_light(cam_mod.pinhole(camera, w, h), objects, bg.shadow_mask, start=key) or key
        if REJOIN_AGAIN and REJOIN_SPLIT and len(objects) > 1:
            # Own shadows are cut off now, so a split object's pieces outline their union better. Objects found
            # behind others were split off on purpose and stay apart; pairs whose regions did not change were
            # tried before.
            n_before = len(objects)
            old = [o for o in objects if id(o) in placed]
            settled = [o for o in old if o.region is placed[id(o)]]
            objects = _rejoin(srgb, old, camera, fg, w, h, irradiance, ground_lin, settled) + [
                o for o in objects if id(o) not in placed]
            if len(objects) < n_before and key is not None:
                key = fit_key_light(cam_mod.pinhole(camera, w, h), objects, bg.shadow_mask, start=key) or key
        if key is not None:
            light = estimate_light(srgb, bg, regions, cam_mod.pinhole(camera, w, h),
                                   key=(key.azimuth_deg, key.elevation_deg))
    if use_alpha:  # no ground in a cut-out: only the lowest part of each connected foreground stands on it
        objects = drawable(objects)
        stack_on_base(objects, camera, fg, w, h)
    ground_color = None
    if bg.ground_srgb is not None and bg.ground_mask is not None and bg.ground_mask.any():
        g_lin = np.median(srgb_to_linear(srgb[bg.ground_mask]), axis=0)
        ground_color = tuple(float(v) for v in np.clip(g_lin / max(irradiance, 1e-4), 0.0, 1.0))
    est = SceneEstimate(objects=objects, background=bg, camera=camera, light=light.estimate,
                        ground_color=ground_color, notes=notes, foreground=fg,
                        cutout=use_alpha)  # type: ignore[arg-type]
    return Unchecked(est=est, fg=fg, irradiance=irradiance, ground_lin=ground_lin)


def _rejoin(srgb, objects, camera, fg, w, h, irradiance, ground_lin, settled=()) -> list[ObjectEstimate]:
    """Objects split by reflections or shading joined again (rejoin.py), fitted in their outline units."""
    def fit_cam(o):
        return fit_camera(camera, o.fit_scale, w, h)

    def make(mask, like):
        return fitted_object(srgb, mask, fit_cam(like), fg, like.fit_scale, irradiance, ground_lin)

    return rejoin_split_objects(objects, fit_cam, fg, srgb, make, settled)


def _objects_in_shadow(srgb, lin3, objects, camera, key, bg, fg, w, h, irradiance, ground_lin, occupied, gradient):
    """Dark objects the shadow mask took (shadow_objects.py), moved to the foreground and fitted; a piece under
    a found object's lit top is its shaded body and joins it. ``occupied``: the found regions and fitted
    silhouettes; ``gradient``: the image's colour gradient. Returns the background, foreground and objects."""
    if len(objects) >= MAX_OBJECTS or bg.shadow_mask is None:
        return bg, fg, objects
    scene_cam = cam_mod.pinhole(camera, w, h)
    drawn = drawn_shadows(scene_cam, objects, light_vector(key.azimuth_deg, key.elevation_deg), (h, w))
    pieces = unexplained_shadow_pieces(bg.shadow_mask, drawn, occupied, srgb, gradient)
    if not pieces:
        return bg, fg, objects
    # grown back over the margin the test left, so that a piece meets the object it is part of
    freed = ndi.binary_dilation(np.any(pieces, axis=0), iterations=MARGIN_PX + 1, mask=bg.shadow_mask)
    bg, fg = replace(bg, shadow_mask=bg.shadow_mask & ~freed), fg | freed
    scale = objects[0].fit_scale  # one scale for all: place_objects set it
    cam = fit_camera(camera, scale, w, h)
    labels, n = ndi.label(freed)
    objects = list(objects)
    for part in (labels == k for k in range(1, n + 1)):
        top = lit_top_above(part, [o.region.mask for o in objects], lin3)
        if top is not None:  # the shaded body of a grey object whose lit top alone was found
            o = objects[top]
            region = region_from_mask(o.region.mask | part)
            if fit_object(o, cam, fg, srgb, region=region, scale=scale):
                o.region = region
                o.appearance = estimate_appearance(srgb, region, irradiance, ground_lin)
            continue
        new = fitted_object(srgb, part, cam, fg, scale, irradiance, ground_lin) if len(objects) < MAX_OBJECTS else None
        if new is not None:
            objects.append(new)
    return bg, fg, objects


def _trim_own_shadows(srgb, lin3, objects, camera, key, bg, fg, w, h, irradiance,
                      ground_lin) -> tuple[np.ndarray, list[ObjectEstimate]]:
    """Cut each object's own cast shadow out of its region where the key light shows it (own_shadow.py) and
    re-fit those objects. Returns the HxW mask of the pixels cut as shadow, and the objects found standing in
    what was cut (``own_shadow.coloured_pieces``)."""
    light = light_vector(key.azimuth_deg, key.elevation_deg)
    scene_cam = cam_mod.pinhole(camera, w, h)
    cut = np.zeros((h, w), bool)
    found: list[ObjectEstimate] = []
    for o in objects:
        region, _ = outline_region(o, srgb, fg)
        trimmed = shadow_trimmed_region(scene_cam, o, region, light, bg.shadow_mask, fg,
                                        own_colour_pixels(lin3, region.mask, fg))
        if trimmed is None:
            continue
        cam = fit_camera(camera, o.fit_scale, w, h)
        if fit_object(o, cam, fg, srgb, region=trimmed, scale=o.fit_scale):
            off = o.region.mask & ~trimmed.mask
            if FIND_IN_CUT and ground_lin is not None:
                for piece in coloured_pieces(off, trimmed.mask, lin3, ground_lin):
                    new = fitted_object(srgb, piece, cam, fg, o.fit_scale, irradiance, ground_lin)
                    if new is not None:
                        found.append(new)
                        off &= ~piece
            cut |= off
            o.region = trimmed
            o.appearance = estimate_appearance(srgb, trimmed, irradiance, ground_lin)
    return cut, found


def _hidden_objects(srgb, objects, camera, key, bg, fg, w, h, irradiance, ground_lin) -> list[ObjectEstimate]:
    """Objects standing mostly hidden behind a fitted one, split off its region (hidden_objects.py); the front
    objects are re-fitted without them."""
    if bg.ground_mask is None or not bg.ground_mask.any():
        return []
    scene_cam = cam_mod.pinhole(camera, w, h)
    drawn = drawn_shadows(scene_cam, objects, light_vector(key.azimuth_deg, key.elevation_deg), (h, w))
    lab = image_lab(srgb)
    ground_lab = np.median(lab[bg.ground_mask], axis=0)
    found = []
    for o in list(objects):
        sil = silhouettes(scene_cam, [o], (h, w))
        cam = fit_camera(camera, o.fit_scale, w, h)
        # a piece of the front object's own colour may be another object only where one primitive cannot
        # outline the whole region (the join test of rejoin.py, reversed)
        pieces = hidden_pieces(o.region.mask, sil, drawn, lab, ground_lab, same_hue=best_cost(o) > MAX_UNION_COST)
        if not pieces:
            if SPLIT_BY_OUTLINE:
                found += _split_by_outline(srgb, o, sil, cam, fg, lab, ground_lab, irradiance, ground_lin)
            continue
        front = o.region.mask & ~np.any(pieces, axis=0)
        if fit_object(o, cam, fg, srgb, region=region_from_mask(front), scale=o.fit_scale):
            o.region = region_from_mask(front)
        for piece in pieces:
            new = fitted_object(srgb, piece, cam, fg, o.fit_scale, irradiance, ground_lin)
            if new is not None:
                found.append(new)
    return found


def _split_by_outline(srgb, o, sil, cam, fg, lab, ground_lab, irradiance, ground_lin) -> list[ObjectEstimate]:
    """An object of ``o``'s colour standing behind it (outline_split.py), split off and fitted; ``o`` is
    re-fitted without it."""
    def fit_rest(region):
        return fit_region(cam, region, fg, candidate_shapes(region))

    def make(mask):
        return fitted_object(srgb, mask, cam, fg, o.fit_scale, irradiance, ground_lin)

    split = split_behind(o, sil, lab, ground_lab, fit_rest, make)
    if split is None or not fit_object(o, cam, fg, srgb, region=split[0], scale=o.fit_scale):
        return []
    o.region = split[0]
    o.appearance = estimate_appearance(srgb, split[0], irradiance, ground_lin)
    return [split[1]]


def _drop_shadow_patches(lin3, objects, camera, key, bg, fg, w, h, ground_lin):
    """Objects that are ground in another's shade (shadow_patches.py) go back to the shadow mask. Returns the
    background, foreground, objects and whether any went."""
    if bg.shadow_mask is None:
        return bg, fg, objects, False
    light = light_vector(key.azimuth_deg, key.elevation_deg)
    drop = shadow_patches(cam_mod.pinhole(camera, w, h), objects, light, bg.shadow_mask, lin3, ground_lin)
    if not drop:
        return bg, fg, objects, False
    freed = np.any([objects[i].region.mask for i in drop], axis=0)
    ground = bg.ground_mask | freed if bg.ground_mask is not None else None
    bg = replace(bg, shadow_mask=bg.shadow_mask | freed, ground_mask=ground)
    return bg, fg & ~freed, [o for i, o in enumerate(objects) if i not in drop], True

"""Scene-level placement: fit every object's outline with the estimated camera, rank shapes, scale the scene.

Every candidate shape is fitted to each region (fit.py), which gives the object's shape hypotheses, size,
ground position and yaw. A single image fixes the scene only up to scale, so the scene is finally scaled so
the median object is ``PRIOR_OBJECT_SIZE`` across.

Choosing the pitch by how well the outlines fit was tried and dropped: at 128 px the outlines of
CLEVR-sized objects do not constrain it (on development scenes it scattered 20-50 degrees around a true 25-45).
"""

from __future__ import annotations

import math

import numpy as np

from seig_search.perception import camera as cam_mod
from seig_search.perception.fit import Fit, fit_region
from seig_search.perception.colorspace import srgb_to_linear
from seig_search.perception.material import estimate_appearance
from seig_search.perception.shading import faceted_score, normal_shading_residual, top_face_mask, top_spread
from seig_search.perception.tint import lit_background, own_colour_region
from seig_search.perception.types import CameraEstimate, ObjectEstimate, ShapeGuess

TRIM_SHADOW = True  # read the object without a ground-coloured cast shadow left in its region (tint.py)
PRIOR_OBJECT_SIZE = 1.0  # metres: the median object's largest dimension
# Extra parameters let a shape fit any outline a little better; charge them (cost units per parameter beyond the
# sphere's position and width: 0.002 each). The aspect prior in the fit already keeps them from running away; a
# larger charge (0.006 per parameter) made clear hexagonal cube outlines lose to a sphere on development scenes.
# A box's yaw is charged half: its outline's straight edges pin the yaw, so it buys little freedom (0.004 -> 0.003
# for the cube: development shape 0.673 -> 0.679, size 0.636 -> 0.646; 0.002 traded cylinders for cubes).
SHAPE_PENALTY = {"sphere": 0.0, "cylinder": 0.002, "cone": 0.004, "cube": 0.003, "torus": 0.03, "plane": 0.02}


# Where a box and a cylinder fit the outline about equally well, the shading of the side decides: flat faces
# meeting at an edge favour the box, a smooth curve the cylinder (shading.faceted_score, clipped to +-2, times
# this many cost units; development: cube/cylinder pairs right 53 -> 57 of 63, 0.003-0.006 all helped).
SHADING_WEIGHT = 0.003
SHADING_CLIP = 2.0
# A box against a sphere: a sphere's side turns as smoothly as a cylinder's, and a small box seen corner-on has
# an outline as round as a sphere's, so the outline gap between them is less telling; the side's shading gets a
# larger say (development: 0.008-0.015 all put 4-5 more of 177 objects right, 0.003 one).
SPHERE_SHADING_WEIGHT = 0.01
# ... but only from a side at least this many columns wide: a 7-column profile of a small cube (a 64 px image)
# reads as curved often enough to turn boxes into spheres.
SPHERE_SHADING_MIN_COLUMNS = 8
# Shading as a function of the fitted surface's normal (shading.normal_shading_residual): brightness on a sphere
# varies smoothly with the normal, on a box it is constant per face. The shape whose normals explain the pixels
# better gains this many cost units per unit of log residual ratio (clipped to +-1), between the two best fits
# only. Development (80 scenes): a sphere's own fit explains it better than a box's in 75 of 75, a box's better
# than a sphere's in 52 of 69 (a slightly misplaced face edge leaves large residuals). Box vs sphere 0.03 and
# sphere vs cylinder 0.02 put 10 more of about 330 objects right; box vs cylinder only traded objects.
NORMAL_SHADING_WEIGHT = {frozenset(("cube", "sphere")): 0.03, frozenset(("sphere", "cylinder")): 0.02}
NORMAL_SHADING_CLIP = 1.0


def _normal_shading_tiebreak(scored: list[tuple[float, Fit]], region, srgb: np.ndarray, cam) -> list[tuple[float, Fit]]:
    (ca, a), (cb, b) = scored[:2]
    weight = NORMAL_SHADING_WEIGHT.get(frozenset((a.shape, b.shape)), 0.0)
    if not weight:
        return scored
    ra = normal_shading_residual(srgb, cam, a, region.mask)
    rb = normal_shading_residual(srgb, cam, b, region.mask)
    if not ra or not rb:
        return scored
    lr = float(np.clip(math.log(ra / rb), -NORMAL_SHADING_CLIP, NORMAL_SHADING_CLIP))
    scored[:2] = sorted([(ca + weight * lr / 2, a), (cb - weight * lr / 2, b)], key=lambda t: t[0])
    return scored


def _rank(fits: list[Fit], region, srgb: np.ndarray | None = None, cam=None) -> list[tuple[float, Fit]]:
    scored = []
    for f in fits:
        c = f.cost + SHAPE_PENALTY.get(f.shape, 0.02)
        if f.shape == "torus" and not _has_hole(region):
            c += 0.05  # a torus seen from above shows its hole
        scored.append((c, f))
    scored.sort(key=lambda t: t[0])
    top = {scored[0][1].shape, scored[1][1].shape} if len(scored) >= 2 else set()
    if srgb is not None and top in ({"cube", "cylinder"}, {"cube", "sphere"}):
        weight, min_columns = ((SHADING_WEIGHT, 0) if "cylinder" in top
                               else (SPHERE_SHADING_WEIGHT, SPHERE_SHADING_MIN_COLUMNS))
        fs = float(np.clip(faceted_score(srgb, region, min_columns), -SHADING_CLIP, SHADING_CLIP))
        scored[:2] = sorted(((c - weight * fs if f.shape == "cube" else c, f) for c, f in scored[:2]),
                            key=lambda t: t[0])
    if srgb is not None and cam is not None and len(scored) >= 2:
        scored = _normal_shading_tiebreak(scored, region, srgb, cam)
    return scored


# A flat top under a distant light is evenly lit; a top whose brightness spreads by more than this share of its
# median shows the key light's glossy reflection sweeping across it: a mirror-like (metal) surface. The mirror
# test of material.py misses metal boxes and cylinders whose top catches the sun (their top is then their
# brightest part, as a diffuse top is). Development: diffuse tops 0.00-0.15, such metal tops 0.05-1.1; a poorly
# fitted outline (merged objects, a sphere taken for a box) puts the top face in the wrong place.
GLOSSY_TOP_SPREAD = 0.18
TOP_MIN_PIXELS = 6
GLOSSY_MAX_FIT_COST = 0.06  # only where the outline fit is good enough to say which pixels are the top face


def _glossy_top_is_metal(o: ObjectEstimate, cam, fit: Fit, region, srgb: np.ndarray, foreground: np.ndarray) -> None:
    """Re-read a box or cylinder taken for diffuse as metal when its flat top shows a glossy reflection."""
    if fit.shape not in ("cube", "cylinder") or fit.cost > GLOSSY_MAX_FIT_COST:
        return
    # two pixels in from the fitted top's outline where enough remain: a face edge misplaced by a pixel brings
    # the darker side into the top and fakes a spread (development: 1 more of 354 objects right)
    top = top_face_mask(cam, fit, region.mask, erode=2)
    if top.sum() < TOP_MIN_PIXELS:
        top = top_face_mask(cam, fit, region.mask)
    spread = top_spread(srgb, top, TOP_MIN_PIXELS)
    if spread is None or spread <= GLOSSY_TOP_SPREAD:
        return
    ground = lit_background(srgb_to_linear(srgb), foreground)
    if ground is not None:
        o.appearance = estimate_appearance(srgb, o.region, ground_lin=ground, metallic=True)


def _has_hole(region) -> bool:
    from scipy import ndimage as ndi

    filled = ndi.binary_fill_holes(region.mask)
    return int((filled & ~region.mask).sum()) >= max(4, 0.03 * region.area)


def candidate_shapes(region) -> tuple[str, ...]:
    """Shapes worth fitting: a torus only with a hole in the outline, a plane only for a flat outline."""
    shapes = ["cube", "sphere", "cylinder", "cone"]
    if _has_hole(region):
        shapes.append("torus")
    if region.height < 0.45 * region.width:
        shapes += ["plane", "torus"] if "torus" not in shapes else ["plane"]
    return tuple(shapes)


def outline_region(o: ObjectEstimate, srgb: np.ndarray | None, occluders=None):
    """The region whose outline is the object's, and what may hide it: without a coloured object's
    ground-coloured cast shadow (tint.py)."""
    region, occ = o.region, occluders
    if srgb is not None and TRIM_SHADOW:
        region = own_colour_region(srgb, o.region, foreground=occluders)
        if region is not o.region and occluders is not None:
            occ = occluders & ~(o.region.mask & ~region.mask)
    return region, occ


def fit_object(o: ObjectEstimate, cam, occluders=None, srgb: np.ndarray | None = None, free_aspect: bool = False,
               region=None, scale: float = 1.0) -> bool:
    """Fit every candidate shape to the object's outline (``region`` when given) and set its ranked shapes,
    dims, location and yaw; ``scale`` multiplies the fitted sizes (working units -> scene). False when the
    region cannot stand on the ground."""
    if region is None:
        region, occ = outline_region(o, srgb, occluders)
    else:
        occ = occluders
    fits = fit_region(cam, region, occ, candidate_shapes(region), free_aspect=free_aspect)
    if not fits:
        return False
    ranked = _rank(fits, region, srgb, cam)
    best = ranked[0][1]
    # scores in [0, 1]: a cost gap of 0.05 (5% of the object's size, RMS) halves the likelihood
    o.shapes = [ShapeGuess(f.shape, float(math.exp(-(c - ranked[0][0]) / 0.05 * math.log(2))))
                for c, f in ranked]
    o.dims = tuple(d * scale for d in best.dims)  # type: ignore[assignment]
    o.location = tuple(v * scale for v in best.location)  # type: ignore[assignment]
    o.rotation_deg = (0.0, 0.0, best.yaw_deg if best.shape in ("cube", "plane") else 0.0)
    o.fits = {f.shape: f for f in fits}
    if srgb is not None and occluders is not None and o.appearance.metallic < 0.5:
        _glossy_top_is_metal(o, cam, best, region, srgb, occluders)
    return True


def place_objects(objects: list[ObjectEstimate], camera: CameraEstimate, width: int, height: int,
                  occluders=None, srgb: np.ndarray | None = None,
                  free_aspect: bool = False) -> tuple[CameraEstimate, list[ObjectEstimate]]:
    """Fit every object with the camera, then scale the scene (camera included) to the object-size prior.

    With the sRGB image, the shading inside a region breaks near-ties between a box and a cylinder.
    """
    cam = cam_mod.pinhole(camera, width, height)
    placed = [o for o in objects if fit_object(o, cam, occluders, srgb, free_aspect)]
    if not placed:
        return cam_mod.scaled(camera, 5.0), placed
    k = PRIOR_OBJECT_SIZE / float(np.median([max(o.dims) for o in placed]))
    for o in placed:
        o.dims = tuple(d * k for d in o.dims)  # type: ignore[assignment]
        o.location = tuple(v * k for v in o.location)  # type: ignore[assignment]
        o.fit_scale = k
    return cam_mod.scaled(camera, k), placed

"""Scene-level placement: choose the camera pitch the silhouettes agree with, fit every object, scale the scene.

For each candidate pitch (around the horizon bound, or the prior), the common primitives are fitted to every
region; the pitch whose fits explain the outlines best wins. At that pitch every shape is fitted and ranked,
which gives each object's shape hypotheses, size, ground position and yaw. A single image fixes the scene only
up to scale, so the scene is finally scaled so the median object is ``PRIOR_OBJECT_SIZE`` across.
"""

from __future__ import annotations

import math

import numpy as np

from seig_search.perception import camera as cam_mod
from seig_search.perception.fit import Fit, OutlineTarget, fit_region, fit_shape, initial_placement
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.types import CameraEstimate, ObjectEstimate, ShapeGuess

PRIOR_OBJECT_SIZE = 1.0  # metres: the median object's largest dimension
PITCH_CANDIDATES = (20.0, 30.0, 40.0, 50.0)
PITCH_PRIOR_SIGMA = 15.0  # degrees around the prior pitch
# Extra parameters let a shape fit any outline a little better; charge them (cost units per parameter).
SHAPE_PENALTY = {"sphere": 0.0, "cylinder": 0.006, "cone": 0.012, "cube": 0.012, "torus": 0.03, "plane": 0.02}


def _pitch_score(cam: PinholeCamera, objects: list[ObjectEstimate], occluders) -> float:
    total = 0.0
    for o in objects:
        init = initial_placement(cam, o.region)
        if init is None:
            return math.inf
        target = OutlineTarget(o.region, occluders)
        best = min(fit_shape(cam, target, s, init, max_evals=80, yaw_starts=(20.0,)).cost + SHAPE_PENALTY[s]
                   for s in ("cube", "cylinder"))
        total += best * math.sqrt(o.region.area)  # large objects carry more evidence
    return total / max(sum(math.sqrt(o.region.area) for o in objects), 1e-9)


def choose_pitch(objects: list[ObjectEstimate], camera: CameraEstimate, width: int, height: int,
                 occluders) -> float:
    """The candidate pitch whose silhouette fits are best (with a weak prior around the initial pitch)."""
    if not objects:
        return camera.pitch_deg
    cands = sorted({p for p in PITCH_CANDIDATES if p >= camera.pitch_deg - 10.0} | {camera.pitch_deg})
    big = sorted(objects, key=lambda o: -o.region.area)[:4]  # the largest outlines say the most
    scores = []
    for p in cands:
        cam = PinholeCamera.from_pitch(p, 1.0, camera.lens, width, height)
        prior = ((p - camera.pitch_deg) / PITCH_PRIOR_SIGMA) ** 2 * 0.002
        scores.append(_pitch_score(cam, big, occluders) + prior)
    return float(cands[int(np.argmin(scores))])


def _rank(fits: list[Fit], region) -> list[tuple[float, Fit]]:
    scored = []
    for f in fits:
        c = f.cost + SHAPE_PENALTY.get(f.shape, 0.02)
        if f.shape == "torus" and not _has_hole(region):
            c += 0.05  # a torus seen from above shows its hole
        scored.append((c, f))
    scored.sort(key=lambda t: t[0])
    return scored


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


def place_objects(objects: list[ObjectEstimate], camera: CameraEstimate, width: int, height: int,
                  occluders=None, search_pitch: bool = False) -> tuple[CameraEstimate, list[ObjectEstimate]]:
    """Fit every object at the camera's pitch (optionally searched first, see ``choose_pitch``), then scale."""
    if search_pitch:
        pitch = choose_pitch(objects, camera, width, height, occluders)
        if pitch != camera.pitch_deg:
            camera = cam_mod.camera_estimate(pitch, camera.height, camera.lens, "silhouettes", width, height)
    cam = cam_mod.pinhole(camera, width, height)
    placed = []
    for o in objects:
        fits = fit_region(cam, o.region, occluders, candidate_shapes(o.region))
        if not fits:
            continue
        ranked = _rank(fits, o.region)
        best = ranked[0][1]
        # scores in [0, 1]: a cost gap of 0.05 (5% of the object's size, RMS) halves the likelihood
        o.shapes = [ShapeGuess(f.shape, float(math.exp(-(c - ranked[0][0]) / 0.05 * math.log(2))))
                    for c, f in ranked]
        o.dims = best.dims
        o.location = best.location
        o.rotation_deg = (0.0, 0.0, best.yaw_deg if best.shape in ("cube", "plane") else 0.0)
        o.fits = {f.shape: f for f in fits}
        placed.append(o)
    if not placed:
        return cam_mod.scaled(camera, 5.0), placed
    k = PRIOR_OBJECT_SIZE / float(np.median([max(o.dims) for o in placed]))
    for o in placed:
        o.dims = tuple(d * k for d in o.dims)  # type: ignore[assignment]
        o.location = tuple(v * k for v in o.location)  # type: ignore[assignment]
        o.fit_scale = k
    return cam_mod.scaled(camera, k), placed

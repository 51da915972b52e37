"""Camera pitch from where flat tops meet the sides: the shading of upright boxes and cylinders.

A box's or cylinder's flat top is one face under a distant light, its side another (or a smoothly turning
curve), so brightness is a smooth function of the surface normal only where the fitted primitive puts the
top / side boundary where the image has it. How much of the top is seen depends on the view's elevation: a
steeper camera shows a deeper ellipse or parallelogram. So for a few pitches along the camera's posterior
(each with its most probable lens), the flat-topped objects are re-fitted and their shading residual against
their own normals (``shading.normal_shading_residual``) is read; the pitch whose fits explain the shading best
gains. The outline alone does not fix the pitch (its fit cost is flat over 20-50 degrees at 128 px); the
boundary inside the outline does.
"""

from __future__ import annotations

import math

import numpy as np

from seig_search.perception import camera as cam_mod
from seig_search.perception.camera import PitchPosterior
from seig_search.perception.fit import Fit, fit_region
from seig_search.perception.shading import normal_shading_residual
from seig_search.perception.tint import own_colour_region
from seig_search.perception.types import CameraEstimate, Region

PITCH_OFFSETS_DEG = (-16.0, -8.0, 0.0, 8.0, 16.0)  # around the posterior's best pitch
MAX_OBJECTS = 3  # the largest flat-topped objects carry the cue
MAX_EXAMINED = 12  # regions looked at for them, largest first (each look costs two or three outline fits)
REFIT_EVALS = 80  # a re-fit at another pitch starts from the yaw found at the first
MIN_AREA = 80  # pixels: smaller tops are a few pixels, their boundary is noise
MAX_FIT_COST = 0.06  # only objects whose outline a box or cylinder fits well
MAX_GAP_TO_BEST = 0.01  # ... and fits about as well as any shape (a sphere has no top)
SHADING_NLL_WEIGHT = 2.0  # nll units per unit of summed log residual (development: 1 and 4 gained less shape)


def _flat_topped(srgb: np.ndarray, fg: np.ndarray, regions: list[Region], cam) -> list[tuple[Region, np.ndarray, Fit]]:
    """(trimmed region, occluders, box or cylinder fit) of the largest objects a flat-topped shape fits well."""
    out = []
    for region in sorted((r for r in regions if r.area >= MIN_AREA), key=lambda r: -r.area)[:MAX_EXAMINED]:
        reg = own_colour_region(srgb, region, foreground=fg)
        occ = fg & ~(region.mask & ~reg.mask)
        fits = fit_region(cam, reg, occ, ("cube", "cylinder"), REFIT_EVALS)
        if not fits or fits[0].cost > MAX_FIT_COST:
            continue
        sphere = fit_region(cam, reg, occ, ("sphere",), REFIT_EVALS)
        if not sphere or fits[0].cost <= sphere[0].cost + MAX_GAP_TO_BEST:
            out.append((reg, occ, fits[0]))
        if len(out) >= MAX_OBJECTS:
            break
    return out


def refine_pitch(srgb: np.ndarray, fg: np.ndarray, regions: list[Region], camera: CameraEstimate,
                 post: PitchPosterior, width: int, height: int) -> CameraEstimate:
    """The camera whose pitch best explains the flat-topped objects' shading, under the pitch posterior."""
    objs = _flat_topped(srgb, fg, regions, cam_mod.pinhole(camera, width, height))
    if not objs:
        return camera
    lo, hi = float(post.pitches[0]), float(post.pitches[-1])
    pitches = [p for p in (camera.pitch_deg + d for d in PITCH_OFFSETS_DEG) if lo <= p <= hi]
    logres = np.full((len(pitches), len(objs)), np.nan)
    for i, p in enumerate(pitches):
        cam = cam_mod.pinhole(cam_mod.camera_estimate(p, camera.height, post.at(p)[1], "x", width, height),
                              width, height)
        for j, (reg, occ, fit0) in enumerate(objs):
            if p == camera.pitch_deg:
                fits = [fit0]
            else:
                fits = fit_region(cam, reg, occ, (fit0.shape,), REFIT_EVALS, (fit0.yaw_deg,))
            r = normal_shading_residual(srgb, cam, fits[0], reg.mask) if fits else None
            if r:
                logres[i, j] = math.log(r)
    ok = ~np.isnan(logres).any(axis=0)
    if not ok.any() or len(pitches) < 3:
        return camera
    shading = (logres[:, ok] - logres[:, ok].min(axis=0)).sum(axis=1)
    nll = np.array([post.at(p)[0] for p in pitches]) + SHADING_NLL_WEIGHT * shading
    k = int(np.argmin(nll))
    best = pitches[k]
    if 0 < k < len(pitches) - 1:  # parabola through the minimum and its neighbours
        a, b, c = nll[k - 1], nll[k], nll[k + 1]
        den = a - 2 * b + c
        if den > 1e-9:
            best += float(np.clip(0.5 * (a - c) / den, -0.5, 0.5)) * (pitches[k + 1] - pitches[k])
    return cam_mod.camera_estimate(best, camera.height, post.at(best)[1], camera.source, width, height)

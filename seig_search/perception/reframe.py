"""The same objects seen through another camera: a finished estimate re-placed under an alternative pitch.

Where the pitch came from priors, the hypotheses try a steeper and a shallower camera. Running the whole
analysis again under that pitch also re-decides how many objects there are (the joins, the shadow finds, the
spurious filter and the split all measure in 3D), so a camera hypothesis silently became a count hypothesis
too: on 50 generated scenes it changed the count in 10, and the search, which keeps the better render, took
the camera and lost a true object with it in 3 of them. Here the regions stay exactly as the estimate found
them; only their 3D fits, the camera scale and the key light follow the new pitch.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from seig_search.perception import camera as cam_mod
from seig_search.perception.assembly import stack_on_base
from seig_search.perception.cast_shadows import fit_key_light
from seig_search.perception.lighting import estimate_light
from seig_search.perception.place import place_objects
from seig_search.perception.types import ObjectEstimate, SceneEstimate, ShapeGuess


def reframe(srgb: np.ndarray, est: SceneEstimate, pitch_deg: float) -> SceneEstimate | None:
    """``est``'s objects (same regions and materials) fitted under a camera pitched ``pitch_deg`` below the
    horizontal, with the camera scale and key light refitted; None when an object cannot stand on the ground
    under that camera (the hypothesis would not be the same scene) or the estimate keeps no foreground."""
    if est.foreground is None or not est.objects:
        return None
    srgb = np.clip(srgb.astype(np.float32), 0.0, 1.0)
    h, w = est.foreground.shape
    camera = cam_mod.camera_estimate(float(pitch_deg), est.camera.height, est.camera.lens, "hypothesis", w, h)
    objects = [ObjectEstimate(region=o.region, shapes=[ShapeGuess("unknown", 0.0)], appearance=replace(o.appearance))
               for o in est.objects]
    camera, placed = place_objects(objects, camera, w, h, occluders=est.foreground, srgb=srgb,
                                   free_aspect=est.cutout)
    if len(placed) < len(objects):
        return None
    for o, base in zip(placed, est.objects):  # the materials are the estimate's: the fit may call a glossy top
        o.appearance = replace(base.appearance)  # metal under one camera and not under another
    bg = est.background
    regions = [o.region for o in placed]
    cam = cam_mod.pinhole(camera, w, h)
    key = None
    if est.cutout:
        stack_on_base(placed, camera, est.foreground, w, h)
    elif bg.shadow_mask is not None:
        key = fit_key_light(cam, placed, bg.shadow_mask)
    light = estimate_light(srgb, bg, regions, cam, key=None if key is None else (key.azimuth_deg, key.elevation_deg))
    return replace(est, objects=placed, camera=camera, light=light.estimate, notes=list(est.notes))

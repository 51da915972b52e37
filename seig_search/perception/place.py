"""Scene-level placement: back-project each object's ground contact, size it, and scale the scene."""

from __future__ import annotations

import math

import numpy as np

from seig_search.perception import camera as cam_mod
from seig_search.perception.types import CameraEstimate, ObjectEstimate

PRIOR_OBJECT_SIZE = 1.0  # metres: the median object's largest dimension


def _box_from_region(obj: ObjectEstimate, cam) -> bool:
    r = obj.region
    rows, cols = np.nonzero(r.mask)
    bottom = float(rows.max()) + 0.5
    contact_col = float(np.median(cols[rows >= rows.max() - 1])) + 0.5
    p = cam.ground_point(bottom, contact_col)
    if p is None:
        return False
    depth = cam.depth_of(p)
    w = r.width * depth / cam.f
    pitch = math.radians(cam.pitch_deg)
    h_px = r.height * depth / cam.f
    h = max(0.2 * w, (h_px - w * math.sin(pitch)) / max(math.cos(pitch), 0.2))
    view = cam.forward.copy()
    view[2] = 0.0
    view /= max(np.linalg.norm(view), 1e-9)
    centre = p + view * (w / 2.0)
    obj.dims = (w, w, h)
    obj.location = (float(centre[0]), float(centre[1]), h / 2.0)
    return True


def place_objects(objects: list[ObjectEstimate], camera: CameraEstimate, width: int, height: int, occluders=None):
    cam = cam_mod.pinhole(camera, width, height)
    placed = [o for o in objects if _box_from_region(o, cam)]
    if not placed:
        return cam_mod.scaled(camera, 5.0), placed
    k = PRIOR_OBJECT_SIZE / float(np.median([max(o.dims) for o in placed]))
    for o in placed:
        o.dims = tuple(d * k for d in o.dims)  # type: ignore[assignment]
        o.location = tuple(v * k for v in o.location)  # type: ignore[assignment]
    return cam_mod.scaled(camera, k), placed

"""Cut-outs: the parts of one connected foreground sit at the depth of the part that stands on the ground.

An RGBA cut-out (a NeRF-Synthetic view, a product shot) shows no ground, and its foreground is usually one
object made of parts resting on each other (a microphone's head on its stand, a bulldozer's shovel above its
tracks). Placing every part on the ground plane under its own lowest pixel puts the upper parts far behind
the rest and, to keep their image size, many times too large. Only the part holding the lowest pixel of a
connected foreground is known to stand on the ground; every other part of it is moved along its viewing rays
to that part's depth. Scaling an object about the camera centre leaves its image where it was, so the program
still covers the same pixels, only with parts of a plausible size at a plausible distance.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception import camera as cam_mod
from seig_search.perception.types import CameraEstimate, ObjectEstimate


def toward_camera(point, camera_location, scale: float) -> tuple[float, float, float]:
    """``point`` moved along the ray from the camera so that its distance is multiplied by ``scale``."""
    c = np.asarray(camera_location, dtype=float)
    return tuple(float(v) for v in c + (np.asarray(point, dtype=float) - c) * scale)  # type: ignore[return-value]


def _component_of(mask: np.ndarray, labels: np.ndarray) -> int:
    hits = labels[mask]
    hits = hits[hits > 0]
    return int(np.bincount(hits).argmax()) if hits.size else 0


def stack_on_base(objects: list[ObjectEstimate], camera: CameraEstimate, foreground: np.ndarray,
                  width: int, height: int) -> None:
    """Move every part of a connected foreground to the depth of its lowest part (in place, never further)."""
    cam = cam_mod.pinhole(camera, width, height)
    labels, count = ndi.label(foreground)
    if count == 0:
        return
    groups: dict[int, list[ObjectEstimate]] = {}
    for o in objects:
        groups.setdefault(_component_of(o.region.mask, labels), []).append(o)
    for label, members in groups.items():
        if label == 0 or len(members) < 2:
            continue
        base = max(members, key=lambda o: (o.region.bbox[2], o.region.area))
        base_depth = cam.depth_of(base.location)
        for o in members:
            depth = cam.depth_of(o.location)
            if o is base or depth <= 1e-9 or base_depth <= 1e-9:
                continue
            scale = min(1.0, base_depth / depth)  # a part is never pushed behind where the ground put it
            o.location = toward_camera(o.location, camera.location, scale)
            o.dims = tuple(d * scale for d in o.dims)  # type: ignore[assignment]
            o.view_scale = scale

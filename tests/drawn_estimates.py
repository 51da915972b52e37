"""Estimates drawn without rendering, for the learned steps' tests (spurious.py, joined.py): primitives placed
under a known camera and sun, each found region exactly its primitive's silhouette, on a grey ground."""

from __future__ import annotations

import numpy as np

from seig_search.perception import camera as cam_mod
from seig_search.perception.cast_shadows import light_vector, silhouettes
from seig_search.perception.types import (Appearance, Background, LightEstimate, ObjectEstimate, Region,
                                          SceneEstimate, ShapeGuess)

SIZE = 128
CAMERA = cam_mod.camera_estimate(30.0, 5.0, 45.0, "prior", SIZE, SIZE)
CAM = cam_mod.pinhole(CAMERA, SIZE, SIZE)
LIGHT = light_vector(200.0, 45.0)  # shadows fall towards +x
GROUND = 0.6


def region_of(mask: np.ndarray) -> Region:
    rows, cols = np.nonzero(mask)
    return Region(mask=mask, bbox=(rows.min(), cols.min(), rows.max() + 1, cols.max() + 1), area=int(mask.sum()),
                  centroid=(float(rows.mean()), float(cols.mean())))


def placed_object(x: float, y: float, size: float, shape: str = "cube") -> ObjectEstimate:
    """A grey primitive of edge ``size`` standing at (x, y), its region its silhouette."""
    o = ObjectEstimate(region=Region(mask=np.zeros((SIZE, SIZE), bool), bbox=(0, 0, 1, 1), area=1,
                                     centroid=(0.0, 0.0)),
                       shapes=[ShapeGuess(shape, 1.0)], appearance=Appearance((0.5, 0.5, 0.5), 0.8, 0.0),
                       dims=(size, size, size), location=(x, y, size / 2), rotation_deg=(0.0, 0.0, 0.0))
    o.region = region_of(silhouettes(CAM, [o], (SIZE, SIZE)))
    return o


def estimate(objects: list[ObjectEstimate], covered: np.ndarray, shadow: np.ndarray) -> SceneEstimate:
    """The estimate holding ``objects`` as they are: ground where nothing is ``covered``, the sun along
    :data:`LIGHT`, ``shadow`` the ground's shadow mask."""
    bg = Background(world_srgb=(0.05, 0.05, 0.05), ground_srgb=(GROUND,) * 3, horizon_row=None,
                    ground_mask=~covered, shadow_mask=shadow, shadow_ratio=0.3)
    light = LightEstimate(direction=tuple(LIGHT), energy=3.0, color=(1, 1, 1), world_color=(0.1, 0.1, 0.1),
                          world_strength=1.0, source="shadows")
    return SceneEstimate(objects=objects, background=bg, camera=CAMERA, light=light, ground_color=(0.3,) * 3)


def shade_right_half(srgb: np.ndarray, mask: np.ndarray, colour, factor: float) -> None:
    """Darken the right half of ``mask`` (an object's shaded face) to ``colour`` x ``factor``, in place."""
    cols = np.nonzero(mask.any(axis=0))[0]
    side = mask.copy()
    side[:, :int(cols.mean())] = False
    srgb[side] = np.asarray(colour) * factor

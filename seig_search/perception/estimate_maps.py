"""Image maps and per-object drawings of one finished estimate, computed once for the learned steps.

The spurious filter (spurious.py) and the split (joined.py) run one after the other on the same image, camera
and key light, and both read the linear image, the colour gradient, every fitted silhouette and every drawn
cast shadow. Dropping a spurious object changes none of the others' drawings, so one :class:`EstimateMaps`
serves both; each map is made on first use.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from seig_search.perception import camera as cam_mod
from seig_search.perception.cast_shadows import shadow_footprints, silhouettes
from seig_search.perception.colorspace import srgb_to_linear
from seig_search.perception.segment import colour_gradient
from seig_search.perception.types import ObjectEstimate, SceneEstimate


class EstimateMaps:
    """Maps of the sRGB image ``srgb`` and drawings of objects under ``est``'s camera and key light."""

    def __init__(self, srgb: np.ndarray, est: SceneEstimate) -> None:
        self.srgb = np.clip(np.asarray(srgb, np.float32), 0.0, 1.0)
        self.shape: tuple[int, int] = self.srgb.shape[:2]
        self.camera = est.camera
        self.direction = np.asarray(est.light.direction, float)
        self.cam = cam_mod.pinhole(est.camera, self.shape[1], self.shape[0])
        # keyed by id(); the object is kept beside its mask so that its id cannot be reused meanwhile
        self._silhouettes: dict[int, tuple[ObjectEstimate, np.ndarray]] = {}
        self._footprints: dict[int, tuple[ObjectEstimate, np.ndarray]] = {}

    def serves(self, srgb: np.ndarray, est: SceneEstimate) -> bool:
        """Were these maps made for this image size, camera and key light?"""
        return (srgb.shape[:2] == self.shape and est.camera is self.camera
                and np.array_equal(np.asarray(est.light.direction, float), self.direction))

    @cached_property
    def lin(self) -> np.ndarray:
        return srgb_to_linear(self.srgb)

    @cached_property
    def lum(self) -> np.ndarray:
        return self.lin.sum(axis=2)

    @cached_property
    def grad(self) -> np.ndarray:
        return colour_gradient(self.srgb)

    def silhouettes(self, objects: list[ObjectEstimate]) -> list[np.ndarray]:
        """Per object, the HxW mask of its fitted primitive's outline."""
        return [self._drawn(self._silhouettes, o, lambda o: silhouettes(self.cam, [o], self.shape)) for o in objects]

    def footprints(self, objects: list[ObjectEstimate]) -> list[np.ndarray]:
        """Per object, the HxW mask of the ground its drawn cast shadow and footprint cover."""
        return [self._drawn(self._footprints, o,
                            lambda o: shadow_footprints(self.cam, [o], self.direction, self.shape)[0])
                for o in objects]

    def forget(self, o: ObjectEstimate) -> None:
        """Drop ``o``'s drawings (it was re-fitted in place); they are drawn again on next use."""
        self._silhouettes.pop(id(o), None)
        self._footprints.pop(id(o), None)

    @staticmethod
    def _drawn(cache: dict, o: ObjectEstimate, draw) -> np.ndarray:
        hit = cache.get(id(o))
        if hit is None or hit[0] is not o:
            hit = cache[id(o)] = (o, draw(o))
        return hit[1]


def maps_for(srgb: np.ndarray, est: SceneEstimate, maps: EstimateMaps | None) -> EstimateMaps:
    """``maps`` when they were made for this image and estimate, else new ones."""
    return maps if maps is not None and maps.serves(srgb, est) else EstimateMaps(srgb, est)

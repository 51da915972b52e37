"""Objects made or re-fitted by the steps after placement, in the outline fits' working units."""

from __future__ import annotations

from seig_search.perception import camera as cam_mod
from seig_search.perception.material import estimate_appearance
from seig_search.perception.place import fit_object
from seig_search.perception.tint import region_from_mask
from seig_search.perception.types import ObjectEstimate, ShapeGuess


def fit_camera(camera, fit_scale: float, w: int, h: int):
    """The pinhole camera in the outline fits' working units (scene metres over ``fit_scale``)."""
    return cam_mod.pinhole(cam_mod.scaled(camera, 1.0 / fit_scale), w, h)


def fitted_object(srgb, mask, cam, fg, fit_scale, irradiance, ground_lin) -> ObjectEstimate | None:
    """A new object for the pixels of ``mask``, fitted with ``cam`` (outline units); None when it cannot stand
    on the ground."""
    new = new_object(srgb, region_from_mask(mask), irradiance, ground_lin)
    new.fit_scale = fit_scale
    return new if fit_object(new, cam, fg, srgb, scale=fit_scale) else None


def new_object(srgb, region, irradiance, ground_lin):
    return ObjectEstimate(region=region, shapes=[ShapeGuess("unknown", 0.0)],
                          appearance=estimate_appearance(srgb, region, irradiance, ground_lin))

"""Drawn cast shadows (``cast_shadows.py``): the forward model and the light fitted back from its own output."""

from __future__ import annotations

import numpy as np
import pytest

from seig_search.perception.cast_shadows import (fit_key_light, light_vector, shadow_footprints, silhouettes)
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.types import Appearance, ObjectEstimate, Region, ShapeGuess

SIZE = 96


def _object(shape: str, x: float, y: float, size: float = 1.0, yaw: float = 0.0) -> ObjectEstimate:
    region = Region(mask=np.zeros((SIZE, SIZE), bool), bbox=(0, 0, 1, 1), area=1, centroid=(0.0, 0.0))
    return ObjectEstimate(region=region, shapes=[ShapeGuess(shape, 1.0)],
                          appearance=Appearance((0.5, 0.5, 0.5), 0.8, 0.0), dims=(size, size, size),
                          location=(x, y, size / 2), rotation_deg=(0.0, 0.0, yaw))


def _scene():
    cam = PinholeCamera.from_pitch(35.0, 6.0, 40.0, SIZE, SIZE)
    objects = [_object("cube", -1.0, 0.5, yaw=20.0), _object("sphere", 1.2, 0.8), _object("cylinder", 0.2, -1.0, 0.8)]
    return cam, objects


def test_shadow_falls_away_from_the_light_and_grows_as_it_sinks():
    cam, objects = _scene()
    cube = objects[:1]
    high = shadow_footprints(cam, cube, light_vector(0.0, 70.0), (SIZE, SIZE))[0]
    low = shadow_footprints(cam, cube, light_vector(0.0, 25.0), (SIZE, SIZE))[0]
    assert low.sum() > 1.5 * high.sum()
    # the light at azimuth 0 (+x): the shadow reaches towards -x, so its ground points lie at smaller x
    far = cam.project([[-2.5, 0.5, 0.0]])[0]
    near = cam.project([[0.5, 0.5, 0.0]])[0]
    assert low[int(far[0]), int(far[1])] and not low[int(near[0]), int(near[1])]


@pytest.mark.parametrize("az, el", [(30.0, 55.0), (200.0, 35.0), (300.0, 65.0)])
def test_fit_recovers_the_light_that_drew_the_shadows(az, el):
    cam, objects = _scene()
    hidden = silhouettes(cam, objects, (SIZE, SIZE))
    observed = np.any(shadow_footprints(cam, objects, light_vector(az, el), (SIZE, SIZE)), axis=0) & ~hidden
    fit = fit_key_light(cam, objects, observed)
    assert fit is not None and fit.iou > 0.8
    assert abs((fit.azimuth_deg - az + 180.0) % 360.0 - 180.0) < 6.0, fit
    assert abs(fit.elevation_deg - el) < 5.0, fit


def test_no_shadows_or_no_objects_fit_nothing():
    cam, objects = _scene()
    assert fit_key_light(cam, objects, np.zeros((SIZE, SIZE), bool)) is None
    assert fit_key_light(cam, [], np.ones((SIZE, SIZE), bool)) is None
    # shadows nowhere near where any light could throw them explain too little to trust
    stray = np.zeros((SIZE, SIZE), bool)
    stray[:6, :6] = True
    assert fit_key_light(cam, objects, stray) is None

"""Shape ranking on anti-aliased outlines seen by a camera other than the one assumed.

Perception fits every primitive's silhouette under its estimated camera, which is often off in pitch and lens;
the outline is a thresholded, anti-aliased mask. The shape ranking must still name the primitive: a box seen
nearly face-on must not lose to a sphere because it has more parameters.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import polygon as draw_polygon

from seig_search.perception.fit import fit_region, silhouette
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.place import _rank
from seig_search.perception.segment import _region

SIZE = 96
SUPERSAMPLE = 4
ASSUMED = dict(pitch_deg=30.0, cam_height=4.0, lens_mm=50.0)  # the estimate: the prior pitch and lens


def _outline_mask(shape: str, pitch_deg: float, lens_mm: float, width: float, yaw_deg: float) -> np.ndarray:
    """Anti-aliased silhouette (area coverage > 0.5) of a primitive on the ground under the true camera."""
    n = SIZE * SUPERSAMPLE
    cam = PinholeCamera.from_pitch(pitch_deg, 4.0, lens_mm, n, n)
    poly = silhouette(cam, shape, 0.3, -0.2, width, width, yaw_deg)
    big = np.zeros((n, n))
    rr, cc = draw_polygon(poly[:, 0] - 0.5, poly[:, 1] - 0.5, big.shape)
    big[rr, cc] = 1.0
    return big.reshape(SIZE, SUPERSAMPLE, SIZE, SUPERSAMPLE).mean(axis=(1, 3)) > 0.5


@pytest.mark.parametrize("shape", ["cube", "sphere", "cylinder"])
@pytest.mark.parametrize("pitch_deg, lens_mm", [(40.0, 35.0), (45.0, 35.0), (35.0, 40.0)])
@pytest.mark.parametrize("width", [0.6, 0.9])
def test_small_primitive_ranked_right_under_a_wrong_camera(shape, pitch_deg, lens_mm, width):
    """10-25 px outlines, true camera 5-15 degrees steeper and 10-15 mm wider than assumed."""
    mask = _outline_mask(shape, pitch_deg, lens_mm, width, yaw_deg=10.0)
    region = _region(mask)
    cam = PinholeCamera.from_pitch(ASSUMED["pitch_deg"], ASSUMED["cam_height"], ASSUMED["lens_mm"], SIZE, SIZE)
    fits = fit_region(cam, region, None, ("cube", "sphere", "cylinder", "cone"))
    ranked = _rank(fits, region)
    assert ranked[0][1].shape == shape, [(f.shape, round(c, 4)) for c, f in ranked]

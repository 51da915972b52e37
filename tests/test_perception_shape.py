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


@pytest.mark.parametrize("pitch_deg, lens_mm", [(25.0, 60.0), (40.0, 35.0)])
@pytest.mark.parametrize("width", [0.5, 0.7])
def test_box_seen_corner_on_is_not_a_sphere(pitch_deg, lens_mm, width):
    """A small box turned 45 degrees shows a near-regular hexagon, the outline closest to a sphere's."""
    mask = _outline_mask("cube", pitch_deg, lens_mm, width, yaw_deg=45.0)
    region = _region(mask)
    cam = PinholeCamera.from_pitch(ASSUMED["pitch_deg"], ASSUMED["cam_height"], ASSUMED["lens_mm"], SIZE, SIZE)
    ranked = _rank(fit_region(cam, region, None, ("cube", "sphere", "cylinder", "cone")), region)
    assert ranked[0][1].shape == "cube", [(f.shape, round(c, 4)) for c, f in ranked]


def _scene_regions(pitch_deg: float, lens_mm: float, n_size: int = 128):
    """Anti-aliased outlines of a few boxes and cylinders spread over the ground, under the true camera."""
    n = n_size * SUPERSAMPLE
    cam = PinholeCamera.from_pitch(pitch_deg, 7.0, lens_mm, n, n)
    rng = np.random.default_rng(3)
    regions, fg = [], np.zeros((n_size, n_size), bool)
    for (x, y), shape in zip([(-2.2, 1.0), (2.0, -1.2), (1.6, 2.2), (-1.5, -2.0), (0.3, 0.2), (-2.6, -0.4)],
                             ["cube", "cylinder", "cube", "cylinder", "cube", "cylinder"]):
        poly = silhouette(cam, shape, x, y, 1.6, 1.6, float(rng.uniform(0.0, 90.0)))
        big = np.zeros((n, n))
        rr, cc = draw_polygon(poly[:, 0] - 0.5, poly[:, 1] - 0.5, big.shape)
        big[rr, cc] = 1.0
        m = big.reshape(n_size, SUPERSAMPLE, n_size, SUPERSAMPLE).mean(axis=(1, 3)) > 0.5
        m &= ~fg
        if m.sum() > 20:
            regions.append(_region(m))
            fg |= m
    return regions, fg


@pytest.mark.parametrize("pitch_deg, lens_mm", [(42.0, 40.0), (25.0, 45.0)])
def test_vertical_vanishing_point_moves_pitch_towards_the_truth(pitch_deg, lens_mm):
    """Upright boxes' and cylinders' side edges pull the camera estimate from the prior towards the truth."""
    from seig_search.perception.camera import PRIOR_PITCH_DEG, initial_camera
    from seig_search.perception.types import Background

    regions, fg = _scene_regions(pitch_deg, lens_mm)
    bg = Background(world_srgb=(0.0, 0.0, 0.0), ground_srgb=(0.3, 0.3, 0.3), horizon_row=None)
    est = initial_camera(bg, 128, 128, regions=regions, occluders=fg)
    assert est.source == "cues"
    assert abs(est.pitch_deg - pitch_deg) < abs(PRIOR_PITCH_DEG - pitch_deg) - 3.0, est


def test_horizon_and_vertical_edges_measure_the_lens():
    """With the horizon and the vertical vanishing point both seen, the focal length follows (f^2 = d_h * d_v)."""
    from seig_search.perception.camera import PRIOR_LENS_MM, initial_camera
    from seig_search.perception.types import Background

    pitch_deg, lens_mm = 30.0, 35.0
    regions, fg = _scene_regions(pitch_deg, lens_mm)
    cam = PinholeCamera.from_pitch(pitch_deg, 7.0, lens_mm, 128, 128)
    # the ground's far edge, placed where the estimator expects it (its margin below the true horizon)
    f = cam.f
    edge_row = 64.0 - f * np.tan(np.radians(pitch_deg - 3.0))
    bg = Background(world_srgb=(0.0, 0.0, 0.0), ground_srgb=(0.3, 0.3, 0.3), horizon_row=float(edge_row))
    est = initial_camera(bg, 128, 128, regions=regions, occluders=fg)
    assert est.source == "horizon"
    assert abs(est.lens - lens_mm) < abs(PRIOR_LENS_MM - lens_mm) - 5.0, est
    assert abs(est.pitch_deg - pitch_deg) < 3.0, est


@pytest.mark.parametrize("yaw_deg", [5.0, 25.0, 40.0, 60.0, 80.0])
def test_box_yaw_recovered_from_its_outline(yaw_deg):
    """Under the right camera, a box's fitted yaw (mod 90) matches its outline's, whatever yaw it stands at."""
    from seig_search.perception.fit import OutlineTarget, fit_shape, initial_placement

    cam = PinholeCamera.from_pitch(ASSUMED["pitch_deg"], ASSUMED["cam_height"], ASSUMED["lens_mm"], SIZE, SIZE)
    mask = _outline_mask("cube", ASSUMED["pitch_deg"], ASSUMED["lens_mm"], 1.2, yaw_deg=yaw_deg)
    region = _region(mask)
    fit = fit_shape(cam, OutlineTarget(region, None), "cube", initial_placement(cam, region))
    err = abs(fit.yaw_deg - yaw_deg) % 90.0
    assert min(err, 90.0 - err) < 6.0, fit
    assert fit.cost < 0.03, fit


def _shaded_image(shape: str, yaw_deg: float = 30.0, width: float = 1.0):
    """A Lambertian primitive under a sun, rendered from its exact normals (sRGB), with its anti-aliased mask."""
    from render_pool.color import linear_to_srgb
    from seig_search.perception.fit import Fit
    from seig_search.perception.shading import surface_normals

    cam = PinholeCamera.from_pitch(ASSUMED["pitch_deg"], ASSUMED["cam_height"], ASSUMED["lens_mm"], SIZE, SIZE)
    fit = Fit(shape, 0.0, 0.3, -0.2, width, width, yaw_deg)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    normals, hit = surface_normals(cam, fit, rows.ravel(), cols.ravel())
    sun = np.array([-0.5, -0.4, 0.77])
    sun /= np.linalg.norm(sun)
    lum = 0.6 * np.clip(normals @ sun, 0.0, None) + 0.1
    lin = np.full((SIZE * SIZE, 3), 0.2)
    lin[hit] = lum[hit, None] * np.array([0.7, 0.2, 0.1])
    srgb = np.clip(linear_to_srgb(lin.reshape(SIZE, SIZE, 3)), 0.0, 1.0).astype(np.float32)
    return cam, srgb, _region(hit.reshape(SIZE, SIZE))


@pytest.mark.parametrize("shape, other", [("sphere", "cube"), ("cube", "sphere"), ("sphere", "cylinder"),
                                          ("cube", "cylinder"), ("cylinder", "cube")])
def test_normal_shading_prefers_the_true_shape(shape, other):
    """Brightness as a smooth function of the fitted surface's normal is explained best by the true primitive."""
    from seig_search.perception.shading import normal_shading_residual

    cam, srgb, region = _shaded_image(shape)
    fits = {f.shape: f for f in fit_region(cam, region, None, ("cube", "sphere", "cylinder"))}
    own = normal_shading_residual(srgb, cam, fits[shape], region.mask)
    alt = normal_shading_residual(srgb, cam, fits[other], region.mask)
    assert own is not None and alt is not None
    assert own < alt, (own, alt)


def _shaded_scene(pitch_deg: float, lens_mm: float, n_size: int = 128):
    """Lambertian boxes and cylinders under a sun, rendered from their exact normals, with their masks."""
    from render_pool.color import linear_to_srgb
    from seig_search.perception.fit import Fit
    from seig_search.perception.shading import surface_normals

    cam = PinholeCamera.from_pitch(pitch_deg, 7.0, lens_mm, n_size, n_size)
    rows, cols = np.mgrid[0:n_size, 0:n_size]
    sun = np.array([-0.5, -0.4, 0.77])
    sun /= np.linalg.norm(sun)
    lin = np.full((n_size * n_size, 3), 0.2)
    regions, fg = [], np.zeros((n_size, n_size), bool)
    for (x, y), shape, yaw in zip([(-2.0, 1.2), (2.0, -1.0), (0.2, 0.0), (-1.5, -2.0)],
                                  ["cube", "cylinder", "cube", "cylinder"], [20.0, 0.0, 65.0, 0.0]):
        normals, hit = surface_normals(cam, Fit(shape, 0.0, x, y, 1.4, 1.4, yaw), rows.ravel(), cols.ravel())
        lin[hit] = (0.6 * np.clip(normals[hit] @ sun, 0.0, None) + 0.1)[:, None] * np.array([0.2, 0.3, 0.7])
        m = hit.reshape(n_size, n_size) & ~fg
        regions.append(_region(m))
        fg |= m
    srgb = np.clip(linear_to_srgb(lin.reshape(n_size, n_size, 3)), 0.0, 1.0).astype(np.float32)
    return srgb, regions, fg


@pytest.mark.parametrize("pitch_deg", [42.0, 20.0])
def test_top_face_shading_moves_pitch_towards_the_truth(pitch_deg):
    """Where flat tops meet the sides tells the view's elevation: from a prior pitch 12 degrees off, the
    shading of boxes and cylinders re-fitted at other pitches pulls the estimate most of the way back."""
    from seig_search.perception.camera import PitchPosterior, camera_estimate
    from seig_search.perception.pitch_shading import refine_pitch

    srgb, regions, fg = _shaded_scene(pitch_deg, 40.0)
    pitches = np.linspace(8.0, 75.0, 269)
    post = PitchPosterior(pitches, 0.5 * ((pitches - 30.0) / 10.0) ** 2, np.full_like(pitches, 40.0), "prior")
    start = camera_estimate(30.0, 1.0, 40.0, "prior", 128, 128)
    est = refine_pitch(srgb, fg, regions, start, post, 128, 128)
    assert abs(est.pitch_deg - pitch_deg) < 5.0, est
    assert est.source == "prior"

"""RGBA cut-outs (no ground): thin appendages cut off, parts stacked at one depth, light consistent with the world."""

from __future__ import annotations

import math

import numpy as np
from skimage.draw import disk as draw_disk
from skimage.draw import line as draw_line

from seig_search.perception import camera as cam_mod
from seig_search.perception.analyse import analyse
from seig_search.perception.assembly import stack_on_base
from seig_search.perception.lighting import PRIOR_SUN, estimate_light
from seig_search.perception.parts import MAX_PART_FIT_COST, drawable, thick_parts
from seig_search.perception.segment import _region
from seig_search.perception.types import Appearance, Background, ObjectEstimate, ShapeGuess

SIZE = 128


def _tripod() -> tuple[np.ndarray, np.ndarray]:
    """A round body with three thin slanted legs, and the body alone."""
    body = np.zeros((SIZE, SIZE), bool)
    body[draw_disk((50, 64), 14, shape=body.shape)] = True
    mask = body.copy()
    for end in ((110, 30), (115, 64), (110, 98)):
        for dc in (-1, 0, 1):
            rr, cc = draw_line(60, 64 + dc, end[0], end[1] + dc)
            mask[rr, cc] = True
    return mask, body


def test_thin_legs_are_cut_off_and_the_body_kept():
    mask, body = _tripod()
    parts = thick_parts(_region(mask), min_size=16)
    assert len(parts) >= 1
    core = parts[0].mask
    iou = (core & body).sum() / (core | body).sum()
    assert iou > 0.85
    # the slanted legs fill too little of their bounding boxes to be drawn by an upright primitive
    assert all(p.area < 0.5 * parts[0].area for p in parts[1:])


def test_a_convex_region_is_left_whole():
    _, body = _tripod()
    region = _region(body)
    assert thick_parts(region, min_size=16) == [region]


def _object(mask: np.ndarray, location, dims, cost: float = 0.05) -> ObjectEstimate:
    from seig_search.perception.fit import Fit

    o = ObjectEstimate(region=_region(mask), shapes=[ShapeGuess("cube", 1.0)],
                       appearance=Appearance((0.5, 0.5, 0.5), 0.5, 0.0), dims=dims, location=location)
    o.fits = {"cube": Fit("cube", cost, location[0], location[1], dims[0], dims[2], 0.0)}
    return o


def test_parts_no_primitive_can_draw_are_left_out():
    mask, _ = _tripod()
    good = _object(mask, (0.0, 0.0, 0.5), (1.0, 1.0, 1.0), cost=0.03)
    bad = _object(mask, (1.0, 0.0, 0.5), (1.0, 1.0, 1.0), cost=MAX_PART_FIT_COST + 0.1)
    assert drawable([good, bad]) == [good]
    assert drawable([bad]) == [bad]  # with nothing drawable, the largest part still stands for the object


def _camera_and_boxes(first: tuple[slice, slice], second: tuple[slice, slice]):
    """A camera 30 degrees down and two box masks in its image."""
    camera = cam_mod.camera_estimate(30.0, 5.0, 50.0, "prior", SIZE, SIZE)
    masks = []
    for rows, cols in (first, second):
        m = np.zeros((SIZE, SIZE), bool)
        m[rows, cols] = True
        masks.append(m)
    return camera, cam_mod.pinhole(camera, SIZE, SIZE), masks[0], masks[1]


def test_upper_part_moves_to_the_depth_of_the_part_on_the_ground_without_moving_in_the_image():
    # the upper part touches the lower one: one connected foreground
    camera, cam, lower, upper = _camera_and_boxes((slice(70, 100), slice(50, 80)), (slice(40, 70), slice(55, 75)))
    # the ground fit would put the upper part far behind (it rests on the ground under its own lowest pixel)
    base = _object(lower, tuple(cam.ground_point(100.0, 65.0) + [0, 0, 0.5]), (1.0, 1.0, 1.0))
    far = cam.ground_point(70.0, 65.0) + [0, 0, 1.5]
    top = _object(upper, tuple(far), (3.0, 3.0, 3.0))
    before = cam.project([top.location])[0]
    stack_on_base([base, top], camera, lower | upper, SIZE, SIZE)
    assert math.isclose(cam.depth_of(top.location), cam.depth_of(base.location), rel_tol=1e-6)
    assert np.allclose(cam.project([top.location])[0], before, atol=1e-6)
    assert max(top.dims) < 3.0 and top.view_scale < 1.0
    assert base.view_scale == 1.0


def test_apart_objects_stay_where_the_ground_put_them():
    camera, cam, a, b = _camera_and_boxes((slice(70, 100), slice(20, 40)), (slice(40, 60), slice(80, 100)))
    far = tuple(cam.ground_point(60.0, 90.0) + [0, 0, 0.5])
    near = _object(a, tuple(cam.ground_point(100.0, 30.0) + [0, 0, 0.5]), (1.0, 1.0, 1.0))
    other = _object(b, far, (1.0, 1.0, 1.0))
    stack_on_base([near, other], camera, a | b, SIZE, SIZE)
    assert other.location == far


def test_a_seen_world_without_ground_lights_the_objects():
    camera = cam_mod.camera_estimate(30.0, 5.0, 50.0, "prior", SIZE, SIZE)
    srgb = np.ones((SIZE, SIZE, 3), np.float32)
    white = Background(world_srgb=(1.0, 1.0, 1.0), ground_srgb=None, horizon_row=None,  # type: ignore[arg-type]
                       world_mask=np.ones((SIZE, SIZE), bool))
    dark = Background(world_srgb=(0.2, 0.2, 0.2), ground_srgb=None, horizon_row=None,  # type: ignore[arg-type]
                      world_mask=np.ones((SIZE, SIZE), bool))
    lit = estimate_light(srgb, white, [], cam_mod.pinhole(camera, SIZE, SIZE))
    dim = estimate_light(srgb, dark, [], cam_mod.pinhole(camera, SIZE, SIZE))
    sun_part = PRIOR_SUN * math.sin(math.radians(45.0)) / math.pi
    assert lit.irradiance > dim.irradiance
    assert lit.irradiance > 1.0 > sun_part  # a white world of strength 1 is a radiance of 1 all round


def test_a_stacked_cutout_is_one_assembly_at_one_depth():
    # a tall box standing on the ground with a ball resting on it, on a transparent background
    h = w = 96
    srgb = np.ones((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    rows = np.arange(h)[:, None]
    box = (rows >= 50) & (rows < 85) & (np.arange(w)[None, :] >= 36) & (np.arange(w)[None, :] < 60)
    srgb[box] = (0.2, 0.3, 0.8)
    ball = np.zeros((h, w), bool)
    ball[draw_disk((40, 48), 11, shape=ball.shape)] = True
    ball &= ~box
    srgb[ball] = (0.85, 0.2, 0.1)
    alpha[box | ball] = 1.0
    est = analyse(srgb, alpha)
    assert len(est.objects) == 2
    cam = cam_mod.pinhole(est.camera, w, h)
    depths = sorted(cam.depth_of(o.location) for o in est.objects)
    assert depths[1] / depths[0] < 1.15  # on the ground plane the ball would sit about twice as far
    assert est.ground_color is None


def test_a_cutout_keeps_one_hue_parts_apart(monkeypatch):
    # one-hue parts of a cut-out are the parts of one object (a shovel above a body): the join is not asked
    from seig_search.perception import colour_parts

    calls = []
    real = colour_parts.join_same_hue
    monkeypatch.setattr(colour_parts, "join_same_hue", lambda parts, *a: calls.append(len(parts)) or real(parts, *a))
    h = w = 64
    srgb = np.ones((h, w, 3), np.float32)
    srgb[10:30, 20:44] = (0.95, 0.8, 0.1)
    srgb[30:55, 16:48] = (0.2, 0.3, 0.8)
    alpha = np.zeros((h, w), np.float32)
    alpha[(srgb < 0.99).any(axis=2)] = 1.0
    analyse(srgb, alpha)
    assert calls == []
    ground = np.full((h, w, 3), 0.5, np.float32)
    ground[(srgb < 0.99).any(axis=2)] = srgb[(srgb < 0.99).any(axis=2)]
    analyse(ground)  # the same objects on a grey ground: the join is asked
    assert calls

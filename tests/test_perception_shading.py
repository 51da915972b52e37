"""Shading inside a region: flat faces meeting at an edge (a box) against a smoothly turning side (a cylinder)."""

from __future__ import annotations

import numpy as np

from seig_search.perception.fit import Fit
from seig_search.perception.place import _rank
from seig_search.perception.tint import region_from_mask as _region
from seig_search.perception.shading import faceted_score

H = W = 64
R0, R1, C0, C1 = 20, 50, 18, 46  # the object's box in the image


def _image(side) -> tuple[np.ndarray, np.ndarray]:
    """A grey background, an object whose top third is a bright flat top and whose side has the given shading."""
    rng = np.random.default_rng(0)
    img = np.full((H, W, 3), 0.5, np.float32)
    mask = np.zeros((H, W), bool)
    mask[R0:R1, C0:C1] = True
    x = np.linspace(-1.0, 1.0, C1 - C0)
    top = R0 + (R1 - R0) // 3
    img[R0:top, C0:C1] = 0.8
    img[top:R1, C0:C1] = side(x)[None, :, None]
    img += rng.normal(0.0, 0.004, img.shape).astype(np.float32)  # render noise
    return np.clip(img, 0.0, 1.0), mask


def _box_side(x):
    return np.where(x < 0.2, 0.6, 0.35)  # two flat faces meeting at a vertical edge


def _cylinder_side(x):
    return 0.15 + 0.5 * np.cos(np.clip(x - 0.3, -1.5, 1.5))  # brightness follows the turning normal


def test_box_side_scores_faceted():
    img, mask = _image(_box_side)
    assert faceted_score(img, _region(mask)) > 1.0


def test_cylinder_side_scores_curved():
    img, mask = _image(_cylinder_side)
    assert faceted_score(img, _region(mask)) < -1.0


def test_uniform_side_tells_little():
    img, mask = _image(lambda x: np.full_like(x, 0.5))
    assert abs(faceted_score(img, _region(mask))) < 1.0


def _fits(cube_cost: float, cyl_cost: float) -> list[Fit]:
    return [Fit("cube", cube_cost, 0.0, 0.0, 1.0, 1.0, 0.0), Fit("cylinder", cyl_cost, 0.0, 0.0, 1.0, 1.0, 0.0),
            Fit("sphere", 0.5, 0.0, 0.0, 1.0, 1.0, 0.0)]


def test_shading_breaks_a_near_tie_both_ways():
    img, mask = _image(_box_side)
    region = _region(mask)
    assert _rank(_fits(0.051, 0.050), region)[0][1].shape == "cylinder"  # the outline alone
    assert _rank(_fits(0.051, 0.050), region, img)[0][1].shape == "cube"
    img, mask = _image(_cylinder_side)
    assert _rank(_fits(0.050, 0.051), _region(mask), img)[0][1].shape == "cylinder"


def test_shading_breaks_a_box_sphere_near_tie_both_ways():
    """A small box seen corner-on is nearly as round as a sphere: flat faces vs a smooth turn decide."""
    fits = [Fit("cube", 0.056, 0.0, 0.0, 1.0, 1.0, 0.0), Fit("sphere", 0.055, 0.0, 0.0, 1.0, 1.0, 0.0),
            Fit("cylinder", 0.5, 0.0, 0.0, 1.0, 1.0, 0.0)]
    img, mask = _image(_box_side)
    region = _region(mask)
    assert _rank(fits, region)[0][1].shape == "sphere"  # the outline alone
    assert _rank(fits, region, img)[0][1].shape == "cube"
    fits = [Fit("cube", 0.050, 0.0, 0.0, 1.0, 1.0, 0.0), Fit("sphere", 0.056, 0.0, 0.0, 1.0, 1.0, 0.0),
            Fit("cylinder", 0.5, 0.0, 0.0, 1.0, 1.0, 0.0)]
    img, mask = _image(_cylinder_side)  # a smoothly turning side: a sphere's too
    assert _rank(fits, _region(mask))[0][1].shape == "cube"
    assert _rank(fits, _region(mask), img)[0][1].shape == "sphere"


def test_shading_does_not_override_a_clear_outline():
    img, mask = _image(_box_side)
    assert _rank(_fits(0.08, 0.05), _region(mask), img)[0][1].shape == "cylinder"


# --- normals of a fitted primitive, and the glossy flat top -------------------------------------------------

def _camera():
    from seig_search.perception import camera as cam_mod

    est = cam_mod.camera_estimate(35.0, 1.0, 50.0, "prior", 96, 96)
    return est, cam_mod.pinhole(est, 96, 96)


def _mask_of(cam, fit):
    from skimage.draw import polygon as draw_polygon

    from seig_search.perception.fit import silhouette

    poly = silhouette(cam, fit.shape, fit.x, fit.y, fit.width, fit.height, fit.yaw_deg)
    mask = np.zeros((96, 96), bool)
    rr, cc = draw_polygon(poly[:, 0] - 0.5, poly[:, 1] - 0.5, mask.shape)
    mask[rr, cc] = True
    return mask


def test_surface_normals_of_a_box_and_a_sphere():
    from seig_search.perception.shading import surface_normals

    _, cam = _camera()
    box = Fit("cube", 0.0, 0.0, 0.0, 0.3, 0.3, 20.0)
    mask = _mask_of(cam, box)
    rows, cols = np.nonzero(mask)
    normals, hit = surface_normals(cam, box, rows, cols)
    assert hit.mean() > 0.9
    # a box shows at most three faces: its top (straight up) and sides (horizontal); the topmost pixels its top
    faces = np.unique(np.round(normals[hit], 3), axis=0)
    assert len(faces) <= 3 and np.all(np.isclose(faces[:, 2], 1.0) | np.isclose(faces[:, 2], 0.0)), faces
    top = rows <= rows.min() + 1
    assert (normals[top & hit][:, 2] > 0.99).mean() > 0.8
    ball = Fit("sphere", 0.0, 0.0, 0.0, 0.3, 0.3, 0.0)
    mask = _mask_of(cam, ball)
    rows, cols = np.nonzero(mask)
    normals, hit = surface_normals(cam, ball, rows, cols)
    assert hit.mean() > 0.9
    # at the outline's centre the sphere faces the camera
    c = np.argmin((rows - rows.mean()) ** 2 + (cols - cols.mean()) ** 2)
    assert normals[c] @ -cam.rays([rows[c] + 0.5], [cols[c] + 0.5])[0] > 0.95


def _cylinder_scene(glossy: bool):
    """A red cylinder: uniform diffuse top, or a top the key light's reflection sweeps across."""
    from seig_search.perception.colorspace import linear_to_srgb
    from seig_search.perception.shading import top_face_mask

    est, cam = _camera()
    fit = Fit("cylinder", 0.02, 0.0, 0.0, 0.3, 0.3, 0.0)
    mask = _mask_of(cam, fit)
    lin = np.full((96, 96, 3), 0.25, np.float32)
    lin[mask] = (0.3, 0.03, 0.03)
    top = top_face_mask(cam, fit, mask, erode=0)
    rows, cols = np.nonzero(top)
    if glossy:
        t = (cols - cols.min()) / max(cols.max() - cols.min(), 1)
        lin[rows, cols] = np.array([0.6, 0.06, 0.06]) * (0.3 + 1.4 * t)[:, None]
    else:
        lin[rows, cols] = (0.6, 0.06, 0.06)
    rng = np.random.default_rng(0)
    lin *= rng.normal(1.0, 0.02, size=(96, 96, 1)).astype(np.float32)
    return est, cam, fit, mask, linear_to_srgb(np.clip(lin, 0.0, 1.0))


def test_top_spread_tells_a_glossy_top_from_a_diffuse_one():
    from seig_search.perception.shading import top_face_mask, top_spread

    for glossy in (False, True):
        _, cam, fit, mask, srgb = _cylinder_scene(glossy)
        spread = top_spread(srgb, top_face_mask(cam, fit, mask))
        assert (spread > 0.3) if glossy else (spread < 0.1), (glossy, spread)


def test_glossy_top_turns_a_diffuse_reading_into_metal():
    from seig_search.perception.place import _glossy_top_is_metal
    from seig_search.perception.types import Appearance, ObjectEstimate, ShapeGuess

    for glossy in (False, True):
        _, cam, fit, mask, srgb = _cylinder_scene(glossy)
        region = _region(mask)
        o = ObjectEstimate(region=region, shapes=[ShapeGuess("cylinder", 1.0)],
                           appearance=Appearance(color=(0.6, 0.06, 0.06), roughness=0.85, metallic=0.0))
        _glossy_top_is_metal(o, cam, fit, region, srgb, mask)
        assert o.appearance.metallic == (1.0 if glossy else 0.0)
        if glossy:  # the tint survives: still a red
            r, g, b = o.appearance.color
            assert r > 3 * g and r > 3 * b, o.appearance.color


def test_a_side_too_narrow_to_read_leaves_a_box_sphere_tie_to_the_outline():
    """A small cube in a 64 px image: a 7-column side profile reads as curved too often to overrule the outline."""
    from seig_search.perception.place import SPHERE_SHADING_MIN_COLUMNS
    from seig_search.perception.shading import side_profile

    rng = np.random.default_rng(1)
    img = np.full((H, W, 3), 0.5, np.float32)
    mask = np.zeros((H, W), bool)
    mask[30:40, 28:36] = True
    x = np.linspace(-1.0, 1.0, 8)
    img[30:33, 28:36] = 0.8
    img[33:40, 28:36] = _cylinder_side(x)[None, :, None]
    img = np.clip(img + rng.normal(0.0, 0.004, img.shape).astype(np.float32), 0.0, 1.0)
    region = _region(mask)
    profile = side_profile(img, region)
    assert profile is None or len(profile) < SPHERE_SHADING_MIN_COLUMNS
    fits = [Fit("cube", 0.050, 0.0, 0.0, 1.0, 1.0, 0.0), Fit("sphere", 0.056, 0.0, 0.0, 1.0, 1.0, 0.0),
            Fit("cylinder", 0.5, 0.0, 0.0, 1.0, 1.0, 0.0)]
    assert _rank(fits, region, img)[0][1].shape == "cube"
    img, mask = _image(_cylinder_side)  # the same shading on a wide side still turns the tie into a sphere
    assert _rank(fits, _region(mask), img)[0][1].shape == "sphere"

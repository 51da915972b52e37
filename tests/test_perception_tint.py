"""The own-coloured part of a region: a coloured object's ground-coloured cast shadow is cut off, a grey one kept.

Synthetic images with a known answer: a coloured disk (an object) with a darker, ground-coloured blob (its
cast shadow) attached at its foot, both in one region as segmentation sometimes leaves them; the cut must
leave the disk. The same with a grey disk must leave the region alone. The shape fit and the material
estimate must then read the object, not object plus shadow.
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.draw import disk, ellipse, polygon as draw_polygon

from seig_search.perception import tint
from seig_search.perception.colorspace import linear_to_srgb, srgb_to_linear
from seig_search.perception import camera as cam_mod
from seig_search.perception.fit import silhouette
from seig_search.perception.material import estimate_appearance
from seig_search.perception.place import place_objects
from seig_search.perception.tint import own_colour_region, region_from_mask as _region
from seig_search.perception.types import Appearance, ObjectEstimate, ShapeGuess

H = W = 96
GROUND = np.array([0.25, 0.25, 0.25], dtype=np.float32)


def _scene(object_lin, seed: int = 0):
    """A disk of ``object_lin`` (shaded top to bottom) with a shadow blob attached below-right."""
    rng = np.random.default_rng(seed)
    lin = np.broadcast_to(GROUND, (H, W, 3)).copy()
    obj = np.zeros((H, W), bool)
    rr, cc = disk((40, 44), 14, shape=(H, W))
    obj[rr, cc] = True
    shade = np.broadcast_to(np.clip(1.1 - (np.arange(H)[:, None] - 26) / 40.0, 0.4, 1.1), (H, W))[..., None]
    shadow = np.zeros((H, W), bool)
    rr, cc = ellipse(58, 56, 8, 16, shape=(H, W), rotation=-0.4)
    shadow[rr, cc] = True
    shadow &= ~obj
    lin[shadow] = GROUND * 0.35
    lin[obj] = (np.asarray(object_lin, np.float32) * shade)[obj]
    lin *= rng.normal(1.0, 0.02, size=(H, W, 1)).astype(np.float32)
    return linear_to_srgb(np.clip(lin, 0.0, 1.0)), obj, shadow


def _iou(a, b) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_cast_shadow_of_a_coloured_object_is_cut_off():
    srgb, obj, shadow = _scene([0.05, 0.45, 0.08])
    region = _region(obj | shadow)
    out = own_colour_region(srgb, region, GROUND)
    assert _iou(out.mask, obj) > 0.9, _iou(out.mask, obj)
    # the local ground around the region gives the same answer
    out2 = own_colour_region(srgb, region, None, foreground=obj | shadow)
    assert _iou(out2.mask, obj) > 0.9


def test_grey_object_keeps_its_region():
    srgb, obj, shadow = _scene([0.3, 0.3, 0.3])
    region = _region(obj | shadow)
    assert own_colour_region(srgb, region, GROUND) is region


def test_coloured_object_without_a_shadow_keeps_its_region():
    srgb, obj, _ = _scene([0.6, 0.05, 0.05])
    region = _region(obj)
    assert own_colour_region(srgb, region, GROUND) is region


def _delta_e(a, b) -> float:
    lab = [rgb2lab(linear_to_srgb(np.array([[c]], dtype=np.float32))) for c in (a, b)]
    return float(deltaE_ciede2000(lab[0], lab[1])[0, 0])


def test_metal_tint_is_read_without_the_attached_shadow():
    """A cyan mirror: dark top (mirrored sky), lower part the ground tinted cyan; its shadow in the region."""
    base = np.array([0.05, 0.55, 0.55], dtype=np.float32)
    srgb, obj, shadow = _scene(base)
    lin = np.asarray(srgb, dtype=np.float32)
    rows = np.arange(H)[:, None].repeat(W, 1)
    top = obj & (rows < 36)
    low = obj & (rows >= 36)
    lin[top] = linear_to_srgb(base * 0.03)
    lin[low] = linear_to_srgb(base * GROUND)
    app = estimate_appearance(lin, _region(obj | shadow), irradiance=GROUND[0] / 0.3, ground_lin=GROUND)
    assert app.metallic == 1.0
    assert _delta_e(app.color, base) < 10.0, app.color


def test_sphere_with_attached_shadow_is_fitted_as_a_sphere():
    """A coloured ball's outline plus its shadow looks like a cylinder; the fit sees the ball alone and calls it a
    sphere."""
    cam_est = cam_mod.camera_estimate(30.0, 1.0, 50.0, "prior", W, H)
    cam = cam_mod.pinhole(cam_est, W, H)
    poly = silhouette(cam, "sphere", 0.0, 0.0, 0.22, 0.22, 0.0)
    obj = np.zeros((H, W), bool)
    rr, cc = draw_polygon(poly[:, 0] - 0.5, poly[:, 1] - 0.5, obj.shape)
    obj[rr, cc] = True
    r1 = int(np.nonzero(obj)[0].max())
    c0 = float(np.nonzero(obj)[1].mean())
    shadow = np.zeros_like(obj)
    rr, cc = ellipse(r1 - 1, c0 + 6, 4, 11, shape=obj.shape)
    shadow[rr, cc] = True
    shadow &= ~obj
    lin = np.broadcast_to(GROUND, (H, W, 3)).copy()
    # shaded as a ball under a high light: bright crown, darker towards its foot (a flat disc of one colour
    # reads as a box's face to the shading cue)
    rows = np.nonzero(obj)[0]
    depth = (np.arange(H)[:, None] - rows.min()) / max(rows.max() - rows.min(), 1)
    lin[obj] = np.array([0.6, 0.05, 0.05]) * (1.0 - 0.7 * np.broadcast_to(depth, (H, W))[obj])[:, None]
    lin[shadow] = GROUND * 0.35
    srgb = linear_to_srgb(lin)
    region = _region(obj | shadow)
    o = ObjectEstimate(region=region, shapes=[ShapeGuess("unknown", 0.0)],
                       appearance=Appearance(color=(0.6, 0.05, 0.05), roughness=0.8, metallic=0.0))
    _, placed = place_objects([o], cam_est, W, H, occluders=obj | shadow, srgb=srgb)
    assert placed[0].shape == "sphere", [(g.shape, round(g.score, 3)) for g in placed[0].shapes]
    from seig_search.perception.place import outline_region

    outline, _ = outline_region(placed[0], srgb, obj | shadow)  # what the fit saw: the ball, not its shadow
    assert (outline.mask ^ obj).sum() <= 0.1 * obj.sum()


def test_a_noisy_dark_shadow_is_cut_though_its_pixels_stray_from_the_ground_colour():
    """Per-channel sensor noise on a dark shadow scatters its chromaticity well past GROUND_CHROMA; its pixels
    still lie far nearer the ground's colour than the object's, and go."""
    srgb, obj, shadow = _scene([0.05, 0.45, 0.08])
    rng = np.random.default_rng(1)
    lin = srgb_to_linear(srgb)
    lin[shadow] += rng.normal(0.0, 0.012, size=(int(shadow.sum()), 3)).astype(np.float32)
    noisy = linear_to_srgb(np.clip(lin, 0.0, 1.0))
    cd = tint.chroma_distance(srgb_to_linear(noisy), GROUND)
    assert (cd[shadow] > tint.GROUND_CHROMA).mean() > 0.3  # the plain bound would keep much of the shadow
    out = own_colour_region(noisy, _region(obj | shadow), GROUND)
    assert _iou(out.mask, obj) > 0.9, _iou(out.mask, obj)


def test_own_colour_pixels_are_the_object_not_its_shadow_and_none_for_grey():
    srgb, obj, shadow = _scene([0.6, 0.05, 0.05])
    lin = srgb_to_linear(srgb)
    own = tint.own_colour_pixels(lin, obj | shadow, obj | shadow)
    assert own is not None
    assert (own & shadow).sum() == 0 and (own & obj).sum() > 0.9 * obj.sum()
    grey, gobj, gshadow = _scene([0.3, 0.3, 0.3])
    assert tint.own_colour_pixels(srgb_to_linear(grey), gobj | gshadow, gobj | gshadow) is None

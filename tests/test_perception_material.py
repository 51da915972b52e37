"""Material estimation on synthetic image-formation cases with a known answer.

A diffuse cube seen from above: its top face receives what the ground receives (the key light plus ambient),
its two visible sides less. A metal cube under a dark world: its top mirrors the dark sky, its sides mirror
the lit ground tinted by the base colour, with a small sun highlight.
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab

from seig_search.perception.colorspace import linear_to_srgb
from seig_search.perception.material import estimate_appearance
from seig_search.perception.types import Region

H = W = 64
IRRADIANCE = 1.2  # what an upward-facing surface receives, pixel units
GROUND_ALBEDO = 0.3


def _region(mask: np.ndarray) -> Region:
    rows, cols = np.nonzero(mask)
    return Region(mask=mask, bbox=(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1),
                  area=int(mask.sum()), centroid=(float(rows.mean()), float(cols.mean())))


def _cube_image(top: np.ndarray, left: np.ndarray, right: np.ndarray, seed: int = 0):
    """A cube as an image: a top face above two side faces, on a grey ground; linear colours in, sRGB out."""
    rng = np.random.default_rng(seed)
    ground = np.full(3, GROUND_ALBEDO * IRRADIANCE, dtype=np.float32)
    lin = np.broadcast_to(ground, (H, W, 3)).copy()
    mask = np.zeros((H, W), bool)
    lin[16:28, 20:44] = top
    lin[28:50, 20:32] = left
    lin[28:50, 32:44] = right
    mask[16:50, 20:44] = True
    lin *= rng.normal(1.0, 0.02, size=(H, W, 1)).astype(np.float32)  # render noise
    return linear_to_srgb(np.clip(lin, 0.0, 1.0)), _region(mask), ground


def _delta_e(a, b) -> float:
    lab = [rgb2lab(linear_to_srgb(np.array([[c]], dtype=np.float32))) for c in (a, b)]
    return float(deltaE_ciede2000(lab[0], lab[1])[0, 0])


def test_diffuse_albedo_is_the_top_over_the_ground_irradiance():
    albedo = np.array([0.42, 0.05, 0.05], dtype=np.float32)
    top = albedo * IRRADIANCE
    srgb, region, ground = _cube_image(top, albedo * 0.9, albedo * 0.25)
    app = estimate_appearance(srgb, region, irradiance=IRRADIANCE, ground_lin=ground)
    assert app.metallic == 0.0
    assert app.roughness >= 0.5
    assert _delta_e(app.color, albedo) < 5.0, app.color


def test_metal_base_colour_is_the_tint_of_the_reflected_ground():
    base = np.array([0.05, 0.55, 0.55], dtype=np.float32)
    ground = np.full(3, GROUND_ALBEDO * IRRADIANCE, dtype=np.float32)
    sky = 0.05
    top = base * sky  # the top mirrors the dark world
    srgb, region, ground = _cube_image(top, base * ground, base * ground * 0.8)
    # a tinted sun highlight on the top face
    lin = np.asarray(srgb, dtype=np.float32)
    lin[18:21, 30:34] = linear_to_srgb(np.clip(base * 6.0, 0.0, 1.0))
    app = estimate_appearance(lin, region, irradiance=IRRADIANCE, ground_lin=ground)
    assert app.metallic == 1.0
    assert app.roughness < 0.5
    assert _delta_e(app.color, base) < 10.0, app.color


def test_a_dark_object_outlined_by_the_lit_ground_is_not_glossy():
    """Outline pixels mixing a dark blue object with the pale ground are not specular highlights."""
    albedo = np.array([0.02, 0.07, 0.6], dtype=np.float32)
    srgb, region, ground = _cube_image(albedo * IRRADIANCE, albedo * 0.8, albedo * 0.5)
    lin = srgb.copy()
    outline = np.zeros_like(region.mask)
    outline[16:50, 20] = True  # the left outline column
    mixed = 0.2 * albedo * IRRADIANCE + 0.8 * ground  # mostly ground: pale, and far above the object's median
    lin[outline] = linear_to_srgb(mixed)
    app = estimate_appearance(lin, region, irradiance=IRRADIANCE, ground_lin=ground)
    assert app.metallic == 0.0
    assert app.roughness >= 0.5


def test_a_dark_box_ringed_by_pale_outline_pixels_is_not_a_mirror():
    """A dark diffuse box with one side in shadow keeps a row of outline pixels mixed with the pale ground behind
    its top edge: they inflate the brightness's standard deviation, but the metal score reads the 5-95 percentile
    spread."""
    from seig_search.perception.colorspace import luminance, srgb_to_linear
    from seig_search.perception.material import METAL_SCORE_THRESHOLD, metal_score, region_stats

    albedo = np.array([0.02, 0.12, 0.02], dtype=np.float32)
    srgb, region, ground = _cube_image(albedo * IRRADIANCE, albedo * 0.45, albedo * 0.12)
    lin = srgb_to_linear(srgb)
    lin[16, 20:44] = 0.2 * albedo * IRRADIANCE + 0.8 * ground  # the far outline: mostly lit ground
    stats = region_stats(lin, region, IRRADIANCE)
    lum = luminance(lin[region.mask])
    assert lum.std() / np.median(lum) > 1.0  # the ring dominates the standard deviation
    assert metal_score(stats) < METAL_SCORE_THRESHOLD
    app = estimate_appearance(linear_to_srgb(lin), region, irradiance=IRRADIANCE, ground_lin=ground)
    assert app.metallic == 0.0


def test_a_mirror_box_spreads_over_its_whole_surface():
    """A metal box: dark mirrored sky on top, tinted mirrored ground below with a gradient, a sun highlight."""
    from seig_search.perception.colorspace import srgb_to_linear
    from seig_search.perception.material import METAL_SCORE_THRESHOLD, metal_score, region_stats

    base = np.array([0.55, 0.5, 0.05], dtype=np.float32)
    g = GROUND_ALBEDO * IRRADIANCE
    srgb, region, ground = _cube_image(base * 0.03, base * g, base * g * 0.5)
    lin = srgb_to_linear(srgb)
    lin[28:50, 20:44] *= np.linspace(0.4, 1.2, 22, dtype=np.float32)[:, None, None]  # far ground to near
    stats = region_stats(lin, region, IRRADIANCE)
    assert metal_score(stats) > METAL_SCORE_THRESHOLD


def test_a_diffuse_top_with_a_misplaced_edge_is_not_glossy():
    """A rubber cylinder fitted a little too short, so its fitted top reaches a pixel down into the darker side:
    the glossy-top test reads the top two pixels in from the fitted outline, so the side does not fake a spread."""
    from skimage.draw import polygon as draw_polygon

    from seig_search.perception import camera as cam_mod
    from seig_search.perception.colorspace import linear_to_srgb
    from seig_search.perception.fit import Fit, silhouette
    from seig_search.perception.place import _glossy_top_is_metal
    from seig_search.perception.shading import top_face_mask
    from seig_search.perception.tint import region_from_mask
    from seig_search.perception.types import Appearance, ObjectEstimate, ShapeGuess

    cam = cam_mod.pinhole(cam_mod.camera_estimate(35.0, 1.0, 50.0, "prior", 96, 96), 96, 96)
    true = Fit("cylinder", 0.02, 0.0, 0.0, 0.3, 0.3, 0.0)
    fitted = Fit("cylinder", 0.02, 0.0, 0.0, 0.3, 0.275, 0.0)  # a little too short: its top overlaps the side

    def mask_of(fit):
        poly = silhouette(cam, fit.shape, fit.x, fit.y, fit.width, fit.height, fit.yaw_deg)
        m = np.zeros((96, 96), bool)
        rr, cc = draw_polygon(poly[:, 0] - 0.5, poly[:, 1] - 0.5, m.shape)
        m[rr, cc] = True
        return m

    mask = mask_of(true)
    lin = np.full((96, 96, 3), 0.25, np.float32)
    lin[mask] = (0.1, 0.01, 0.01)  # the side, in the key light's shade
    lin[top_face_mask(cam, true, mask, erode=0)] = (0.6, 0.06, 0.06)  # the evenly lit top
    lin *= np.random.default_rng(0).normal(1.0, 0.02, size=(96, 96, 1)).astype(np.float32)
    srgb = linear_to_srgb(np.clip(lin, 0.0, 1.0))
    region = region_from_mask(mask)
    o = ObjectEstimate(region=region, shapes=[ShapeGuess("cylinder", 1.0)],
                       appearance=Appearance(color=(0.6, 0.06, 0.06), roughness=0.85, metallic=0.0))
    _glossy_top_is_metal(o, cam, fitted, region, srgb, mask)
    assert o.appearance.metallic == 0.0

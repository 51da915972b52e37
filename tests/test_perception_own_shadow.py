"""A grey object's own cast shadow left in its region (``own_shadow.py``), on drawn scenes with known answers."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.cast_shadows import light_vector, shadow_footprints, silhouettes
from seig_search.perception.fit import fit_region
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.own_shadow import coloured_pieces, shadow_trimmed_region
from seig_search.perception.segment import _region
from seig_search.perception.types import Appearance, ObjectEstimate, ShapeGuess

SIZE = 96
LIGHT = light_vector(150.0, 35.0)


def _object(shape, x, y, size, region=None) -> ObjectEstimate:
    region = region or _region(np.ones((SIZE, SIZE), bool))
    return ObjectEstimate(region=region, shapes=[ShapeGuess(shape, 1.0)],
                          appearance=Appearance((0.3, 0.3, 0.3), 0.8, 0.0), dims=(size, size, size),
                          location=(x, y, size / 2), rotation_deg=(0.0, 0.0, 0.0))


def _fitted(cam, region, shape):
    """The object the outline fit makes of a region (what perception has before the trim)."""
    fit = next(f for f in fit_region(cam, region, None, (shape,)) if f.shape == shape)
    return _object(shape, fit.x, fit.y, fit.width, region)


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_a_merged_own_shadow_is_cut_off():
    cam = PinholeCamera.from_pitch(35.0, 5.0, 45.0, SIZE, SIZE)
    truth = _object("sphere", 0.0, 0.0, 1.0)
    sil = silhouettes(cam, [truth], (SIZE, SIZE))
    shadow = shadow_footprints(cam, [truth], LIGHT, (SIZE, SIZE))[0] & ~sil
    region = _region(sil | shadow)  # object and shadow came out as one region
    fitted = _fitted(cam, region, "sphere")
    assert fitted.dims[0] > 1.15  # the fit alone makes one big object of both
    trimmed = shadow_trimmed_region(cam, fitted, region, LIGHT, np.zeros_like(sil), region.mask)
    assert trimmed is not None
    assert _iou(trimmed.mask, sil) > 0.8, _iou(trimmed.mask, sil)
    refit = _fitted(cam, trimmed, "sphere")
    assert abs(refit.dims[0] - 1.0) < 0.15


def test_an_object_whose_shadow_lies_apart_is_left_alone():
    cam = PinholeCamera.from_pitch(35.0, 5.0, 45.0, SIZE, SIZE)
    truth = _object("cube", 0.3, -0.2, 1.0)
    sil = silhouettes(cam, [truth], (SIZE, SIZE))
    shadow = shadow_footprints(cam, [truth], LIGHT, (SIZE, SIZE))[0] & ~sil
    region = _region(sil)
    fitted = _fitted(cam, region, "cube")
    assert shadow_trimmed_region(cam, fitted, region, LIGHT, shadow, region.mask) is None


def test_a_coloured_objects_own_pixels_are_never_cut_with_its_shadow():
    """Pixels in the drawn shadow that carry the object's own colour (a coloured box's dark lower face, say)
    stay; the rest of the shadow goes."""
    cam = PinholeCamera.from_pitch(35.0, 5.0, 45.0, SIZE, SIZE)
    truth = _object("sphere", 0.0, 0.0, 1.0)
    sil = silhouettes(cam, [truth], (SIZE, SIZE))
    shadow = shadow_footprints(cam, [truth], LIGHT, (SIZE, SIZE))[0] & ~sil
    region = _region(sil | shadow)
    fitted = _fitted(cam, region, "sphere")
    plain = shadow_trimmed_region(cam, fitted, region, LIGHT, np.zeros_like(sil), region.mask)
    assert plain is not None
    cut = shadow & ~plain.mask
    rows = np.nonzero(cut)[0]
    coloured = cut & (np.arange(SIZE)[:, None] <= np.median(rows))  # the upper half of what was cut
    assert coloured.sum() >= 5
    own = sil | coloured
    trimmed = shadow_trimmed_region(cam, fitted, region, LIGHT, np.zeros_like(sil), region.mask, own_colour=own)
    assert trimmed is not None
    assert (own & ~trimmed.mask).sum() == 0
    assert (cut & ~coloured & trimmed.mask).sum() == 0


def test_an_object_of_its_own_colour_in_the_cut_shadow_is_found_grey_shade_is_not():
    # a grey cylinder's region; the trim cut off two pieces of its cast shadow, one holding a brown sphere
    ground = np.array([0.5, 0.5, 0.5])
    lin3 = np.tile(ground, (SIZE, SIZE, 1))
    kept = np.zeros((SIZE, SIZE), bool)
    kept[20:50, 30:50] = True
    lin3[kept] = (0.2, 0.2, 0.21)
    shade, with_sphere = np.zeros((SIZE, SIZE), bool), np.zeros((SIZE, SIZE), bool)
    shade[50:75, 30:40] = True
    with_sphere[50:66, 42:58] = True
    lin3[shade | with_sphere] = 0.12 * ground  # shade keeps the ground's chromaticity
    sphere = np.zeros((SIZE, SIZE), bool)
    sphere[52:64, 44:56] = True
    lin3[sphere] = (0.06, 0.03, 0.015)  # dark, but not the ground's colour nor the cylinder's
    found = coloured_pieces(shade | with_sphere, kept, lin3, ground)
    assert len(found) == 1 and (found[0] == ndi.binary_opening(with_sphere)).all()  # its corners opened off
    assert coloured_pieces(shade, kept, lin3, ground) == []
    lin3[sphere] = 0.12 * ground * 0.8  # the same piece, only deeper shade: no object
    assert coloured_pieces(shade | with_sphere, kept, lin3, ground) == []

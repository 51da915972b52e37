"""Shadow patches taken for objects (``shadow_patches.py``): drawn cases with known answers."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.cast_shadows import light_vector, shadow_footprints, silhouettes
from seig_search.perception.colorspace import linear_to_srgb, srgb_to_linear
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.shadow_patches import shadow_patches
from seig_search.perception.types import Appearance, ObjectEstimate, Region, ShapeGuess

SIZE = 128
CAM = PinholeCamera.from_pitch(30.0, 5.0, 45.0, SIZE, SIZE)
LIGHT = light_vector(200.0, 45.0)  # shadows fall towards +x
GROUND = 0.6
SHADE = 0.3


def _object(x: float, y: float, size: float) -> ObjectEstimate:
    o = ObjectEstimate(region=Region(mask=np.zeros((SIZE, SIZE), bool), bbox=(0, 0, 1, 1), area=1,
                                     centroid=(0.0, 0.0)),
                       shapes=[ShapeGuess("cube", 1.0)], appearance=Appearance((0.5, 0.5, 0.5), 0.8, 0.0),
                       dims=(size, size, size), location=(x, y, size / 2), rotation_deg=(0.0, 0.0, 0.0))
    o.region.mask = silhouettes(CAM, [o], (SIZE, SIZE))
    return o


def _scene(second: ObjectEstimate, second_rgb, own_shadow_seen: bool):
    """A blue box casting its shadow towards +x, and a second object drawn in ``second_rgb``; the
    shadow mask holds the box's shadow and, with ``own_shadow_seen``, the second object's own."""
    caster = _object(-1.2, 0.0, 1.0)
    shape = (SIZE, SIZE)
    shadow = shadow_footprints(CAM, [caster], LIGHT, shape)[0] & ~caster.region.mask
    if own_shadow_seen:
        shadow |= shadow_footprints(CAM, [second], LIGHT, shape)[0]
    shadow &= ~(caster.region.mask | second.region.mask)
    srgb = np.full((SIZE, SIZE, 3), GROUND, np.float32)
    srgb[shadow] = SHADE
    srgb[caster.region.mask] = (0.1, 0.2, 0.8)
    srgb[second.region.mask] = second_rgb
    return [caster, second], shadow, srgb_to_linear(srgb)


def _patches(objects, shadow, lin3):
    return shadow_patches(CAM, objects, LIGHT, shadow, lin3, srgb_to_linear(np.full(3, GROUND, np.float32)))


def test_a_ground_coloured_patch_in_the_casters_shadow_is_dropped():
    patch = _object(0.05, 0.1, 0.4)  # in the caster's shadow; as a box it would cast a shadow onto lit ground
    objects, shadow, lin3 = _scene(patch, SHADE, own_shadow_seen=False)
    drawn = shadow_footprints(CAM, [objects[0]], LIGHT, (SIZE, SIZE))[0]
    assert drawn[patch.region.mask].mean() > 0.9
    assert _patches(objects, shadow, lin3) == [1]


def test_real_objects_in_the_shade_or_coloured_or_uneven_stay():
    patch = _object(0.05, 0.1, 0.4)
    # its own shadow is seen: an object standing in the caster's shade
    assert _patches(*_scene(patch, SHADE, own_shadow_seen=True)) == []
    # a colour of its own
    assert _patches(*_scene(patch, (0.45, 0.2, 0.1), own_shadow_seen=False)) == []
    # lit and shaded faces: uneven brightness is an object's shading, not a shadow
    objects, shadow, lin3 = _scene(patch, SHADE, own_shadow_seen=False)
    rows = np.nonzero(patch.region.mask.any(axis=1))[0]
    top = patch.region.mask.copy()
    top[int(rows.mean()):] = False
    lin3[top] = srgb_to_linear(np.full(3, 0.95, np.float32))
    lin3[patch.region.mask & ~top] = srgb_to_linear(np.full(3, 0.08, np.float32))
    assert _patches(objects, shadow, lin3) == []
    # a ground-coloured object off the caster's shadow
    assert _patches(*_scene(_object(0.0, 2.0, 0.4), SHADE, own_shadow_seen=False)) == []


def test_a_patch_even_inside_a_dark_rim_is_dropped_a_shaded_one_stays():
    # a dark shadow core segmented with the dark edge of the object beside it: uneven over the whole region,
    # even inside its two-pixel rim
    patch = _object(0.1, 0.1, 0.7)
    objects, shadow, lin3 = _scene(patch, SHADE, own_shadow_seen=False)
    mask = patch.region.mask
    rim = mask & ~ndi.binary_erosion(mask, iterations=2)
    core = mask & ~rim
    assert core.sum() >= 40
    lin3[rim] = srgb_to_linear(np.full(3, 0.02, np.float32))
    lum = lin3.sum(axis=2)
    assert lum[mask].std() > 0.6 * lum[mask].mean()  # the whole region's spread alone would keep it
    assert _patches(objects, shadow, lin3) == [1]
    # shaded inside (lit top, dark side, as an object's faces are): it stays
    rows = np.nonzero(mask.any(axis=1))[0]
    top = mask.copy()
    top[int(rows.mean()):] = False
    lin3[core & top] = srgb_to_linear(np.full(3, 0.95, np.float32))
    lin3[core & ~top] = srgb_to_linear(np.full(3, 0.08, np.float32))
    assert _patches(objects, shadow, lin3) == []


def test_a_patch_whose_own_shadow_would_fall_in_the_casters_is_dropped():
    """Deep in another's shadow, the shadow a patch would cast lands where the image shows shadow anyway: no
    sign of an object standing there."""
    patch = _object(-0.45, 0.0, 0.2)
    objects, shadow, lin3 = _scene(patch, SHADE, own_shadow_seen=True)
    drawn = shadow_footprints(CAM, objects, LIGHT, (SIZE, SIZE))
    own = drawn[1] & ~(objects[0].region.mask | patch.region.mask)
    assert own.any() and shadow[own].mean() > 0.9 and drawn[0][own].mean() > 0.9
    assert _patches(objects, shadow, lin3) == [1]


def test_a_deep_shadow_tinted_by_its_blue_caster_is_dropped_a_dark_blue_object_and_a_lit_tint_stay():
    patch = _object(0.05, 0.1, 0.4)

    def drawn_in(lin):
        return tuple(float(v) for v in linear_to_srgb(np.array(lin, np.float32)))

    tinted = (0.02, 0.03, 0.06)  # 0.12 of the lit ground's brightness, chromaticity 0.42 from the ground's
    assert _patches(*_scene(patch, drawn_in(tinted), own_shadow_seen=False)) == [1]
    assert _patches(*_scene(patch, drawn_in([4 * v for v in tinted]), own_shadow_seen=False)) == []
    assert _patches(*_scene(patch, drawn_in((0.005, 0.015, 0.09)), own_shadow_seen=False)) == []  # dark blue

"""Object count rules of the embedded perception: shadow levels with a key and a fill light, shadows without
a caster, colour parts of one hue, and notch cuts."""

from __future__ import annotations

import numpy as np

from seig_search.perception.background import KEY_SHADOW_MAX_RATIO, _at_shadow_level, analyse_background
from seig_search.perception.colorspace import linear_to_srgb


def test_shadow_level_rule():
    # at the level of the clean shadows
    assert _at_shadow_level(0.05, 0.05)
    assert _at_shadow_level(0.06, 0.05)
    # lighter than the darkest shadow but still under the key light's shadow bound: shadow
    assert _at_shadow_level(0.25, 0.05)
    # clearly lighter than any shadow, or far darker than the shadows: an object
    assert not _at_shadow_level(0.6, 0.05)
    assert not _at_shadow_level(0.01, 0.1)
    # with a bright ambient the level itself is high and the relative tolerance decides
    assert _at_shadow_level(0.55, 0.5)
    assert not _at_shadow_level(0.8, 0.5)
    assert KEY_SHADOW_MAX_RATIO < 0.5


def _scene() -> tuple[np.ndarray, dict[str, tuple[slice, slice]]]:
    """A grey ground with a red box, its two-level cast shadow (dark near the box, lighter beyond, a crisp
    step between) and a flat grey object standing in the dark shadow."""
    rng = np.random.default_rng(0)
    h = w = 96
    ground = 0.3
    lin = np.full((h, w, 3), ground, np.float32)
    lin *= (1.0 + 0.1 * np.linspace(-1, 1, h))[:, None, None]  # a gentle gradient, as a sun gives
    parts = {
        "box": (slice(30, 50), slice(30, 52)),
        "umbra": (slice(50, 66), slice(30, 52)),
        "light_shadow": (slice(66, 74), slice(30, 52)),
        "grey": (slice(54, 62), slice(36, 44)),
    }
    lin[parts["box"]] = (0.5, 0.04, 0.03)
    lin[parts["umbra"]] *= 0.05
    lin[parts["light_shadow"]] *= 0.25
    lin[parts["grey"]] = 0.6 * ground
    lin *= 1.0 + 0.01 * rng.standard_normal(lin.shape).astype(np.float32)
    return np.clip(linear_to_srgb(lin), 0.0, 1.0).astype(np.float32), parts


def test_lighter_key_shadow_stays_shadow_and_grey_object_is_released():
    srgb, parts = _scene()
    bg = analyse_background(srgb)
    assert bg.shadow_mask is not None
    light = np.zeros(srgb.shape[:2], bool)
    light[parts["light_shadow"]] = True
    light &= ~np.roll(light, 2, axis=0) | ~np.roll(light, -2, axis=0)  # ignore the rows at its edges
    assert bg.shadow_mask[light].mean() > 0.8
    grey = np.zeros(srgb.shape[:2], bool)
    grey[parts["grey"]] = True
    assert bg.shadow_mask[grey].mean() < 0.2
    assert bg.ground_mask[grey].mean() < 0.2


def _disk(shape, centre, radius):
    rr, cc = np.mgrid[0:shape[0], 0:shape[1]]
    return (rr - centre[0]) ** 2 + (cc - centre[1]) ** 2 <= radius ** 2


def test_crescent_sliver_joins_its_object():
    from seig_search.perception.concavity import join_slivers

    shape = (64, 64)
    whole = _disk(shape, (32, 32), 14)
    body = whole & _disk(shape, (32, 28), 14)  # the object without its rim
    rim = whole & ~body  # a thin crescent, as a metal's dark rim cut off by colour
    out = join_slivers([body, rim])
    assert len(out) == 1 and out[0].sum() == whole.sum()


def test_crescent_of_another_colour_stays_apart():
    """A brown object showing only a crescent behind a yellow one closes its outline like a shaded rim would;
    the two colours (28 degrees of hue apart) keep it an object."""
    from seig_search.perception.colorspace import srgb_to_linear
    from seig_search.perception.colour_parts import PART_MIN_HUE_GAP, distinct_hues
    from seig_search.perception.concavity import join_slivers

    shape = (64, 64)
    whole = _disk(shape, (32, 32), 14)
    front = whole & _disk(shape, (32, 28), 14)
    behind = whole & ~front
    srgb = np.full(shape + (3,), 0.5, np.float32)
    srgb[front] = np.array([255, 238, 51]) / 255.0  # yellow
    srgb[behind] = np.array([129, 74, 25]) / 255.0  # brown
    lin3 = srgb_to_linear(srgb)

    def two_colours(a, b):
        return distinct_hues(lin3, a, b, tol=PART_MIN_HUE_GAP)

    assert len(join_slivers([front, behind])) == 1  # the outline alone joins them
    assert len(join_slivers([front, behind], two_colours)) == 2


def test_two_convex_objects_stay_apart():
    from seig_search.perception.concavity import join_slivers

    shape = (64, 64)
    a = _disk(shape, (32, 24), 12)
    b = _disk(shape, (32, 44), 9) & ~a  # a smaller object partly behind the first: still convex-ish
    out = join_slivers([a, b])
    assert len(out) == 2


def test_a_shadow_blob_no_object_touches_is_an_object():
    from seig_search.perception.casters import release_casterless_shadows
    from seig_search.perception.types import Background

    shape = (96, 96)
    box = np.zeros(shape, bool)
    box[20:40, 20:40] = True
    cast = np.zeros(shape, bool)
    cast[40:52, 20:40] = True  # the box's own shadow: it runs along the box's base
    dark = _disk(shape, (70, 70), 7) | _disk(shape, (74, 78), 6)  # a dark object with its shadow, alone
    edge = np.zeros(shape, bool)
    edge[80:96, 0:12] = True  # cast from outside the frame
    bg = Background(world_srgb=(0.0, 0.0, 0.0), ground_srgb=(0.5, 0.5, 0.5), horizon_row=None,
                    ground_mask=~(box | cast | dark | edge), shadow_mask=cast | dark | edge)
    out, fg = release_casterless_shadows(bg, box.copy(), 16)
    assert fg[dark].all() and not out.shadow_mask[dark].any()
    assert out.shadow_mask[cast].all() and not fg[cast].any()
    assert out.shadow_mask[edge].all()


def test_touching_colour_parts_of_one_hue_join():
    from seig_search.perception.colour_parts import join_same_hue

    shape = (32, 32)
    lin3 = np.zeros(shape + (3,), np.float32)
    left = np.zeros(shape, bool)
    left[:, :16] = True
    right = ~left
    lin3[left] = (0.5, 0.05, 0.04)  # a lit red face
    lin3[right] = (0.05, 0.005, 0.004)  # the same red in shade
    assert len(join_same_hue([left, right], lin3, 18.0)) == 1
    lin3[right] = (0.04, 0.05, 0.5)  # a blue neighbour
    assert len(join_same_hue([left, right], lin3, 18.0)) == 2


def test_a_top_face_as_wide_as_the_side_below_is_no_second_object():
    from seig_search.perception.concavity import _top_face

    shape = (64, 64)
    side = np.zeros(shape, bool)
    side[30:50, 20:40] = True
    top = _disk(shape, (27, 30), 10) & ~side
    top[:, :20] = top[:, 40:] = False
    assert _top_face(top, side)
    # an object behind, offset to one side, or one beside the other, is another object
    behind = np.zeros(shape, bool)
    behind[18:30, 28:50] = True
    assert not _top_face(behind, side)
    beside = np.zeros(shape, bool)
    beside[30:50, 40:60] = True
    assert not _top_face(beside, side)


def test_a_dark_blob_on_the_far_side_from_an_objects_own_shadow_is_an_object():
    from seig_search.perception.casters import release_stray_shadows
    from seig_search.perception.segment import _region
    from seig_search.perception.types import Background

    shape = (96, 96)
    box = np.zeros(shape, bool)
    box[30:50, 40:60] = True
    own = np.zeros(shape, bool)
    own[38:54, 60:84] = True  # the box's shadow, thrown to the right
    piece = np.zeros(shape, bool)
    piece[30:35, 60:70] = True  # a second piece of it, cut off by something in between: the same way
    dark = _disk(shape, (40, 33), 6) & ~box  # a black object standing against the box's left side
    shadow = own | piece | dark
    bg = Background(world_srgb=(0.0, 0.0, 0.0), ground_srgb=(0.5, 0.5, 0.5), horizon_row=None,
                    ground_mask=~(box | shadow), shadow_mask=shadow)
    out, fg = release_stray_shadows(bg, box.copy(), [_region(box)], 16)
    assert fg[dark].all() and not out.shadow_mask[dark].any()
    assert out.shadow_mask[own].all() and out.shadow_mask[piece].all() and not fg[own | piece].any()

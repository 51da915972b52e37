"""The image direction of cast shadows and the shadow-side test for dark ground-coloured pieces (synthetic)."""

from __future__ import annotations

import numpy as np

from seig_search.perception.shadow_side import image_shadow_direction, on_shadow_side

N = 64


def _objects_with_shadows(dr: int, dc: int):
    fg = np.zeros((N, N), bool)
    shadow = np.zeros((N, N), bool)
    for r0, c0 in ((10, 10), (10, 40), (40, 24)):
        fg[r0:r0 + 10, c0:c0 + 10] = True
        shadow[r0 + dr:r0 + 10 + dr, c0 + dc:c0 + 10 + dc] = True
    return shadow & ~fg, fg


def test_shadow_direction_points_from_objects_to_their_shadows():
    shadow, fg = _objects_with_shadows(6, 4)  # shadows fall down and to the right
    d = image_shadow_direction(shadow, fg)
    assert d is not None
    assert d[0] > 0.5 and d[1] > 0.2
    shadow, fg = _objects_with_shadows(0, -6)  # to the left
    d = image_shadow_direction(shadow, fg)
    assert d is not None and d[1] < -0.9
    assert image_shadow_direction(np.zeros((N, N), bool), fg) is None


def test_a_piece_beyond_its_object_along_the_shadows_is_on_the_shadow_side():
    obj = np.zeros((N, N), bool)
    obj[20:30, 20:30] = True
    below = np.zeros((N, N), bool)
    below[30:36, 22:32] = True
    assert on_shadow_side(below, obj, (1.0, 0.0))
    assert not on_shadow_side(below, obj, (-1.0, 0.0))
    assert not on_shadow_side(below, obj, (0.0, 1.0))
    assert not on_shadow_side(below, obj, None)


def test_a_detached_flat_grey_piece_beyond_an_object_along_the_shadows_is_its_shadow():
    """A blue box and a flat dark-grey piece just below it (two pixels of clean shadow between them): with the
    shadows falling down the image the piece is the box's shadow; with them falling up it is an object."""
    from seig_search.perception.colorspace import srgb_to_linear
    from seig_search.perception.segment import _drop_detached_shadows, _region
    from seig_search.perception.types import Background

    box = np.zeros((N, N), bool)
    box[16:36, 20:40] = True
    gap = np.zeros((N, N), bool)
    gap[36:38, 22:38] = True
    piece = np.zeros((N, N), bool)
    piece[38:46, 22:38] = True
    img = np.full((N, N, 3), 0.5)
    img[box] = (0.1, 0.15, 0.6)
    img[gap] = 0.12
    img[piece] = 0.25
    bg = Background(world_srgb=(0.05, 0.05, 0.05), ground_srgb=(0.5, 0.5, 0.5), horizon_row=None,
                    ground_mask=~(box | gap | piece), shadow_mask=gap, world_mask=np.zeros((N, N), bool),
                    shadow_ratio=0.2)
    lin3 = srgb_to_linear(img.astype(np.float32))
    regions = [_region(box), _region(piece)]
    assert len(_drop_detached_shadows(regions, lin3, bg, (1.0, 0.0))) == 1
    assert len(_drop_detached_shadows(regions, lin3, bg, (-1.0, 0.0))) == 2
    assert len(_drop_detached_shadows(regions, lin3, bg, (0.0, 1.0))) == 2
    bg.shadow_ratio = 0.5  # the piece is darker than the clean shadows: an object's dark side, not a shadow
    assert len(_drop_detached_shadows(regions, lin3, bg, (1.0, 0.0))) == 2

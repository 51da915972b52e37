"""Small dark fragments beside larger regions (``segment._absorb_fragments``): shadow remnants and cast shadows
wedged between objects are dropped, dark objects are kept (synthetic images)."""

from __future__ import annotations

import numpy as np

from render_pool.color import linear_to_srgb

N = 96


def _two_boxes(left: np.ndarray, right: np.ndarray, piece: np.ndarray) -> np.ndarray:
    """Linear image: a dim blue and a dim green box on grey ground, ``piece`` at a shadow's level."""
    img = np.full((N, N, 3), 0.22)
    img[left] = (0.03, 0.05, 0.2)
    img[right] = (0.03, 0.2, 0.05)
    img[piece] = 0.06
    return img


def _shadow_between(nestled: bool):
    """A dim blue box, a dim green box and a ground-coloured piece at a shadow's level: wedged between the two
    boxes (a cast shadow seen between objects) or standing out into the open ground (a grey object)."""
    from seig_search.perception.types import Background

    left = np.zeros((N, N), bool)
    left[30:62, 20:50] = True
    right = np.zeros((N, N), bool)
    right[30:62, 56:80] = True
    piece = np.zeros((N, N), bool)
    if nestled:
        piece[35:62, 50:56] = True
    else:
        piece[62:80, 30:44] = True  # below the left box, ground on three sides
    img = _two_boxes(left, right, piece)
    ground = ~(left | right | piece)
    bg = Background(world_srgb=(0.05, 0.05, 0.05), ground_srgb=(0.5, 0.5, 0.5), horizon_row=None,
                    ground_mask=ground, shadow_mask=np.zeros((N, N), bool), world_mask=np.zeros((N, N), bool),
                    shadow_ratio=0.2)
    return linear_to_srgb(img).astype(np.float32), [left, right, piece], bg


def test_a_ground_coloured_piece_wedged_between_objects_is_a_shadow_one_in_the_open_is_not():
    from seig_search.perception.segment import _absorb_fragments

    srgb, parts, bg = _shadow_between(nestled=True)
    assert len(_absorb_fragments(parts, srgb, bg)) == 2
    srgb, parts, bg = _shadow_between(nestled=False)
    assert len(_absorb_fragments(parts, srgb, bg)) == 3


def test_a_black_metal_box_wedged_between_objects_is_not_taken_for_their_shadow():
    """A black box between two boxes: as dark and as grey as a shadow cast there, but its faces differ and a
    metal highlight shines on it, which a shadow never does. An even piece there is still a shadow."""
    from seig_search.perception.segment import _absorb_fragments

    srgb, (_, _, _), bg = _shadow_between(nestled=True)
    left, piece, right = (np.zeros((N, N), bool) for _ in range(3))
    left[30:62, 30:50] = True
    piece[30:62, 50:62] = True
    right[30:62, 62:80] = True
    bg.ground_mask[:] = ~(left | right | piece)
    img = _two_boxes(left, right, piece)  # the piece at a shadow's level: dropped
    assert len(_absorb_fragments([left, right, piece], linear_to_srgb(img).astype(np.float32), bg)) == 2
    img[piece] = 0.004  # a black side ...
    img[30:40, 50:62] = 0.03  # ... its lit top ...
    img[34:36, 55:57] = 0.9  # ... and a sharp highlight
    out = _absorb_fragments([left, right, piece], linear_to_srgb(img).astype(np.float32), bg)
    assert len(out) == 3 and any((p == piece).all() for p in out)


def test_a_wedged_shadow_as_large_as_its_neighbour_is_still_a_shadow():
    from seig_search.perception.segment import _absorb_fragments

    srgb, parts, bg = _shadow_between(nestled=True)
    left, right, piece = parts
    piece = piece.copy()
    piece[35:62, 50:56] = False
    piece[62:90, 20:80] = False
    # a broad shadow wedged between the boxes and below them, larger than half of each box
    piece[30:62, 50:56] = True
    piece[62:70, 20:80] = True
    img = _two_boxes(left, right, piece)
    bg.ground_mask[:] = ~(left | right | piece)
    assert piece.sum() > 0.5 * right.sum()
    out = _absorb_fragments([left, right, piece], linear_to_srgb(img).astype(np.float32), bg)
    assert len(out) == 2


def _dark_piece_below_a_box(wedged: bool):
    """A bright orange box, a dark piece of its own chromaticity below it (a dark object of the box's colour, or
    the box's shadow remnant) and, when ``wedged``, a blue and a green box on either side of the piece. (A dark
    piece of another chromaticity is an object wherever it stands: test_perception_segment.py.)"""
    from seig_search.perception.types import Background

    box, piece, left, right = (np.zeros((N, N), bool) for _ in range(4))
    box[30:60, 40:60] = True
    piece[60:74, 40:60] = True
    img = np.full((N, N, 3), 0.22)
    img[box] = (0.8, 0.45, 0.05)
    img[piece] = (0.12, 0.0675, 0.0075)  # 0.15 of the box's colour
    parts = [box, piece]
    if wedged:
        left[60:74, 20:40] = True
        right[60:74, 60:80] = True
        img[left] = (0.05, 0.1, 0.7)
        img[right] = (0.05, 0.6, 0.1)
        parts += [left, right]
    ground = ~np.any(parts, axis=0)
    bg = Background(world_srgb=(0.05, 0.05, 0.05), ground_srgb=(0.5, 0.5, 0.5), horizon_row=None,
                    ground_mask=ground, shadow_mask=np.zeros((N, N), bool), world_mask=np.zeros((N, N), bool),
                    shadow_ratio=0.2)
    return linear_to_srgb(img).astype(np.float32), parts, bg, piece


def test_a_dark_piece_of_a_near_hue_standing_out_into_the_ground_is_an_object_one_wedged_in_is_a_remnant():
    """Darker than the shadows and of a hue near its neighbour's, a piece that mostly borders open ground is an
    object standing beside the box; the same piece between other objects is what is left of a shadow."""
    from seig_search.perception.segment import _absorb_fragments

    srgb, parts, bg, piece = _dark_piece_below_a_box(wedged=False)
    out = _absorb_fragments(parts, srgb, bg)
    assert len(out) == 2 and any((p == piece).all() for p in out)
    srgb, parts, bg, piece = _dark_piece_below_a_box(wedged=True)
    out = _absorb_fragments(parts, srgb, bg)
    assert len(out) == 3 and not any((p & piece).any() for p in out)

"""Shading inside a region: flat faces meeting at an edge (a box) against a smoothly turning side (a cylinder)."""

from __future__ import annotations

import numpy as np

from seig_search.perception.fit import Fit
from seig_search.perception.place import _rank
from seig_search.perception.segment import _region
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


def test_shading_does_not_override_a_clear_outline():
    img, mask = _image(_box_side)
    assert _rank(_fits(0.08, 0.05), _region(mask), img)[0][1].shape == "cylinder"

"""benchmarks/bench_perception.py's resize path: perception on a smaller copy, centres mapped back."""

from __future__ import annotations

import numpy as np
from bench_scripts import load

bench = load("bench_perception")


def test_analysis_image_is_the_pipelines_resize():
    from seig_search.target import _resize

    srgb = np.random.default_rng(0).random((64, 96, 3)).astype(np.float32)
    same, scale = bench._analysis_image(srgb, None)
    assert same is srgb and scale == 1.0
    small, scale = bench._analysis_image(srgb, 48)
    assert small.shape == (32, 48, 3) and scale == 2.0
    np.testing.assert_array_equal(small, _resize(srgb, (48, 32)))


def test_centres_map_back_to_the_render_pixels():
    # a region at pixel (row 3, col 5) of the half-size image covers render pixels 6-7 / 10-11: centre 6.5 / 10.5
    class _Region:
        centroid = (3.0, 5.0)

    class _Appearance:
        color, roughness, metallic = (0.5, 0.5, 0.5), 0.5, 0.0

    class _Object:
        location, dims, shape = (0.0, 0.0, 0.5), (1.0, 1.0, 1.0), "cube"
        region, appearance = _Region(), _Appearance()

    class _Estimate:
        objects = [_Object()]

    (record,) = bench._pred_records(_Estimate(), scale=2.0)
    assert record.centre_px == (10.5, 6.5)
    (same,) = bench._pred_records(_Estimate())
    assert same.centre_px == (5.0, 3.0)


def test_scene_interval_brackets_the_rate_and_narrows_with_more_scenes():
    few = [1.0, 0.0] * 10  # a rate of 0.5 over 20 scenes
    many = [1.0, 0.0] * 200
    lo, hi = bench.scene_interval(few)
    assert lo < 0.5 < hi and hi - lo > 0.3  # about +-0.22 for 20 coin flips
    lo2, hi2 = bench.scene_interval(many)
    assert lo < lo2 < 0.5 < hi2 < hi and hi2 - lo2 < 0.12
    assert bench.scene_interval(few) == (lo, hi)  # a fixed seed: the same interval every run
    assert bench.scene_interval([1.0, 1.0, 1.0]) == (1.0, 1.0)
    assert bench.scene_interval([0.7]) is None

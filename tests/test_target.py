"""Target image loading: every kind of file a user may pass gives a clear result or an InputImageError."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from seig_search.errors import InputImageError
from seig_search.target import load_target, save_png, working_size


def _rgb(h: int = 20, w: int = 30) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_rgb_png_loads_as_float_srgb(tmp_path):
    pixels = _rgb()
    Image.fromarray(pixels).save(tmp_path / "a.png")
    target = load_target(tmp_path / "a.png", size=64)
    assert target.srgb.dtype == np.float32 and target.srgb.shape == (20, 30, 3)
    np.testing.assert_allclose(target.srgb, pixels / 255.0, atol=1e-6)
    assert target.alpha is None and target.original_size == (30, 20)


def test_resized_to_working_size_keeping_aspect(tmp_path):
    Image.fromarray(_rgb(100, 200)).save(tmp_path / "a.jpg")
    target = load_target(tmp_path / "a.jpg", size=50)
    assert target.size == (50, 25)
    assert 0.0 <= target.srgb.min() and target.srgb.max() <= 1.0
    assert working_size(200, 100, 400) == (200, 100)


def test_analysis_image_at_the_perception_size(tmp_path):
    rgba = np.zeros((100, 200, 4), dtype=np.uint8)
    rgba[..., :3] = _rgb(100, 200)
    rgba[..., 3] = 255
    rgba[:, :20, 3] = 0
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    target = load_target(tmp_path / "a.png", size=32, analysis_size=128)
    srgb, alpha = target.for_analysis()
    assert target.size == (32, 16) and srgb.shape == (64, 128, 3) and alpha is not None and alpha.shape == (64, 128)
    assert alpha[32, 2] < 0.5 < alpha[32, 100]  # the same cut-out, at the larger size
    same = load_target(tmp_path / "a.png", size=128, analysis_size=128)
    assert same.analysis_srgb is None and same.for_analysis()[0] is same.srgb  # no second copy
    small = load_target(tmp_path / "a.png", size=32, analysis_size=1024)
    assert small.for_analysis()[0].shape == (100, 200, 3)  # a smaller file keeps its own size


def test_rgba_composites_on_white(tmp_path):
    rgba = np.zeros((16, 16, 4), dtype=np.uint8)
    rgba[..., 0] = 255  # red
    rgba[:8, :, 3] = 255  # top half opaque, bottom half transparent
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    target = load_target(tmp_path / "a.png", size=16)
    np.testing.assert_allclose(target.srgb[0, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(target.srgb[-1, 0], [1.0, 1.0, 1.0])
    assert target.alpha is not None and target.alpha[0, 0] == 1.0 and target.alpha[-1, 0] == 0.0
    black = load_target(tmp_path / "a.png", size=16, background=(0.0, 0.0, 0.0))
    np.testing.assert_allclose(black.srgb[-1, 0], [0.0, 0.0, 0.0])


def test_grayscale_8_and_16_bit(tmp_path):
    gray8 = np.full((12, 12), 128, dtype=np.uint8)
    Image.fromarray(gray8, mode="L").save(tmp_path / "g8.png")
    t8 = load_target(tmp_path / "g8.png")
    assert t8.srgb.shape == (12, 12, 3)
    np.testing.assert_allclose(t8.srgb, 128 / 255.0, atol=1e-6)
    gray16 = np.full((12, 12), 65535 // 4, dtype=np.uint16)
    Image.fromarray(gray16).save(tmp_path / "g16.png")
    t16 = load_target(tmp_path / "g16.png")
    np.testing.assert_allclose(t16.srgb, (65535 // 4) / 65535.0, atol=1e-5)


def test_palette_with_transparency(tmp_path):
    image = Image.new("P", (10, 10), 0)
    image.putpalette([0, 0, 255] + [0, 255, 0] * 255)
    image.info["transparency"] = 0
    image.save(tmp_path / "p.png", transparency=0)
    target = load_target(tmp_path / "p.png")
    np.testing.assert_allclose(target.srgb[0, 0], [1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.png", b"", "empty"),
        ("notes.png", b"this is a text file, not an image\n" * 5, "not a readable image"),
        ("script.txt", b"#!/bin/sh\necho hi\n", "not a readable image"),
    ],
)
def test_bad_files_raise_input_image_error(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputImageError, match=message) as info:
        load_target(tmp_path / name)
    assert info.value.exit_code == 3


def test_missing_and_directory(tmp_path):
    with pytest.raises(InputImageError, match="not found"):
        load_target(tmp_path / "nope.png")
    with pytest.raises(InputImageError, match="directory"):
        load_target(tmp_path)


def test_truncated_png_is_corrupt(tmp_path):
    Image.fromarray(_rgb(64, 64)).save(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputImageError, match="corrupt|truncated|readable"):
        load_target(tmp_path / "cut.png")


def test_huge_image_refused_before_decoding(tmp_path, monkeypatch):
    import seig_search.target as target_module

    Image.fromarray(_rgb(40, 40)).save(tmp_path / "a.png")
    monkeypatch.setattr(target_module, "MAX_PIXELS", 1000)
    with pytest.raises(InputImageError, match="too large"):
        load_target(tmp_path / "a.png")


def test_tiny_image_refused(tmp_path):
    Image.fromarray(_rgb(4, 4)).save(tmp_path / "a.png")
    with pytest.raises(InputImageError, match="too small"):
        load_target(tmp_path / "a.png")


def test_save_png_round_trip(tmp_path):
    srgb = np.linspace(0, 1, 8 * 8 * 3, dtype=np.float32).reshape(8, 8, 3)
    save_png(srgb, tmp_path / "o.png")
    back = load_target(tmp_path / "o.png")
    np.testing.assert_allclose(back.srgb, srgb, atol=1 / 255.0)

"""Images for prompts: sRGB float arrays to PNG bytes, resized for the model, plus a difference view."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from seig_search.proposers.vlm.messages import ImagePart


def to_uint8(srgb: np.ndarray) -> np.ndarray:
    """HxWx3 (or HxWx4, or HxW) float sRGB in [0, 1] -> HxWx3 uint8."""
    array = np.asarray(srgb, dtype=np.float32)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    array = array[:, :, :3]
    return (np.clip(np.nan_to_num(array), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _resized(image: Image.Image, side: int) -> Image.Image:
    width, height = image.size
    scale = side / max(width, height)
    if abs(scale - 1.0) < 1e-6:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # small renders are enlarged without blur so the model sees real pixels, not interpolation
    method = Image.Resampling.NEAREST if scale > 1.0 else Image.Resampling.LANCZOS
    return image.resize(size, method)


def png_bytes(srgb: np.ndarray, side: int) -> bytes:
    image = _resized(Image.fromarray(to_uint8(srgb), mode="RGB"), side)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def difference(target: np.ndarray, render: np.ndarray) -> np.ndarray:
    """Per-pixel absolute difference, amplified x2 so small errors show; render resized to the target."""
    t = np.asarray(target, dtype=np.float32)[:, :, :3]
    r = np.asarray(render, dtype=np.float32)[:, :, :3]
    if r.shape != t.shape:
        resized = Image.fromarray(to_uint8(r), mode="RGB").resize((t.shape[1], t.shape[0]), Image.Resampling.BILINEAR)
        r = np.asarray(resized, dtype=np.float32) / 255.0
    return np.clip(np.abs(t - r) * 2.0, 0.0, 1.0)


def side_by_side(target: np.ndarray, render: np.ndarray) -> np.ndarray:
    """Target | render | difference in one strip, separated by white bars."""
    t = np.asarray(target, dtype=np.float32)[:, :, :3]
    diff = difference(t, render)
    r = np.asarray(
        Image.fromarray(to_uint8(render), mode="RGB").resize((t.shape[1], t.shape[0]), Image.Resampling.BILINEAR),
        dtype=np.float32,
    ) / 255.0
    bar = np.ones((t.shape[0], max(2, t.shape[1] // 32), 3), dtype=np.float32)
    return np.concatenate([t, bar, r, bar, diff], axis=1)


def target_part(target: np.ndarray, side: int) -> ImagePart:
    return ImagePart(png_bytes(target, side), "Target image (what the scene must look like):")


def render_parts(target: np.ndarray, render: np.ndarray, side: int) -> list[ImagePart]:
    """The survivor's render, and target | render | difference side by side."""
    return [
        ImagePart(png_bytes(render, side), "Current render of the program below:"),
        ImagePart(
            png_bytes(side_by_side(target, render), side * 3),
            "Side by side: target | current render | difference (brighter = further off):",
        ),
    ]

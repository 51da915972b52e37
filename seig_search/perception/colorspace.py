"""Colour helpers: the transfer curve comes from render_pool.color when present (one implementation)."""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2lab

try:  # the single implementation of the sRGB curve, once the pool package provides it
    from render_pool.color import linear_to_srgb, srgb_to_linear  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - only before render_pool.color exists

    def srgb_to_linear(x: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(x, dtype=np.float32), 0.0, 1.0)
        return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)

    def linear_to_srgb(x: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(x, dtype=np.float32), 0.0, 1.0)
        return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(np.float32)


def to_lab(srgb: np.ndarray) -> np.ndarray:
    """CIE Lab of an sRGB float image (L in [0, 100])."""
    return rgb2lab(np.clip(srgb, 0.0, 1.0)).astype(np.float32)


def luminance(linear: np.ndarray) -> np.ndarray:
    """Rec. 709 relative luminance of linear RGB (..., 3)."""
    return linear[..., 0] * 0.2126 + linear[..., 1] * 0.7152 + linear[..., 2] * 0.0722


def chromaticity(linear: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """rgb / (r + g + b): invariant to shading intensity, which is what separates shadows from objects."""
    s = linear.sum(axis=-1, keepdims=True)
    return linear / np.maximum(s, eps)

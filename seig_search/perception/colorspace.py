"""Colour helpers for perception; the sRGB transfer curve is render_pool.color's (one implementation)."""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2lab

from render_pool.color import linear_to_srgb, srgb_to_linear  # the single implementation of the curve

__all__ = ["chromaticity", "linear_to_srgb", "luminance", "srgb_to_linear", "to_lab"]


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

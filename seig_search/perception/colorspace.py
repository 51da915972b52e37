"""Colour helpers for perception; the sRGB transfer curve is render_pool.color's (one implementation)."""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2lab

from render_pool.color import linear_to_srgb, srgb_to_linear  # the single implementation of the curve

__all__ = ["OWN_COLOUR_GAP", "chromaticity", "has_own_colour", "linear_to_srgb", "luminance", "median_chromaticity",
           "srgb_to_linear", "to_lab"]

# Chromaticity distance (r, g, b over their sum) from each neighbour beyond which a piece has a colour of its
# own: shade scales a surface's colour and keeps its chromaticity, and a cast shadow keeps the ground's.
OWN_COLOUR_GAP = 0.15


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


def median_chromaticity(lin3: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Median chromaticity of the linear image ``lin3`` over ``mask``."""
    return np.median(chromaticity(lin3[mask]), axis=0)


def has_own_colour(chroma: np.ndarray, *others: np.ndarray) -> bool:
    """Is the chromaticity ``chroma`` at least :data:`OWN_COLOUR_GAP` from every one of ``others`` (the lit
    ground's, a neighbour's), so neither a shaded part of a neighbour nor a shadow cast on the ground?"""
    return all(float(np.linalg.norm(chroma - o)) >= OWN_COLOUR_GAP for o in others)

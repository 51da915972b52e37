"""The sRGB transfer curve: the single implementation seig uses (IEC 61966-2-1, as Blender's `Standard` view)."""

from __future__ import annotations

import numpy as np


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear RGB(A) -> sRGB-encoded float32 in [0, 1]. Alpha (a 4th channel) is passed through unchanged."""
    arr = np.asarray(linear, dtype=np.float32)
    rgb = np.clip(arr[..., :3] if arr.shape[-1] == 4 else arr, 0.0, 1.0)
    out = np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * np.power(rgb, 1.0 / 2.4) - 0.055).astype(np.float32)
    if arr.ndim >= 1 and arr.shape[-1] == 4:
        out = np.concatenate([out, arr[..., 3:4]], axis=-1)
    return out


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] -> linear float32. Alpha (a 4th channel) is passed through unchanged."""
    arr = np.asarray(srgb, dtype=np.float32)
    rgb = np.clip(arr[..., :3] if arr.shape[-1] == 4 else arr, 0.0, 1.0)
    out = np.where(rgb <= 0.04045, rgb / 12.92, np.power((rgb + 0.055) / 1.055, 2.4)).astype(np.float32)
    if arr.ndim >= 1 and arr.shape[-1] == 4:
        out = np.concatenate([out, arr[..., 3:4]], axis=-1)
    return out

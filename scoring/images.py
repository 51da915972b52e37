"""Image checks and conversions shared by the score and the metrics: everything ends as sRGB float32 HxWx3."""

from __future__ import annotations

import numpy as np
from skimage.transform import resize

from seig_search.errors import ScoringError


def as_float_image(image: np.ndarray, what: str = "image") -> np.ndarray:
    """Return ``image`` as float32 HxWxC (C in 3, 4) in [0, 1]; uint8 is scaled, non-finite values refused."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ScoringError(f"{what} must be HxWx3 or HxWx4, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / 65535.0
    if not np.issubdtype(arr.dtype, np.floating):
        raise ScoringError(f"{what} must be float in [0, 1] or uint8/uint16, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        raise ScoringError(f"{what} contains NaN or infinite values")
    return np.clip(arr, 0.0, 1.0)


def as_alpha(alpha: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An HxW float32 alpha in [0, 1] (uint8 scaled; an HxWx1 array accepted) checked against ``shape``."""
    a = np.asarray(alpha)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    if a.shape != tuple(shape):
        raise ScoringError(f"alpha shape {a.shape} does not match image shape {tuple(shape)}")
    if not np.isfinite(a).all():
        raise ScoringError("alpha contains NaN or infinite values")
    return np.clip(a, 0.0, 1.0)


def composite(rgb: np.ndarray, alpha: np.ndarray | None, background: tuple[float, float, float]) -> np.ndarray:
    """Composite straight (non-premultiplied) sRGB over a solid sRGB background."""
    if alpha is None:
        return np.ascontiguousarray(rgb, dtype=np.float32)
    a = as_alpha(alpha, rgb.shape[:2])
    bg = np.asarray(background, dtype=np.float32)
    return (rgb * a[..., None] + bg * (1.0 - a[..., None])).astype(np.float32)


def to_srgb(image: np.ndarray, alpha: np.ndarray | None, background: tuple[float, float, float],
            what: str = "image") -> tuple[np.ndarray, np.ndarray | None]:
    """sRGB HxWx3 over ``background`` and the alpha used (the 4th channel, or ``alpha``), or None if opaque."""
    arr = as_float_image(image, what)
    if arr.shape[2] == 4:
        if alpha is None:
            alpha = arr[..., 3]
        arr = arr[..., :3]
    if alpha is not None:
        alpha = as_alpha(alpha, arr.shape[:2])
    return composite(arr, alpha, background), alpha


def resize_to(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resample an HxW[xC] float image to ``shape`` (anti-aliased when shrinking)."""
    if image.shape[:2] == tuple(shape):
        return image
    out = resize(image, shape, order=1, anti_aliasing=image.shape[0] > shape[0] or image.shape[1] > shape[1],
                 preserve_range=True)
    return out.astype(np.float32)


def gray(srgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of sRGB values (for edges; not a colorimetric quantity)."""
    return (srgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)).astype(np.float32)

"""Loading the target image: every file a user may hand us becomes sRGB float32 HxWx3 in [0, 1], or a
clear :class:`~seig_search.errors.InputImageError`.

Documented conversions (docs/search.md):

- RGBA, LA and palette images with transparency are composited over the background colour (white by
  default, as NeRF-Synthetic evaluations do); the alpha channel is kept on the :class:`TargetImage`.
- Grayscale (8- or 16-bit) is replicated to three channels.
- 16-bit images are scaled by 1/65535 (Pillow may hand 16-bit RGB PNGs over as 8-bit; either way the
  values end up in [0, 1]). 32-bit float grayscale is clipped to [0, 1].
- CMYK, YCbCr and other colour modes are converted to RGB by Pillow; EXIF orientation is applied.
- Animated images (GIF, APNG, WebP) use their first frame.
- The working image is resized (Lanczos, in sRGB) so that its longer side is ``size`` pixels; images
  smaller than that keep their size. Images above :data:`MAX_PIXELS` or below :data:`MIN_SIDE` pixels a
  side are refused.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from seig_search.errors import InputImageError
from seig_search.proposers.base import TargetImage

MAX_PIXELS = 100_000_000  # 100 megapixels: larger files are refused before decoding
MIN_SIDE = 8


def _open(path: Path) -> Image.Image:
    if not path.exists():
        raise InputImageError(f"image not found: {path}")
    if path.is_dir():
        raise InputImageError(f"expected an image file, got a directory: {path}")
    if path.stat().st_size == 0:
        raise InputImageError(f"image file is empty: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InputImageError(
                    f"image is too large: {width}x{height} pixels (at most {MAX_PIXELS:,} pixels); "
                    "downscale it first"
                )
            image.seek(0)
            image.load()
    except InputImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InputImageError(f"not a readable image: {path} ({type(error).__name__}: {error})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # truncated or corrupt data
        raise InputImageError(f"image file is corrupt or truncated: {path} ({error})") from None
    return image


def _to_float_rgba(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """HxWx3 sRGB float32 in [0, 1] and an optional HxW alpha in [0, 1]."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        gray = np.asarray(image, dtype=np.float32) / 65535.0
        return np.repeat(gray[..., None], 3, axis=2), None
    if mode == "I":
        data = np.asarray(image, dtype=np.float64)
        scale = 65535.0 if data.max(initial=0) > 255 else 255.0
        gray = (data / scale).astype(np.float32)
        return np.repeat(np.clip(gray, 0, 1)[..., None], 3, axis=2), None
    if mode == "F":
        gray = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
        return np.repeat(gray[..., None], 3, axis=2), None
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in image.info)
    converted = image.convert("RGBA" if has_alpha else "RGB")
    data = np.asarray(converted, dtype=np.float32) / 255.0
    if has_alpha:
        return data[..., :3], data[..., 3]
    return data, None


def working_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(w, h) with the longer side at most ``size``, aspect ratio kept."""
    longest = max(width, height)
    if longest <= size:
        return width, height
    scale = size / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (array.shape[1], array.shape[0]) == size:
        return array
    channels = [array] if array.ndim == 2 else [array[..., c] for c in range(array.shape[2])]
    resized = [
        np.asarray(Image.fromarray(c.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS))
        for c in channels
    ]
    out = resized[0] if array.ndim == 2 else np.stack(resized, axis=2)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def load_target(
    path: str | Path,
    size: int = 128,
    background: tuple[float, float, float] = (1.0, 1.0, 1.0),
    analysis_size: int | None = None,
) -> TargetImage:
    """Read ``path`` into a :class:`TargetImage` at the working ``size`` (longer side, pixels).

    ``analysis_size`` adds the image at that size for image analysis (``TargetImage.for_analysis``) when it
    differs from the working image; smaller files keep their own size there too.
    """
    path = Path(path)
    image = _open(path)
    try:
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError):  # broken EXIF: keep the pixels as stored
        pass
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise InputImageError(f"image is too small: {width}x{height} (at least {MIN_SIDE} pixels a side)")
    srgb, alpha = _to_float_rgba(image)
    if alpha is not None:
        bg = np.asarray(background, dtype=np.float32).reshape(1, 1, 3)
        srgb = srgb * alpha[..., None] + bg * (1.0 - alpha[..., None])
    if not np.isfinite(srgb).all():
        raise InputImageError(f"image has non-finite pixel values: {path}")
    full, full_alpha = srgb.astype(np.float32), None if alpha is None else alpha.astype(np.float32)
    target_size = working_size(width, height, size)
    srgb = _resize(full, target_size)
    alpha = None if full_alpha is None else _resize(full_alpha, target_size)
    analysis_srgb = analysis_alpha = None
    if analysis_size is not None and working_size(width, height, analysis_size) != target_size:
        analysis_dims = working_size(width, height, analysis_size)
        analysis_srgb = _resize(full, analysis_dims)
        analysis_alpha = None if full_alpha is None else _resize(full_alpha, analysis_dims)
    return TargetImage(srgb=srgb, path=path.resolve(), alpha=alpha, original_size=(width, height),
                       analysis_srgb=analysis_srgb, analysis_alpha=analysis_alpha)


def save_png(srgb: np.ndarray, path: str | Path) -> None:
    """Write an sRGB float image in [0, 1] as an 8-bit PNG."""
    data = np.clip(np.asarray(srgb, dtype=np.float32)[..., :3], 0.0, 1.0)
    Image.fromarray((data * 255.0 + 0.5).astype(np.uint8), mode="RGB").save(path)

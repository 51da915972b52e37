"""Image metrics that benchmarks report (the search itself uses :class:`scoring.Scorer`).

| metric | direction | range |
|---|---|---|
| ``psnr`` | higher is better | [0, inf] dB; inf for identical images |
| ``psnr_flat`` | reference | PSNR of the target's own mean colour, as a flat image, against the target |
| ``ssim`` | higher is better | [-1, 1]; 1 for identical images |
| ``lpips`` | lower is better | [0, ~1]; 0 for identical images; None without weights |
| ``clip`` | higher is better | [-1, 1] cosine; 1 for identical images; None without weights |
| ``mask_iou`` | higher is better | [0, 1]; 1 when both masks are empty |

Images are sRGB float HxWx3 in [0, 1] of the same size (RGBA is composited over ``background``).
"""

from __future__ import annotations

import math

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from scoring.config import ScoreConfig
from scoring.images import to_srgb
from seig_search.errors import ScoringError

WHITE = (1.0, 1.0, 1.0)


def _pair(a: np.ndarray, b: np.ndarray, background: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    x, _ = to_srgb(a, None, background, "first image")
    y, _ = to_srgb(b, None, background, "second image")
    if x.shape != y.shape:
        raise ScoringError(f"images differ in size: {x.shape[:2]} vs {y.shape[:2]}")
    return x, y


def psnr(a: np.ndarray, b: np.ndarray, background: tuple[float, float, float] = WHITE) -> float:
    """Peak signal-to-noise ratio in dB over sRGB [0, 1] (inf when identical)."""
    x, y = _pair(a, b, background)
    if np.array_equal(x, y):
        return math.inf
    return float(peak_signal_noise_ratio(x, y, data_range=1.0))


def flat_psnr(target: np.ndarray, background: tuple[float, float, float] = WHITE) -> float:
    """PSNR that a flat image of the target's mean colour reaches: the floor any reconstruction's PSNR should
    be read against (a cut-out on white scores 9-14 dB by its background alone)."""
    x, _ = to_srgb(target, None, background, "target")
    flat = np.broadcast_to(x.reshape(-1, 3).mean(axis=0), x.shape)
    return psnr(flat, x, background)


def ssim(a: np.ndarray, b: np.ndarray, background: tuple[float, float, float] = WHITE) -> float:
    """Mean structural similarity over the three sRGB channels (7x7 uniform window)."""
    x, y = _pair(a, b, background)
    side = min(x.shape[:2])
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        raise ScoringError(f"SSIM needs images of at least 3x3 pixels, got {x.shape[:2]}")
    return float(structural_similarity(x, y, channel_axis=2, data_range=1.0, win_size=win))


def _models(config: ScoreConfig | None):
    from scoring.models import load_models

    return load_models(config or ScoreConfig())


def lpips(a: np.ndarray, b: np.ndarray, config: ScoreConfig | None = None) -> float | None:
    """LPIPS distance with the configured trunk, or None where its weights are not on this machine."""
    cfg = config or ScoreConfig()
    m = _models(cfg)
    if m.lpips is None:
        return None
    from scoring.neural import to_tensor

    x, y = _pair(a, b, cfg.background)
    feats = m.lpips.features(to_tensor([y], m.lpips.device))
    return float(m.lpips.distance(feats, to_tensor([x], m.lpips.device))[0])


def clip_similarity(a: np.ndarray, b: np.ndarray, config: ScoreConfig | None = None) -> float | None:
    """Cosine similarity of CLIP image embeddings, or None where the CLIP weights are not on this machine."""
    cfg = config or ScoreConfig()
    m = _models(cfg)
    if m.clip is None:
        return None
    from scoring.neural import to_tensor

    x, y = _pair(a, b, cfg.background)
    e = m.clip.embed(to_tensor([x, y], m.clip.device))
    return float((e[0] * e[1]).sum())


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (non-zero = inside); 1.0 when both are empty."""
    x, y = np.asarray(a) != 0, np.asarray(b) != 0
    if x.shape != y.shape:
        raise ScoringError(f"masks differ in size: {x.shape} vs {y.shape}")
    union = np.logical_or(x, y).sum()
    return 1.0 if union == 0 else float(np.logical_and(x, y).sum() / union)


def image_metrics(render: np.ndarray, target: np.ndarray, config: ScoreConfig | None = None,
                  render_mask: np.ndarray | None = None, target_mask: np.ndarray | None = None) -> dict:
    """All image metrics of one render against its target, as a JSON-ready dict (None = not available)."""
    cfg = config or ScoreConfig()
    out: dict[str, float | None] = {
        "psnr": psnr(render, target, cfg.background),
        "psnr_flat": flat_psnr(target, cfg.background),
        "ssim": ssim(render, target, cfg.background),
        "lpips": lpips(render, target, cfg) if cfg.neural != "off" else None,
        "clip": clip_similarity(render, target, cfg) if cfg.neural != "off" else None,
    }
    out["mask_iou"] = None if render_mask is None or target_mask is None else mask_iou(render_mask, target_mask)
    return out

"""Pictures for the report: images as data URIs, difference heatmaps, score curves (matplotlib, no pyplot)."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from seig_search.report.collect import LogEntry

MAX_SIDE = 640  # images above this are shown downscaled; the page stays a few MB at most
MAX_INLINE_BYTES = 8 << 20  # files embedded as they are (the orbit GIF) up to this size
HEATMAP_MAX = 0.5  # mean absolute sRGB difference mapped to the top of the colour scale


def load_srgb(path: Path, background: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> np.ndarray:
    """HxWx3 float32 sRGB in [0, 1]; an alpha channel is composited over ``background`` (white by default)."""
    with Image.open(path) as image:
        image.load()
        if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
            rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
            alpha = rgba[..., 3:4]
            return rgba[..., :3] * alpha + np.asarray(background, dtype=np.float32) * (1.0 - alpha)
        return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def try_load(path: Path | None, problems: list[str],
             background: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> np.ndarray | None:
    """load_srgb, or None with a note in ``problems`` when the file is missing or not an image."""
    if path is None:
        return None
    try:
        return load_srgb(path, background)
    except (OSError, ValueError, SyntaxError) as exc:  # PIL raises these for truncated or foreign files
        problems.append(f"{path.name} could not be read as an image: {exc}")
        return None


def resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    if image.shape[1] == width and image.shape[0] == height:
        return image
    pil = Image.fromarray(to_uint8(image)).resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(pil, dtype=np.float32) / 255.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def png_data_uri(image: np.ndarray | Image.Image) -> str:
    """Encode an image as an inline PNG, downscaled so its longer side is at most MAX_SIDE."""
    pil = image if isinstance(image, Image.Image) else Image.fromarray(to_uint8(image))
    if max(pil.size) > MAX_SIDE:
        scale = MAX_SIDE / max(pil.size)
        pil = pil.resize((max(1, round(pil.width * scale)), max(1, round(pil.height * scale))), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def file_data_uri(path: Path, mime: str) -> str:
    """A file embedded byte for byte (animated GIFs keep their frames)."""
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def difference(target: np.ndarray, render: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-pixel mean absolute sRGB difference and its image mean, at the smaller of the two resolutions
    (upsampling the smaller image would invent detail that the difference then reports)."""
    if render.shape[0] * render.shape[1] > target.shape[0] * target.shape[1]:
        render = resize_to(render, target.shape[1], target.shape[0])
    else:
        target = resize_to(target, render.shape[1], render.shape[0])
    diff = np.abs(target - render).mean(axis=2)
    return diff, float(diff.mean())


def heatmap(diff: np.ndarray) -> np.ndarray:
    """Colour a difference map with a fixed scale, so heatmaps of different stages compare by eye."""
    values = np.clip(diff / HEATMAP_MAX, 0.0, 1.0)
    return colormaps["inferno"](values)[..., :3].astype(np.float32)


def _figure_uri(fig: Figure) -> str:
    canvas = FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _best_so_far(values: list[float]) -> list[float]:
    best, out = -math.inf, []
    for value in values:
        best = max(best, value)
        out.append(best if math.isfinite(best) else math.nan)
    return out


def curves_uri(log: list[LogEntry], stage_order: list[str]) -> str | None:
    """Score (and each score term) against renders spent, one colour per stage; dots are candidates."""
    scored = [e for e in log if math.isfinite(e.score)]
    if not scored:
        return None
    term_names = sorted({name for e in scored for name in e.terms})[:6]
    panels = 1 + len(term_names)
    cols = min(panels, 3)
    rows = math.ceil(panels / cols)
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows), dpi=100)
    # fixed margins: constrained layout costs more than drawing the plots themselves
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.5 / (3.0 * rows), top=1.0 - 0.3 / (3.0 * rows),
                        wspace=0.22, hspace=0.5)
    palette = colormaps["tab10"]
    for panel in range(panels):
        ax = fig.add_subplot(rows, cols, panel + 1)
        term = None if panel == 0 else term_names[panel - 1]
        for k, stage in enumerate(stage_order):
            rows_k = [e for e in scored if e.stage == stage and (term is None or term in e.terms)]
            if not rows_k:
                continue
            xs = [e.index + 1 for e in rows_k]
            ys = [e.score if term is None else e.terms[term] for e in rows_k]
            colour = palette(k % 10)
            ax.scatter(xs, ys, s=6, alpha=0.35, color=colour)
            if term is None:
                ax.plot(xs, _best_so_far(ys), color=colour, linewidth=1.8, label=stage)
        ax.set_title("score (best so far per stage)" if term is None else f"term: {term}", fontsize=9)
        ax.set_xlabel("renders spent", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if term is None:
            ax.legend(fontsize=7, loc="lower right")
    return _figure_uri(fig)

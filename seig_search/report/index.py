"""The index page of a folder of runs (``seig batch`` and ``seig bench`` outputs), linking each run's report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from seig_search.errors import ConfigError, SearchStateError
from seig_search.report import figures
from seig_search.report.build import REPORT_NAME, Picture, environment, write_report
from seig_search.report.collect import collect_run, is_run_dir, read_json

INDEX_METRICS = ("psnr", "psnr_flat", "ssim", "lpips", "clip", "mask_iou", "first_proposal_score")  # shown per run, when present


def find_runs(root: Path, max_depth: int = 3) -> list[Path]:
    """Run folders under ``root`` (not descending into a run folder), sorted by path."""
    runs: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        for child in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if is_run_dir(child):
                runs.append(child)
            elif depth < max_depth:
                walk(child, depth + 1)

    walk(root, 1)
    return runs


def write_index(root: Path | str) -> Path:
    """Write each run's report, and ``report.html`` in ``root`` linking all of them (bench and batch folders)."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root} is not a folder")
    runs = find_runs(root)
    if not runs:
        raise SearchStateError(f"{root} holds no seig output folders")
    rows = []
    for run_dir in runs:
        report = write_report(run_dir)
        data = collect_run(run_dir)
        scores = [e.score for e in data.log if math.isfinite(e.score)]
        score = data.metrics.get("score")
        status = _read_status(run_dir)
        finished = (run_dir / "scene.py").is_file() and data.render is not None
        timings = data.metrics.get("timings") if isinstance(data.metrics.get("timings"), dict) else {}
        rows.append(
            {
                "name": run_dir.relative_to(root).as_posix(),
                "href": report.relative_to(root).as_posix(),
                "target": _thumb(data.target, data.problems),
                "render": _thumb(data.render, data.problems),
                "score": score if isinstance(score, (int, float)) else (max(scores) if scores else None),
                "renders": len(data.log),
                "failures": sum(1 for e in data.log if e.failure),
                "status": str(status.get("status") or ("done" if finished else "partial")),
                "error": str(status.get("error") or ""),
                "wall_s": status.get("wall_s") or timings.get("total_s"),
                "metrics": [(k, data.metrics[k]) for k in INDEX_METRICS if isinstance(data.metrics.get(k), (int, float))],
            }
        )
    problems: list[str] = []
    plots = [Picture(p.name, figures.file_data_uri(p, "image/png")) for p in sorted(root.glob("*.png"))
             if p.stat().st_size <= figures.MAX_INLINE_BYTES and figures.try_load(p, problems) is not None]
    files = [p.name for p in sorted(root.iterdir()) if p.is_file() and p.suffix in (".md", ".json", ".csv", ".txt")]
    page = environment().get_template("index.html.j2").render(title=f"seig runs: {root.name}", rows=rows,
                                                               plots=plots, files=files, problems=problems)
    path = root / REPORT_NAME
    path.write_text(page, encoding="utf-8")
    return path


def _read_status(run_dir: Path) -> dict[str, Any]:
    """``status.json`` that batch and bench write per run (status, error, wall time); {} when absent or unreadable."""
    try:
        return read_json(run_dir / "status.json")
    except SearchStateError:
        return {}


def _thumb(path: Path | None, problems: list[str], side: int = 160) -> str | None:
    image = figures.try_load(path, problems)
    if image is None:
        return None
    scale = side / max(image.shape[:2])
    small = figures.resize_to(image, max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return figures.png_data_uri(small)


def build(path: Path | str) -> Path:
    """``seig report DIR``: a run folder gets its report, a folder of runs gets an index (and every report)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path} does not exist")
    if is_run_dir(path):
        return write_report(path)
    return write_index(path)

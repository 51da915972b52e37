"""Tables and plots of bench and batch results (Markdown and matplotlib PNGs)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from seig_search.jobs.results import Results

# (column title, getter, format); each getter returns a number or None for one run
COLUMNS: list[tuple[str, Any, str]] = [
    ("count exact", lambda r: None if not r.truth or "count_error" not in r.truth else float(r.truth["count_error"] == 0), "{:.0%}"),
    ("shape acc", lambda r: (r.truth or {}).get("shape_accuracy"), "{:.0%}"),
    ("colour acc", lambda r: (r.truth or {}).get("color_accuracy"), "{:.0%}"),
    ("material acc", lambda r: (r.truth or {}).get("material_accuracy"), "{:.0%}"),
    ("size acc", lambda r: (r.truth or {}).get("size_accuracy"), "{:.0%}"),
    ("position err (rel)", lambda r: (r.truth or {}).get("position_error_rel"), "{:.2f}"),
    ("PSNR dB", lambda r: (r.metrics or {}).get("psnr"), "{:.2f}"),
    ("flat PSNR dB", lambda r: (r.metrics or {}).get("psnr_flat"), "{:.2f}"),  # the target's mean colour
    ("SSIM", lambda r: (r.metrics or {}).get("ssim"), "{:.3f}"),
    ("score", lambda r: (r.metrics or {}).get("score"), "{:.4f}"),
    ("renders", lambda r: ((r.metrics or {}).get("renders") or {}).get("budgeted"), "{:.0f}"),
    ("wall s", lambda r: r.wall_s if not r.skipped else ((r.metrics or {}).get("timings") or {}).get("total_s"), "{:.1f}"),
]


def _mean(values: list[float | None]) -> float | None:
    good = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return sum(good) / len(good) if good else None


def method_means(results: Results) -> dict[str, dict[str, float | None]]:
    """Mean of every column per method, over the runs that finished."""
    out: dict[str, dict[str, float | None]] = {}
    for method in results.methods:
        runs = [r for r in results.runs if r.method == method and r.status == "done"]
        out[method] = {title: _mean([get(r) for r in runs]) for title, get, _ in COLUMNS}
        out[method]["runs"] = float(len(runs))
        out[method]["failed"] = float(sum(1 for r in results.runs if r.method == method and r.status == "failed"))
    return out


def _first_line(text: str | None, limit: int = 160) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def markdown_table(results: Results) -> str:
    means = method_means(results)
    has_truth = any(r.truth for r in results.runs)
    columns = [c for c in COLUMNS if has_truth or c[0] not in
               ("count exact", "shape acc", "colour acc", "material acc", "size acc", "position err (rel)")]
    head = "| method | runs | failed | " + " | ".join(c[0] for c in columns) + " |"
    rule = "|" + "---|" * (len(columns) + 3)
    rows = []
    for method, row in means.items():
        cells = ["-" if row[t] is None else fmt.format(row[t]) for t, _, fmt in columns]
        rows.append(f"| {method} | {row['runs']:.0f} | {row['failed']:.0f} | " + " | ".join(cells) + " |")
    p = results.provenance
    lines = [f"Source `{results.source}` ({results.source_kind}), agent {results.agent}, seed {results.seed}, "
             f"budget {results.budget_renders} renders per run, config {results.config_hash}, "
             f"commit {p.commit or 'unknown'}, bpy {p.bpy_version}, {p.host_cpus} CPUs. Means over cases.",
             "", head, rule, *rows]
    failed = [r for r in results.runs if r.status == "failed"]
    if failed:
        lines += ["", "Failed runs (full errors in results.json and each run's status.json):",
                  *[f"- {r.case} / {r.method}: {_first_line(r.error)}" for r in failed]]
    return "\n".join(lines) + "\n"


def score_curves(out_dir: Path) -> list[list[tuple[int, float]]]:
    """Best score so far against renders spent along a run's search log, one segment per render setting
    (scores are comparable only within one setting, so the best restarts where the setting changes)."""
    log = out_dir / "search" / "log.jsonl"
    if not log.is_file():
        return []
    segments: list[list[tuple[int, float]]] = []
    best, setting = -math.inf, object()
    for n, line in enumerate(log.read_text().splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("setting") != setting:
            setting, best = rec.get("setting"), -math.inf
            segments.append([])
        score = rec.get("score")
        if score is not None and math.isfinite(score):
            best = max(best, score)
        if math.isfinite(best):
            segments[-1].append((n, best))
    return [seg for seg in segments if seg]


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(results: Results, out: Path) -> list[Path]:
    """metrics_by_method.png (bars of each column's mean) and score_vs_renders.png (one line per run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    means = method_means(results)
    columns = [(t, fmt) for t, _, fmt in COLUMNS if any(means[m][t] is not None for m in means)]
    if columns:
        cols = 4
        rows = math.ceil(len(columns) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
        for ax, (title, _) in zip(axes.flat, columns):
            values = [means[m][title] if means[m][title] is not None else np.nan for m in results.methods]
            ax.bar(results.methods, values, color=plt.cm.tab10(np.arange(len(values))))
            ax.set_title(title, fontsize=9)
            ax.tick_params(axis="x", labelsize=7, rotation=30)
        for ax in list(axes.flat)[len(columns):]:
            ax.axis("off")
        written.append(_save(fig, out / "metrics_by_method.png"))
    fig, ax = plt.subplots(figsize=(7, 4))
    colours = {m: plt.cm.tab10(i) for i, m in enumerate(results.methods)}
    for run in results.runs:
        for segment in score_curves(Path(run.out)):
            ax.plot([c[0] for c in segment], [c[1] for c in segment], color=colours.get(run.method), alpha=0.6,
                    lw=1, marker="." if len(segment) == 1 else None, label=run.method)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize=8)
    ax.set_xlabel("renders spent")
    ax.set_ylabel("best score so far (per render setting)")
    ax.set_title("score against renders spent")
    written.append(_save(fig, out / "score_vs_renders.png"))
    return written


def write_summaries(results: Results, out: Path) -> list[Path]:
    table = out / "results.md"
    table.write_text(markdown_table(results))
    return [table, *write_plots(results, out)]


def write_index_page(out: Path) -> Path | None:
    """report.html linking every run's report; a run folder too broken to report on is noted, not fatal."""
    from seig_search.errors import SeigError
    from seig_search.report import write_index

    try:
        return write_index(out)
    except SeigError as error:
        (out / "report_error.txt").write_text(f"{error}\n")
        return None

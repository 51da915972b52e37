"""Assemble the report page of one run."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from seig_search.errors import ProgramError
from seig_search.program import SceneProgram
from seig_search.report import figures
from seig_search.report.collect import LogEntry, RunData, collect_run
from seig_search.report.scene_table import scene_tables

DEFAULT_BEAM = 4
MAX_FAILURE_ROWS = 25
REPORT_NAME = "report.html"


@dataclass(frozen=True)
class Picture:
    label: str
    uri: str
    caption: str = ""


def environment() -> jinja2.Environment:
    templates = resources.files("seig_search.report") / "templates"
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (templates / name).read_text(encoding="utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _fmt_number
    return env


def _fmt_number(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return "failed" if value < 0 else str(value)
    return f"{value:.4g}"


def _find_key(tree: Any, key: str) -> Any:
    """First value stored under ``key`` anywhere in nested dicts (configs nest differently per preset)."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        for value in tree.values():
            found = _find_key(value, key)
            if found is not None:
                return found
    return None


def flatten(tree: Any, prefix: str = "", skip: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    """Scalar leaves of nested dicts as ("a.b", value) rows."""
    rows: list[tuple[str, Any]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            if not prefix and key in skip:
                continue
            rows.extend(flatten(value, f"{prefix}{key}.", skip))
    elif isinstance(tree, (str, int, float, bool)) or tree is None:
        rows.append((prefix.rstrip("."), tree))
    elif isinstance(tree, list) and len(tree) <= 8 and all(isinstance(v, (int, float, str)) for v in tree):
        rows.append((prefix.rstrip("."), ", ".join(_fmt_number(v) for v in tree)))
    return rows


def _stage_beam(run: dict[str, Any], stage: str) -> int | None:
    """The beam width configured for a stage (run.json's config lists stages with name and beam)."""
    stages = _find_key(run, "stages")
    if isinstance(stages, list):
        for item in stages:
            if isinstance(item, dict) and item.get("name") == stage and isinstance(item.get("beam"), int):
                return int(item["beam"])
    return None


def _survivors(data: RunData, stage: str, beam: int) -> tuple[list[LogEntry], bool]:
    """The beam kept after a stage: flagged in the log when the search says so, else the top ``beam`` programs."""
    entries = [e for e in data.log if e.stage == stage]
    flagged = [e for e in entries if e.survivor]
    if any(e.survivor is not None for e in entries):
        last_round = max((e.round for e in flagged), default=0)
        return sorted([e for e in flagged if e.round == last_round], key=lambda e: -e.score), False
    best: dict[str, LogEntry] = {}
    for entry in entries:
        if math.isfinite(entry.score) and (entry.hash not in best or entry.score > best[entry.hash].score):
            best[entry.hash] = entry
    return sorted(best.values(), key=lambda e: -e.score)[:beam], True


def _stage_rows(data: RunData, target: Any) -> list[dict[str, Any]]:
    rows = []
    folders = {s.stage: s for s in data.stages}
    for stage in data.stage_order():
        entries = [e for e in data.log if e.stage == stage]
        scores = [e.score for e in entries if math.isfinite(e.score)]
        folder = folders.get(stage)
        row: dict[str, Any] = {
            "stage": stage,
            "renders": len(entries),
            "failures": sum(1 for e in entries if e.failure),
            "best": max(scores) if scores else None,
            "rounds": len({e.round for e in entries}),
            "render_s": sum(_job_seconds(e.timing) for e in entries),
            "seconds": _stage_seconds(data.metrics, stage),
            "image": None,
            "heat": None,
            "diff": None,
            "program": None,
        }
        render = figures.try_load(folder.image, data.problems) if folder is not None else None
        if render is not None:
            row["image"] = figures.png_data_uri(render)
            if target is not None:
                diff, mean = figures.difference(target, render)
                row["heat"], row["diff"] = figures.png_data_uri(figures.heatmap(diff)), mean
        if folder is not None and folder.program is not None:
            row["program"] = folder.program.relative_to(data.out_dir).as_posix()
        rows.append(row)
    return rows


def _job_seconds(timing: dict[str, float]) -> float:
    """Worker time of one job; a batch-wide ``render_s`` is only the fallback (it repeats on every row of a batch)."""
    for key in ("worker_total_s", "total_s", "render_s"):
        if key in timing:
            return timing[key]
    return 0.0


def _stage_seconds(metrics: dict[str, Any], stage: str) -> float | None:
    """Wall time of a stage as the search measured it (metrics.json timings.stages.<name>.seconds)."""
    stages = (metrics.get("timings") or {}).get("stages") if isinstance(metrics.get("timings"), dict) else None
    entry = stages.get(stage) if isinstance(stages, dict) else None
    value = entry.get("seconds") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _failure_kinds(log: list[LogEntry]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for entry in log:
        if entry.failure:
            kind = str(entry.failure.get("kind", "unknown"))
            kinds[kind] = kinds.get(kind, 0) + 1
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))


def _program_html(source: str | None) -> tuple[str, str, str]:
    """(scene sections, prelude, css) highlighted; the prelude is the same in every program, so it folds away."""
    if source is None:
        return "", "", ""
    formatter = HtmlFormatter(cssclass="code", wrapcode=True)
    lines = source.splitlines(keepends=True)
    try:
        first = min(start for start, _ in SceneProgram.from_source(source).ranges.values())
    except ProgramError:  # not in the dialect (raw bpy): show it whole
        first = 1
    def block(text: str, start: int) -> str:
        numbered = HtmlFormatter(linenos="table", linenostart=start, cssclass="code", wrapcode=True)
        return highlight(text, PythonLexer(), numbered) if text.strip() else ""
    return block("".join(lines[first - 1 :]), first), block("".join(lines[: first - 1]), 1), formatter.get_style_defs(".code")


def _background(data: RunData) -> tuple[float, float, float]:
    value = _find_key(data.run, "background")
    if isinstance(value, (list, tuple)) and len(value) >= 3 and all(isinstance(v, (int, float)) for v in value[:3]):
        return float(value[0]), float(value[1]), float(value[2])
    return (1.0, 1.0, 1.0)


def _extra_views(data: RunData) -> list[Picture]:
    """Renders `seig render` left in the folder: the orbit GIF and relit images, when present."""
    views: list[Picture] = []
    gif = data.out_dir / "orbit" / "orbit.gif"
    if gif.is_file() and gif.stat().st_size <= figures.MAX_INLINE_BYTES:
        views.append(Picture("orbit", figures.file_data_uri(gif, "image/gif"), "orbit/orbit.gif"))
    for path in sorted(data.out_dir.glob("relight_*.png")):
        image = figures.try_load(path, data.problems)
        if image is not None:
            views.append(Picture(path.stem.replace("relight_", "relit: "), figures.png_data_uri(image), path.name))
    return views


def _vlm_line(vlm: dict[str, Any] | None) -> str:
    """One line of model usage for the page header: calls, tokens, cost."""
    if not vlm:
        return ""
    parts = []
    if vlm.get("model"):
        parts.append(f"model {vlm['model']}" + (f" ({vlm['backend']})" if vlm.get("backend") else ""))
    if isinstance(vlm.get("calls"), int):
        parts.append(f"{vlm['calls']:,} model calls")
    tokens_in, tokens_out = vlm.get("input_tokens"), vlm.get("output_tokens")
    if isinstance(tokens_in, int) and isinstance(tokens_out, int):
        parts.append(f"{tokens_in:,} input + {tokens_out:,} output tokens")
    cost = next((vlm[k] for k in ("cost_usd", "cost_usd_estimate") if isinstance(vlm.get(k), (int, float))), None)
    if cost is not None:
        parts.append(f"${cost:,.4f}")
    return " · ".join(parts)


def render_run_page(data: RunData) -> str:
    """The HTML text of one run's report."""
    target = figures.try_load(data.target, data.problems, _background(data))
    render = figures.try_load(data.render, data.problems)
    headline: list[Picture] = []
    final_diff = None
    if target is not None:
        headline.append(Picture("target", figures.png_data_uri(target), f"{target.shape[1]}x{target.shape[0]}"))
    if render is not None:
        headline.append(Picture("final render", figures.png_data_uri(render), f"{render.shape[1]}x{render.shape[0]}"))
    if target is not None and render is not None:
        diff, final_diff = figures.difference(target, render)
        headline.append(Picture("difference", figures.png_data_uri(figures.heatmap(diff)), f"mean {final_diff:.3f}"))
    beam = _find_key(data.run, "beam_width") or _find_key(data.run, "beam") or DEFAULT_BEAM
    beam = int(beam) if isinstance(beam, (int, float)) and not isinstance(beam, bool) else DEFAULT_BEAM
    survivors = []
    for stage in data.stage_order():
        width = _stage_beam(data.run, stage) or (1 if stage in ("initial", "final") else beam)
        rows, derived = _survivors(data, stage, width)
        if rows:
            survivors.append({"stage": stage, "rows": rows, "derived": derived, "beam": width})
    program_html, prelude_html, program_css = _program_html(data.program)
    scores = [e.score for e in data.log if math.isfinite(e.score)]
    vlm = data.metrics.get("vlm") if isinstance(data.metrics.get("vlm"), dict) else None
    timings = [(k, v) for k, v in flatten(data.metrics.get("timings") or data.metrics.get("timing") or {})
               if not k.startswith("stages.")]  # per-stage times are in the stage table
    timings += [(f"run.{k}", v) for k, v in flatten(data.run.get("timings") or {})]
    metric_rows = flatten(data.metrics, skip=("vlm", "timings", "timing", "exports"))
    context = {
        "title": f"seig report: {data.name}",
        "name": data.name,
        "finished": data.render is not None and data.program is not None and (data.out_dir / "scene.py").is_file(),
        "headline": headline,
        "final_diff": final_diff,
        "final_score": _find_key(data.metrics, "score") if _find_key(data.metrics, "score") is not None else (max(scores) if scores else None),
        "renders": len(data.log),
        "failures": sum(1 for e in data.log if e.failure),
        "failure_kinds": _failure_kinds(data.log),
        "failure_rows": [e for e in data.log if e.failure][:MAX_FAILURE_ROWS],
        "stages": _stage_rows(data, target),
        "curves": figures.curves_uri(data.log, data.stage_order()),
        "survivors": survivors,
        "beam": beam,
        "metrics": [(k, v) for k, v in metric_rows if not k.startswith("scorer.")],
        "scorer": [(k[len("scorer."):], v) for k, v in metric_rows if k.startswith("scorer.")],
        "export_checks": [c for c in data.metrics.get("exports") or [] if isinstance(c, dict)],
        "vlm": flatten(vlm) if vlm else [],
        "vlm_line": _vlm_line(vlm),
        "timings": timings,
        "run_json": json.dumps(data.run, indent=2, sort_keys=True, default=str) if data.run else "",
        "program_html": program_html,
        "program_css": program_css,
        "prelude_html": prelude_html,
        "exports": {name: path.name for name, path in data.exports.items()},
        "problems": data.problems,
        "heatmap_max": figures.HEATMAP_MAX,
        "scene": scene_tables(data.scene),
        "views": _extra_views(data),
    }
    return environment().get_template("report.html.j2").render(**context)


def write_report(out_dir: Path | str) -> Path:
    """Write ``report.html`` into a run folder and return its path."""
    out_dir = Path(out_dir)
    data = collect_run(out_dir)
    path = out_dir / REPORT_NAME
    path.write_text(render_run_page(data), encoding="utf-8")
    return path

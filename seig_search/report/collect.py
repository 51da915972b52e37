"""Read an output folder of ``seig reconstruct`` into plain records for the report.

Every piece is optional: a run that stopped early still gets a page showing what it produced.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seig_search.errors import SearchStateError
from seig_search.proposers.base import STAGES

_STAGE_DIR = re.compile(r"^(\d+)_(.+)$")


@dataclass(frozen=True)
class LogEntry:
    """One candidate line of ``search/log.jsonl``; unknown keys are kept in ``extra``."""

    index: int  # position in the log: renders spent before this one
    stage: str
    round: int
    hash: str
    parent: str | None
    score: float  # -inf for failures
    terms: dict[str, float]
    timing: dict[str, float]
    failure: dict[str, Any] | None
    note: str
    survivor: bool | None  # None when the log does not say
    extra: dict[str, Any]


@dataclass(frozen=True)
class StageBest:
    """``stages/<k>_<stage>/``: the best program of a stage and its render."""

    order: int
    stage: str
    folder: Path
    program: Path | None
    image: Path | None


@dataclass
class RunData:
    """Everything the report shows about one run folder."""

    out_dir: Path
    target: Path | None
    render: Path | None
    program: str | None
    run: dict[str, Any]
    metrics: dict[str, Any]
    scene: dict[str, Any]
    stages: list[StageBest]
    log: list[LogEntry]
    exports: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # unreadable files and log lines, shown on the page

    @property
    def name(self) -> str:
        return self.out_dir.name

    def stage_order(self) -> list[str]:
        """Stages in the order they ran: first programs, the stage folders, other log stages, the final pick."""
        known = {name: i for i, name in enumerate(STAGES)}
        order = [s.stage for s in self.stages]
        logged = list(dict.fromkeys(entry.stage for entry in self.log))
        middle = [s for s in logged if s not in order and s not in ("initial", "final")]
        if not self.stages:  # no folders to order by: the canonical order
            middle.sort(key=lambda s: known.get(s, len(known)))
        head = ["initial"] if "initial" in logged else []
        tail = ["final"] if "final" in logged else []
        return head + order + middle + tail


def is_run_dir(path: Path) -> bool:
    """A folder written by ``seig reconstruct`` (possibly unfinished)."""
    return path.is_dir() and any(
        (path / name).exists() for name in ("run.json", "scene.py", "search/log.jsonl", "target.png", "status.json")
    )


def read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SearchStateError(f"{path} is not valid JSON: {exc}") from exc
    return value if isinstance(value, dict) else {"value": value}


def _read_json_noting(path: Path, problems: list[str]) -> dict[str, Any]:
    """read_json, but a broken file becomes a problem on the page instead of no page."""
    try:
        return read_json(path)
    except SearchStateError as exc:
        problems.append(str(exc))
        return {}


def _as_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return -math.inf
    return number if not math.isnan(number) else -math.inf


def _float_dict(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, float] = {}
    for key, item in value.items():
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            out[str(key)] = float(item)
    return out


_KNOWN_KEYS = {"stage", "round", "hash", "parent", "score", "terms", "timing", "failure", "note", "survivor"}


def read_log(path: Path) -> tuple[list[LogEntry], list[str]]:
    """Parse ``log.jsonl``; bad lines are reported, not fatal (a killed run may leave half a line)."""
    entries: list[LogEntry] = []
    errors: list[str] = []
    if not path.is_file():
        return entries, errors
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            errors.append(f"log line {number} is not JSON")
            continue
        if not isinstance(row, dict):
            errors.append(f"log line {number} is not an object")
            continue
        failure = row.get("failure")
        entries.append(
            LogEntry(
                index=len(entries),
                stage=str(row.get("stage", "?")),
                round=int(row.get("round", 0) or 0),
                hash=str(row.get("hash", "")),
                parent=row.get("parent") if isinstance(row.get("parent"), str) else None,
                score=-math.inf if failure else _as_float(row.get("score")),
                terms=_float_dict(row.get("terms")),
                timing=_float_dict(row.get("timing")),
                failure=failure if isinstance(failure, dict) else ({"message": str(failure)} if failure else None),
                note=str(row.get("note", "") or ""),
                survivor=row["survivor"] if isinstance(row.get("survivor"), bool) else None,
                extra={k: v for k, v in row.items() if k not in _KNOWN_KEYS},
            )
        )
    return entries, errors


def _stage_folders(out_dir: Path) -> list[StageBest]:
    root = out_dir / "stages"
    found: list[StageBest] = []
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        match = _STAGE_DIR.match(folder.name)
        if not folder.is_dir() or not match:
            continue
        program, image = folder / "best.py", folder / "best.png"
        found.append(
            StageBest(
                order=int(match.group(1)),
                stage=match.group(2),
                folder=folder,
                program=program if program.is_file() else None,
                image=image if image.is_file() else None,
            )
        )
    return sorted(found, key=lambda s: (s.order, s.stage))


def collect_run(out_dir: Path) -> RunData:
    """Read a run folder. Raises SearchStateError when it is not one."""
    out_dir = Path(out_dir)
    if not is_run_dir(out_dir):
        raise SearchStateError(f"{out_dir} is not a seig output folder (no run.json, scene.py, search log, target.png "
                               "or status.json)")
    log, problems = read_log(out_dir / "search" / "log.jsonl")
    program_path = out_dir / "scene.py"
    program = program_path.read_text(encoding="utf-8") if program_path.is_file() else None
    stages = _stage_folders(out_dir)
    if program is None and stages and stages[-1].program is not None:
        program = stages[-1].program.read_text(encoding="utf-8")  # unfinished run: show the latest stage's best
    exports = {
        name: out_dir / name for name in ("scene.py", "scene.blend", "scene.glb", "scene.json") if (out_dir / name).is_file()
    }
    return RunData(
        out_dir=out_dir,
        target=(out_dir / "target.png") if (out_dir / "target.png").is_file() else None,
        render=(out_dir / "render.png") if (out_dir / "render.png").is_file() else None,
        program=program,
        run=_read_json_noting(out_dir / "run.json", problems),
        metrics=_read_json_noting(out_dir / "metrics.json", problems),
        scene=_read_json_noting(out_dir / "scene.json", problems),
        stages=stages,
        log=log,
        exports=exports,
        problems=problems,
    )

"""Write a run's take-home files (scene.py, scene.blend, scene.glb) and prove each one works.

- scene.py runs on its own in a fresh Blender (bpy) process and builds the expected objects;
- scene.blend opens in Blender 5.0 with the same objects and materials;
- scene.glb loads back with trimesh with the same mesh objects and materials.
The two Blender checks run in one fresh process started through the render pool's OS sandbox (the program
may come from a model), after the static policy check; the glTF check is plain Python.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seig_search.errors import ExportError, PolicyViolationError

PROGRAM_FILE, BLEND_FILE, GLB_FILE = "scene.py", "scene.blend", "scene.glb"
_MARK = "SEIG-EXPORT-CHECK "  # Blender prints to stdout too; the answer is the line after this mark

# Runs inside the fresh sandboxed bpy process: builds the program as __main__ (it calls build() itself),
# lists mesh objects with their material, then opens the .blend and lists it the same way.
_CHECKER = r'''
import base64, json, os, runpy, sys, tempfile, traceback
import bpy
job = json.loads(sys.stdin.read())
tmp = tempfile.mkdtemp(prefix="seig-export-")
def listing():
    return {o.name: (o.active_material.name if o.active_material else None)
            for o in bpy.data.objects if o.type == "MESH"}
def attempt(run):
    try:
        run()
        return {"ok": True, "objects": listing()}
    except BaseException as exc:
        return {"ok": False, "error": "".join(traceback.format_exception_only(type(exc), exc)).strip()}
answer = {"version": bpy.app.version_string}
if job.get("program") is not None:
    path = os.path.join(tmp, "scene.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(job["program"])
    bpy.ops.wm.read_factory_settings(use_empty=True)
    answer["program"] = attempt(lambda: runpy.run_path(path, run_name="__main__"))
if job.get("blend") is not None:
    path = os.path.join(tmp, "scene.blend")
    with open(path, "wb") as handle:
        handle.write(base64.b64decode(job["blend"]))
    answer["blend"] = attempt(lambda: bpy.ops.wm.open_mainfile(filepath=path))
sys.stdout.write("\n''' + _MARK + r'''" + json.dumps(answer) + "\n")
sys.stdout.flush()
'''


@dataclass(frozen=True)
class ExportCheck:
    """One verification: which file, whether it passed, and what was seen."""

    file: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class ExportReport:
    """Paths written and the checks they passed."""

    paths: dict[str, Path]
    checks: tuple[ExportCheck, ...]
    blender_version: str | None = None
    check_s: float = 0.0

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def export_settings(settings: Any) -> Any:
    """The same render settings, asking the pool for the .blend and .glb of the built scene too."""
    return dataclasses.replace(settings, want_blend=True, want_glb=True)


def expected_objects(summary: dict[str, Any] | None) -> dict[str, str | None] | None:
    """Mesh object name -> material name (None without one), from a render summary."""
    if not summary or not isinstance(summary.get("objects"), list):
        return None
    expected: dict[str, str | None] = {}
    for obj in summary["objects"]:
        if obj.get("type", "MESH") == "MESH":
            material = obj.get("material") or {}
            expected[str(obj["name"])] = material.get("name") if isinstance(material, dict) else None
    return expected


def _compare(file: str, seen: dict[str, str | None], expected: dict[str, str | None] | None) -> ExportCheck:
    if not seen:
        return ExportCheck(file, False, "no mesh objects")
    if expected is None:
        return ExportCheck(file, True, f"{len(seen)} mesh objects: {', '.join(sorted(seen))}")
    problems = []
    if set(seen) != set(expected):
        missing, extra = sorted(set(expected) - set(seen)), sorted(set(seen) - set(expected))
        problems.append(f"objects differ (missing {missing}, unexpected {extra})")
    wrong = sorted(n for n in set(seen) & set(expected) if expected[n] is not None and seen[n] != expected[n])
    if wrong:
        problems.append("materials differ: " + ", ".join(f"{n}: {seen[n]!r} != {expected[n]!r}" for n in wrong))
    if problems:
        return ExportCheck(file, False, "; ".join(problems))
    return ExportCheck(file, True, f"{len(seen)} mesh objects and their materials as rendered")


def glb_objects(data: bytes) -> dict[str, str | None]:
    """Mesh nodes of a .glb (trimesh) -> material name of their geometry."""
    import trimesh  # deferred: heavy import, only needed here

    scene = trimesh.load(io.BytesIO(data), file_type="glb", force="scene")
    seen: dict[str, str | None] = {}
    for node in scene.graph.nodes_geometry:
        _, geometry_name = scene.graph[node]
        material = getattr(getattr(scene.geometry[geometry_name], "visual", None), "material", None)
        seen[str(node)] = getattr(material, "name", None)
    return seen


def _sandboxed_python(timeout_s: float, payload: dict[str, Any]) -> dict[str, Any]:
    """Run the checker in a fresh bpy process inside the render pool's sandbox; its JSON answer."""
    from render_pool.sandbox import worker_command  # deferred: render_pool is optional for the report

    argv, env, _spec = worker_command([])
    # worker_command ends with [python, -m, render_pool.worker_main]; keep its sandbox prefix, run the checker.
    cut = len(argv) - 1 - argv[::-1].index(sys.executable)
    argv = argv[:cut] + [sys.executable, "-c", _CHECKER]
    try:
        done = subprocess.run(argv, input=json.dumps(payload), capture_output=True, text=True,
                              timeout=timeout_s, env=env or None)
    except subprocess.TimeoutExpired as exc:
        raise ExportError(f"export check ran past {timeout_s:.0f} s") from exc
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_MARK):
            return json.loads(line[len(_MARK):])
    tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
    raise ExportError(f"export check process failed (exit {done.returncode}): " + " | ".join(tail))


def verify_exports(program: str | None, blend: bytes | None, glb: bytes | None,
                   summary: dict[str, Any] | None = None, timeout_s: float = 120.0) -> ExportReport:
    """Check each given file against the render summary's objects and materials (without writing anything).

    Never raises for a bad file: each problem is a failed ExportCheck (a program the sandbox policy rejects is
    not run at all).
    """
    from render_pool.policy import ensure_allowed

    expected = expected_objects(summary)
    checks: list[ExportCheck] = []
    start = time.monotonic()
    version = None
    runnable = program
    if program is not None:
        try:
            ensure_allowed(program)  # never run what the sandbox policy rejects
        except PolicyViolationError as exc:
            checks.append(ExportCheck(PROGRAM_FILE, False, f"not run: {exc}"))
            runnable = None
    if runnable is not None or blend is not None:
        payload = {"program": runnable,
                   "blend": base64.b64encode(blend).decode("ascii") if blend is not None else None}
        try:
            answer = _sandboxed_python(timeout_s, payload)
        except ExportError as exc:  # the checker process itself failed: every file it was to check fails
            answer = {key: {"ok": False, "error": str(exc)} for key, value in payload.items() if value is not None}
        version = answer.get("version")
        for key, file in (("program", PROGRAM_FILE), ("blend", BLEND_FILE)):
            if key in answer:
                seen = answer[key]
                checks.append(_compare(file, seen["objects"], expected) if seen["ok"]
                              else ExportCheck(file, False, seen["error"]))
    if glb is not None:
        try:
            checks.append(_compare(GLB_FILE, glb_objects(glb), expected))
        except Exception as exc:  # trimesh raises many kinds on a broken file; all mean "does not load"
            checks.append(ExportCheck(GLB_FILE, False, f"trimesh could not load it: {exc}"))
    return ExportReport(paths={}, checks=tuple(checks), blender_version=version, check_s=time.monotonic() - start)


def write_exports(out_dir: Path | str, program: str, *, blend: bytes | None = None, glb: bytes | None = None,
                  summary: dict[str, Any] | None = None, verify: bool = True, strict: bool = True,
                  timeout_s: float = 120.0) -> ExportReport:
    """Write scene.py (and scene.blend / scene.glb where given) into ``out_dir``, then verify them.

    Pass the final render's ``RenderResult.blend``, ``.glb`` and ``.summary`` (render it with
    ``export_settings(settings)``). With ``strict`` a failed check raises ExportError listing every check.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {PROGRAM_FILE: out_dir / PROGRAM_FILE}
    paths[PROGRAM_FILE].write_text(program, encoding="utf-8")
    for name, data in ((BLEND_FILE, blend), (GLB_FILE, glb)):
        if data is not None:
            paths[name] = out_dir / name
            paths[name].write_bytes(data)
    if not verify:
        return ExportReport(paths=paths, checks=())
    report = dataclasses.replace(verify_exports(program, blend, glb, summary, timeout_s), paths=paths)
    if strict and not report.ok:
        failed = "; ".join(f"{c.file}: {c.detail}" for c in report.checks if not c.ok)
        raise ExportError(f"exports in {out_dir} failed verification: {failed}", checks=list(report.checks))
    return report


def write_exports_from_result(out_dir: Path | str, program: str, result: Any, **options: Any) -> ExportReport:
    """``write_exports`` fed from a RenderResult rendered with ``export_settings``."""
    if not getattr(result, "ok", False):
        raise ExportError(f"the final render failed, nothing to export: {getattr(result, 'failure', None)}")
    return write_exports(out_dir, program, blend=result.blend, glb=result.glb, summary=result.summary, **options)

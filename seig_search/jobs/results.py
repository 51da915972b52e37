"""The results schema shared by ``seig bench`` and ``seig batch``: validated, versioned JSON.

Every results file records where it came from (commit, bpy version, config hash, seed) so figures can be
traced; ``load_results`` refuses files of another schema version.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seig_search.errors import SearchStateError

SCHEMA_VERSION = 1


class RunRecord(BaseModel):
    """One (case, method) reconstruction."""

    model_config = ConfigDict(extra="allow")

    case: str
    method: str
    status: Literal["done", "failed"]
    out: str
    image: str | None = None
    error: str | None = None
    wall_s: float | None = None
    skipped: bool = False  # read back from an earlier run, not redone
    resumed: bool = False
    camera: dict[str, Any] | None = None  # NeRF-Synthetic view camera, when the suite has one
    metrics: dict[str, Any] | None = None  # metrics.json of the run
    truth: dict[str, Any] | None = None  # ground-truth metrics, generated suites only


class Provenance(BaseModel):
    created: str
    commit: str | None
    seig_version: str
    bpy_version: str | None
    python: str
    host_cpus: int | None


class Results(BaseModel):
    """``results.json`` of a bench or batch run."""

    schema_version: int = Field(SCHEMA_VERSION)
    kind: Literal["bench", "batch"]
    source: str
    source_kind: str
    agent: str
    methods: list[str]
    seed: int
    budget_renders: int | None
    config_hash: str
    config: dict[str, Any]
    provenance: Provenance
    runs: list[RunRecord]


def git_commit(start: Path | None = None) -> str | None:
    """The commit of the seig checkout in use, or None outside a git checkout."""
    where = start or Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance() -> Provenance:
    import os
    import platform

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return Provenance(created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), commit=git_commit(),
                      seig_version=version("seig") or "unknown", bpy_version=version("bpy"),
                      python=platform.python_version(), host_cpus=os.cpu_count())


def config_hash(config: dict[str, Any]) -> str:
    """sha256 (first 16 hex digits) of the config's canonical JSON."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def write_results(path: Path, results: Results) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(results.model_dump_json(indent=1) + "\n")
    tmp.replace(path)


def load_results(path: Path) -> Results:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SearchStateError(f"cannot read results {path}: {error}") from None
    if data.get("schema_version") != SCHEMA_VERSION:
        raise SearchStateError(f"{path} has results schema {data.get('schema_version')!r}, "
                               f"this seig reads {SCHEMA_VERSION}")
    try:
        return Results.model_validate(data)
    except ValidationError as error:
        raise SearchStateError(f"{path} does not follow the results schema: {error}") from None

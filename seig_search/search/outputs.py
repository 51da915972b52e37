"""Writing the output folder of ``seig reconstruct`` (layout: docs/architecture.md)."""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from seig_search.target import save_png

RUN_FILE = "run.json"


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a kill never leaves half a file); non-finite floats become null."""
    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, (np.floating, np.integer)):
            return clean(value.item())
        if isinstance(value, Path):
            return str(value)
        return value

    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(clean(data), indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_run(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / RUN_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        from seig_search.errors import SearchStateError

        raise SearchStateError(f"{path} is not valid JSON ({error}); cannot resume this run") from None


def stage_dir(out_dir: Path, index: int, name: str) -> Path:
    return out_dir / "stages" / f"{index}_{name}"


def write_stage_best(out_dir: Path, index: int, name: str, program: str, srgb: np.ndarray | None,
                     info: dict[str, Any]) -> Path:
    folder = stage_dir(out_dir, index, name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "best.py").write_text(program, encoding="utf-8")
    if srgb is not None:
        save_png(srgb, folder / "best.png")
    write_json(folder / "best.json", info)
    return folder

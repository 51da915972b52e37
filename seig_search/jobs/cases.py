"""Finding the images a benchmark, batch or tuning study runs on.

Three folder layouts are recognised, plus manifests:

- a generated suite (``index.json`` from ``seig dataset generate``): each case has ground truth
  (``scene.json`` with the true objects, ``index.png`` with their masks);
- the NeRF-Synthetic layout (RGBA views ``r_*.png`` beside ``transforms_test.json``): each view's camera
  (field of view and pose) is reported alongside, no object ground truth;
- any folder of images (searched recursively for .png/.jpg/.jpeg/.webp/.bmp/.tif/.tiff; depth maps named
  ``*-depth.*`` or ``*_depth.*`` beside colour images are skipped);
- a manifest: a text file with one image path per line (``#`` comments allowed), or a JSON list of paths or of
  ``{"id": ..., "image": ...}`` objects; relative paths are relative to the manifest.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seig_search.errors import ConfigError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DEPTH = re.compile(r"[-_]depth$", re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    """One image to reconstruct, with whatever ground truth its folder offers."""

    id: str  # unique within the suite, safe as a folder name
    image: Path
    truth: Path | None = None  # scene.json of a generated case
    index_png: Path | None = None  # object-index pass of a generated case
    camera: dict[str, Any] | None = field(default=None, compare=False)  # NeRF-Synthetic view camera

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "image": str(self.image), "truth": None if self.truth is None else str(self.truth),
                "camera": self.camera}


def safe_id(text: str) -> str:
    """A folder-safe id: path separators and odd characters become single underscores."""
    cleaned = _SAFE.sub("_", text).strip("._")
    return cleaned or "case"


def _generated(root: Path) -> list[Case]:
    index = json.loads((root / "index.json").read_text())
    cases = []
    for entry in index.get("cases", []):
        folder = root / entry["dir"]
        cases.append(Case(id=safe_id(str(entry["id"])), image=folder / "image.png", truth=folder / "scene.json",
                          index_png=folder / "index.png"))
    return cases


def _nerf_camera(transforms: dict[str, Any], frame: dict[str, Any]) -> dict[str, Any]:
    fov_x = float(transforms["camera_angle_x"])
    matrix = frame.get("transform_matrix")
    return {"fov_x_deg": math.degrees(fov_x), "camera_angle_x": fov_x, "transform_matrix": matrix,
            "location": None if matrix is None else [row[3] for row in matrix[:3]]}


def _nerf(root: Path) -> list[Case]:
    cases = []
    for transforms_path in sorted(root.rglob("transforms_test.json")):
        folder = transforms_path.parent
        transforms = json.loads(transforms_path.read_text())
        frames = {Path(f["file_path"]).name: f for f in transforms.get("frames", [])}
        for image in sorted(folder.glob("r_*.png")):
            frame = frames.get(image.stem)
            rel = image.relative_to(root).with_suffix("")
            cases.append(Case(id=safe_id(str(rel)), image=image,
                              camera=None if frame is None else _nerf_camera(transforms, frame)))
    return cases


def _images(root: Path) -> list[Case]:
    images = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                    and not _DEPTH.search(p.stem))
    return [Case(id=safe_id(str(p.relative_to(root).with_suffix(""))), image=p) for p in images]


def _manifest(path: Path) -> list[Case]:
    text = path.read_text()
    base = path.parent
    entries: list[dict[str, Any]]
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"manifest {path} is not valid JSON: {error}") from None
        if not isinstance(data, list):
            raise ConfigError(f"manifest {path} must hold a JSON list of paths or {{id, image}} objects")
        entries = [d if isinstance(d, dict) else {"image": d} for d in data]
    else:
        entries = [{"image": line.strip()} for line in text.splitlines()
                   if line.strip() and not line.strip().startswith("#")]
    cases = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry.get("image"), str):
            raise ConfigError(f"manifest {path}, entry {number}: no image path")
        image = Path(entry["image"])
        image = image if image.is_absolute() else base / image
        cases.append(Case(id=safe_id(str(entry.get("id") or image.with_suffix("").name)), image=image))
    return cases


def _unique(cases: list[Case]) -> list[Case]:
    """Ids must be unique (they name output folders): suffix repeats with -2, -3, ..."""
    seen: dict[str, int] = {}
    out = []
    for case in cases:
        n = seen.get(case.id, 0) + 1
        seen[case.id] = n
        out.append(case if n == 1 else Case(f"{case.id}-{n}", case.image, case.truth, case.index_png, case.camera))
    return out


def discover(source: Path, limit: int | None = None) -> tuple[str, list[Case]]:
    """(kind, cases) for a suite folder, an image folder, a NeRF-Synthetic folder or a manifest file."""
    source = Path(source)
    if not source.exists():
        raise ConfigError(f"not found: {source}")
    if source.is_file():
        if source.suffix.lower() in IMAGE_SUFFIXES:
            kind, cases = "images", [Case(id=safe_id(source.stem), image=source)]
        else:
            kind, cases = "manifest", _manifest(source)
    elif (source / "index.json").is_file():
        kind, cases = "generated", _generated(source)
    elif any(source.rglob("transforms_test.json")) and any(source.rglob("r_*.png")):
        kind, cases = "nerf-synthetic", _nerf(source)
    else:
        kind, cases = "images", _images(source)
    if not cases:
        raise ConfigError(f"no images found in {source}")
    if limit is not None:
        if limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {limit}")
        cases = cases[:limit]
    return kind, _unique(cases)

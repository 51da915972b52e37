"""Render sampled scenes with their ground truth into a folder.

Per case: `image.png` (sRGB), `index.png` (the object-index pass: each pixel holds its object's pass_index,
0 for nothing), `scene.py` (the true program), `scene.json` (the spec, each object's shape, pass_index,
material class and mask statistics, and the renderer's own summary). `index.json` lists the cases.

A scene where some object covers too few pixels is resampled with the next derived seed; after
`max_attempts` the hidden objects are dropped from the last sample (recorded as `dropped`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from seig_search.dataset.suites import color_name, material_label, sample_spec
from seig_search.errors import ConfigError, RenderError
from seig_search.program import SceneSpec, render_program
from seig_search.program.prelude import DIALECT_VERSION


@dataclass(frozen=True)
class GenerateOptions:
    suite: str
    n: int
    seed: int = 0
    width: int = 256
    height: int = 256
    engine: str = "CYCLES"
    samples: int = 32
    min_pixels: int = 0  # 0: max(4, 0.05 % of the image)
    max_attempts: int = 4
    timeout_s: float = 120.0

    @property
    def pixel_floor(self) -> int:
        return self.min_pixels or max(4, int(0.0005 * self.width * self.height))


@dataclass
class Case:
    index: int
    seed: int
    spec: SceneSpec
    attempt: int = 0
    dropped: list[str] = field(default_factory=list)
    result: Any = None  # render_pool.RenderResult

    @property
    def case_id(self) -> str:
        return f"{self.index:05d}"


def case_seed(seed: int, index: int, attempt: int = 0) -> int:
    """The seed of one case, derived from the run's seed (independent streams per case and attempt)."""
    return int(np.random.SeedSequence([int(seed), int(index), int(attempt)]).generate_state(1)[0])


def mask_stats(index: np.ndarray, pass_index: int) -> dict[str, Any]:
    """Pixel count, bbox [x0, y0, x1, y1] (inclusive) and centroid (x, y) of one object's mask."""
    ys, xs = np.nonzero(index == pass_index)
    if xs.size == 0:
        return {"pixels": 0, "bbox": None, "centroid": None}
    return {"pixels": int(xs.size), "bbox": [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())],
            "centroid": [round(float(xs.mean()), 2), round(float(ys.mean()), 2)]}


def _hidden(case: Case, floor: int) -> list[str]:
    index = case.result.index
    return [name for name, idx in case.spec.pass_indices().items()
            if name != (case.spec.ground.name if case.spec.ground else None) and int((index == idx).sum()) < floor]


def generate(options: GenerateOptions, out: Path, pool, *, force: bool = False,
             on_render: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Sample, render and write `options.n` cases into `out`; returns the index written to out/index.json.

    `pool` is a render_pool.RenderPool; `on_render(k)` is called as renders finish (k: renders so far).
    """
    from render_pool import RenderJob, RenderSettings

    if options.n < 1:
        raise ConfigError(f"--n must be at least 1, got {options.n}")
    out = Path(out)
    if (out / "index.json").exists() and not force:
        raise ConfigError(f"{out} already holds a dataset (index.json); pass --force to replace it")
    settings = RenderSettings(engine=options.engine, width=options.width, height=options.height,
                              samples=options.samples, seed=0, passes=("color", "index"), timeout_s=options.timeout_s)
    aspect = options.width / options.height
    cases = [Case(i, case_seed(options.seed, i), sample_spec(options.suite, case_seed(options.seed, i), aspect))
             for i in range(options.n)]
    done = [0]

    def render(batch: list[Case]) -> None:
        jobs = [RenderJob(program=render_program(c.spec), settings=settings, job_id=c.case_id) for c in batch]

        def progress(_result) -> None:
            done[0] += 1
            if on_render:
                on_render(done[0])

        for case, result in zip(batch, pool.render(jobs, progress=progress)):
            if not result.ok:
                raise RenderError(f"case {case.case_id} (seed {case.seed}) failed to render: {result.failure}")
            case.result = result

    render(cases)
    for attempt in range(1, options.max_attempts + 1):
        retry = [c for c in cases if _hidden(c, options.pixel_floor)]
        if not retry:
            break
        for case in retry:
            if attempt < options.max_attempts:
                case.attempt, case.seed = attempt, case_seed(options.seed, case.index, attempt)
                case.spec = sample_spec(options.suite, case.seed, aspect)
            else:  # last resort: drop what cannot be seen from the last sample
                case.dropped = _hidden(case, options.pixel_floor)
                kept = [o for o in case.spec.objects if o.name not in case.dropped]
                case.spec = case.spec.model_copy(update={"objects": kept})
        render(retry)

    if out.exists() and force:
        for child in out.iterdir():
            if child.is_dir() and (child / "scene.json").exists():
                shutil.rmtree(child)
    out.mkdir(parents=True, exist_ok=True)
    entries = [write_case(case, options, out / case.case_id) for case in cases]
    index = {"dialect": DIALECT_VERSION, "suite": options.suite, "n": options.n, "seed": options.seed,
             "aspect": aspect,
             "settings": {"width": options.width, "height": options.height, "engine": options.engine,
                          "samples": options.samples}, "cases": entries}
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    return index


def write_case(case: Case, options: GenerateOptions, folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    result, spec = case.result, case.spec
    srgb = np.clip(result.srgb() * 255.0 + 0.5, 0, 255).astype(np.uint8)
    Image.fromarray(srgb, "RGB").save(folder / "image.png")
    index = result.index.astype(np.int32)
    wide = index.max(initial=0) > 255
    Image.fromarray(index.astype(np.uint16 if wide else np.uint8)).save(folder / "index.png")
    (folder / "scene.py").write_text(render_program(spec))
    passes = spec.pass_indices()
    objects = []
    for o in spec.objects:
        objects.append({"name": o.name, "shape": o.shape, "pass_index": passes[o.name], "dims": list(o.dims),
                        "location": list(o.location), "rotation_deg": list(o.rotation_deg), "color": list(o.color),
                        "color_name": color_name(o.color), "material": material_label(o), "roughness": o.roughness,
                        "metallic": o.metallic, "transmission": o.transmission,
                        "emission_strength": o.emission_strength, "mask": mask_stats(index, passes[o.name])})
    scene = {"id": case.case_id, "suite": options.suite, "seed": case.seed, "attempt": case.attempt,
             "dropped": case.dropped, "width": options.width, "height": options.height, "objects": objects,
             "ground": None if spec.ground is None else {**spec.ground.model_dump(mode="json"),
                                                          "pass_index": passes[spec.ground.name],
                                                          "mask": mask_stats(index, passes[spec.ground.name])},
             "spec": spec.model_dump(mode="json"), "render_summary": result.summary}
    (folder / "scene.json").write_text(json.dumps(scene, indent=1) + "\n")
    return {"id": case.case_id, "dir": case.case_id, "seed": case.seed, "attempt": case.attempt,
            "dropped": case.dropped, "objects": len(objects), "shapes": sorted({o.shape for o in spec.objects})}

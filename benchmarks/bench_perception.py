"""Perception before any search: how well the first program from one image matches generated ground truth.

Scenes come from ``seig_search.dataset.sample_spec(suite, seed)`` (primitives on a ground plane, varied camera
and light), are rendered by the RenderPool (Cycles), and ``seig_search.perception.analyse`` estimates each
image. Objects are matched with ``scoring.scene_metrics`` (Hungarian on image-space centres) and scored:
object count exact, shape / colour (CIEDE2000 <= 15) / material class accuracy, position error after a
similarity alignment. Renders are cached in --cache so reruns only repeat the perception.

    .venv/bin/python benchmarks/bench_perception.py --n 50 --seed 0 --suite primitives
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


# CLEVR's palette (linear RGB) and sizes; used only when seig_search.dataset is not installed.
_PALETTE = {"gray": (0.34, 0.34, 0.34), "red": (0.68, 0.05, 0.05), "blue": (0.06, 0.17, 0.72),
            "green": (0.06, 0.45, 0.08), "brown": (0.38, 0.19, 0.05), "purple": (0.34, 0.06, 0.6),
            "cyan": (0.05, 0.55, 0.55), "yellow": (0.85, 0.72, 0.05)}


def _clevr_like_spec(seed: int):
    """A CLEVR-like scene (the fallback generator): 3-6 cubes/spheres/cylinders, rubber or metal."""
    import math

    from seig_search.program.spec import CameraSpec, GroundSpec, LightSpec, ObjectSpec, SceneSpec, WorldSpec

    rng = np.random.default_rng(seed)
    objs, placed = [], []
    for i in range(int(rng.integers(3, 7))):
        size = float(rng.choice([0.7, 1.4]))
        for _ in range(100):
            x, y = rng.uniform(-3.0, 3.0, 2)
            if all(math.hypot(x - px, y - py) > 0.6 * (size + ps) + 0.25 for px, py, ps in placed):
                break
        else:
            continue
        placed.append((x, y, size))
        metal = bool(rng.random() < 0.5)
        objs.append(ObjectSpec(name=f"obj{i}", shape=str(rng.choice(["cube", "sphere", "cylinder"])),
                               dims=(size, size, size), location=(float(x), float(y), size / 2),
                               rotation_deg=(0.0, 0.0, float(rng.uniform(0, 360))),
                               color=_PALETTE[str(rng.choice(list(_PALETTE)))],
                               roughness=0.2 if metal else 0.8, metallic=1.0 if metal else 0.0))
    az, el = math.radians(rng.uniform(0, 360)), math.radians(rng.uniform(20, 45))
    dist = rng.uniform(9.0, 13.0)
    cam = (dist * math.cos(el) * math.cos(az), dist * math.cos(el) * math.sin(az), dist * math.sin(el))
    laz, lel = math.radians(rng.uniform(0, 360)), math.radians(rng.uniform(30, 70))
    light = (10 * math.cos(lel) * math.cos(laz), 10 * math.cos(lel) * math.sin(laz), 10 * math.sin(lel))
    g = float(rng.uniform(0.3, 0.6))
    return SceneSpec(objects=objs, ground=GroundSpec(size=30.0, color=(g, g, g), roughness=0.9),
                     camera=CameraSpec(location=cam, look_at=(0.0, 0.0, 0.3), lens=float(rng.uniform(35, 55))),
                     lights=[LightSpec(name="key", location=light, energy=float(rng.uniform(2.0, 5.0)))],
                     world=WorldSpec(color=(0.05, 0.05, 0.05), strength=1.0))


def _sample(suite: str, seed: int):
    try:
        from seig_search.dataset import sample_spec
    except ImportError:  # the generator package is optional here; fall back to a CLEVR-like sampler
        if suite != "primitives":
            raise
        return _clevr_like_spec(seed)
    return sample_spec(suite, seed)


def _render(specs, size, samples, cache: Path) -> list[dict]:
    """Colour, index and summary of each spec, from the cache or the pool."""
    from seig_search.program.spec import render_program

    cache.mkdir(parents=True, exist_ok=True)
    out: list[dict | None] = []
    todo = []
    for key, spec in specs:
        f = cache / f"{key}.npz"
        d = np.load(f, allow_pickle=False) if f.exists() else None
        if d is not None and str(d["spec"]) == spec.model_dump_json():  # same scene as rendered before
            out.append({"srgb": d["srgb"], "index": d["index"], "summary": json.loads(str(d["summary"]))})
        else:
            out.append(None)
            todo.append((len(out) - 1, key, spec))
    if todo:
        from render_pool import RenderJob, RenderPool, RenderSettings

        settings = RenderSettings(engine="CYCLES", width=size[0], height=size[1], samples=samples,
                                  passes=("color", "index"), timeout_s=120.0)
        jobs = [RenderJob(program=render_program(spec), settings=settings, job_id=key) for _, key, spec in todo]
        with RenderPool(num_workers=2) as pool:
            results = pool.render(jobs)
        for (i, key, spec), r in zip(todo, results):  # each file keeps its own scene's spec as its cache tag
            if not r.ok:
                raise RuntimeError(f"render of {key} failed: {r.failure}")
            out[i] = save_render(cache / f"{key}.npz", spec, r)
    return out  # type: ignore[return-value]


def save_render(path: Path, spec, result) -> dict:
    """Store a render (colour, index pass, summary) with its scene's spec as the cache tag; the stored arrays."""
    d = {"srgb": result.srgb().astype(np.float32), "index": result.index.astype(np.int32), "summary": result.summary}
    np.savez_compressed(path, srgb=d["srgb"], index=d["index"], summary=json.dumps(d["summary"]),
                        spec=spec.model_dump_json())
    return d


MIN_VISIBLE_PIXELS = 20  # objects showing fewer pixels are counted only by count_exact, not count_exact_visible


def _gt_records(spec, summary, index, min_pixels: int = 1):
    from scoring.scene_metrics import image_centres, object_record

    centres = image_centres(index)
    counts = np.bincount(index.ravel().clip(0))
    shapes = {o.name: o.shape for o in spec.objects}
    recs = []
    for o in summary["objects"]:
        if o.get("type", "MESH") != "MESH" or o["name"] not in shapes:
            continue
        pid = int(o.get("pass_index", 0))
        c = centres.get(pid)
        if c is None or (pid < len(counts) and counts[pid] < min_pixels):  # hidden: one image cannot show it
            continue
        recs.append(object_record({**o, "shape": shapes[o["name"]]}, c))
    return recs


def _camera_errors(spec, est) -> tuple[float, float]:
    """Absolute lens (mm, 36 mm sensor) and pitch (degrees below horizontal) error of the estimated camera."""
    cam = spec.camera
    view = np.asarray(cam.look_at, float) - np.asarray(cam.location, float)
    pitch = float(np.degrees(np.arctan2(-view[2], np.hypot(view[0], view[1]))))
    return abs(float(est.camera.lens) - float(cam.lens)), abs(float(est.camera.pitch_deg) - pitch)


def _light_errors(spec, est) -> tuple[float | None, float | None]:
    """Key-light azimuth error (degrees, relative to the camera's viewing azimuth: the only frame one image
    fixes) and elevation error of the estimate; None when the scene has no sun."""
    suns = [lt for lt in spec.lights if lt.kind == "SUN"]
    if not suns:
        return None, None
    true = np.asarray(suns[0].location, float) - np.asarray(suns[0].look_at, float)
    true /= np.linalg.norm(true)
    view = np.asarray(spec.camera.look_at, float) - np.asarray(spec.camera.location, float)
    est_view = np.asarray(est.camera.look_at, float) - np.asarray(est.camera.location, float)
    d = np.asarray(est.light.direction, float)
    rel_true = np.degrees(np.arctan2(true[1], true[0]) - np.arctan2(view[1], view[0]))
    rel_est = np.degrees(np.arctan2(d[1], d[0]) - np.arctan2(est_view[1], est_view[0]))
    az_err = abs((rel_est - rel_true + 180.0) % 360.0 - 180.0)
    el_err = abs(np.degrees(np.arcsin(np.clip(d[2], -1, 1))) - np.degrees(np.arcsin(np.clip(true[2], -1, 1))))
    return float(az_err), float(el_err)


def _pred_records(est, scale: float = 1.0):
    """Perception's objects as records; ``scale`` maps its image's pixels to the render's."""
    from scoring.scene_metrics import ObjectRecord

    return [ObjectRecord(name=f"obj{i}", location=o.location, dimensions=o.dims, base_color=o.appearance.color,
                         roughness=o.appearance.roughness, metallic=o.appearance.metallic, shape=o.shape,
                         centre_px=((o.region.centroid[1] + 0.5) * scale - 0.5, (o.region.centroid[0] + 0.5) * scale - 0.5))
            for i, o in enumerate(est.objects)]


def _analysis_image(srgb: np.ndarray, analysis_size: int | None) -> tuple[np.ndarray, float]:
    """The render as the pipeline hands it to perception (Lanczos to ``analysis_size``), and the pixel scale back."""
    if analysis_size is None:
        return srgb, 1.0
    from seig_search.target import _resize, working_size

    h, w = srgb.shape[:2]
    dims = working_size(w, h, analysis_size)
    return _resize(srgb.astype(np.float32), dims), w / dims[0]


def run(suite: str, n: int, seed: int, size: tuple[int, int], samples: int, cache: Path, verbose: bool,
        analysis_size: int | None = None) -> dict:
    from scoring.scene_metrics import scene_metrics
    from seig_search.perception import analyse

    specs = [(f"{suite}_{seed + i}_{size[0]}x{size[1]}_{samples}", _sample(suite, seed + i)) for i in range(n)]
    renders = _render(specs, size, samples, cache)
    rows = []
    t_total = 0.0
    for (key, spec), r in zip(specs, renders):
        image, scale = _analysis_image(r["srgb"], analysis_size)
        t0 = time.perf_counter()
        est = analyse(image)
        t_total += time.perf_counter() - t0
        gt = _gt_records(spec, r["summary"], r["index"])
        m = scene_metrics(_pred_records(est, scale), gt)
        m["key"] = key
        # the same accuracies over matched objects only: what perception gets right about what it found
        for k in ("shape_accuracy", "color_accuracy", "material_accuracy"):
            m[k + "_matched"] = m[k] * m["n_gt"] / m["matched"] if m["matched"] and m[k] is not None else None
        m["lens_error_mm"], m["pitch_error_deg"] = _camera_errors(spec, est)
        m["light_azimuth_error_deg"], m["light_elevation_error_deg"] = _light_errors(spec, est)
        big = _gt_records(spec, r["summary"], r["index"], min_pixels=MIN_VISIBLE_PIXELS)
        m["count_exact_visible"] = len(est.objects) == len(big)
        rows.append(m)
        if verbose:
            print(f"{key}: gt {m['n_gt']} pred {m['n_pred']} shape {m['shape_accuracy']} "
                  f"colour {m['color_accuracy']} material {m['material_accuracy']} "
                  f"gt_shapes {[g.shape for g in gt]} pred {[o.shape for o in est.objects]}")

    def mean(k):
        vals = [row[k] for row in rows if row[k] is not None]
        return float(np.mean(vals)) if vals else float("nan")

    summary = {
        "suite": suite, "n": n, "seed": seed, "size": f"{size[0]}x{size[1]}", "samples": samples,
        "analysis_size": analysis_size,
        "count_exact": float(np.mean([row["count_error"] == 0 for row in rows])),
        "count_exact_visible": float(np.mean([row["count_exact_visible"] for row in rows])),
        "shape_accuracy_matched": mean("shape_accuracy_matched"),
        "color_accuracy_matched": mean("color_accuracy_matched"),
        "material_accuracy_matched": mean("material_accuracy_matched"),
        "count_error_mean": mean("count_error"),
        "shape_accuracy": mean("shape_accuracy"), "color_accuracy": mean("color_accuracy"),
        "material_accuracy": mean("material_accuracy"), "size_accuracy": mean("size_accuracy"),
        "color_delta_e": mean("color_delta_e"), "position_error_rel": mean("position_error_rel"),
        "lens_error_mm": mean("lens_error_mm"), "pitch_error_deg": mean("pitch_error_deg"),
        "light_azimuth_error_deg": mean("light_azimuth_error_deg"),
        "light_azimuth_error_median_deg": float(np.median([row["light_azimuth_error_deg"] for row in rows
                                                           if row["light_azimuth_error_deg"] is not None]
                                                          or [float("nan")])),
        "light_elevation_error_deg": mean("light_elevation_error_deg"),
        "seconds_per_image": t_total / max(n, 1),
    }
    # Sets of 50-80 scenes are small: a few scenes move a rate by several points. The 95 % interval of each
    # per-scene rate (bootstrap over scenes, fixed seed) says how far a figure can be read.
    per_scene = {"count_exact": [float(row["count_error"] == 0) for row in rows],
                 "count_exact_visible": [float(row["count_exact_visible"]) for row in rows]}
    for k in ("shape_accuracy", "color_accuracy", "material_accuracy", "size_accuracy"):
        per_scene[k] = [row[k] for row in rows if row[k] is not None]
    summary["ci95"] = {k: scene_interval(v) for k, v in per_scene.items()}
    return {"summary": summary, "rows": rows}


def scene_interval(values: list[float], seed: int = 0) -> tuple[float, float] | None:
    """95 % percentile-bootstrap interval of the mean of per-scene values (None for fewer than 2 scenes)."""
    from scipy.stats import bootstrap

    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None
    if np.all(data == data[0]):  # no spread to resample
        return float(data[0]), float(data[0])
    res = bootstrap((data,), np.mean, confidence_level=0.95, n_resamples=4000, method="percentile",
                    random_state=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def add_scene_arguments(ap: argparse.ArgumentParser) -> None:
    """The options that pick the scenes and their renders (shared with perception_census.py)."""
    ap.add_argument("--suite", default="primitives")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", default="128x128")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "seig" / "bench_perception")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_scene_arguments(ap)
    ap.add_argument("--analysis-size", type=int, default=None,
                    help="resize each render (Lanczos, longer side) before perception, as the pipeline's "
                         "[search] perception_size does for a larger image")
    ap.add_argument("--json", type=Path, default=None, help="write per-scene rows and the summary here")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    result = run(args.suite, args.n, args.seed, (w, h), args.samples, args.cache, args.verbose, args.analysis_size)
    s = result["summary"]
    print(f"\nperception on {s['n']} '{s['suite']}' scenes (seeds {args.seed}..{args.seed + s['n'] - 1}, "
          f"{s['size']}, Cycles {s['samples']} spp"
          + (f", analysed at {args.analysis_size} px" if args.analysis_size else "") + "), before any search")
    print("| metric | value | 95 % interval (scenes resampled) | goal |\n|---|---|---|---|")
    goals = {"count_exact": ">= 0.90", "shape_accuracy": ">= 0.85", "color_accuracy": ">= 0.85",
             "material_accuracy": ">= 0.85"}
    for k in ("count_exact", "count_exact_visible", "shape_accuracy", "color_accuracy", "material_accuracy",
              "shape_accuracy_matched", "color_accuracy_matched", "material_accuracy_matched", "size_accuracy",
              "color_delta_e", "position_error_rel", "count_error_mean", "lens_error_mm", "pitch_error_deg",
              "light_azimuth_error_deg", "light_azimuth_error_median_deg", "light_elevation_error_deg",
              "seconds_per_image"):
        ci = s["ci95"].get(k)
        span = f"{ci[0]:.3f} - {ci[1]:.3f}" if ci else ""
        print(f"| {k} | {s[k]:.3f} | {span} | {goals.get(k, '')} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()

"""Ground-truth metrics of a reconstruction against a generated case (count, shape, colour, material, size,
position): the final program's objects, with image centres from its object-index pass rendered at the case's
size, matched to the true objects by ``scoring.scene_metrics``."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from scoring.scene_metrics import ObjectRecord, object_record, objects_from_summary, scene_metrics

GROUND_NAMES = ("ground",)


def program_shapes(program: str) -> dict[str, str]:
    """Object name -> shape from the dialect's ``add_object("name", "shape", ...)`` calls."""
    shapes: dict[str, str] = {}
    for node in ast.walk(ast.parse(program)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "add_object"
                and len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2])):
            shapes[str(node.args[0].value)] = str(node.args[1].value)
    return shapes


def truth_objects(scene: dict[str, Any]) -> list[ObjectRecord]:
    """The true objects of a generated case's scene.json, with their mask centroids."""
    records = []
    for o in scene["objects"]:
        centroid = (o.get("mask") or {}).get("centroid")
        records.append(object_record({"name": o["name"], "location": o["location"], "dimensions": o["dims"],
                                      "base_color": o["color"], "roughness": o["roughness"],
                                      "metallic": o["metallic"], "shape": o["shape"]},
                                     None if centroid is None else tuple(centroid)))
    return records


def predicted_objects(program: str, summary: dict[str, Any], index) -> list[ObjectRecord]:
    shapes = program_shapes(program)
    objects = [{**o, "shape": o.get("shape") or shapes.get(o["name"])} for o in summary.get("objects", [])]
    return objects_from_summary({**summary, "objects": objects}, index, exclude=GROUND_NAMES)


def truth_metrics(truth_path: Path, program: str, summary: dict[str, Any], pool) -> dict[str, Any]:
    """Render ``program``'s object-index pass at the case's size and compare its objects with the truth."""
    from render_pool import RenderJob, RenderSettings

    scene = json.loads(Path(truth_path).read_text())
    settings = RenderSettings(engine="WORKBENCH", width=int(scene["width"]), height=int(scene["height"]),
                              samples=1, seed=0, passes=("index",), timeout_s=120.0)
    result = pool.render([RenderJob(program=program, settings=settings, job_id="truth-index")])[0]
    if not result.ok:
        return {"error": f"index render failed: {result.failure}"}
    return scene_metrics(predicted_objects(program, result.summary or summary, result.index), truth_objects(scene))

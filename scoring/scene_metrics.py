"""Ground-truth metrics: compare a reconstructed scene's objects with the true ones.

Objects are matched one-to-one by the Hungarian method on their image-space centres
(``scipy.optimize.linear_sum_assignment``); attribute accuracies are counted over the ground-truth objects, so
a missing object counts as wrong. Positions are compared after a similarity alignment (Umeyama, via
``skimage.transform.SimilarityTransform``) of the matched predicted locations onto the true ones, because a
single image fixes a scene only up to scale and placement.

| metric | direction | range |
|---|---|---|
| ``count_error`` | lower is better | [0, inf) objects, abs(n_pred - n_gt) |
| ``shape_accuracy``, ``color_accuracy``, ``material_accuracy``, ``size_accuracy`` | higher is better | [0, 1] |
| ``color_delta_e`` | lower is better | [0, ~100] mean CIEDE2000 over matched pairs |
| ``position_error`` | lower is better | [0, inf) mean distance in ground-truth units, after alignment |
| ``position_error_rel`` | lower is better | [0, inf) position_error / RMS spread of the true objects |
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from scipy import ndimage
from scipy.optimize import linear_sum_assignment
from skimage.color import deltaE_ciede2000, xyz2lab
from skimage.color.colorconv import xyz_from_rgb
from skimage.transform import SimilarityTransform

from seig_search.errors import ScoringError

Vec3 = tuple[float, float, float]


class ObjectRecord(BaseModel):
    """One object as the metrics see it; colours are linear RGB, as in the scene summary."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    location: Vec3
    dimensions: Vec3 = (1.0, 1.0, 1.0)
    base_color: Vec3 = (0.8, 0.8, 0.8)
    roughness: float = 0.5
    metallic: float = 0.0
    shape: str | None = None
    centre_px: tuple[float, float] | None = None  # (x, y) in pixels, from the object's index mask


def object_record(d: dict[str, Any], centre_px: tuple[float, float] | None = None) -> ObjectRecord:
    """An ObjectRecord from a scene-summary object dict (material nested) or a flat dict."""
    mat = d.get("material") or {}
    flat = {**d, **{k: mat[k] for k in ("roughness", "metallic") if k in mat}}
    if "base_color" in mat:
        flat["base_color"] = tuple(mat["base_color"][:3])
    elif "base_color" in d:
        flat["base_color"] = tuple(d["base_color"][:3])
    if centre_px is not None:
        flat["centre_px"] = centre_px
    try:
        return ObjectRecord.model_validate(flat)
    except ValidationError as exc:
        raise ScoringError(f"object {d.get('name', '?')!r} is not a usable object record: {exc}") from exc


def image_centres(index: np.ndarray) -> dict[int, tuple[float, float]]:
    """(x, y) centroid in pixels of every non-zero label of an object-index pass."""
    idx = np.asarray(index).astype(np.int64)
    ids = np.unique(idx[idx > 0])
    if len(ids) == 0:
        return {}
    centres = ndimage.center_of_mass(np.ones(idx.shape), idx, ids)
    return {int(i): (float(c[1]), float(c[0])) for i, c in zip(ids, centres)}


def objects_from_summary(summary: dict[str, Any], index: np.ndarray | None = None,
                         exclude: Iterable[str] = ("ground",)) -> list[ObjectRecord]:
    """Mesh objects of a render summary, with image centres from its index pass (None when not visible)."""
    centres = image_centres(index) if index is not None else {}
    skip = set(exclude)
    return [object_record(o, centres.get(int(o.get("pass_index", 0))))
            for o in summary.get("objects", []) if o.get("type", "MESH") == "MESH" and o.get("name") not in skip]


def material_class(roughness: float, metallic: float) -> str:
    """CLEVR-style material: metal (metallic >= 0.5), else rubber (rough >= 0.5), else plastic."""
    if metallic >= 0.5:
        return "metal"
    return "rubber" if roughness >= 0.5 else "plastic"


def linear_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear-RGB colours, through XYZ (no transfer curve needed)."""
    return xyz2lab(np.asarray(rgb, dtype=np.float64).reshape(-1, 1, 3) @ xyz_from_rgb.T).reshape(-1, 3)


def match_objects(pred: list[ObjectRecord], gt: list[ObjectRecord],
                  max_px: float | None = None) -> list[tuple[int, int]]:
    """One-to-one (pred index, gt index) pairs minimising image-space centre distance; objects without a
    centre are never matched, nor pairs farther apart than ``max_px``."""
    pi = [i for i, o in enumerate(pred) if o.centre_px is not None]
    gi = [j for j, o in enumerate(gt) if o.centre_px is not None]
    if not pi or not gi:
        return []
    a = np.array([pred[i].centre_px for i in pi])
    b = np.array([gt[j].centre_px for j in gi])
    cost = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)
    rows, cols = linear_sum_assignment(cost)
    return [(pi[r], gi[c]) for r, c in zip(rows, cols) if max_px is None or cost[r, c] <= max_px]


def align(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, float, str]:
    """Map ``src`` points onto ``dst``: similarity (Umeyama) with >= 3 points, else translation only."""
    if len(src) >= 3:
        tf = SimilarityTransform.from_estimate(src, dst)
        if tf and np.all(np.isfinite(tf.params)) and tf.scale > 1e-9:
            return tf(src), float(tf.scale), "similarity"
    if len(src) == 0:
        return src, 1.0, "none"
    return src - src.mean(axis=0) + dst.mean(axis=0), 1.0, "translation"


def scene_metrics(pred: list[ObjectRecord], gt: list[ObjectRecord], max_px: float | None = None,
                  delta_e_max: float = 15.0, size_ratio_max: float = 1.25) -> dict[str, Any]:
    """Every ground-truth metric of ``pred`` against ``gt`` as a JSON-ready dict (None = undefined)."""
    pairs = match_objects(pred, gt, max_px)
    n_gt = len(gt)
    out: dict[str, Any] = {"n_pred": len(pred), "n_gt": n_gt, "count_error": abs(len(pred) - n_gt),
                           "matched": len(pairs)}
    if not pairs:
        acc = None if n_gt == 0 else 0.0
        out.update(shape_accuracy=acc, color_accuracy=acc, material_accuracy=acc, size_accuracy=acc,
                   color_delta_e=None, position_error=None, position_error_rel=None, alignment="none",
                   alignment_scale=None)
        return out
    P, G = [pred[i] for i, _ in pairs], [gt[j] for _, j in pairs]
    shape_ok = [p.shape is not None and p.shape == g.shape for p, g in zip(P, G)]
    de = deltaE_ciede2000(linear_to_lab(np.array([g.base_color for g in G])),
                          linear_to_lab(np.array([p.base_color for p in P])))
    mat_ok = [material_class(p.roughness, p.metallic) == material_class(g.roughness, g.metallic)
              for p, g in zip(P, G)]
    src = np.array([p.location for p in P], dtype=np.float64)
    dst = np.array([g.location for g in G], dtype=np.float64)
    moved, scale, how = align(src, dst)
    err = np.linalg.norm(moved - dst, axis=1)
    all_gt = np.array([g.location for g in gt], dtype=np.float64)
    spread = float(np.sqrt(((all_gt - all_gt.mean(axis=0)) ** 2).sum(axis=1).mean()))
    ratio = np.array([scale * max(p.dimensions) / max(max(g.dimensions), 1e-12) for p, g in zip(P, G)])
    size_ok = (ratio <= size_ratio_max) & (ratio >= 1.0 / size_ratio_max)
    out.update(
        shape_accuracy=sum(shape_ok) / n_gt,
        color_accuracy=float((de <= delta_e_max).sum()) / n_gt,
        material_accuracy=sum(mat_ok) / n_gt,
        size_accuracy=float(size_ok.sum()) / n_gt,
        color_delta_e=float(de.mean()),
        position_error=float(err.mean()),
        position_error_rel=float(err.mean() / spread) if spread > 1e-9 else None,
        alignment=how,
        alignment_scale=scale,
    )
    return out

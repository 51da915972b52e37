"""Known-answer cases for every benchmark metric: identical, shifted, recoloured, one object missing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring import ScoreConfig
from scoring.metrics import clip_similarity, flat_psnr, image_metrics, lpips, mask_iou, psnr, ssim
from scoring.scene_metrics import (ObjectRecord, image_centres, material_class, objects_from_summary,
                                   scene_metrics)
from seig_search.errors import ScoringError

RANDOM_WEIGHTS = ScoreConfig(neural="random-weights", clip_image_size=64)  # real architectures, random weights


def boxes_image(shift: int = 0, color=(0.8, 0.1, 0.1)) -> np.ndarray:
    img = np.full((64, 64, 3), 0.9, np.float32)
    img[16 + shift:40 + shift, 10:30] = color
    img[20:44, 36:56] = (0.1, 0.2, 0.8)
    return img


def test_psnr_known_values():
    a = boxes_image()
    assert psnr(a, a) == math.inf
    assert psnr(a, np.clip(a - 0.1, 0, 1)) == pytest.approx(20.0, abs=1e-4)  # MSE 0.01 -> 20 dB
    assert psnr(a, boxes_image(shift=4)) > psnr(a, boxes_image(shift=12))


def test_ssim_identical_shifted_recoloured():
    a = boxes_image()
    assert ssim(a, a) == pytest.approx(1.0)
    shifted, recoloured = ssim(a, boxes_image(shift=6)), ssim(a, boxes_image(color=(0.1, 0.8, 0.1)))
    assert shifted < 0.95 and recoloured < 0.95
    assert -1.0 <= min(shifted, recoloured)


def test_neural_metrics_known_answers_with_random_weights():
    a, b = boxes_image(), boxes_image(shift=8)
    assert lpips(a, a, RANDOM_WEIGHTS) == pytest.approx(0.0, abs=1e-6)
    assert lpips(a, b, RANDOM_WEIGHTS) > 0.0
    assert clip_similarity(a, a, RANDOM_WEIGHTS) == pytest.approx(1.0, abs=1e-5)
    assert clip_similarity(a, b, RANDOM_WEIGHTS) < 1.0


def test_neural_metrics_are_none_without_weights(tmp_path, monkeypatch):
    import huggingface_hub.constants as hc

    from scoring import models
    from scoring.models import LOOKUP_MODES

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path))
    models.clear_cache(LOOKUP_MODES)
    try:
        m = image_metrics(boxes_image(), boxes_image(), ScoreConfig(neural="auto"))
    finally:
        models.clear_cache(LOOKUP_MODES)
    assert m["lpips"] is None and m["clip"] is None and m["mask_iou"] is None
    assert m["psnr"] == math.inf and m["ssim"] == pytest.approx(1.0)


def test_mask_iou_known_values():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    assert mask_iou(a, b) == 1.0
    a[:, :4] = True
    b[:, 2:6] = True  # overlap 2 columns, union 6
    assert mask_iou(a, b) == pytest.approx(1 / 3)
    assert mask_iou(a, a) == 1.0 and mask_iou(a, ~a) == 0.0
    with pytest.raises(ScoringError):
        mask_iou(a, np.zeros((3, 3)))


def test_image_metrics_refuse_different_sizes():
    with pytest.raises(ScoringError):
        psnr(np.zeros((8, 8, 3)), np.zeros((9, 8, 3)))


def clevr_like() -> list[ObjectRecord]:
    specs = [("cube", (-1.0, 0.0, 0.5), (0.7, 0.05, 0.05), 0.9, 0.0, 1.0, (20.0, 30.0)),
             ("sphere", (1.0, 0.5, 0.35), (0.05, 0.1, 0.7), 0.2, 1.0, 0.7, (45.0, 28.0)),
             ("cylinder", (0.0, 1.5, 0.5), (0.1, 0.6, 0.1), 0.8, 0.0, 1.0, (32.0, 12.0)),
             ("cone", (0.5, -1.5, 0.5), (0.8, 0.7, 0.1), 0.3, 0.0, 1.0, (38.0, 50.0))]
    return [ObjectRecord(name=f"obj{i}", shape=s, location=loc, base_color=c, roughness=r, metallic=m,
                         dimensions=(d, d, d), centre_px=px) for i, (s, loc, c, r, m, d, px) in enumerate(specs)]


def test_scene_metrics_identical_scene_is_perfect():
    gt = clevr_like()
    m = scene_metrics(gt, gt)
    assert m["count_error"] == 0 and m["matched"] == 4
    for k in ("shape_accuracy", "color_accuracy", "material_accuracy", "size_accuracy"):
        assert m[k] == 1.0
    assert m["position_error"] == pytest.approx(0.0, abs=1e-9) and m["color_delta_e"] == pytest.approx(0.0)
    assert m["alignment"] == "similarity" and m["alignment_scale"] == pytest.approx(1.0)


def test_scene_metrics_one_object_missing():
    gt = clevr_like()
    m = scene_metrics(gt[:3], gt)
    assert m["count_error"] == 1 and m["matched"] == 3
    assert m["shape_accuracy"] == pytest.approx(0.75) and m["color_accuracy"] == pytest.approx(0.75)
    assert m["position_error"] == pytest.approx(0.0, abs=1e-9)


def test_scene_metrics_recoloured_reshaped_and_rematerialed():
    gt = clevr_like()
    pred = [o.model_copy(update={"base_color": (0.05, 0.6, 0.05)}) if i == 0 else o for i, o in enumerate(gt)]
    pred[1] = pred[1].model_copy(update={"shape": "cube", "metallic": 0.0})
    m = scene_metrics(pred, gt)
    assert m["color_accuracy"] == pytest.approx(0.75) and m["color_delta_e"] > 10
    assert m["shape_accuracy"] == pytest.approx(0.75) and m["material_accuracy"] == pytest.approx(0.75)
    assert material_class(0.9, 0.0) == "rubber" and material_class(0.1, 1.0) == "metal"


def test_positions_compared_after_similarity_alignment():
    gt = clevr_like()
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # 90 deg about z
    moved = [o.model_copy(update={"location": tuple(2.0 * rot @ np.array(o.location) + (3.0, -1.0, 0.2)),
                                  "dimensions": tuple(2.0 * np.array(o.dimensions))}) for o in gt]
    m = scene_metrics(moved, gt)
    assert m["position_error"] == pytest.approx(0.0, abs=1e-6)
    assert m["alignment_scale"] == pytest.approx(0.5) and m["size_accuracy"] == 1.0
    step = np.array([0.3, 0.0, 0.0])
    jittered = [o.model_copy(update={"location": tuple(np.array(o.location) + step * (i % 2))})
                for i, o in enumerate(gt)]
    assert scene_metrics(jittered, gt)["position_error"] > 0.05


def test_matching_uses_image_centres_not_list_order():
    gt = clevr_like()
    m = scene_metrics(list(reversed(gt)), gt)
    assert m["shape_accuracy"] == 1.0 and m["position_error"] == pytest.approx(0.0, abs=1e-9)
    far = scene_metrics([gt[0].model_copy(update={"centre_px": (60.0, 60.0)})], gt[:1], max_px=10.0)
    assert far["matched"] == 0 and far["shape_accuracy"] == 0.0 and far["position_error"] is None


def test_summary_objects_get_centres_from_the_index_pass():
    index = np.zeros((20, 30), np.int32)
    index[:] = 1  # ground
    index[2:6, 4:10] = 2  # centre x 6.5, y 3.5
    index[10:20, 20:30] = 3
    assert image_centres(index)[2] == pytest.approx((6.5, 3.5))
    summary = {"objects": [
        {"name": "ground", "type": "MESH", "pass_index": 1, "location": [0, 0, 0], "dimensions": [30, 30, 0]},
        {"name": "obj0", "type": "MESH", "pass_index": 2, "location": [1, 2, 0.5], "dimensions": [1, 1, 1],
         "shape": "cube", "material": {"base_color": [0.8, 0.1, 0.1, 1.0], "roughness": 0.4, "metallic": 0.0}},
        {"name": "obj1", "type": "MESH", "pass_index": 4, "location": [0, 0, 0], "dimensions": [1, 1, 1]},
        {"name": "key", "type": "LIGHT", "location": [0, 0, 5]}]}
    objs = objects_from_summary(summary, index)
    assert [o.name for o in objs] == ["obj0", "obj1"]
    assert objs[0].centre_px == pytest.approx((6.5, 3.5)) and objs[0].base_color == (0.8, 0.1, 0.1)
    assert objs[1].centre_px is None  # not visible: never matched
    with pytest.raises(ScoringError):
        objects_from_summary({"objects": [{"name": "x", "location": "here"}]})


def test_flat_psnr_is_the_mean_colour_reference():
    # Half black, half white: the mean colour is 0.5 grey everywhere, an error of 0.5 on every pixel -> 6.02 dB.
    image = np.zeros((8, 8, 3))
    image[:, 4:] = 1.0
    assert flat_psnr(image) == pytest.approx(20 * math.log10(2.0))
    # RGBA: a transparent image composited over white is flat white, so its own flat reference is exact.
    assert flat_psnr(np.zeros((4, 4, 4))) == math.inf
    assert image_metrics(image, image)["psnr_flat"] == pytest.approx(flat_psnr(image))

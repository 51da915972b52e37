"""Finding cases for bench/batch/tune: generated suites, NeRF-Synthetic layout, image folders, manifests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seig_search.errors import ConfigError
from seig_search.jobs.cases import discover, safe_id


def _png(path: Path, colour=(200, 30, 30), alpha: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.zeros((16, 16, 4 if alpha else 3), np.uint8)
    data[..., :3] = colour
    if alpha:
        data[..., 3] = 255
    Image.fromarray(data).save(path)
    return path


def test_image_folder_recursive_skips_depth_maps(tmp_path: Path) -> None:
    _png(tmp_path / "a.png")
    _png(tmp_path / "sub" / "b.png")
    _png(tmp_path / "sub" / "b-depth.png")
    (tmp_path / "notes.txt").write_text("not an image")
    kind, cases = discover(tmp_path)
    assert kind == "images"
    assert [c.id for c in cases] == ["a", "sub_b"]
    assert all(c.truth is None for c in cases)


def test_generated_suite_has_truth(tmp_path: Path) -> None:
    for case in ("00000", "00001"):
        _png(tmp_path / case / "image.png")
        (tmp_path / case / "scene.json").write_text("{}")
    (tmp_path / "index.json").write_text(json.dumps({"cases": [{"id": "00000", "dir": "00000"},
                                                               {"id": "00001", "dir": "00001"}]}))
    kind, cases = discover(tmp_path)
    assert kind == "generated"
    assert [c.id for c in cases] == ["00000", "00001"]
    assert cases[1].truth == tmp_path / "00001" / "scene.json"


def test_nerf_synthetic_layout_reports_the_view_camera(tmp_path: Path) -> None:
    scene = tmp_path / "lego"
    _png(scene / "r_0.png", alpha=True)
    _png(scene / "r_7.png", alpha=True)
    matrix = [[1, 0, 0, 0.5], [0, 1, 0, -3.0], [0, 0, 1, 2.0], [0, 0, 0, 1]]
    (scene / "transforms_test.json").write_text(json.dumps({
        "camera_angle_x": 0.6911112070083618,
        "frames": [{"file_path": "./test/r_0", "transform_matrix": matrix}]}))
    kind, cases = discover(tmp_path)
    assert kind == "nerf-synthetic"
    assert [c.id for c in cases] == ["lego_r_0", "lego_r_7"]
    assert cases[0].camera["fov_x_deg"] == pytest.approx(39.5978, abs=1e-3)
    assert cases[0].camera["location"] == [0.5, -3.0, 2.0]
    assert cases[1].camera is None  # a view without a frame entry has no camera to report


def test_manifests_text_and_json(tmp_path: Path) -> None:
    _png(tmp_path / "imgs" / "x.png")
    _png(tmp_path / "imgs" / "y.png")
    text = tmp_path / "list.txt"
    text.write_text("# two images\nimgs/x.png\n\nimgs/y.png\nimgs/x.png\n")
    kind, cases = discover(text)
    assert kind == "manifest"
    assert [c.id for c in cases] == ["x", "y", "x-2"]  # repeats get unique folder names
    assert cases[0].image == tmp_path / "imgs" / "x.png"
    js = tmp_path / "list.json"
    js.write_text(json.dumps([{"id": "first one", "image": str(tmp_path / "imgs" / "y.png")}, "imgs/x.png"]))
    _, cases = discover(js)
    assert [c.id for c in cases] == ["first_one", "x"]


@pytest.mark.parametrize("content, message", [("{not json", "not valid JSON"), ('{"a": 1}', "JSON list"),
                                              ('[{"id": "x"}]', "no image path")])
def test_bad_manifests_are_config_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        discover(path)


def test_missing_empty_and_limit(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        discover(tmp_path / "nope")
    with pytest.raises(ConfigError, match="no images"):
        discover(tmp_path)
    for name in "abc":
        _png(tmp_path / f"{name}.png")
    assert len(discover(tmp_path, limit=2)[1]) == 2
    with pytest.raises(ConfigError, match="--limit"):
        discover(tmp_path, limit=0)


def test_safe_id() -> None:
    assert safe_id("a/b c/../d.png") == "a_b_c_.._d.png"
    assert safe_id("///") == "case"

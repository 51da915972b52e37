"""`seig render`: outputs of a real render, orbit views of a reconstruction folder, clear error exits."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from conftest import build_test_program
from seig_search.cli.main import app

runner = CliRunner()


def seig(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def said(result, words: str) -> bool:
    """Whether the output contains `words`, ignoring where the console wrapped lines."""
    return "".join(words.split()) in "".join(result.output.split())


@pytest.fixture
def shared_pool(render_pool, monkeypatch):
    """Let the command render with the suite's pool instead of starting its own (one test keeps the real start)."""
    from seig_search.cli import render_cmd

    monkeypatch.setattr(render_cmd, "open_pool", lambda num_workers, ray_address: nullcontext(render_pool))
    return render_pool


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "scene.py"
    path.write_text(build_test_program())
    return path


def test_render_writes_every_pass_and_exports(render_pool, program, tmp_path):
    out = tmp_path / "out" / "shot.png"
    result = seig("render", program, "-o", out, "--engine", "WORKBENCH", "--size", "40x30",
                  "--passes", "color,index,depth", "--blend", "--glb")
    assert result.exit_code == 0, result.output
    image = np.asarray(Image.open(out))
    assert image.shape == (30, 40, 3) and image.dtype == np.uint8
    mask = np.asarray(Image.open(tmp_path / "out" / "shot_mask.png"))
    assert set(np.unique(mask)) == {0, 1, 2}
    depth = np.load(tmp_path / "out" / "shot_depth.npy")
    assert depth.shape == (30, 40) and np.isinf(depth[mask == 0]).all() and np.isfinite(depth[mask > 0]).all()
    assert (tmp_path / "out" / "shot.glb").read_bytes()[:4] == b"glTF"
    assert (tmp_path / "out" / "shot.blend").stat().st_size > 1000
    assert str(out) in result.output


def test_orbit_of_a_reconstruction_folder(shared_pool, tmp_path):
    from seig_search.program import CameraSpec, LightSpec, ObjectSpec, SceneSpec, render_program

    spec = SceneSpec(objects=[ObjectSpec(name="obj0", shape="cube", location=(0.0, 0.0, 0.5), color=(0.8, 0.2, 0.1))],
                     camera=CameraSpec(location=(6.0, -6.0, 4.0), look_at=(0.0, 0.0, 0.5)),
                     lights=[LightSpec(name="key")])
    folder = tmp_path / "recon"
    folder.mkdir()
    (folder / "scene.py").write_text(render_program(spec))
    result = seig("render", folder, "--orbit", "3", "--engine", "WORKBENCH", "--size", "24x24")
    assert result.exit_code == 0, result.output
    frames = [np.asarray(Image.open(folder / "orbit" / f"orbit_{k:03d}.png")) for k in range(3)]
    assert not np.array_equal(frames[0], frames[1])  # the camera moved
    gif = Image.open(folder / "orbit" / "orbit.gif")
    assert gif.n_frames == 3

    result = seig("render", folder, "--relight", "sunset", "--engine", "WORKBENCH", "--size", "24x24",
                  "--passes", "color")
    assert result.exit_code == 0, result.output
    assert (folder / "relight_sunset.png").is_file()
    result = seig("render", folder, "--relight", "noon")
    assert result.exit_code == 2 and said(result, "unknown relight preset")


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (None, 2, "no such file"),
        ("x = 1\ny = (\n", 4, ":2"),
        ("import os\nos.system('true')\n", 4, "policy"),
    ],
    ids=["missing", "syntax", "policy"],
)
def test_bad_programs_fail_before_rendering(tmp_path, content, code, words):
    path = tmp_path / "bad.py"
    if content is not None:
        path.write_text(content)
    result = seig("render", path, "-o", tmp_path / "x.png")
    assert result.exit_code == code, result.output
    assert said(result, words) and "Traceback" not in result.output
    assert not (tmp_path / "x.png").exists()


def test_bad_options_exit_2(program, tmp_path):
    for args in (["--size", "big"], ["--engine", "EEVEE"], ["--passes", "normals"], ["--orbit", "0"],
                 ["-o", tmp_path / "x.jpg"]):
        result = seig("render", program, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "error" in result.output


def test_runtime_error_and_timeout_exit_codes(shared_pool, tmp_path):
    raising = tmp_path / "raises.py"
    raising.write_text(build_test_program(extra="scene.objects['missing'].location.x = 1.0"))
    result = seig("render", raising, "-o", tmp_path / "r.png", "--engine", "WORKBENCH", "--size", "16x16",
                  "--workers", "1")
    assert result.exit_code == 4, result.output
    line = len(raising.read_text().splitlines())
    assert said(result, f"raises.py:{line}") and said(result, "KeyError")

    hang = tmp_path / "hang.py"
    hang.write_text("while True:\n    pass\n")
    result = seig("render", hang, "-o", tmp_path / "h.png", "--timeout", "1", "--workers", "1")
    assert result.exit_code == 5, result.output
    assert said(result, "no result within 1 s")

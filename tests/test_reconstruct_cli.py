"""`seig reconstruct` turns bad input into one clear line and an exit code (no worker is started)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from seig_search.cli.main import app

runner = CliRunner()


@pytest.fixture()
def good_png(tmp_path):
    path = tmp_path / "good.png"
    Image.fromarray(np.full((16, 16, 3), 120, np.uint8)).save(path)
    return path


def _invoke(*args):
    result = runner.invoke(app, ["reconstruct", *map(str, args)])
    text = result.output + (getattr(result, "stderr", "") or "")
    assert "Traceback" not in text
    return result.exit_code, text


def test_missing_image(tmp_path):
    code, text = _invoke(tmp_path / "nope.png", "--out", tmp_path / "out")
    assert code == 3 and "not found" in text


@pytest.mark.parametrize("content", [b"", b"hello, not an image\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00"])
def test_unreadable_images(tmp_path, content):
    (tmp_path / "bad.png").write_bytes(content)
    code, text = _invoke(tmp_path / "bad.png", "--out", tmp_path / "out")
    assert code == 3 and "error" in text


@pytest.mark.parametrize("args, message", [
    (["--method", "magic"], "search.method"),
    (["--budget", "12x"], "budget"),
    (["--preset", "turbo"], "unknown preset"),
    (["--size", "2"], "search.size"),
    (["--seed", "-3"], "seed"),
    (["--agent", "robot"], "--agent"),
    (["--record", "rec"], "--agent vlm"),
])
def test_bad_options_exit_2(tmp_path, good_png, args, message):
    code, text = _invoke(good_png, "--out", tmp_path / "out", *args)
    assert code == 2 and message in text


def test_resume_without_a_run(tmp_path, good_png):
    code, text = _invoke(good_png, "--out", tmp_path / "empty", "--resume")
    assert code == 8 and "nothing to resume" in text


def test_out_folder_holding_a_run_needs_resume(tmp_path, good_png):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "run.json").write_text(json.dumps({"format": 1}))
    code, text = _invoke(good_png, "--out", tmp_path / "out")
    assert code == 8 and "--resume" in text


def test_resume_with_another_image(tmp_path, good_png):
    from seig_search.config import config_to_dict, load_config
    from seig_search.search.outputs import file_sha256

    out = tmp_path / "out"
    out.mkdir()
    run = {"format": 1, "config": config_to_dict(load_config(preset="fast")), "args": {},
           "target_sha256": file_sha256(good_png)}
    (out / "run.json").write_text(json.dumps(run))
    other = tmp_path / "other.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(other)
    code, text = _invoke(other, "--out", out, "--resume")
    assert code == 8 and "not the image" in text


def test_vlm_agent_without_vlm_table_writes_nothing(tmp_path, good_png):
    code, text = _invoke(good_png, "--out", tmp_path / "out", "--preset", "fast", "--agent", "vlm")
    assert code == 2 and "vlm" in text
    assert not (tmp_path / "out").exists()  # fixing the config and running again needs no --resume

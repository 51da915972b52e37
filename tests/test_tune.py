"""`seig tune`: a small optuna study over per-stage budgets, resumed, its preset written and compared on
held-out images."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seig_search.config import validate_config

SEIG = str(Path(sys.executable).parent / "seig")


def _image(path: Path, colour: tuple[int, int, int], x: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.full((32, 32, 3), 210, np.uint8)
    img[20:] = 110
    img[10:22, x:x + 10] = colour
    Image.fromarray(img).save(path)


@pytest.mark.slow
def test_small_study_resumes_writes_a_preset_and_compares_on_held_out_images(tmp_path: Path) -> None:
    _image(tmp_path / "tune" / "a.png", (190, 40, 30), 6)
    _image(tmp_path / "held" / "b.png", (30, 60, 190), 14)
    out, presets = tmp_path / "study", tmp_path / "presets"
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    common = [SEIG, "tune", str(tmp_path / "tune"), "--out", str(out), "--preset", "fast", "--size", "32",
              "--budget", "6", "--seed", "1", "--preset-dir", str(presets), "--name", "small"]
    first = subprocess.run([*common, "--trials", "1"], capture_output=True, text=True, env=env, timeout=400)
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads((out / "tune.json").read_text())["trials"] == 1
    second = subprocess.run([*common, "--trials", "2", "--holdout", str(tmp_path / "held")], capture_output=True,
                            text=True, env=env, timeout=400)
    assert second.returncode == 0, second.stdout + second.stderr
    summary = json.loads((out / "tune.json").read_text())
    assert summary["trials"] == 2  # the study continued from SQLite rather than starting over
    assert (out / "study.db").is_file() and (out / "trials" / "0000" / "a" / "scene.py").is_file()
    assert (out / "trials" / "0001" / "a" / "scene.py").is_file()
    preset = presets / "small.toml"
    config = validate_config(tomllib.loads(preset.read_text()))
    best = summary["best_params"]
    stage = config.stages[0]
    assert (stage.beam, stage.per_survivor, stage.rounds) == (best[f"{stage.name}.beam"],
                                                               best[f"{stage.name}.per_survivor"],
                                                               best[f"{stage.name}.rounds"])
    assert config.search.initial == best["initial"]
    assert preset.read_text() == (out / "small.toml").read_text()
    held = summary["holdout"]
    assert held["cases"] == 1 and held["budget_renders"] == 6
    assert held["per_case"][0]["base"] is not None and held["per_case"][0]["tuned"] is not None
    assert (out / "study_history.png").is_file()


def test_bad_tune_options_exit_with_config_errors(tmp_path: Path) -> None:
    _image(tmp_path / "a.png", (190, 40, 30), 6)
    for extra, message in ((["--objective", "speed"], "--objective"), (["--trials", "0"], "--trials"),
                           (["--name", "fast"], "--name"), (["--budget", "ten"], "--budget")):
        run = subprocess.run([SEIG, "tune", str(tmp_path), "--out", str(tmp_path / "o"), *extra],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, (extra, run.stdout, run.stderr)
        assert message in run.stderr


@pytest.mark.parametrize("preset", ["fast", "default", "quality"])
def test_the_study_starts_from_the_base_config(preset: str) -> None:
    """Trial 0 is the base preset itself, so a study never ends below its starting point on the tuning cases."""
    import optuna

    from seig_search.config import load_config
    from seig_search.jobs.tune import base_params, sample_config

    base = load_config(None, preset, {})
    params = base_params(base)
    replayed = sample_config(optuna.trial.FixedTrial(params), base, base.total_renders())
    for stage, again in zip(base.stages, replayed["stages"]):
        assert (again["beam"], again["per_survivor"], again["rounds"]) == (stage.beam, stage.per_survivor,
                                                                           stage.rounds)
        assert again["render"]["engine"] == stage.render.engine
        assert again["render"].get("samples", 1) == stage.render.samples or stage.render.engine == "WORKBENCH"
    assert replayed["search"]["initial"] == base.search.initial


@pytest.mark.parametrize("preset", ["fast", "default", "quality"])
def test_the_second_trial_hands_a_quarter_of_the_rounds_to_a_joint_stage(preset: str) -> None:
    import optuna

    from seig_search.config import load_config
    from seig_search.jobs.tune import JOINT, joint_params, sample_config
    from seig_search.proposers.base import STAGES

    base = load_config(None, preset, {})
    params = joint_params(base)
    assert params is not None
    data = sample_config(optuna.trial.FixedTrial(params), base, base.total_renders())
    config = validate_config(data)
    *staged, joint = config.stages
    assert joint.name == JOINT and set(joint.sections) == set(STAGES) and joint.render.engine == "CYCLES"
    assert [s.name for s in staged] == [s.name for s in base.stages]
    for stage, before in zip(staged, base.stages):
        assert 1 <= stage.rounds < before.rounds or before.rounds == 1
    # the joint stage spends what the other stages gave up, no more
    assert config.total_renders() <= base.total_renders()
    assert config.total_renders() >= base.total_renders() - joint.beam * joint.per_survivor
    # a base that already ends in a joint stage is tuned as it is
    assert joint_params(config) is None

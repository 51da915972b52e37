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
    assert held["paired"]["n"] == 1 and held["paired"]["wins"] + held["paired"]["losses"] + held["paired"]["ties"] == 1
    assert held["other"] == "psnr" and held["per_case"][0]["base_psnr"] is not None
    assert held["paired_psnr"]["n"] == 1
    said = " ".join(second.stderr.split())  # the console wraps long lines
    assert "held-out cases (1)" in said and "tuned better on" in said and "on psnr: better on" in said
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
        assert (again["proposer"]["sampler"], again["proposer"]["step"]) == (stage.proposer.sampler,
                                                                             stage.proposer.step)
        assert again["proposer"]["edits"] == list(stage.proposer.edits) or \
            tuple(again["proposer"]["edits"]) == stage.proposer.edits
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


def test_paired_comparison_counts_wins_and_tests_the_differences() -> None:
    from scipy import stats

    from seig_search.jobs.paired import describe, paired_comparison

    base = [0.70, 0.72, 0.65, 0.80, 0.60, None]
    tuned = [0.71, 0.74, 0.65, 0.79, 0.64, 0.9]  # the last case failed under base: left out
    result = paired_comparison(base, tuned)
    assert (result["n"], result["wins"], result["losses"], result["ties"]) == (5, 3, 1, 1)
    assert result["mean_diff"] == pytest.approx((0.01 + 0.02 + 0.0 - 0.01 + 0.04) / 5)
    expected = stats.ttest_rel(tuned[:5], base[:5])
    assert result["t"] == pytest.approx(expected.statistic) and result["p_t"] == pytest.approx(expected.pvalue)
    assert 0.0 < result["p_wilcoxon"] <= 1.0
    assert describe(result).startswith("better on 3 of 5 (1 ties), mean +0.0120, paired t")
    same = paired_comparison([0.5, 0.5], [0.5, 0.5])
    assert same["ties"] == 2 and same["t"] is None and same["p_wilcoxon"] is None
    assert describe(paired_comparison([None], [0.4])) == "no case finished under both configs"


@pytest.mark.parametrize("preset", ["fast", "default"])
def test_the_third_trial_is_the_unstaged_method(preset: str) -> None:
    """Every stage left out (0 rounds) and its renders spent by one joint stage editing every section."""
    import optuna

    from seig_search.config import load_config
    from seig_search.jobs.tune import JOINT, sample_config, unstaged_params
    from seig_search.proposers.base import STAGES

    base = load_config(None, preset, {})
    params = unstaged_params(base)
    assert params is not None
    config = validate_config(sample_config(optuna.trial.FixedTrial(params), base, base.total_renders()))
    [joint] = config.stages
    assert joint.name == JOINT and set(joint.sections) == set(STAGES)
    assert (joint.beam, joint.per_survivor) == (base.stages[-1].beam, base.stages[-1].per_survivor)
    assert joint.render == base.stages[-1].render
    assert config.total_renders() == base.total_renders()  # the presets' stage budgets divide evenly


def test_a_trial_may_leave_out_a_stage_but_not_every_stage() -> None:
    import optuna

    from seig_search.config import load_config
    from seig_search.errors import ConfigError
    from seig_search.jobs.tune import JOINT, base_params, sample_config

    base = load_config(None, "fast", {})
    params = {**base_params(base), "composition.rounds": 0}
    config = validate_config(sample_config(optuna.trial.FixedTrial(params), base, base.total_renders()))
    assert [s.name for s in config.stages] == ["geometry", "materials", "lighting"]
    nothing = {**params, **{f"{s.name}.rounds": 0 for s in base.stages}, f"{JOINT}.rounds": 0}
    with pytest.raises(ConfigError, match="every stage"):
        sample_config(optuna.trial.FixedTrial(nothing), base, base.total_renders())

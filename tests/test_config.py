"""Search config: presets load, overrides apply, bad values become ConfigError with the key named."""

from __future__ import annotations

import pytest

from seig_search.config import PRESETS, config_to_dict, load_config, parse_budget, validate_config
from seig_search.errors import ConfigError


@pytest.mark.parametrize("preset", PRESETS)
def test_presets_load_and_round_trip(preset):
    config = load_config(preset=preset)
    assert [s.name for s in config.stages] == ["geometry", "composition", "materials", "lighting"]
    assert config.stages[0].render.engine == "WORKBENCH" and config.final.engine == "CYCLES"
    assert validate_config(config_to_dict(config)) == config


def test_fast_is_cheapest():
    totals = [load_config(preset=p).total_renders() for p in ("fast", "default", "quality")]
    assert totals == sorted(totals) and totals[0] < 200


def test_overrides_and_none_keeps_file_value():
    config = load_config(preset="fast", overrides={"method": "greedy", "seed": 7, "size": None})
    assert config.search.method == "greedy" and config.search.seed == 7
    assert config.search.size == load_config(preset="fast").search.size


@pytest.mark.parametrize("override, key", [
    ({"method": "bogus"}, "search.method"),
    ({"size": 3}, "search.size"),
    ({"seed": -1}, "search.seed"),
    ({"workers": 0}, "search.workers"),
    ({"perception_size": 4}, "search.perception_size"),
])
def test_bad_values_name_the_key(override, key):
    with pytest.raises(ConfigError, match=key) as info:
        load_config(preset="fast", overrides=override)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("score, key", [({"device": "gpu"}, "score.device"), ({"neural": "maybe"}, "score.neural"),
                                        ({"weights": {"lpips": -1}}, "score.weights.lpips")])
def test_bad_score_options_are_refused_with_the_config(score, key):
    data = config_to_dict(load_config(preset="fast"))
    with pytest.raises(ConfigError, match=key):
        validate_config({**data, "score": score})
    assert validate_config({**data, "score": {"device": "cuda:1"}}).score == {"device": "cuda:1"}


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "broken.toml").write_text("[search\nseed = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "broken.toml")
    (tmp_path / "typo.toml").write_text('[search]\nseeed = 1\n[[stages]]\nname = "g"\nsections = ["geometry"]\n')
    with pytest.raises(ConfigError, match="seeed"):
        load_config(tmp_path / "typo.toml")
    (tmp_path / "section.toml").write_text('[[stages]]\nname = "g"\nsections = ["shading"]\n')
    with pytest.raises(ConfigError, match="unknown sections"):
        load_config(tmp_path / "section.toml")
    with pytest.raises(ConfigError, match="unknown preset"):
        load_config(preset="turbo")
    with pytest.raises(ConfigError, match="either"):
        load_config(tmp_path / "typo.toml", preset="fast")


def test_minimal_file_gets_defaults(tmp_path):
    (tmp_path / "one.toml").write_text('[[stages]]\nname = "all"\nsections = ["materials", "lighting"]\n')
    config = load_config(tmp_path / "one.toml")
    assert config.search.method == "staged" and config.stages[0].beam >= 1


@pytest.mark.parametrize("text, expected", [("200", (200, None)), ("90s", (None, 90.0)), ("1.5s", (None, 1.5)),
                                            (None, (None, None))])
def test_budget_parsing(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize("text", ["0", "-5", "12x", "1.5", "s", "0s"])
def test_bad_budgets(text):
    with pytest.raises(ConfigError, match="budget"):
        parse_budget(text)


def test_the_shipped_tuned_preset_is_one_joint_stage_at_the_same_budget():
    """What the last study found: default's renders spent by one stage that edits every section at once."""
    from seig_search.config import available_presets
    from seig_search.proposers.base import STAGES

    assert "tuned" in available_presets()
    tuned, default = load_config(preset="tuned"), load_config(preset="default")
    [joint] = tuned.stages
    assert joint.name == "joint" and set(joint.sections) == set(STAGES)
    assert joint.render.engine == "CYCLES"
    assert tuned.total_renders() == default.total_renders()
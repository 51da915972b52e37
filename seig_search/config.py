"""Search configuration: stages and budgets as data, validated with pydantic at the edge.

A config is a TOML file (``configs/<preset>.toml`` or any path). :func:`load_config` reads it,
applies command-line overrides and returns a :class:`SearchConfig`; every problem becomes a
:class:`~seig_search.errors.ConfigError` naming the offending key.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from seig_search.errors import ConfigError
from seig_search.proposers.base import STAGES

METHODS: tuple[str, ...] = ("staged", "unstaged", "greedy", "oneshot")
PRESETS: tuple[str, ...] = ("fast", "default", "quality")
MAX_SIZE = 2048


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RenderConfig(_Strict):
    """How candidates of a stage are rendered (the size comes from ``search.size``)."""

    engine: Literal["CYCLES", "WORKBENCH"] = "CYCLES"
    samples: int = Field(8, ge=1, le=4096)
    denoise: bool = False
    timeout_s: float = Field(60.0, gt=0)

    def key(self) -> str:
        """Short identity of the setting: scores are only comparable under the same key."""
        return f"{self.engine.lower()}-{self.samples}{'-dn' if self.denoise else ''}"


class ProposerSettings(_Strict):
    """Settings of the embedded proposer for one stage."""

    sampler: Literal["cmaes", "tpe", "random"] = "tpe"  # cmaes: all literals jointly; tpe/random: a few at a time
    step: float = Field(1.0, gt=0, le=10.0)  # scales each literal's step size (0.25 m, 12 degrees, 0.08 colour, ...)
    edit_prob: float = Field(0.25, ge=0, le=1)  # share of candidates that are discrete edits
    edits: tuple[str, ...] = ("swap", "add", "drop", "split")

    @field_validator("edits")
    @classmethod
    def _known_edits(cls, edits: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(edits) - {"swap", "add", "drop", "split"})
        if unknown:
            raise ValueError(f"unknown edits {unknown}; known: swap, add, drop, split")
        return edits


class StageConfig(_Strict):
    """One stage of the search: which sections it edits and how hard it searches."""

    name: str
    sections: tuple[str, ...]
    beam: int = Field(2, ge=1, le=64)
    per_survivor: int = Field(6, ge=1, le=512)
    rounds: int = Field(3, ge=1, le=1000)
    restart_from_best: bool = True  # later rounds expand the best-so-far survivors, not only last round's
    patience: int = Field(0, ge=0, le=100)  # stop after this many rounds without improvement (0: never)
    render: RenderConfig = RenderConfig()
    proposer: ProposerSettings = ProposerSettings()
    weights: dict[str, float] = Field(default_factory=dict)  # score weights for this stage (scoring's terms)

    @field_validator("sections")
    @classmethod
    def _known_sections(cls, sections: tuple[str, ...]) -> tuple[str, ...]:
        if not sections:
            raise ValueError("a stage must edit at least one section")
        unknown = [s for s in sections if s not in STAGES]
        if unknown:
            raise ValueError(f"unknown sections {unknown}; known: {', '.join(STAGES)}")
        return sections

    def renders(self) -> int:
        """Upper bound of renders this stage asks for (before deduplication)."""
        return self.beam * self.per_survivor * self.rounds


class SearchSettings(_Strict):
    method: Literal["staged", "unstaged", "greedy", "oneshot"] = "staged"
    seed: int = Field(0, ge=0, lt=2**31)
    size: int = Field(128, ge=8, le=MAX_SIZE)  # working resolution: the longer side, in pixels
    # image analysis (the embedded proposer's first programs) reads the target at this size, whatever the
    # working size: its thresholds were set at 128 px (docs/perception.md)
    perception_size: int = Field(128, ge=16, le=MAX_SIZE)
    initial: int = Field(4, ge=1, le=64)  # first hypotheses rendered before the stages
    # the final pick replaces the first program only when it scores this much more under the final setting:
    # among a handful of finalists, the best of small gains is mostly the luckiest render (docs/search.md)
    first_guess_margin: float = Field(0.0, ge=0.0, le=1.0)
    workers: int = Field(2, ge=1, le=512)
    budget_renders: int | None = Field(None, ge=1)
    budget_seconds: float | None = Field(None, gt=0)
    background: tuple[float, float, float] = (1.0, 1.0, 1.0)  # RGBA targets are composited on this (sRGB)


class SearchConfig(_Strict):
    """The whole, resolved configuration of a reconstruction."""

    search: SearchSettings = SearchSettings()
    final: RenderConfig = RenderConfig(engine="CYCLES", samples=16)
    score: dict[str, Any] = Field(default_factory=dict)  # passed to the scorer's own config
    stages: tuple[StageConfig, ...]
    vlm: dict[str, Any] = Field(default_factory=dict)  # validated by seig_search.proposers.vlm

    @field_validator("score")
    @classmethod
    def _valid_score(cls, value: dict[str, Any]) -> dict[str, Any]:
        """Checked here, where the config enters, rather than when the first stage builds its scorer."""
        from scoring.config import ScoreConfig

        ScoreConfig.model_validate(value)
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> "SearchConfig":
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique, got {names}")
        if not self.stages:
            raise ValueError("at least one stage is needed")
        return self

    def total_renders(self) -> int:
        """Renders a staged run asks for with this config (initial hypotheses included)."""
        return self.search.initial + sum(s.renders() for s in self.stages)


def _format_validation(error: ValidationError, origin: str) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        parts.append(f"{where}: {item['msg']}")
    return f"invalid config {origin}: " + "; ".join(parts)


def available_presets() -> list[str]:
    """The bundled presets, then any other preset in configs/ (such as those ``seig tune`` writes)."""
    folder = Path(str(resources.files("configs")))
    extra = sorted(p.stem for p in folder.glob("*.toml") if p.stem not in PRESETS)
    return [*PRESETS, *extra]


def preset_path(name: str) -> Path:
    """Path of a preset in configs/ (``fast``, ``default``, ``quality``, or one ``seig tune`` wrote)."""
    known = available_presets()
    if name not in known:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(known)}")
    return Path(str(resources.files("configs").joinpath(f"{name}.toml")))


def read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None


def parse_budget(text: str | None) -> tuple[int | None, float | None]:
    """``"200"`` -> 200 renders; ``"90s"`` -> 90 seconds; None -> no budget."""
    if text is None or text == "":
        return None, None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s?)\s*", str(text))
    if not match:
        raise ConfigError(f"--budget must be a number of renders (e.g. 200) or seconds (e.g. 90s), got {text!r}")
    value, unit = match.groups()
    if unit == "s":
        if float(value) <= 0:
            raise ConfigError("--budget in seconds must be positive")
        return None, float(value)
    if "." in value or int(value) < 1:
        raise ConfigError(f"--budget in renders must be a positive whole number, got {text!r}")
    return int(value), None


def validate_config(data: dict[str, Any], origin: str = "") -> SearchConfig:
    try:
        return SearchConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_format_validation(error, origin)) from None


def load_config(
    path: Path | None = None,
    preset: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> SearchConfig:
    """Read a config file or preset (default preset: ``default``) and apply ``search`` overrides.

    ``overrides`` maps keys of the ``[search]`` table (method, seed, size, budget_renders, ...) to
    values; None values are ignored so that unset CLI options keep the file's values.
    """
    if path is not None and preset is not None:
        raise ConfigError("give either --config or --preset, not both")
    source = Path(path) if path is not None else preset_path(preset or "default")
    data = read_toml(source)
    search = dict(data.get("search", {}))
    for key, value in (overrides or {}).items():
        if value is not None:
            search[key] = value
    data["search"] = search
    return validate_config(data, origin=str(source))


def config_to_dict(config: SearchConfig) -> dict[str, Any]:
    """Plain JSON-able form (for run.json); :func:`validate_config` reads it back."""
    return config.model_dump(mode="json")

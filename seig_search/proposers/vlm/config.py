"""The VLM proposer's configuration: validated once, at the edge, from a plain dict."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from seig_search.errors import ConfigError


class Price(BaseModel):
    """Published price of one model, in US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input_per_mtok: float = Field(ge=0.0)
    output_per_mtok: float = Field(ge=0.0)
    cache_write_per_mtok: float | None = Field(default=None, ge=0.0)  # default: the input price
    cache_read_per_mtok: float | None = Field(default=None, ge=0.0)  # default: the input price


class VerifierConfig(BaseModel):
    """Optional per-stage visual check: approve, or a checklist fed into the next round's prompt."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    top_k: int = Field(default=1, ge=1, le=16)  # how many of a round's best candidates are checked
    max_items: int = Field(default=6, ge=1, le=30)  # checklist items kept for the prompt
    stages: list[str] | None = None  # stage names to check; None: every stage


class HybridConfig(BaseModel):
    """Share of each round handed to the embedded proposer, which polishes literals of the best programs."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    share: float = Field(default=0.5, ge=0.0, le=1.0)  # fraction of a round's candidates from the embedded proposer
    vlm_rounds: int = Field(default=1, ge=0)  # rounds per stage where the VLM proposes; later rounds only polish


class VLMConfig(BaseModel):
    """Everything the VLM proposer needs. The API key is read from ``api_key_env``, never stored or logged."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["openai", "anthropic"] = "openai"
    model: str = Field(min_length=1)
    base_url: str | None = None  # OpenAI-compatible servers: http://127.0.0.1:11434/v1 (Ollama), :8000/v1 (vLLM)
    api_key_env: str | None = None  # name of the environment variable holding the key
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    send_temperature: bool = True  # false: leave sampling to the server's defaults
    max_tokens: int = Field(default=2048, ge=64, le=65536)
    # OpenAI's reasoning models take `max_completion_tokens`; most OpenAI-compatible servers take `max_tokens`
    token_limit_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    candidates_per_call: int = Field(default=1, ge=1, le=16)  # OpenAI `n`; Anthropic always makes parallel calls
    concurrency: int = Field(default=4, ge=1, le=64)
    timeout_s: float = Field(default=120.0, gt=0.0)
    max_retries: int = Field(default=3, ge=0, le=20)
    backoff_s: float = Field(default=2.0, ge=0.0)  # first retry delay; doubles each attempt, plus seeded jitter
    backoff_max_s: float = Field(default=60.0, ge=0.0)
    max_reply_chars: int = Field(default=40000, ge=200)  # longer replies are rejected as oversized
    max_repairs: int = Field(default=1, ge=0, le=5)  # repair turns per candidate (syntax, policy, Blender error)
    image_side: int = Field(default=384, ge=32, le=2048)  # images are resized so their longest side is this
    send_seed: bool = True  # OpenAI `seed` (ignored by servers that do not support it)
    prompt_cache: bool = True  # Anthropic: cache the system prompt and the target image between calls
    prices: dict[str, Price] = Field(default_factory=dict)  # model name -> price, for cost estimates
    verifier: VerifierConfig = Field(default_factory=VerifierConfig)
    hybrid: HybridConfig = Field(default_factory=HybridConfig)
    extra_body: dict[str, Any] = Field(default_factory=dict)  # passed through to the server as-is

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _backoff(self) -> "VLMConfig":
        if self.backoff_max_s < self.backoff_s:
            raise ValueError("backoff_max_s must be at least backoff_s")
        return self

    def api_key(self) -> str:
        """The key from the environment; local servers accept any placeholder."""
        if self.api_key_env is None:
            return "not-needed"
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ConfigError(f"vlm: environment variable {self.api_key_env} is not set (it should hold the API key)")
        return value

    def price(self) -> Price | None:
        return self.prices.get(self.model)


def parse_vlm_config(raw: dict[str, Any] | None) -> VLMConfig:
    """Validate a plain dict (from a config file or the CLI) into a VLMConfig, or raise ConfigError."""
    if not raw:
        raise ConfigError("the VLM agent needs a `vlm` table in the config file with at least `model` "
                          "(and `base_url` for a local server); see docs/vlm.md")
    if not isinstance(raw, dict):
        raise ConfigError(f"vlm: configuration must be a mapping, got {type(raw).__name__}")
    try:
        return VLMConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'vlm'}: {item['msg']}" for item in error.errors()
        )
        raise ConfigError(f"vlm config: {problems}") from None

"""Network backends through the official SDKs; each sends one Request and returns one Reply or raises.

Retries are not done here (the SDKs' own retries are switched off): the client retries, so that every fault
is counted and logged by kind.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from seig_search.proposers.vlm.config import VLMConfig
from seig_search.proposers.vlm.messages import Reply, Request, to_anthropic, to_openai


class Backend(Protocol):
    name: str
    max_n: int  # most completions one call can return

    def send(self, request: Request) -> Reply: ...

    def params(self) -> dict[str, Any]:
        """The sampling parameters that, with the request, decide the reply (part of the replay key)."""
        ...


def sampling_params(config: VLMConfig) -> dict[str, Any]:
    """What, besides the request, decides a reply; part of every record's key so replays match exactly."""
    return {
        "backend": config.backend,
        "model": config.model,
        "temperature": config.temperature if config.send_temperature else None,
        "max_tokens": config.max_tokens,
    }


def max_n(config: VLMConfig) -> int:
    return config.candidates_per_call if config.backend == "openai" else 1


class OpenAIBackend:
    """Chat Completions on any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp, LM Studio)."""

    name = "openai"

    def __init__(self, config: VLMConfig) -> None:
        import openai  # imported here so that a replayed run needs no SDK setup

        self._config = config
        self.max_n = config.candidates_per_call
        self._client = openai.OpenAI(
            api_key=config.api_key(), base_url=config.base_url, timeout=config.timeout_s, max_retries=0
        )

    def params(self) -> dict[str, Any]:
        return sampling_params(self._config)

    def send(self, request: Request) -> Reply:
        c = self._config
        kwargs: dict[str, Any] = {"model": c.model, "messages": to_openai(request), c.token_limit_param: c.max_tokens}
        if request.n > 1:
            kwargs["n"] = request.n
        if c.send_temperature:
            kwargs["temperature"] = c.temperature
        if c.send_seed:
            kwargs["seed"] = request.seed
        if c.extra_body:
            kwargs["extra_body"] = dict(c.extra_body)
        start = time.perf_counter()
        response = self._client.chat.completions.create(**kwargs)
        latency = time.perf_counter() - start
        texts = [(choice.message.content or "") for choice in (response.choices or []) if choice.message is not None]
        usage = response.usage
        return Reply(
            texts=texts,
            input_tokens=getattr(usage, "prompt_tokens", None),
            output_tokens=getattr(usage, "completion_tokens", None),
            latency_s=latency,
            meta={"model": response.model, "finish": [c.finish_reason for c in (response.choices or [])]},
        )


class AnthropicBackend:
    """The Messages API (Anthropic, or a compatible server at ``base_url``); one completion per call."""

    name = "anthropic"
    max_n = 1

    def __init__(self, config: VLMConfig) -> None:
        import anthropic

        self._config = config
        kwargs: dict[str, Any] = {"api_key": config.api_key(), "timeout": config.timeout_s, "max_retries": 0}
        if config.base_url:
            kwargs["base_url"] = config.base_url
        self._client = anthropic.Anthropic(**kwargs)

    def params(self) -> dict[str, Any]:
        return sampling_params(self._config)

    def send(self, request: Request) -> Reply:
        c = self._config
        extra = dict(c.extra_body)
        if c.send_temperature:
            extra.setdefault("temperature", c.temperature)
        system, messages = to_anthropic(request, cache=c.prompt_cache)
        start = time.perf_counter()
        response = self._client.messages.create(
            model=c.model, max_tokens=c.max_tokens, system=system, messages=messages, extra_body=extra or None,
        )
        latency = time.perf_counter() - start
        text = "".join(getattr(block, "text", "") for block in (response.content or []) if block.type == "text")
        usage = response.usage
        return Reply(
            texts=[text],
            input_tokens=getattr(usage, "input_tokens", None),
            output_tokens=getattr(usage, "output_tokens", None),
            cache_write_tokens=int(getattr(usage, "cache_creation_input_tokens", None) or 0),
            cache_read_tokens=int(getattr(usage, "cache_read_input_tokens", None) or 0),
            latency_s=latency,
            meta={"model": response.model, "finish": [response.stop_reason]},
        )


def make_backend(config: VLMConfig) -> Backend:
    if config.backend == "anthropic":
        return AnthropicBackend(config)
    return OpenAIBackend(config)

"""A backend-neutral chat request: text and PNG images in turns, turned into each SDK's wire format."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class ImagePart:
    """One PNG image in a turn; ``label`` is the caption written just before it."""

    png: bytes
    label: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()

    def b64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")


Part = str | ImagePart


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Request:
    """One chat call. ``n`` completions are asked for (backends that cannot do n>1 get n=1 requests)."""

    system: str
    turns: tuple[Turn, ...]
    label: str  # what the call is for: "initial/c0", "geometry/r1/s0/c2", "repair/...", "verify/..."
    n: int = 1
    seed: int = 0

    def images(self) -> list[ImagePart]:
        return [p for t in self.turns for p in t.parts if isinstance(p, ImagePart)]

    def canonical(self, params: dict[str, Any]) -> dict[str, Any]:
        """JSON-able form with images replaced by their hashes (for records and replay keys)."""
        turns = [
            {
                "role": t.role,
                "parts": [
                    {"image": p.sha256, "label": p.label} if isinstance(p, ImagePart) else {"text": p}
                    for p in t.parts
                ],
            }
            for t in self.turns
        ]
        return {"system": self.system, "turns": turns, "n": self.n, "seed": self.seed, "params": params}

    def key(self, params: dict[str, Any]) -> str:
        text = json.dumps(self.canonical(params), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Reply:
    """What came back from one call: the completions' texts and the usage the server reported."""

    texts: list[str]
    input_tokens: int | None = None  # uncached input (Anthropic) or all input (OpenAI)
    output_tokens: int | None = None
    latency_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    cache_write_tokens: int = 0  # Anthropic prompt caching: input written to / read from the cache
    cache_read_tokens: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "texts": self.texts,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "latency_s": self.latency_s,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Reply":
        return cls(
            texts=[str(t) for t in data.get("texts", [])],
            input_tokens=data.get("input_tokens"),
            output_tokens=data.get("output_tokens"),
            latency_s=float(data.get("latency_s", 0.0)),
            meta=dict(data.get("meta", {})),
            cache_write_tokens=int(data.get("cache_write_tokens") or 0),
            cache_read_tokens=int(data.get("cache_read_tokens") or 0),
        )


def _text_with_label(part: ImagePart) -> list[str]:
    return [part.label] if part.label else []


def to_openai(request: Request) -> list[dict[str, Any]]:
    """Chat Completions messages; images as base64 data URLs (what vLLM, Ollama and llama.cpp accept)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}]
    for turn in request.turns:
        if turn.role == "assistant":
            messages.append({"role": "assistant", "content": "".join(p for p in turn.parts if isinstance(p, str))})
            continue
        content: list[dict[str, Any]] = []
        for part in turn.parts:
            if isinstance(part, ImagePart):
                content.extend({"type": "text", "text": label} for label in _text_with_label(part))
                url = "data:image/png;base64," + part.b64()
                content.append({"type": "image_url", "image_url": {"url": url}})
            else:
                content.append({"type": "text", "text": part})
        messages.append({"role": "user", "content": content})
    return messages


def to_anthropic(request: Request, cache: bool = False) -> tuple[Any, list[dict[str, Any]]]:
    """(system, messages) for the Messages API. With ``cache``, the system prompt and the first image (the
    target, the same in every call of a run) end cacheable prefixes, so later calls read them from the cache."""
    ephemeral = {"type": "ephemeral"}
    system: Any = [{"type": "text", "text": request.system, "cache_control": ephemeral}] if cache else request.system
    messages: list[dict[str, Any]] = []
    marked = not cache
    for turn in request.turns:
        content: list[dict[str, Any]] = []
        for part in turn.parts:
            if isinstance(part, ImagePart):
                content.extend({"type": "text", "text": label} for label in _text_with_label(part))
                source = {"type": "base64", "media_type": "image/png", "data": part.b64()}
                block: dict[str, Any] = {"type": "image", "source": source}
                if not marked:
                    block["cache_control"] = ephemeral
                    marked = True
                content.append(block)
            else:
                content.append({"type": "text", "text": part})
        messages.append({"role": turn.role, "content": content})
    return system, messages

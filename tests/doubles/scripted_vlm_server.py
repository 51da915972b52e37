"""Test double: a scripted OpenAI-compatible or Anthropic-compatible chat server on 127.0.0.1.

It speaks just enough of each wire format for the official SDKs, records every request it receives, and
answers from a script: a callable ``(body, call_index) -> Action``. Actions: ``Say`` (reply texts), ``Fail``
(an HTTP error status such as 429 or 500), ``Stall`` (sleep before answering, to trip client timeouts).
Token counts are estimates: text characters / 4, images by the providers' published formulas.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from PIL import Image


@dataclass
class Say:
    texts: list[str]


@dataclass
class Fail:
    status: int
    retry_after: float | None = None


@dataclass
class Stall:
    seconds: float
    then: Any = None  # the action after the pause (default: an empty reply)


Action = Say | Fail | Stall
Script = Callable[[dict[str, Any], int], Action]


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any]


def decode_images(body: dict[str, Any]) -> list[Image.Image]:
    """Every image in a request (either wire format), decoded; raises if one is not a valid PNG."""
    found = []
    for message in body.get("messages", []):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            data = None
            if part.get("type") == "image_url":
                url = part["image_url"]["url"]
                assert url.startswith("data:image/png;base64,"), url[:40]
                data = url.split(",", 1)[1]
            elif part.get("type") == "image":
                assert part["source"]["media_type"] == "image/png"
                data = part["source"]["data"]
            if data is not None:
                image = Image.open(io.BytesIO(base64.b64decode(data)))
                image.load()
                found.append(image)
    return found


def texts_of(body: dict[str, Any]) -> str:
    """All text a request carries (system prompt included), joined."""
    out = []
    system = body.get("system")
    if isinstance(system, str):
        out.append(system)
    elif isinstance(system, list):
        out.extend(block.get("text", "") for block in system)
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(p.get("text", "") for p in content if p.get("type") == "text")
    return "\n".join(out)


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


def sections_asked(body: dict[str, Any]) -> list[str]:
    """The section names the last user turn asks for (`def geometry():` ...)."""
    return re.findall(r"`def (\w+)\(\):`", last_user_text(body))


def _image_tokens(image: Image.Image, kind: str) -> int:
    width, height = float(image.size[0]), float(image.size[1])
    if kind == "anthropic":  # published estimate: long edge capped at 1568 px, then width * height / 750
        f = min(1.0, 1568.0 / max(width, height))
        return max(1, round(width * f * height * f / 750))
    # OpenAI high detail: fit in 2048x2048, shortest side down to 768, then 85 + 170 per 512-pixel tile
    f = min(1.0, 2048.0 / max(width, height))
    width, height = width * f, height * f
    if min(width, height) > 768:
        g = 768.0 / min(width, height)
        width, height = width * g, height * g
    return 85 + 170 * math.ceil(round(width) / 512) * math.ceil(round(height) / 512)


def estimate_input_tokens(body: dict[str, Any], kind: str) -> int:
    return len(texts_of(body)) // 4 + sum(_image_tokens(i, kind) for i in decode_images(body))


def cached_prefix(body: dict[str, Any]) -> dict[str, Any] | None:
    """The request up to its last `cache_control` mark (Anthropic prompt caching), as a request body."""
    system = body.get("system")
    marked_system = isinstance(system, list) and any("cache_control" in b for b in system)
    first = (body.get("messages") or [{}])[0]
    content = first.get("content") if isinstance(first.get("content"), list) else []
    marks = [i for i, block in enumerate(content) if "cache_control" in block]
    if marks:
        return {"system": system, "messages": [{"role": "user", "content": content[: marks[-1] + 1]}]}
    return {"system": system, "messages": []} if marked_system else None


class ScriptedVLMServer:
    """``with ScriptedVLMServer("openai", script) as server:`` then point the client at ``server.base_url``."""

    def __init__(self, kind: str, script: Script) -> None:
        assert kind in ("openai", "anthropic")
        self.kind = kind
        self.script = script
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._cache: set[str] = set()  # prefixes an Anthropic-compatible server has cached
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1" if self.kind == "openai" else f"http://{host}:{port}"

    def __enter__(self) -> "ScriptedVLMServer":
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with double._lock:
                    index = len(double.received)
                    double.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                action = double.script(body, index)
                while isinstance(action, Stall):
                    time.sleep(action.seconds)
                    action = action.then if action.then is not None else Say([""])
                if isinstance(action, Fail):
                    self._send(action.status, {"error": {"message": f"scripted {action.status}", "type": "error"}},
                               action.retry_after)
                    return
                self._send(200, double._reply(body, action.texts))

            def _send(self, status: int, payload: dict[str, Any], retry_after: float | None = None) -> None:
                data = json.dumps(payload).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    if retry_after is not None:
                        self.send_header("retry-after", str(retry_after))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _reply(self, body: dict[str, Any], texts: list[str]) -> dict[str, Any]:
        prompt = estimate_input_tokens(body, self.kind)
        outputs = [max(1, len(t) // 4) for t in texts]
        if self.kind == "anthropic":
            usage = {"input_tokens": prompt, "output_tokens": outputs[0] if outputs else 0,
                     "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
            prefix = cached_prefix(body)
            if prefix is not None:
                cached = estimate_input_tokens(prefix, self.kind)
                key = json.dumps(prefix, sort_keys=True)
                with self._lock:
                    hit = key in self._cache
                    self._cache.add(key)
                usage["cache_read_input_tokens" if hit else "cache_creation_input_tokens"] = cached
                usage["input_tokens"] = prompt - cached
            return {
                "id": "msg_scripted", "type": "message", "role": "assistant", "model": body.get("model", "scripted"),
                "content": [{"type": "text", "text": texts[0] if texts else ""}],
                "stop_reason": "end_turn", "stop_sequence": None, "usage": usage,
            }
        return {
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": body.get("model", "scripted"),
            "choices": [
                {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
                for i, t in enumerate(texts)
            ],
            "usage": {"prompt_tokens": prompt, "completion_tokens": sum(outputs),
                      "total_tokens": prompt + sum(outputs)},
        }


def free_port() -> int:
    """A port nothing listens on (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

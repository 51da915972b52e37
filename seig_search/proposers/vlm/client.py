"""Calls with retries and backoff, fault counting, usage accounting and recording; never raises on a fault."""

from __future__ import annotations

import logging
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from seig_search.proposers.vlm.backends import Backend
from seig_search.proposers.vlm.config import VLMConfig
from seig_search.proposers.vlm.messages import Reply, Request
from seig_search.proposers.vlm.recording import CallFault, Recorder

log = logging.getLogger(__name__)

RETRYABLE = frozenset({"timeout", "connection", "rate_limit", "server"})


def classify(error: BaseException) -> tuple[str, float | None]:
    """(fault kind, server-suggested delay in seconds or None) for an exception raised by a backend."""
    if isinstance(error, CallFault):
        return error.kind, None
    # only an SDK that is loaded can have raised; importing the other one would cost a second
    sdks = [sys.modules[name] for name in ("openai", "anthropic") if name in sys.modules]

    def among(attr: str) -> tuple[type, ...]:
        return tuple(getattr(sdk, attr) for sdk in sdks)

    if isinstance(error, among("APITimeoutError")):
        return "timeout", None
    if isinstance(error, among("APIConnectionError")):
        return "connection", None
    if isinstance(error, among("APIStatusError")):
        status = int(getattr(error, "status_code", 0))
        delay = _retry_after(error)
        if status == 429:
            return "rate_limit", delay
        if status >= 500 or status == 408:
            return "server", delay
        return f"http_{status}", None
    if isinstance(error, among("APIError")):
        return "bad_response", None
    return "client_error", None


def _retry_after(error: Any) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class UsageMeter:
    """Totals over all calls: tokens, latency, estimated cost, faults by kind (thread-safe)."""

    def __init__(self, config: VLMConfig) -> None:
        self._price = config.price()
        self._lock = threading.Lock()
        self.calls = 0
        self.ok_calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.latency_s = 0.0
        self.usage_reported = 0
        self.cache_write_tokens = 0
        self.cache_read_tokens = 0
        self.faults: Counter[str] = Counter()

    def add_reply(self, reply: Reply) -> None:
        with self._lock:
            self.calls += 1
            self.ok_calls += 1
            self.latency_s += reply.latency_s
            if reply.input_tokens is not None or reply.output_tokens is not None:
                self.usage_reported += 1
                self.input_tokens += int(reply.input_tokens or 0)
                self.output_tokens += int(reply.output_tokens or 0)
            self.cache_write_tokens += reply.cache_write_tokens
            self.cache_read_tokens += reply.cache_read_tokens

    def add_fault(self, kind: str, final: bool) -> None:
        with self._lock:
            self.faults[kind] += 1
            if final:
                self.calls += 1

    def count(self, kind: str) -> None:
        """A fault found in a reply (no code, syntax, policy, Blender error...)."""
        with self._lock:
            self.faults[kind] += 1

    def cost_usd(self) -> float | None:
        price = self._price
        if price is None:
            return None
        write = price.input_per_mtok if price.cache_write_per_mtok is None else price.cache_write_per_mtok
        read = price.input_per_mtok if price.cache_read_per_mtok is None else price.cache_read_per_mtok
        return (self.input_tokens * price.input_per_mtok + self.output_tokens * price.output_per_mtok
                + self.cache_write_tokens * write + self.cache_read_tokens * read) / 1e6

    def totals(self) -> dict[str, Any]:
        with self._lock:
            cost = self.cost_usd()
            return {
                "calls": self.calls,
                "ok_calls": self.ok_calls,
                "calls_with_usage": self.usage_reported,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cache_write_tokens": self.cache_write_tokens,
                "cache_read_tokens": self.cache_read_tokens,
                "latency_s": round(self.latency_s, 4),
                "cost_usd_estimate": None if cost is None else round(cost, 6),
                "faults": dict(sorted(self.faults.items())),
            }


class VLMClient:
    """Sends requests through a backend, retrying retryable faults with exponential backoff."""

    def __init__(self, backend: Backend, config: VLMConfig, recorder: Recorder | None = None) -> None:
        self.backend = backend
        self.config = config
        self.recorder = recorder
        self.usage = UsageMeter(config)
        self.sleep = time.sleep
        # a replayed fault is the recorded final outcome, retries included: never retry it
        self.replaying = bool(getattr(backend, "replaying", False))

    @property
    def max_n(self) -> int:
        return self.backend.max_n

    def call(self, request: Request) -> Reply | None:
        """One logical call; None when it produced nothing (the fault is counted and logged)."""
        params = self.backend.params()
        key = request.key(params)
        rng = random.Random(key)  # jitter seeded by the request, so reruns wait the same
        attempts = 0
        while True:
            attempts += 1
            try:
                reply = self.backend.send(request)
            except Exception as error:  # every backend failure is a counted fault, never the end of the run
                kind, suggested = classify(error)
                retry = kind in RETRYABLE and attempts <= self.config.max_retries and not self.replaying
                self.usage.add_fault(kind, final=not retry)
                if not retry:
                    log.warning("vlm call %s failed after %d attempt(s): %s", request.label, attempts, kind)
                    self._record(request, params, key, None, CallFault(kind, _short(error)), attempts)
                    return None
                delay = self.config.backoff_s * (2 ** (attempts - 1)) * (1.0 + 0.25 * rng.random())
                if suggested is not None:
                    delay = max(delay, suggested)
                delay = min(delay, self.config.backoff_max_s)
                log.info("vlm call %s: %s, retry %d in %.2fs", request.label, kind, attempts, delay)
                self.sleep(delay)
                continue
            self.usage.add_reply(reply)
            if not reply.meta.get("reused"):
                self._record(request, params, key, reply, None, attempts)
            return reply

    def call_many(self, requests: list[Request]) -> list[Reply | None]:
        """Calls in parallel (up to ``concurrency``); results in request order."""
        if not requests:
            return []
        if len(requests) == 1 or self.config.concurrency == 1:
            return [self.call(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.config.concurrency, len(requests))) as pool:
            return list(pool.map(self.call, requests))

    def _record(self, request: Request, params: dict[str, Any], key: str, reply: Reply | None,
                fault: CallFault | None, attempts: int) -> None:
        if self.recorder is not None:
            self.recorder.write(request, params, key, reply, fault, attempts)


def _short(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 300 else text[:300] + "..."

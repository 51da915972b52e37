"""Beam bookkeeping: ranking, deduplication, survivors, best-so-far, derived seeds."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

from seig_search.proposers.base import Candidate


def derive_seed(seed: int, *parts: object) -> int:
    """A seed for one random choice, derived from the run seed and where it is made (stage, round, ...).

    Derived seeds do not depend on anything that happened before, so a resumed run draws the same numbers.
    """
    text = "/".join([str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF


def program_hash(source: str) -> str:
    """The identity of a program: sha256 of its exact source (as ``SceneProgram.hash``)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def rank_key(candidate: Candidate) -> tuple[float, str]:
    """Sort key: best score first, ties broken by hash so that ranking is deterministic."""
    score = candidate.score if math.isfinite(candidate.score) else -math.inf
    return (-score, candidate.hash)


def top_k(candidates: Iterable[Candidate], k: int) -> list[Candidate]:
    """The ``k`` best successful candidates, one per program hash."""
    seen: set[str] = set()
    best: list[Candidate] = []
    for candidate in sorted(candidates, key=rank_key):
        if not candidate.ok or not math.isfinite(candidate.score) or candidate.hash in seen:
            continue
        seen.add(candidate.hash)
        best.append(candidate)
        if len(best) == k:
            break
    return best


def dedupe_sources(sources: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Keep the first of each (hash, source) pair, in order."""
    seen: set[str] = set()
    out = []
    for digest, source in sources:
        if digest not in seen:
            seen.add(digest)
            out.append((digest, source))
    return out

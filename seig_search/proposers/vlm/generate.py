"""From conversations to checked candidate programs: sample, extract, splice, check, repair within a bound."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace

from seig_search.proposers.vlm import prompts
from seig_search.proposers.vlm.client import VLMClient
from seig_search.proposers.vlm.extract import ExtractionError, extract_sections
from seig_search.proposers.vlm.messages import Request, Turn
from seig_search.proposers.vlm.programs import ProgramOps, Problem

log = logging.getLogger(__name__)

REPAIRABLE = frozenset({"syntax", "missing_section", "dialect", "policy", "blender"})


def derive_seed(seed: int, label: str) -> int:
    """A per-call seed that depends on the run's seed and what the call is for, not on call order."""
    digest = hashlib.sha256(f"{seed}:{label}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Conversation:
    """A chat that yields candidates for ``sections``; ``base`` is the program they are spliced into."""

    system: str
    turns: tuple[Turn, ...]
    sections: tuple[str, ...]
    label: str
    parent: str | None = None
    base: str | None = None  # None: the reply must hold all four sections (a first program)
    repairs: int = 0
    note: str = "vlm"

    def with_repair(self, reply: str, problem: Problem, label: str) -> "Conversation":
        text = prompts.render(
            "vlm_repair.md.j2", error=problem.message, where=problem.where, line=problem.line,
            sections=list(self.sections),
        )
        turns = self.turns + (Turn("assistant", (reply,)), Turn("user", (text,)))
        return replace(self, turns=turns, label=label, repairs=self.repairs + 1, note="vlm repair")


@dataclass(frozen=True)
class Produced:
    program: str
    conversation: Conversation  # the prompt side; ``reply`` is the assistant turn that wrote the program
    reply: str
    label: str


def program_key(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


class Generator:
    def __init__(self, client: VLMClient, ops: ProgramOps) -> None:
        self.client = client
        self.ops = ops
        self.config = client.config
        self.n_honoured = True  # false once the server answered n>1 with fewer completions (Ollama, llama.cpp)

    def _requests(self, conv: Conversation, count: int, seed: int) -> list[Request]:
        requests = []
        per_call = max(1, self.client.max_n) if self.n_honoured else 1
        calls = -(-count // per_call)
        for i in range(calls):
            n = min(per_call, count - i * per_call)
            turns = conv.turns
            if i > 0:  # parallel samples of one prompt: nudge apart servers that ignore seed
                nudge = prompts.render("vlm_variation.md.j2", index=i + 1)
                last = turns[-1]
                turns = turns[:-1] + (Turn(last.role, last.parts + (nudge,)),)
            label = f"{conv.label}/c{i}"
            requests.append(Request(conv.system, turns, label=label, n=n, seed=derive_seed(seed, label)))
        return requests

    def run(self, jobs: list[tuple[Conversation, int]], seed: int) -> list[Produced]:
        """``count`` candidates per conversation, with repair turns for fixable failures; faults are counted."""
        produced: list[Produced] = []
        pending = [(conv, count) for conv, count in jobs if count > 0]
        while pending:
            owners: list[Conversation] = []
            requests: list[Request] = []
            for conv, count in pending:
                for request in self._requests(conv, count, seed):
                    owners.append(conv)
                    requests.append(request)
            replies = self.client.call_many(requests)
            pending = []
            for conv, request, reply in zip(owners, requests, replies):
                if reply is None:
                    continue
                if len(reply.texts) < request.n:
                    self.client.usage.count("fewer_choices")
                    if reply.texts and self.n_honoured:
                        # the server ignores n: ask for the rest one completion per call, now and from now on
                        log.warning("vlm: the server returned %d of %d completions; asking one per call from now on",
                                    len(reply.texts), request.n)
                        self.n_honoured = False
                    if not self.n_honoured and request.n > 1:
                        more = replace(conv, label=f"{request.label}/more")
                        pending.append((more, request.n - len(reply.texts)))
                for t, text in enumerate(reply.texts[: request.n]):
                    label = f"{request.label}/t{t}"
                    outcome = self._candidate(conv, text)
                    if isinstance(outcome, str):
                        produced.append(Produced(outcome, conv, text, label))
                        continue
                    self.client.usage.count(outcome.kind)
                    log.info("vlm candidate %s rejected: %s: %s", label, outcome.kind, outcome.message[:200])
                    if outcome.kind in REPAIRABLE and conv.repairs < self.config.max_repairs:
                        pending.append((conv.with_repair(text, outcome, f"{label}/fix"), 1))
        return produced

    def _candidate(self, conv: Conversation, text: str) -> str | Problem:
        """The checked program text, or the problem that stops it."""
        try:
            extracted = extract_sections(text, conv.sections, self.config.max_reply_chars)
        except ExtractionError as error:
            where = "in your reply" if error.kind in {"syntax", "missing_section"} else ""
            return Problem(error.kind, error.message, error.line, where)
        try:
            program = (
                self.ops.assemble(extracted.bodies) if conv.base is None
                else self.ops.splice(conv.base, extracted.bodies)
            )
        except Problem as problem:
            return problem
        if program == conv.base:
            return Problem("unchanged", "the reply repeats the current section")
        problem = self.ops.check(program)
        return program if problem is None else problem

"""VLMProposer: a vision-language model writes and revises the scene program, one stage's sections at a time."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from seig_search.errors import ProgramError, VLMError
from seig_search.proposers.base import STAGES, Candidate, Proposal, StageContext, TargetImage
from seig_search.proposers.vlm import images, prompts
from seig_search.proposers.vlm.client import VLMClient
from seig_search.proposers.vlm.generate import Conversation, Generator, Produced, derive_seed, program_key
from seig_search.proposers.vlm.messages import Request, Turn
from seig_search.proposers.vlm.programs import Problem, ProgramOps, quote_line
from seig_search.proposers.vlm.verifier import parse_verdict

log = logging.getLogger(__name__)

# Render failures a repair turn can fix; a sandbox failure is the machine's problem, not the program's.
REPAIRABLE_FAILURES = frozenset({"program", "syntax", "policy", "timeout", "memory", "crash"})


class VLMProposer:
    """Implements the Proposer protocol with a VLM; faults are counted, never raised (except for no first program)."""

    name = "vlm"

    def __init__(self, client: VLMClient, ops: ProgramOps | None = None, dialect: str | None = None) -> None:
        self.client = client
        self.config = client.config
        self.ops = ops or ProgramOps()
        self.generator = Generator(client, self.ops)
        self.system = prompts.render("vlm_system.md.j2", dialect=dialect or prompts.dialect_reference())
        self._lineage: dict[str, Produced] = {}  # program key -> how it was written (for Blender repairs)
        self._repairs: dict[str, list[tuple[Produced, Problem]]] = defaultdict(list)  # stage -> pending
        self._checklists: dict[str, list[str]] = {}  # program key -> verifier's differences
        self.stats: dict[str, int] = defaultdict(int)
        self._seed = 0

    # ---- Proposer protocol ----

    def initial(self, target: TargetImage, n: int, seed: int) -> list[Proposal]:
        self._seed = seed
        width, height = target.size
        text = prompts.render("vlm_initial.md.j2", width=width, height=height)
        # the first program is written from the sharper perception-size view when the search works smaller
        parts = (images.target_part(target.for_analysis()[0], self.config.image_side), text)
        conv = Conversation(self.system, (Turn("user", parts),), STAGES, label="initial")
        produced = self.generator.run([(conv, n)], seed)
        proposals = self._accept(produced)
        if not proposals:
            faults = self.client.usage.totals()["faults"]
            listed = ", ".join(f"{kind} x{count}" for kind, count in faults.items()) or "none"
            hint = ""
            if any(kind in faults for kind in ("http_401", "http_403")):
                hint = " (the server refused the key: check api_key_env)"
            elif "http_404" in faults:
                hint = " (the server does not know this model or URL: check model and base_url)"
            elif "connection" in faults:
                hint = " (nothing answered at base_url: is the server running?)"
            raise VLMError(f"the VLM gave no usable first program in {n} attempt(s); faults: {listed}{hint}")
        return proposals

    def propose(
        self, ctx: StageContext, survivors: list[Candidate], n_per_survivor: int, seed: int
    ) -> list[Proposal]:
        sections = tuple(s for s in ctx.sections if s in STAGES) or STAGES
        self._seed = seed
        budget = n_per_survivor * len(survivors)
        if budget <= 0:
            return []
        pending = self._repairs.pop(ctx.stage, [])[: max(1, budget // 2)]
        live = {program_key(s.program) for s in survivors}
        self._checklists = {k: v for k, v in self._checklists.items() if k in live}
        self._lineage = {}
        jobs: list[tuple[Conversation, int]] = [
            (produced.conversation.with_repair(produced.reply, problem, f"{produced.label}/fix"), 1)
            for produced, problem in pending
        ]
        self.stats["blender_repairs_sent"] += len(jobs)
        fresh = budget - len(jobs)
        for j, survivor in enumerate(survivors):
            count = fresh // len(survivors) + (1 if j < fresh % len(survivors) else 0)
            conv = self._stage_conversation(ctx, sections, survivor, j)
            if conv is not None and count > 0:
                jobs.append((conv, count))
        proposals = self._accept(self.generator.run(jobs, seed))
        if not proposals:
            log.warning("vlm: no usable candidate for %s round %d; the survivors stay", ctx.stage, ctx.round)
        return proposals

    def observe(self, ctx: StageContext, scored: list[Candidate]) -> None:
        for candidate in scored:
            produced = self._lineage.get(program_key(candidate.program))
            if produced is None:
                continue  # not written by this proposer
            if candidate.failure is None:
                self.stats["rendered"] += 1
                continue
            kind = str(candidate.failure.get("kind", ""))
            self.client.usage.count("blender" if kind in ("program", "syntax") else f"render_{kind or 'failed'}")
            if kind in REPAIRABLE_FAILURES and produced.conversation.repairs < self.config.max_repairs:
                self._repairs[ctx.stage].append((produced, self._blender_problem(candidate)))
        verifier = self.config.verifier
        if verifier.enabled and (verifier.stages is None or ctx.stage in verifier.stages):
            self._verify(ctx, scored)

    # ---- extras ----

    def usage_totals(self) -> dict[str, Any]:
        """Tokens, latency, estimated cost and faults over the run, for metrics.json."""
        totals = self.client.usage.totals()
        totals.update({"backend": self.config.backend, "model": self.config.model, **dict(self.stats)})
        if hasattr(self.client.backend, "reused"):
            totals["reused_from_recording"] = self.client.backend.reused
        return totals

    def checklist(self, program: str) -> list[str] | None:
        return self._checklists.get(program_key(program))

    # ---- internals ----

    def _accept(self, produced: list[Produced]) -> list[Proposal]:
        proposals, seen = [], set()
        for item in produced:
            key = program_key(item.program)
            if key in seen:
                self.client.usage.count("duplicate")
                continue
            seen.add(key)
            self._lineage[key] = item
            proposals.append(
                Proposal(item.program, item.conversation.parent, item.conversation.note,
                         {"vlm_label": item.label, "vlm_repairs": item.conversation.repairs})
            )
        self.stats["candidates"] += len(proposals)
        return proposals

    def _stage_conversation(
        self, ctx: StageContext, sections: tuple[str, ...], survivor: Candidate, j: int
    ) -> Conversation | None:
        try:
            current = self.ops.sections(survivor.program)
        except ProgramError as error:
            log.warning("vlm: survivor %s is not a dialect program (%s); skipped", survivor.hash[:12], error)
            return None
        text = prompts.render(
            "vlm_stage.md.j2", stage=ctx.stage, round=ctx.round, goal=prompts.goal(ctx.stage)["goal"],
            sections=list(sections), program=prompts.marked_program(current, sections),
            score=survivor.score if survivor.score > float("-inf") else None,
            checklist=self._checklists.get(program_key(survivor.program), []),
        )
        side = self.config.image_side
        parts: list[Any] = [images.target_part(ctx.target.srgb, side)]
        if survivor.srgb is not None:
            parts.extend(images.render_parts(ctx.target.srgb, survivor.srgb, side))
        parts.append(text)
        return Conversation(
            self.system, (Turn("user", tuple(parts)),), sections,
            label=f"{ctx.stage}/r{ctx.round}/s{j}", parent=survivor.hash, base=survivor.program,
        )

    def _blender_problem(self, candidate: Candidate) -> Problem:
        failure = candidate.failure or {}
        line = failure.get("line")
        message = str(failure.get("message", "the render failed"))[:2000]
        quoted = quote_line(candidate.program, line if isinstance(line, int) else None)
        if quoted:
            message += f"\n    at: {quoted}"
        return Problem("blender", message, None, f"when Blender ran it: {failure.get('kind', 'error')}")

    def _verify(self, ctx: StageContext, scored: list[Candidate]) -> None:
        ok = sorted((c for c in scored if c.ok and c.srgb is not None), key=lambda c: c.score, reverse=True)
        chosen = ok[: self.config.verifier.top_k]
        if not chosen:
            return
        side = self.config.image_side
        goal = prompts.goal(ctx.stage)
        system = prompts.render("vlm_verify_system.md.j2")
        text = prompts.render("vlm_verify.md.j2", stage=ctx.stage, goal_short=goal["short"],
                              max_items=self.config.verifier.max_items)
        requests = []
        for k, candidate in enumerate(chosen):
            parts = (images.target_part(ctx.target.srgb, side),
                     *images.render_parts(ctx.target.srgb, candidate.srgb, side), text)
            label = f"verify/{ctx.stage}/r{ctx.round}/k{k}"
            requests.append(Request(system, (Turn("user", parts),), label=label, n=1, seed=derive_seed(self._seed, label)))
        for candidate, reply in zip(chosen, self.client.call_many(requests)):
            if reply is None or not reply.texts:
                continue
            verdict = parse_verdict(reply.texts[0], self.config.verifier.max_items)
            if verdict is None:
                self.client.usage.count("verifier_unparsed")
                continue
            self.stats["verifier_approved" if not verdict else "verifier_checklists"] += 1
            self._checklists[program_key(candidate.program)] = verdict

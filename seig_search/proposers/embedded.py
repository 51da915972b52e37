"""The embedded proposer: no model, no network.

First programs come from image analysis (``seig_search.perception.initial_specs``: several ranked
hypotheses). Later candidates come from two sources, mixed per the stage's settings:

- literal sampling: optuna (CMA-ES by default, or TPE, or random) over the numeric literals of the
  stage's sections, through ask/tell (see :mod:`seig_search.proposers.literal_sampler`);
- discrete edits: swap an object's primitive, add, drop or split an object
  (:mod:`seig_search.proposers.edits`), used only in stages that edit the sections an edit touches.

Everything is deterministic for a given seed and sequence of scores, so a resumed search, which feeds the
same scores back, rebuilds the same proposer state.
"""

from __future__ import annotations

import random
from typing import Any

from seig_search.errors import ProgramError, ProposerError
from seig_search.program import SceneProgram, render_program
from seig_search.proposers.base import Candidate, Proposal, StageContext, TargetImage
from seig_search.proposers.edits import EDIT_SECTIONS, EDITS
from seig_search.proposers.literal_sampler import LiteralStudy, find_section_literals
from seig_search.search.beam import derive_seed, program_hash


class EmbeddedProposer:
    """Perception for first programs; optuna literal sampling and discrete edits afterwards."""

    name = "embedded"

    def __init__(self, initial_specs=None) -> None:
        self._initial_specs = initial_specs  # injectable for tests; default: seig_search.perception
        self._studies: dict[str, LiteralStudy | None] = {}
        self._origin: dict[str, str] = {}  # program hash -> key of the study that produced it
        self._pending: dict[str, list[tuple[str, int]]] = {}  # program hash -> [(study key, trial number)]
        self._literals: dict[str, dict] = {}  # program hash -> its literals by id (finding them parses)

    # -- first programs -------------------------------------------------------------------------------
    def initial(self, target: TargetImage, n: int, seed: int) -> list[Proposal]:
        specs_fn = self._initial_specs
        if specs_fn is None:
            from seig_search.perception import initial_specs as specs_fn
        specs = specs_fn(target, n, seed)
        if not specs:
            raise ProposerError("image analysis produced no scene hypothesis")
        return [Proposal(program=render_program(spec), parent=None, note=f"perception hypothesis {i}")
                for i, spec in enumerate(specs[:n])]

    # -- later candidates -----------------------------------------------------------------------------
    def _literals_of(self, survivor: Candidate) -> dict:
        if survivor.hash not in self._literals:
            self._literals[survivor.hash] = {lit.id: lit for lit in find_section_literals(survivor.program)}
        return self._literals[survivor.hash]

    def _study_for(self, ctx: StageContext, survivor: Candidate, seed: int) -> LiteralStudy | None:
        origin = self._origin.get(survivor.hash)
        if origin is not None and origin.startswith(f"{ctx.stage}:") and self._studies.get(origin) is not None:
            return self._studies[origin]
        key = f"{ctx.stage}:{survivor.hash[:16]}"
        if key not in self._studies:
            settings = ctx.settings
            self._studies[key] = LiteralStudy.create(
                key, survivor.program, ctx.sections, settings.get("sampler", "cmaes"),
                float(settings.get("step", 1.0)), derive_seed(seed, "study", survivor.hash), survivor.score)
        return self._studies[key]

    def _edits_for(self, ctx: StageContext) -> list[str]:
        wanted = ctx.settings.get("edits", tuple(EDITS))
        return [e for e in wanted if all(s in ctx.sections for s in EDIT_SECTIONS[e])]

    def propose(self, ctx: StageContext, survivors: list[Candidate], n_per_survivor: int,
                seed: int) -> list[Proposal]:
        rng = random.Random(seed)
        edit_prob = float(ctx.settings.get("edit_prob", 0.25))
        edits = self._edits_for(ctx)
        proposals: list[Proposal] = []
        for survivor in survivors:
            try:
                program = SceneProgram.from_source(survivor.program)
            except ProgramError:
                continue  # a survivor outside the dialect can only be kept, not edited
            study = self._study_for(ctx, survivor, seed)
            for _ in range(n_per_survivor):
                use_edit = bool(edits) and (study is None or rng.random() < edit_prob)
                if use_edit:
                    edited = EDITS[rng.choice(edits)](program, rng)
                    if edited is not None:
                        new, note = edited
                        proposals.append(Proposal(program=new.source, parent=survivor.hash, note=note))
                        continue
                if study is None:
                    continue
                number, source = study.ask(survivor.program, self._literals_of(survivor))
                digest = program_hash(source)
                self._pending.setdefault(digest, []).append((study.key, number))
                self._origin.setdefault(digest, study.key)
                proposals.append(Proposal(program=source, parent=survivor.hash, note=f"literals ({ctx.stage})",
                                          meta={"study": study.key, "trial": number}))
        return proposals

    def observe(self, ctx: StageContext, scored: list[Candidate]) -> None:
        for candidate in scored:
            for key, number in self._pending.pop(candidate.hash, []):
                study = self._studies.get(key)
                if study is not None:
                    study.tell(number, candidate.score)
        for study in self._studies.values():
            if study is not None:
                study.abandon_pending()
        self._pending.clear()

    def state(self) -> dict[str, Any]:
        """A small description for run.json: which studies exist and how many trials each has."""
        return {key: (0 if s is None else len(s.study.trials)) for key, s in self._studies.items()}

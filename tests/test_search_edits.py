"""Discrete program edits and the literal sampler: valid programs, deterministic for a seed."""

from __future__ import annotations

import random

import numpy as np
import pytest

from seig_search.program import LightSpec, ObjectSpec, SceneProgram, SceneSpec, render_program
from seig_search.program.literals import find_literals
from seig_search.proposers.base import Candidate, StageContext, TargetImage
from seig_search.proposers.edits import EDITS, objects
from seig_search.proposers.embedded import EmbeddedProposer
from seig_search.proposers.literal_sampler import find_section_literals
from seig_search.search.beam import program_hash

SPEC = SceneSpec(objects=[ObjectSpec(name="obj0", shape="cube", location=(0.0, 0.0, 0.5)),
                          ObjectSpec(name="obj1", shape="sphere", dims=(2.0, 1.0, 1.0), location=(1.0, 1.0, 0.5),
                                     rotation_deg=(0.0, 0.0, 90.0))],
                 lights=[LightSpec(name="key")])
PROGRAM = SceneProgram.from_spec(SPEC)


@pytest.mark.parametrize("name", sorted(EDITS))
def test_each_edit_gives_a_valid_program(name):
    result = EDITS[name](PROGRAM, random.Random(3))
    assert result is not None
    edited, note = result
    assert edited.source != PROGRAM.source and note
    SceneProgram.from_source(edited.source)  # parses, four sections
    names = objects(edited)
    assert len(set(names)) == len(names)
    # every object that is created also gets a material and a placement (and nothing names a missing one)
    for section in ("materials", "composition"):
        body = edited.section(section)
        for obj in names:
            assert f'"{obj}"' in body


def test_edits_counts_and_determinism():
    assert len(objects(EDITS["add"](PROGRAM, random.Random(0))[0])) == 3
    assert len(objects(EDITS["split"](PROGRAM, random.Random(0))[0])) == 3
    assert len(objects(EDITS["drop"](PROGRAM, random.Random(0))[0])) == 1
    assert EDITS["swap"](PROGRAM, random.Random(5))[0].source == EDITS["swap"](PROGRAM, random.Random(5))[0].source
    single = SceneProgram.from_spec(SceneSpec(objects=[ObjectSpec(name="a", shape="cube")]))
    assert EDITS["drop"](single, random.Random(0)) is None  # never drops the last object


def test_fast_literal_lookup_matches_the_dialect():
    source = render_program(SPEC)
    assert find_section_literals(source) == find_literals(source)


def test_proposer_edits_only_the_stage_sections_and_is_deterministic():
    source = render_program(SPEC)
    survivor = Candidate(program=source, hash=program_hash(source), stage="initial", round=0, score=0.5)
    target = TargetImage(srgb=np.zeros((8, 8, 3), np.float32))
    ctx = StageContext(stage="materials", sections=("materials",), round=0, target=target,
                       settings={"sampler": "tpe", "edit_prob": 0.3})
    runs = []
    for _ in range(2):
        proposer = EmbeddedProposer(initial_specs=lambda t, n, seed: [SPEC])
        runs.append([p.program for p in proposer.propose(ctx, [survivor], 6, seed=11)])
    assert runs[0] == runs[1] and len(runs[0]) == 6
    original = SceneProgram.from_source(source)
    changed = 0
    for text in runs[0]:
        program = SceneProgram.from_source(text)
        changed += program.section("materials") != original.section("materials")
        for other in ("geometry", "composition", "lighting"):
            assert program.section(other) == original.section(other)
    assert changed >= 5  # a move smaller than the written decimals may leave the text as it was

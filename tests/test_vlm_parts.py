"""The VLM proposer's parts without a server: config validation, reply parsing, images, prompts, hybrid split."""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from PIL import Image

from doubles.vlm_scripts import GOOD
from seig_search.errors import ConfigError, VLMError
from seig_search.program import SceneProgram
from seig_search.proposers.base import Candidate, Proposal, StageContext, TargetImage
from seig_search.proposers.vlm import build_vlm_proposer, parse_vlm_config
from seig_search.proposers.vlm.extract import ExtractionError, extract_sections
from seig_search.proposers.vlm.hybrid import HybridProposer
from seig_search.proposers.vlm.images import render_parts
from seig_search.proposers.vlm.prompts import dialect_reference, helper_signatures, render
from seig_search.proposers.vlm.verifier import parse_verdict


@pytest.mark.parametrize("raw,message", [
    (None, "at least `model`"),
    ({}, "`vlm` table"),
    ({"model": "m", "temperature": 5}, "temperature"),
    ({"model": "m", "backend": "gemini"}, "backend"),
    ({"model": "m", "base_url": "localhost:8000"}, "base_url"),
    ({"model": "m", "candidates_per_call": 0}, "candidates_per_call"),
    ({"model": "m", "colour": 1}, "colour"),
    ({"model": "m", "backoff_s": 5, "backoff_max_s": 1}, "backoff_max_s"),
])
def test_bad_configs_are_config_errors(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_vlm_config(raw)


def test_missing_api_key_is_a_config_error_naming_the_variable(monkeypatch):
    monkeypatch.delenv("SEIG_TEST_ABSENT_KEY", raising=False)
    with pytest.raises(ConfigError, match="SEIG_TEST_ABSENT_KEY"):
        build_vlm_proposer({"model": "m", "api_key_env": "SEIG_TEST_ABSENT_KEY"})
    with pytest.raises(ConfigError, match="no calls/ folder"):
        build_vlm_proposer({"model": "m"}, replay_dir=__import__("pathlib").Path("/nonexistent-replay"))


def test_extraction_takes_only_the_asked_functions_and_keeps_comments():
    reply = (
        "I moved things around.\n```python\nimport bpy\n\ndef geometry():\n    # the red cube\n"
        "    add_object('obj0', 'cube', dims=(1, 1, 2))\n\n    add_object('obj1', 'sphere')\n\n"
        "def helper():\n    pass\n```\nand also\n```bash\nrm -rf /\n```"
    )
    extracted = extract_sections(reply, ("geometry",), 10_000)
    assert extracted.bodies == {
        "geometry": "# the red cube\nadd_object('obj0', 'cube', dims=(1, 1, 2))\n\nadd_object('obj1', 'sphere')\n"
    }
    one_line = extract_sections("```py\ndef lighting(): set_world(strength=2.0)\n```", ("lighting",), 1000)
    assert one_line.bodies["lighting"] == "set_world(strength=2.0)\n"
    unfenced = extract_sections("Sure. def materials():\n    pass\n", ("materials",), 1000)
    assert unfenced.bodies["materials"] == "pass\n"
    thinking = extract_sections("<think>draft:\n```python\ndef lighting():\n    oops(\n```\n</think>\n"
                                "```python\ndef lighting():\n    set_world()\n```", ("lighting",), 1000)
    assert thinking.bodies["lighting"] == "set_world()\n"


@pytest.mark.parametrize("reply,kind,repairable", [
    ("   \n", "empty", False),
    ("The scene has a cube.", "no_code", False),
    ("```rust\nfn geometry() {}\n```", "wrong_language", False),
    ("```\nconst geometry = () => { return 1; };\n```", "wrong_language", False),
    ("```python\ndef geometry():\n    add_object('a', 'cube'\n```", "syntax", True),
    ("```python\ndef materials():\n    pass\n```", "missing_section", True),
    ("x" * 501, "oversized", False),
    ("<think>the cube is red, so def geometry(): ...", "no_code", False),
])
def test_extraction_failures_have_kinds(reply, kind, repairable):
    with pytest.raises(ExtractionError) as caught:
        extract_sections(reply, ("geometry",), 500)
    assert caught.value.kind == kind and caught.value.repairable is repairable


def test_verdicts():
    assert parse_verdict("APPROVE", 5) == []
    assert parse_verdict("Looks right. Approve.", 5) == []
    assert parse_verdict("1. cube too small\n2) sphere missing\n* light from left", 2) == ["cube too small",
                                                                                         "sphere missing"]
    assert parse_verdict("hmm, hard to say", 5) is None


def test_images_are_pngs_of_the_asked_size_with_a_difference_strip():
    target = np.zeros((16, 24, 3), np.float32)
    render = np.ones((8, 12, 4), np.float32)
    current, strip = render_parts(target, render, side=48)
    assert Image.open(io.BytesIO(current.png)).size == (48, 32)
    image = Image.open(io.BytesIO(strip.png))
    pixels = np.asarray(image.convert("RGB"))
    assert image.size[0] == 144 and pixels[:, :40].max() == 0 and pixels[:, -40:].min() == 255  # |0-1| x2 clipped


def test_prompts_are_templates_and_the_dialect_is_documented():
    assert "add_object(name, shape" in dialect_reference()  # docs/dialect.md, in the repository
    signatures = helper_signatures()  # the fallback when docs/ is not installed
    assert "def add_object(name, shape, dims=(1.0, 1.0, 1.0)): ..." in signatures
    text = render("vlm_repair.md.j2", error="boom", where="", line=3, sections=["geometry", "materials"])
    assert "boom" in text and "line 3" in text and "`def geometry():`, `def materials():`" in text


class ScriptedProposer:
    """Test double: a proposer that returns fixed programs and remembers what it was told."""

    def __init__(self, name: str, programs: list[str], fail_initial: bool = False) -> None:
        self.name = name
        self.programs = programs
        self.fail_initial = fail_initial
        self.observed: list[str] = []
        self.asked: list[int] = []

    def initial(self, target, n, seed):
        self.asked.append(n)
        if self.fail_initial:
            raise VLMError("scripted: nothing")
        return [Proposal(p, None, self.name) for p in self.programs[:n]]

    def propose(self, ctx, survivors, n_per_survivor, seed):
        self.asked.append(n_per_survivor)
        return [Proposal(p, survivors[0].hash, self.name) for p in self.programs[:n_per_survivor]]

    def observe(self, ctx, scored):
        self.observed.extend(c.note for c in scored)

    def usage_totals(self):
        return {"calls": 1}


def test_hybrid_splits_rounds_and_routes_feedback(caplog):
    base = SceneProgram.from_sections({n: f"def {n}():\n    {b}\n" for n, b in GOOD.items()})
    variants = [base.with_section("lighting", f"set_world(strength={s})").source for s in (0.5, 1.5, 2.5, 3.5)]
    vlm = ScriptedProposer("vlm", variants[:2])
    embedded = ScriptedProposer("embedded", variants[2:])
    hybrid = HybridProposer(vlm, embedded, share=0.5, vlm_rounds=1)
    target = TargetImage(srgb=np.zeros((8, 8, 3), np.float32))
    survivor = Candidate(program=base.source, hash=base.hash, stage="lighting", round=0)
    ctx0 = StageContext(stage="lighting", sections=("lighting",), round=0, target=target)
    out = hybrid.propose(ctx0, [survivor], 4, seed=0)
    assert [p.note for p in out] == ["vlm", "vlm", "embedded", "embedded"] and vlm.asked == [2]
    scored = [Candidate(program=p.program, hash=str(i), stage="lighting", round=0, note=p.note)
              for i, p in enumerate(out)]
    hybrid.observe(ctx0, scored)
    assert vlm.observed == ["vlm", "vlm"] and embedded.observed == ["embedded", "embedded"]
    ctx1 = StageContext(stage="lighting", sections=("lighting",), round=1, target=target)
    assert [p.note for p in hybrid.propose(ctx1, [survivor], 2, seed=0)] == ["embedded", "embedded"]
    assert hybrid.usage_totals()["hybrid"]["candidates"] == {"vlm": 2, "embedded": 4}
    # no first program from the VLM: the embedded proposer fills every slot
    fallback = HybridProposer(ScriptedProposer("vlm", [], fail_initial=True), embedded, 0.25, 1)
    caplog.set_level(logging.WARNING)
    assert [p.note for p in fallback.initial(target, 2, seed=0)] == ["embedded", "embedded"]
    assert "embedded proposer fills in" in caplog.text


def test_hybrid_from_the_factory_wraps_the_embedded_proposer():
    from seig_search.proposers.embedded import EmbeddedProposer

    proposer = build_vlm_proposer({"model": "m", "base_url": "http://127.0.0.1:9/v1",
                                   "hybrid": {"enabled": True, "share": 0.25, "vlm_rounds": 2}})
    assert isinstance(proposer, HybridProposer) and isinstance(proposer.embedded, EmbeddedProposer)
    assert (proposer.share, proposer.vlm_rounds, proposer.name) == (0.25, 2, "vlm+embedded")

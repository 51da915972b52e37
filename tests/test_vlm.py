"""The VLM proposer against scripted OpenAI- and Anthropic-compatible servers (test doubles on 127.0.0.1)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from doubles.scripted_vlm_server import (
    Fail,
    Say,
    ScriptedVLMServer,
    Stall,
    decode_images,
    free_port,
    last_user_text,
    sections_asked,
)
from doubles.vlm_scripts import BROKEN_BODY, GOOD, MALICIOUS_BODY, code_reply, good_script
from render_pool.policy import check_program
from seig_search.errors import VLMError
from seig_search.program import SceneProgram
from seig_search.proposers.base import STAGES, Candidate, Proposer, StageContext, TargetImage
from seig_search.proposers.vlm import build_vlm_proposer
from seig_search.proposers.vlm.cost import PUBLISHED_PRICES, cost, summarise
from seig_search.proposers.vlm.cost import main as cost_main

KEY = "sk-test-secret-0123456789"


@pytest.fixture
def target() -> TargetImage:
    ramp = np.linspace(0.0, 1.0, 32, dtype=np.float32)
    srgb = np.stack([np.tile(ramp, (32, 1)), np.tile(ramp[:, None], (1, 32)), np.full((32, 32), 0.4, np.float32)], 2)
    return TargetImage(srgb=srgb)


@pytest.fixture
def base_program() -> SceneProgram:
    return SceneProgram.from_sections({name: f"def {name}():\n    {body}\n" for name, body in GOOD.items()})


def make(url: str, record: Path | None = None, replay: Path | None = None, **overrides: Any) -> Proposer:
    config = {"model": "scripted-vlm", "base_url": url, "backoff_s": 0.01, "backoff_max_s": 0.05,
              "timeout_s": 5.0, "max_retries": 2, "concurrency": 2, "image_side": 64, **overrides}
    return build_vlm_proposer(config, record, replay)


def survivor(program: SceneProgram, target: TargetImage, score: float = 0.3) -> Candidate:
    return Candidate(program=program.source, hash=program.hash, stage="geometry", round=0, score=score,
                     srgb=np.clip(target.srgb * 0.6, 0, 1))


def ctx(target: TargetImage, stage: str = "geometry", round: int = 1) -> StageContext:
    return StageContext(stage=stage, sections=(stage,), round=round, target=target)


def test_initial_sends_the_target_and_returns_checked_programs(target, monkeypatch, caplog):
    monkeypatch.setenv("SCRIPTED_VLM_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    with ScriptedVLMServer("openai", good_script) as server:
        proposer = make(server.base_url, api_key_env="SCRIPTED_VLM_KEY", candidates_per_call=2,
                        prices={"scripted-vlm": {"input_per_mtok": 2.5, "output_per_mtok": 10.0}})
        proposals = proposer.initial(target, 3, seed=7)
    assert isinstance(proposer, Proposer)
    assert len(proposals) == 3 and len({p.program for p in proposals}) == 3
    for proposal in proposals:
        program = SceneProgram.from_source(proposal.program)
        assert check_program(program.source) == []
        assert 'add_object("obj0", "cube"' in program.section("geometry")
        assert proposal.parent is None and proposal.note == "vlm"
    # 3 candidates at 2 per call: two calls, asking n=2 and n=1
    assert sorted(r.body.get("n", 1) for r in server.received) == [1, 2]
    first = server.received[0]
    assert first.path == "/v1/chat/completions"
    assert first.headers["authorization"] == f"Bearer {KEY}"
    images = decode_images(first.body)
    assert len(images) == 1 and images[0].size == (64, 64)
    assert "Dialect reference" in first.body["messages"][0]["content"]
    assert sections_asked(first.body) == list(STAGES)
    totals = proposer.usage_totals()
    assert totals["calls"] == 2 and totals["input_tokens"] > 0 and totals["output_tokens"] > 0
    expected = (totals["input_tokens"] * 2.5 + totals["output_tokens"] * 10.0) / 1e6
    assert totals["cost_usd_estimate"] == pytest.approx(expected, rel=1e-4)
    assert KEY not in caplog.text


def test_initial_view_is_the_perception_size_image(target):
    # a search working at 32 px still shows the model the sharper analysis image for its first programs
    red = np.zeros((128, 128, 3), np.float32)
    red[..., 0] = 1.0
    sharp = TargetImage(srgb=target.srgb, analysis_srgb=red)
    with ScriptedVLMServer("openai", good_script) as server:
        make(server.base_url, image_side=128).initial(sharp, 1, seed=0)
    sent = np.asarray(decode_images(server.received[0].body)[0].convert("RGB"))
    assert sent.shape == (128, 128, 3) and (sent[..., 0] == 255).all() and (sent[..., 1:] == 0).all()


def test_propose_marks_the_stage_section_and_changes_only_it(target, base_program):
    with ScriptedVLMServer("openai", good_script) as server:
        proposer = make(server.base_url, token_limit_param="max_completion_tokens")
        proposals = proposer.propose(ctx(target), [survivor(base_program, target)], 3, seed=1)
    assert len(proposals) == 3
    body = server.received[0].body
    assert body["max_completion_tokens"] == 2048 and "max_tokens" not in body
    images = decode_images(body)
    # target, current render, target | render | difference strip
    assert [i.size for i in images[:2]] == [(64, 64), (64, 64)] and images[2].size[0] == 3 * 64
    text = last_user_text(body)
    assert "# >>> EDIT: geometry() is the only part you may change" in text
    assert "# <<< END EDIT geometry()" in text
    assert text.count("# (fixed, for context)") == 3 and "EDIT: materials()" not in text
    assert "0.3000" in text  # the survivor's score
    for proposal in proposals:
        new = SceneProgram.from_source(proposal.program)
        assert proposal.parent == base_program.hash
        assert new.section("geometry") != base_program.section("geometry")
        for stage in ("materials", "composition", "lighting"):
            assert new.section(stage) == base_program.section(stage)


def test_broken_code_gets_one_repair_turn_with_the_error(target, base_program):
    def script(body: dict, index: int) -> Say:
        if len(body["messages"]) == 2:  # first attempt: unclosed parenthesis
            return Say([code_reply({"geometry": BROKEN_BODY}, ["geometry"])])
        return good_script(body, index)

    with ScriptedVLMServer("openai", script) as server:
        proposer = make(server.base_url, max_repairs=1)
        proposals = proposer.propose(ctx(target), [survivor(base_program, target)], 1, seed=1)
    assert len(proposals) == 1 and proposals[0].note == "vlm repair"
    repair = server.received[1].body["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert BROKEN_BODY in repair[2]["content"]
    assert "SyntaxError" in last_user_text(server.received[1].body)
    assert proposer.usage_totals()["faults"] == {"syntax": 1}


def test_malicious_code_is_blocked_by_the_policy_and_never_returned(target, base_program):
    def script(body: dict, index: int) -> Say:
        return Say([code_reply({"geometry": MALICIOUS_BODY}, ["geometry"])])

    with ScriptedVLMServer("openai", script) as server:
        proposer = make(server.base_url, max_repairs=1)
        proposals = proposer.propose(ctx(target), [survivor(base_program, target)], 2, seed=1)
    assert proposals == []  # the stage keeps its survivors
    assert len(server.received) == 4  # two samples, each with one repair turn
    repair_text = last_user_text(server.received[-1].body)
    assert "sandbox policy" in repair_text and "import os" in repair_text
    assert proposer.usage_totals()["faults"] == {"policy": 4}


@pytest.mark.parametrize("reply,kind", [
    ("", "empty"),
    ("I cannot help with rendering, sorry.", "no_code"),
    ("```javascript\nfunction geometry() { return 1; }\n```", "wrong_language"),
    ("```python\n" + "# pad\n" * 3000 + "def geometry():\n    pass\n```", "oversized"),
])
def test_unusable_replies_are_counted(target, base_program, reply, kind):
    with ScriptedVLMServer("openai", lambda body, i: Say([reply])) as server:
        proposer = make(server.base_url, max_reply_chars=4000)
        assert proposer.propose(ctx(target), [survivor(base_program, target)], 1, seed=1) == []
    assert proposer.usage_totals()["faults"] == {kind: 1}


def test_429_and_500_are_retried_with_backoff(target, base_program):
    def script(body: dict, index: int):
        return [Fail(429, retry_after=0.01), Fail(500)][index] if index < 2 else good_script(body, index)

    with ScriptedVLMServer("openai", script) as server:
        proposer = make(server.base_url, max_retries=3)
        proposals = proposer.propose(ctx(target), [survivor(base_program, target)], 1, seed=1)
    assert len(proposals) == 1 and len(server.received) == 3
    totals = proposer.usage_totals()
    assert totals["faults"] == {"rate_limit": 1, "server": 1} and totals["calls"] == 1


def test_timeouts_and_refused_connections_keep_the_survivors(target, base_program):
    with ScriptedVLMServer("openai", lambda body, i: Stall(1.5)) as server:
        slow = make(server.base_url, timeout_s=0.3, max_retries=1)
        assert slow.propose(ctx(target), [survivor(base_program, target)], 1, seed=1) == []
    assert slow.usage_totals()["faults"] == {"timeout": 2}
    refused = make(f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    assert refused.propose(ctx(target), [survivor(base_program, target)], 2, seed=1) == []
    assert refused.usage_totals()["faults"] == {"connection": 4}
    with pytest.raises(VLMError, match="no usable first program"):
        refused.initial(target, 1, seed=1)


def test_anthropic_backend_makes_parallel_calls(target, base_program, monkeypatch):
    monkeypatch.setenv("SCRIPTED_ANTHROPIC_KEY", KEY)
    with ScriptedVLMServer("anthropic", good_script) as server:
        proposer = make(server.base_url, backend="anthropic", api_key_env="SCRIPTED_ANTHROPIC_KEY",
                        candidates_per_call=4, concurrency=1,
                        prices={"scripted-vlm": {"input_per_mtok": 3.0, "output_per_mtok": 15.0,
                                                 "cache_write_per_mtok": 3.75, "cache_read_per_mtok": 0.3}})
        proposals = proposer.propose(ctx(target, "materials"), [survivor(base_program, target)], 3, seed=1)
    assert len(proposals) == 3
    assert len(server.received) == 3 and all(r.path == "/v1/messages" for r in server.received)
    body = server.received[0].body
    headers = server.received[0].headers
    assert headers.get("x-api-key") == KEY or headers.get("authorization") == f"Bearer {KEY}"
    assert "Dialect reference" in body["system"][0]["text"] and body["max_tokens"] == 2048
    assert len(decode_images(body)) == 3
    assert "EDIT: materials()" in last_user_text(body)
    # the system prompt and the target image (first image) are marked for prompt caching
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    images = [b for b in body["messages"][0]["content"] if b["type"] == "image"]
    assert "cache_control" in images[0] and not any("cache_control" in b for b in images[1:])
    totals = proposer.usage_totals()
    # the first call writes the cached prefix, the two after it (the same prefix) read it
    assert totals["cache_write_tokens"] > 0 and totals["cache_read_tokens"] == 2 * totals["cache_write_tokens"]
    expected = (totals["input_tokens"] * 3.0 + totals["output_tokens"] * 15.0 + totals["cache_write_tokens"] * 3.75
                + totals["cache_read_tokens"] * 0.3) / 1e6
    assert totals["input_tokens"] > 0 and totals["cost_usd_estimate"] == pytest.approx(expected, rel=1e-4)


def test_blender_errors_come_back_as_repair_turns(target, base_program):
    with ScriptedVLMServer("openai", good_script) as server:
        proposer = make(server.base_url, max_repairs=1)
        context = ctx(target)
        first = proposer.propose(context, [survivor(base_program, target)], 2, seed=1)
        failed = SceneProgram.from_source(first[0].program)
        line = failed.ranges["geometry"][0] + 1
        scored = [
            Candidate(program=failed.source, hash=failed.hash, stage="geometry", round=1, parent=first[0].parent,
                      failure={"kind": "program", "message": "ValueError: unknown shape 'pyramid'", "line": line}),
        ]
        proposer.observe(context, scored)
        calls_before = len(server.received)
        second = proposer.propose(ctx(target, round=2), [survivor(base_program, target)], 2, seed=1)
    assert len(second) == 2
    repairs = [r for r in server.received[calls_before:] if len(r.body["messages"]) == 4]
    assert len(repairs) == 1
    text = last_user_text(repairs[0].body)
    assert "unknown shape 'pyramid'" in text and "at: add_ground(\"ground\", size=20.0)  (in geometry())" in text
    assert proposer.usage_totals()["faults"] == {"blender": 1}


def test_record_then_replay_without_a_server(target, base_program, tmp_path, capsys):
    record = tmp_path / "calls"
    with ScriptedVLMServer("openai", good_script) as server:
        recorded = make(server.base_url, record=record)
        first = recorded.initial(target, 2, seed=3)
        staged = recorded.propose(ctx(target), [survivor(base_program, target)], 2, seed=4)
    files = sorted((record / "calls").glob("*.json"))
    # 2 + 2 calls; images: the target (same bytes in both prompts), the render, the comparison strip
    assert len(files) == 4 and len(list((record / "images").glob("*.png"))) == 3
    saved = json.loads(files[0].read_text())
    assert saved["reply"]["texts"] and saved["request"]["turns"][0]["parts"][0]["image"]
    replayed = make(f"http://127.0.0.1:{free_port()}/v1", replay=record)  # nothing listens there
    assert [p.program for p in replayed.initial(target, 2, seed=3)] == [p.program for p in first]
    again = replayed.propose(ctx(target), [survivor(base_program, target)], 2, seed=4)
    assert [p.program for p in again] == [p.program for p in staged]
    assert replayed.usage_totals()["input_tokens"] == recorded.usage_totals()["input_tokens"]
    assert replayed.usage_totals()["faults"] == {}
    # the cost tool reads the same totals from the recording
    summary = summarise(record)
    assert summary["total"]["input_tokens"] == recorded.usage_totals()["input_tokens"]
    assert sorted(summary["by_kind"]) == ["geometry", "initial"] and summary["total"]["calls"] == 4
    cost_main([str(record), "--model", "gpt-4o"])
    assert f"gpt-4o: ${cost(summary, PUBLISHED_PRICES['gpt-4o']):.4f}" in capsys.readouterr().out


def test_verifier_checklist_reaches_the_next_prompt(target, base_program):
    def script(body: dict, index: int) -> Say:
        if "reviewer of 3D renders" in body["messages"][0]["content"]:
            return Say(["- the cube should be taller\n- the target has two objects, not one"])
        return good_script(body, index)

    with ScriptedVLMServer("openai", script) as server:
        proposer = make(server.base_url, verifier={"enabled": True, "top_k": 1, "stages": ["geometry"]})
        best = survivor(base_program, target, score=0.6)
        proposer.observe(ctx(target, "lighting"), [best])  # not a verified stage
        assert server.received == []
        proposer.observe(ctx(target), [best])
        assert len(server.received) == 1 and len(decode_images(server.received[0].body)) == 3
        proposer.propose(ctx(target, round=2), [best], 1, seed=2)
    text = last_user_text(server.received[-1].body)
    assert "- the cube should be taller" in text and "two objects, not one" in text
    assert proposer.usage_totals()["verifier_checklists"] == 1


def test_rerun_into_a_recording_reuses_its_answers_then_asks_the_server(target, base_program, tmp_path):
    record = tmp_path / "calls"
    with ScriptedVLMServer("openai", good_script) as server:
        first = make(server.base_url, record=record).initial(target, 2, seed=3)
    with ScriptedVLMServer("openai", good_script) as server:  # a fresh server: call indices start again
        resumed = make(server.base_url, record=record)
        again = resumed.initial(target, 2, seed=3)
        assert server.received == []  # both answers came from the recording
        more = resumed.propose(ctx(target), [survivor(base_program, target)], 1, seed=4)
        assert len(server.received) == 1 and len(more) == 1
    assert [p.program for p in again] == [p.program for p in first]
    assert resumed.usage_totals()["reused_from_recording"] == 2
    assert len(list((record / "calls").glob("*.json"))) == 3  # reused answers are not written twice


def test_unstaged_rounds_rewrite_every_section(target, base_program):
    with ScriptedVLMServer("openai", good_script) as server:
        proposer = make(server.base_url)
        context = StageContext(stage="all", sections=STAGES, round=0, target=target)
        proposals = proposer.propose(context, [survivor(base_program, target)], 1, seed=1)
    assert len(proposals) == 1
    text = last_user_text(server.received[0].body)
    assert all(f"# >>> EDIT: {s}()" in text for s in STAGES) and "(fixed, for context)" not in text
    assert sections_asked(server.received[0].body) == list(STAGES)


def test_a_server_that_ignores_n_is_asked_one_completion_per_call(target, base_program):
    def one_choice(body: dict, index: int) -> Say:  # like Ollama: n is ignored
        return Say(good_script(body, index).texts[:1])

    with ScriptedVLMServer("openai", one_choice) as server:
        proposer = make(server.base_url, candidates_per_call=4, concurrency=1)
        first = proposer.propose(ctx(target), [survivor(base_program, target)], 4, seed=1)
        assert [r.body.get("n", 1) for r in server.received] == [4, 1, 1, 1]
        second = proposer.propose(ctx(target, round=2), [survivor(base_program, target)], 2, seed=1)
    assert len(first) == 4 and len(second) == 2
    assert [r.body.get("n", 1) for r in server.received[4:]] == [1, 1]
    assert proposer.usage_totals()["faults"] == {"fewer_choices": 1}

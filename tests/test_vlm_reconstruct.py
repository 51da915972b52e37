"""A whole reconstruction with the VLM agent: scripted server (test double), real Blender renders, replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from doubles.scripted_vlm_server import Say, ScriptedVLMServer, free_port, last_user_text, sections_asked
from doubles.vlm_scripts import GOOD, code_reply, good_script
from seig_search.config import validate_config
from seig_search.program import SceneProgram
from seig_search.search.run import RunOptions, reconstruct
from seig_search.target import save_png

PYRAMID = 'add_ground("ground", size=20.0)\n    add_object("obj0", "pyramid", dims=(1.0, 1.0, 1.0))'


def scene() -> SceneProgram:
    return SceneProgram.from_sections({name: f"def {name}():\n    {body}\n" for name, body in GOOD.items()})


def script(body: dict[str, Any], index: int) -> Say:
    """Good code, except that the first geometry proposal asks for a shape Blender's prelude rejects."""
    text = last_user_text(body)
    if "Stage: **geometry** (round 0)" in text and body.get("n", 1) == 1 and "Sample" not in text:
        return Say([code_reply({"geometry": PYRAMID}, sections_asked(body))])
    return good_script(body, index)


def config(url: str) -> Any:
    return validate_config({
        "search": {"size": 32, "initial": 2, "workers": 2, "seed": 0},
        "final": {"engine": "WORKBENCH", "samples": 1},
        "score": {"neural": "off"},
        "stages": [
            {"name": "geometry", "sections": ["geometry"], "beam": 1, "per_survivor": 2, "rounds": 2,
             "render": {"engine": "WORKBENCH", "samples": 1}},
            {"name": "lighting", "sections": ["lighting"], "beam": 1, "per_survivor": 1, "rounds": 1,
             "render": {"engine": "CYCLES", "samples": 1}},
        ],
        "vlm": {"model": "scripted-vlm", "base_url": url, "backoff_s": 0.01, "backoff_max_s": 0.05,
                "timeout_s": 10.0, "image_side": 64, "max_repairs": 1,
                "prices": {"scripted-vlm": {"input_per_mtok": 3.0, "output_per_mtok": 15.0}}},
    })


def log_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "search" / "log.jsonl").read_text().splitlines() if line.strip()]


def test_reconstruct_with_the_vlm_agent_then_replay(render_pool, tmp_path):
    from render_pool import RenderJob, RenderSettings

    settings = RenderSettings(engine="CYCLES", width=32, height=32, samples=2, passes=("color",))
    target = render_pool.render([RenderJob(program=scene().source, settings=settings, job_id="target")])[0]
    assert target.ok, target.failure
    image = tmp_path / "target.png"
    save_png(target.srgb(), image)

    record = tmp_path / "record"
    with ScriptedVLMServer("openai", script) as server:
        options = RunOptions(image=image, out=tmp_path / "run", config=config(server.base_url), agent="vlm",
                             record_dir=record, verify_exports=False, final_max_size=32)
        outcome = reconstruct(options, pool=render_pool)
    lines = log_lines(tmp_path / "run")
    notes = [line["note"] for line in lines]
    assert "vlm" in notes and "vlm repair" in notes
    failed = [line for line in lines if line["failure"]]
    assert failed and "pyramid" in failed[0]["failure"]["message"]
    # the Blender error came back to the model as a repair turn, and the repaired program rendered
    repairs = [r for r in server.received if len(r.body["messages"]) == 4]
    assert repairs and "unknown shape 'pyramid'" in last_user_text(repairs[0].body)
    assert any(line["note"] == "vlm repair" and not line["failure"] for line in lines)
    best = SceneProgram.from_source((tmp_path / "run" / "scene.py").read_text())
    assert best.hash == outcome.best.hash
    assert (tmp_path / "run" / "render.png").is_file()
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    usage = metrics.get("vlm")
    if usage is not None:
        assert usage["input_tokens"] > 0 and usage["cost_usd_estimate"] > 0

    # the same search again from the recording, with nothing listening at the configured URL
    replay = RunOptions(image=image, out=tmp_path / "replayed", config=config(f"http://127.0.0.1:{free_port()}/v1"),
                        agent="vlm", replay_dir=record, verify_exports=False, final_max_size=32)
    again = reconstruct(replay, pool=render_pool)
    assert again.best.hash == outcome.best.hash
    assert [line["hash"] for line in log_lines(tmp_path / "replayed")] == [line["hash"] for line in lines]

"""A whole reconstruction with the VLM agent: scripted server (test double), real Blender renders, replay."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from doubles.scripted_vlm_server import Say, ScriptedVLMServer, free_port, last_user_text, sections_asked
from doubles.vlm_scripts import GOOD, code_reply, good_script
from seig_search.program import SceneProgram
from seig_search.search import run as search_run
from seig_search.target import save_png

RECONSTRUCT = search_run.reconstruct

PYRAMID = 'add_ground("ground", size=20.0)\n    add_object("obj0", "pyramid", dims=(1.0, 1.0, 1.0))'


def scene() -> SceneProgram:
    return SceneProgram.from_sections({name: f"def {name}():\n    {body}\n" for name, body in GOOD.items()})


def script(body: dict[str, Any], index: int) -> Say:
    """Good code, except that the first geometry proposal asks for a shape Blender's prelude rejects."""
    text = last_user_text(body)
    if "Stage: **geometry** (round 0)" in text and body.get("n", 1) == 1 and "Sample" not in text:
        return Say([code_reply({"geometry": PYRAMID}, sections_asked(body))])
    return good_script(body, index)


CONFIG = """
[search]
size = 32
initial = 2
workers = 2
seed = 0

[final]
engine = "WORKBENCH"
samples = 1

[score]
neural = "off"

[[stages]]
name = "geometry"
sections = ["geometry"]
beam = 1
per_survivor = 2
rounds = 2
render = {{ engine = "WORKBENCH", samples = 1 }}

[[stages]]
name = "lighting"
sections = ["lighting"]
beam = 1
per_survivor = 1
rounds = 1
render = {{ engine = "WORKBENCH", samples = 1 }}

[vlm]
model = "scripted-vlm"
base_url = "{url}"
backoff_s = 0.01
backoff_max_s = 0.05
timeout_s = 10.0
image_side = 64
max_repairs = 1
prices = {{ scripted-vlm = {{ input_per_mtok = 3.0, output_per_mtok = 15.0 }} }}
"""


def seig(args: list[str], render_pool, monkeypatch) -> str:
    """Runs the `seig` CLI in-process, its reconstruction sharing the test run's render pool."""
    from typer.testing import CliRunner

    from seig_search.cli.main import app

    monkeypatch.setattr(search_run, "reconstruct", functools.partial(RECONSTRUCT, pool=render_pool))
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def log_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "search" / "log.jsonl").read_text().splitlines() if line.strip()]


def test_seig_reconstruct_agent_vlm_then_replay(render_pool, tmp_path, monkeypatch):
    from render_pool import RenderJob, RenderSettings

    settings = RenderSettings(engine="WORKBENCH", width=32, height=32, samples=1, passes=("color",))
    target = render_pool.render([RenderJob(program=scene().source, settings=settings, job_id="target")])[0]
    assert target.ok, target.failure
    image = tmp_path / "target.png"
    save_png(target.srgb(), image)

    record = tmp_path / "record"
    with ScriptedVLMServer("openai", script) as server:
        config = tmp_path / "vlm.toml"
        config.write_text(CONFIG.format(url=server.base_url))
        seig(["reconstruct", str(image), "--out", str(tmp_path / "run"), "--config", str(config),
              "--agent", "vlm", "--record", str(record), "--no-verify"], render_pool, monkeypatch)
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
    run_info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run_info["agent"] == "vlm" and best.hash == run_info["best_hash"]
    assert (tmp_path / "run" / "render.png").is_file()
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    usage = metrics["vlm"]
    assert usage["calls"] == len(server.received) and usage["input_tokens"] > 0
    assert usage["cost_usd_estimate"] > 0 and usage["faults"]["blender"] >= 1

    # the same search again from the recording, with nothing listening at the configured URL
    config.write_text(CONFIG.format(url=f"http://127.0.0.1:{free_port()}/v1"))
    seig(["reconstruct", str(image), "--out", str(tmp_path / "replayed"), "--config", str(config),
          "--agent", "vlm", "--replay", str(record), "--no-verify"], render_pool, monkeypatch)
    replayed = json.loads((tmp_path / "replayed" / "run.json").read_text())
    assert replayed["best_hash"] == run_info["best_hash"]
    assert [line["hash"] for line in log_lines(tmp_path / "replayed")] == [line["hash"] for line in lines]


@pytest.mark.parametrize("given", [True, False], ids=["with --record", "own recording"])
def test_interrupted_vlm_run_resumes_from_its_recording(render_pool, tmp_path, monkeypatch, given):
    """With --record the calls go where it says; without, into the run folder. Either way --resume reuses them."""
    from render_pool import RenderJob, RenderSettings

    from seig_search.config import load_config

    settings = RenderSettings(engine="WORKBENCH", width=32, height=32, samples=1, passes=("color",))
    target = render_pool.render([RenderJob(program=scene().source, settings=settings, job_id="target")])[0]
    image = tmp_path / "target.png"
    save_png(target.srgb(), image)
    out = tmp_path / "run"
    record = tmp_path / "record" if given else out / search_run.VLM_CALLS_DIR
    args = {"image": str(image), "agent": "vlm", "record": str(record) if given else None}
    with ScriptedVLMServer("openai", good_script) as server:
        config = tmp_path / "vlm.toml"
        config.write_text(CONFIG.format(url=server.base_url))
        options = search_run.RunOptions(image=image, out=out, config=load_config(config), agent="vlm",
                                        record_dir=record if given else None, verify_exports=False, args=args)
        with pytest.raises(KeyboardInterrupt):
            RECONSTRUCT(options, pool=render_pool, fail_after_rounds=2)
        recorded = len(list((record / "calls").glob("*.json")))
        before = len(server.received)
        seig(["reconstruct", str(image), "--out", str(out), "--resume", "--no-verify"], render_pool, monkeypatch)
        live = len(server.received) - before
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["renders"]["replayed_from_log"] > 0  # the interrupted part was not rendered again
    # every call of the interrupted part was answered from the recording; only the rest reached the server
    assert recorded > 0 and live == len(list((record / "calls").glob("*.json"))) - recorded
    assert json.loads((out / "run.json").read_text())["status"] == "done"
    assert metrics["vlm"]["reused_from_recording"] == recorded

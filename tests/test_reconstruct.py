"""seig reconstruct on real renders (shared render pool, 48x48, the fast preset).

A tiny scene that seig renders itself is the target; its program is known, so the tests can check that a
program survives the search, that the search beats the one-shot proposal, that --resume after an
interruption reaches the uninterrupted result, and that a seed fixes the result.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from seig_search.config import load_config
from seig_search.program import CameraSpec, LightSpec, ObjectSpec, SceneSpec, render_program
from seig_search.proposers.embedded import EmbeddedProposer
from seig_search.search.backends import render_settings
from seig_search.search.run import RunOptions, reconstruct, resolve_resume
from seig_search.target import save_png

SIZE = 48
SPEC = SceneSpec(
    objects=[
        ObjectSpec(name="obj0", shape="cube", dims=(1.0, 1.0, 1.0), location=(-0.7, 0.0, 0.5),
                   rotation_deg=(0.0, 0.0, 20.0), color=(0.8, 0.1, 0.1)),
        ObjectSpec(name="obj1", shape="sphere", dims=(0.9, 0.9, 0.9), location=(0.8, 0.3, 0.45),
                   color=(0.1, 0.2, 0.8), roughness=0.3),
    ],
    camera=CameraSpec(location=(6.0, -6.0, 4.5), look_at=(0.0, 0.0, 0.4)),
    lights=[LightSpec(name="key", energy=3.0)],
)
SCORE = {"neural": "off"}  # the documented offline score: no network weights needed


def _config(**search):
    config = load_config(preset="fast", overrides={"size": SIZE, **search})
    return config.model_copy(update={"score": SCORE})


@pytest.fixture(scope="module")
def target_png(render_pool, tmp_path_factory) -> Path:
    from render_pool import RenderJob

    config = _config()
    result = render_pool.render([RenderJob(program=render_program(SPEC),
                                           settings=render_settings(config.final, (SIZE, SIZE), 0))])[0]
    assert result.ok, result.failure
    path = tmp_path_factory.mktemp("target") / "target.png"
    save_png(result.srgb(), path)
    return path


_PERCEPTION: dict = {}


def _perception(target, n, seed):
    """The real first guesses, computed once per (n, seed): every run here has the same target."""
    from seig_search.perception import initial_specs

    if (n, seed) not in _PERCEPTION:
        _PERCEPTION[(n, seed)] = initial_specs(target, n, seed)
    return _PERCEPTION[(n, seed)]


def _run(pool, image, out, config, resume=False, proposer=None, **kwargs):
    options = RunOptions(image=image, out=out, config=config, verify_exports=False, resume=resume)
    return reconstruct(options, pool=pool, proposer=proposer or EmbeddedProposer(initial_specs=_perception),
                       **kwargs)


@pytest.fixture(scope="module")
def staged(render_pool, target_png, tmp_path_factory):
    return _run(render_pool, target_png, tmp_path_factory.mktemp("staged") / "out", _config())


def test_known_program_round_trips_through_search(render_pool, target_png, tmp_path):
    proposer = EmbeddedProposer(initial_specs=lambda target, n, seed: [SPEC])
    options = RunOptions(image=target_png, out=tmp_path / "out", config=_config(budget_renders=12))
    outcome = reconstruct(options, pool=render_pool, proposer=proposer)
    assert outcome.metrics["psnr"] > 35.0  # the true program (or an equal one) is kept
    out = tmp_path / "out"
    for name in ("target.png", "scene.py", "scene.blend", "scene.glb", "render.png", "scene.json",
                 "metrics.json", "run.json", "search/log.jsonl"):
        assert (out / name).exists(), name
    ast.parse((out / "scene.py").read_text())
    assert all(check["ok"] for check in outcome.metrics["exports"])
    assert {o["name"] for o in json.loads((out / "scene.json").read_text())["objects"]} >= {"obj0", "obj1"}


# A first guess with every factor off (placement, size, colours, light), so that the test measures the search
# itself and not how close today's image analysis happens to land on this scene.
GUESS = SceneSpec(
    objects=[
        ObjectSpec(name="obj0", shape="cube", dims=(0.8, 0.8, 0.8), location=(-0.2, -0.4, 0.4),
                   rotation_deg=(0.0, 0.0, 0.0), color=(0.5, 0.4, 0.3)),
        ObjectSpec(name="obj1", shape="sphere", dims=(1.2, 1.2, 1.2), location=(1.2, 0.7, 0.6),
                   color=(0.4, 0.4, 0.4), roughness=0.6),
    ],
    camera=CameraSpec(location=(6.0, -6.0, 4.5), look_at=(0.0, 0.0, 0.4)),
    lights=[LightSpec(name="key", energy=1.5)],
)


def test_search_beats_the_one_shot_proposal(render_pool, target_png, staged, tmp_path):
    guess = EmbeddedProposer(initial_specs=lambda target, n, seed: [GUESS])
    runs = {method: _run(render_pool, target_png, tmp_path / method, _config(method=method), proposer=guess)
            for method in ("oneshot", "staged", "unstaged")}
    print(", ".join(f"{m} {r.metrics['psnr']:.2f} dB / {r.best.score:.4f}" for m, r in runs.items()))
    # Measured with seeds 0-2 (PSNR dB / score): one-shot 15.69-15.70 / 0.49-0.51, staged 18.4-22.0 /
    # 0.58-0.63, unstaged 16.0-26.6 / 0.61-0.75. Every search raises the score well beyond seed noise; PSNR
    # follows less tightly (unstaged at seed 0 gains 0.3 dB, on another CPU it lost 0.5), so only the better
    # PSNR of the two searches is asserted.
    oneshot = runs["oneshot"]
    for method in ("staged", "unstaged"):
        assert runs[method].best.score > oneshot.best.score + 0.05, method
    assert max(runs[m].metrics["psnr"] for m in ("staged", "unstaged")) > oneshot.metrics["psnr"] + 2.0
    out = staged.out
    lines = (out / "search" / "log.jsonl").read_text().splitlines()
    assert len(lines) == staged.metrics["renders"]["budgeted"] + staged.metrics["renders"]["final_pick"]
    stage_dirs = sorted(p.name for p in (out / "stages").iterdir())
    assert stage_dirs == ["0_geometry", "1_composition", "2_materials", "3_lighting"]
    assert all((out / "stages" / d / "best.png").exists() for d in stage_dirs)


def test_resume_after_interruption_gives_the_uninterrupted_result(render_pool, target_png, staged, tmp_path):
    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        _run(render_pool, target_png, out, _config(), fail_after_rounds=4)
    logged = len((out / "search" / "log.jsonl").read_text().splitlines())
    config, _ = resolve_resume(out, target_png, True, None, {})
    resumed = _run(render_pool, target_png, out, config, resume=True)
    assert resumed.best.program == staged.best.program
    assert resumed.best.score == staged.best.score
    assert resumed.metrics["renders"]["replayed_from_log"] == logged  # nothing rendered twice
    assert resumed.metrics["renders"]["budgeted"] == staged.metrics["renders"]["budgeted"]


def test_same_seed_same_program(render_pool, target_png, tmp_path):
    a = _run(render_pool, target_png, tmp_path / "a", _config(seed=5, budget_renders=12))
    b = _run(render_pool, target_png, tmp_path / "b", _config(seed=5, budget_renders=12))
    assert a.best.program == b.best.program and a.best.score == b.best.score


class _HastyFinalPool:
    """The real pool, with the final full-size render given no time: it times out in the worker, as a slow
    machine's would."""

    def __init__(self, pool):
        self.pool = pool

    def render(self, jobs):
        import dataclasses

        return self.pool.render([dataclasses.replace(j, settings=dataclasses.replace(j.settings, timeout_s=0.001))
                                 if j.job_id == "final" else j for j in jobs])


def test_a_failed_final_render_keeps_the_program_and_resume_finishes_it(render_pool, target_png, tmp_path):
    from seig_search.errors import SearchStateError

    out = tmp_path / "slow"
    config = _config(budget_renders=12)
    with pytest.raises(SearchStateError, match="--resume"):
        _run(_HastyFinalPool(render_pool), target_png, out, config)
    kept = (out / "scene.py").read_text()
    assert "def build():" in kept and not (out / "metrics.json").exists()
    resumed = _run(render_pool, target_png, out, config, resume=True)
    assert resumed.best.program == kept  # the search's result, replayed, not searched again
    assert resumed.metrics["renders"]["rendered_now"] == 0 and (out / "render.png").is_file()

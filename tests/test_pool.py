"""The render pool with real bpy: passes, summary, determinism, failures with line numbers."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import build_test_program
from render_pool import JobFailure, RenderJob, RenderResult, RenderSettings
from render_pool.color import linear_to_srgb, srgb_to_linear
from seig_search.errors import ConfigError

ALL_PASSES = ("color", "index", "depth")


def settings(**kw) -> RenderSettings:
    base = dict(engine="CYCLES", width=48, height=48, samples=2, passes=ALL_PASSES, timeout_s=60.0)
    return RenderSettings(**{**base, **kw})


@pytest.mark.parametrize("engine", ["CYCLES", "WORKBENCH"])
def test_every_pass_of_a_small_scene(render_pool, engine):
    [result] = render_pool.render([RenderJob(build_test_program(), settings(engine=engine), "scene")])
    assert result.ok, result.failure
    assert result.color.shape == (48, 48, 4) and result.color.dtype == np.float32
    assert result.index.shape == (48, 48) and result.index.dtype == np.int32
    assert result.depth.shape == (48, 48) and result.depth.dtype == np.float32
    # both objects are visible, background is 0 in the mask and infinitely far in depth
    assert set(np.unique(result.index)) == {0, 1, 2}
    background = result.index == 0
    assert np.isinf(result.depth[background]).all()
    assert np.isfinite(result.depth[~background]).all()
    # the camera is ~5.8 m from the origin; visible surfaces are a bit closer
    assert 3.0 < float(result.depth[~background].min()) < 6.5
    # the red cube (index 1) renders redder than the blue sphere (index 2)
    rgb = result.srgb()
    red, blue = rgb[result.index == 1].mean(axis=0), rgb[result.index == 2].mean(axis=0)
    assert red[0] > red[2] and blue[2] > blue[0]
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0


def test_summary_matches_what_the_program_built(render_pool):
    program = build_test_program([("cube", (1.0, 2.0, 0.5), (0.2, 0.7, 0.3))], camera=(6.0, -6.0, 4.0))
    [result] = render_pool.render([RenderJob(program, settings(passes=("color",)), "summary")])
    assert result.ok, result.failure
    summary = result.summary
    [obj] = summary["objects"]
    assert obj["name"] == "obj0" and obj["type"] == "MESH" and obj["pass_index"] == 1
    assert obj["location"] == pytest.approx([1.0, 2.0, 0.5])
    assert obj["dimensions"] == pytest.approx([1.0, 1.0, 1.0])
    assert np.asarray(obj["matrix_world"])[:3, 3] == pytest.approx([1.0, 2.0, 0.5])
    assert obj["material"]["base_color"] == pytest.approx([0.2, 0.7, 0.3, 1.0])
    assert obj["material"]["roughness"] == pytest.approx(0.4)
    assert summary["camera"]["location"] == pytest.approx([6.0, -6.0, 4.0])
    assert summary["camera"]["lens"] == pytest.approx(50.0)
    assert 30.0 < summary["camera"]["fov_deg"] < 45.0
    [light] = summary["lights"]
    assert light["name"] == "key" and light["type"] == "SUN" and light["energy"] == pytest.approx(3.0)
    assert summary["world"]["color"] == pytest.approx([0.05, 0.05, 0.05])


def test_same_program_and_seed_give_identical_pixels(render_pool):
    # the program uses `random`, which the worker seeds from the job
    program = build_test_program(extra="import random\nbpy.data.objects['obj0'].location.x = random.uniform(-1, 1)")
    jobs = [RenderJob(program, settings(seed=7, passes=("color", "depth")), f"run{i}") for i in range(3)]
    jobs.append(RenderJob(program, settings(seed=8, passes=("color", "depth")), "other-seed"))
    first, second, third, other = render_pool.render(jobs)
    assert first.ok and second.ok and third.ok and other.ok
    assert np.array_equal(first.color, second.color) and np.array_equal(first.color, third.color)
    assert np.array_equal(first.depth, second.depth)
    assert first.summary == second.summary
    assert first.summary["objects"][0]["location"] != other.summary["objects"][0]["location"]


def test_program_that_raises_returns_its_line(render_pool):
    program = build_test_program(extra="value = 1\nraise ValueError('no such shape')")
    expected_line = program.splitlines().index("raise ValueError('no such shape')") + 1
    bad, good = render_pool.render([RenderJob(program, settings(), "bad"),
                                    RenderJob(build_test_program(), settings(), "ok")])
    assert not bad.ok and bad.color is None
    assert bad.failure == JobFailure("program", "ValueError: no such shape", expected_line)
    assert good.ok


def test_syntax_error_is_caught_before_rendering(render_pool):
    [result] = render_pool.render([RenderJob("x = 1\ndef broken(:\n", settings(), "syntax")])
    assert result.failure.kind == "syntax" and result.failure.line == 2


def test_results_keep_job_order(render_pool):
    tiny = settings(engine="WORKBENCH", width=16, height=16)
    jobs = [RenderJob(build_test_program(), tiny, f"j{i}") for i in range(6)]
    assert [r.job_id for r in render_pool.render(jobs)] == [f"j{i}" for i in range(6)]


def test_blend_and_glb_come_back(render_pool):
    [result] = render_pool.render([RenderJob(build_test_program(), settings(engine="WORKBENCH", want_blend=True,
                                                                            want_glb=True), "files")])
    assert result.ok, result.failure
    assert result.blend[:7] in (b"BLENDER", b"\x28\xb5\x2f\xfd"[:4] + result.blend[4:7])  # plain or zstd-compressed
    assert result.glb[:4] == b"glTF"


def test_settings_are_validated():
    for bad in (dict(engine="EEVEE"), dict(width=0), dict(samples=0), dict(passes=("normal",)), dict(timeout_s=-1),
                dict(seed=-3), dict(width=1.5)):
        with pytest.raises(ConfigError):
            RenderSettings(**bad)
    assert RenderSettings(engine="workbench").engine == "WORKBENCH"


def test_srgb_curve_round_trips_and_matches_known_values():
    values = np.linspace(0, 1, 101, dtype=np.float32)
    assert np.allclose(srgb_to_linear(linear_to_srgb(values)), values, atol=1e-6)
    assert linear_to_srgb(np.array([0.0, 0.18, 1.0]))[1] == pytest.approx(0.4614, abs=1e-3)
    rgba = np.array([[0.5, 0.5, 0.5, 0.25]], dtype=np.float32)
    assert linear_to_srgb(rgba)[0, 3] == pytest.approx(0.25)


def test_failed_result_has_no_srgb():
    with pytest.raises(ValueError):
        RenderResult.failed("x", "timeout", "too slow").srgb()


def test_jobs_bigger_than_the_pipe_buffer_go_through_back_to_back():
    # run_many writes the next job ahead only when it fits the pipe; a 2 MB program must not deadlock
    from render_pool.process import WorkerProcess

    big = build_test_program() + "#" * (2 << 20) + "\n"
    tiny = settings(engine="WORKBENCH", width=8, height=8, passes=("color",))
    worker = WorkerProcess()
    try:
        results = worker.run_many([RenderJob(p, tiny, str(i)) for i, p in enumerate([big, build_test_program(), big])])
    finally:
        worker.close()
    assert [r.ok for r in results] == [True, True, True], [str(r.failure) for r in results]
    assert worker.starts == 1

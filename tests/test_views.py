"""Orbit, relight and edit transformations: pure source checks, then real renders through the pool."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from render_pool import RenderJob, RenderSettings
from seig_search.errors import ConfigError, ProgramError
from seig_search.program import CameraSpec, LightSpec, ObjectSpec, SceneProgram, SceneSpec, render_program
from seig_search.views import (
    RELIGHT_PRESETS,
    camera_of,
    move_program,
    orbit_programs,
    recolor_program,
    relight_program,
    save_orbit,
)

SETTINGS = RenderSettings(engine="CYCLES", width=48, height=48, samples=4, seed=0, passes=("color",))


def scene_source() -> str:
    spec = SceneSpec(
        objects=[ObjectSpec(name="obj0", shape="cube", location=(-0.7, 0.0, 0.5), color=(0.8, 0.1, 0.1)),
                 ObjectSpec(name="obj1", shape="sphere", location=(0.8, 0.3, 0.5), color=(0.1, 0.2, 0.8))],
        camera=CameraSpec(location=(5.0, -5.0, 3.5), look_at=(0.0, 0.0, 0.5)),
        lights=[LightSpec(name="key", kind="SUN", location=(4.0, -4.0, 8.0))],
    )
    return render_program(spec)


def test_orbit_keeps_height_and_distance_and_only_touches_the_camera() -> None:
    source = scene_source()
    location, look_at = camera_of(source)
    programs = orbit_programs(source, 6)
    assert len(programs) == 6
    radius = math.hypot(location[0] - look_at[0], location[1] - look_at[1])
    seen = set()
    for k, text in enumerate(programs):
        moved, same_look = camera_of(text)
        assert same_look == look_at and moved[2] == pytest.approx(location[2])
        assert math.hypot(moved[0] - look_at[0], moved[1] - look_at[1]) == pytest.approx(radius, abs=2e-3)
        angle = math.degrees(math.atan2(moved[1] - look_at[1], moved[0] - look_at[0])
                             - math.atan2(location[1] - look_at[1], location[0] - look_at[0])) % 360.0
        assert min(angle, 360.0 - angle) == pytest.approx(min(60.0 * k, 360.0 - 60.0 * k), abs=0.1)
        seen.add(moved)
        program, original = SceneProgram.from_source(text), SceneProgram.from_source(source)
        for stage in ("geometry", "materials", "lighting"):
            assert program.section(stage) == original.section(stage)
    assert len(seen) == 6


def test_bad_inputs_raise_clear_errors() -> None:
    source = scene_source()
    with pytest.raises(ConfigError, match="unknown relight preset"):
        relight_program(source, "disco")
    with pytest.raises(ConfigError):
        orbit_programs(source, 0)
    no_camera = SceneProgram.from_source(source).with_section("composition", "pass").source
    with pytest.raises(ProgramError, match="set_camera"):
        orbit_programs(no_camera, 3)
    variable = SceneProgram.from_source(source).with_section(
        "composition", "where = (5.0, -5.0, 3.5)\nset_camera(location=where, look_at=(0.0, 0.0, 0.5))").source
    with pytest.raises(ProgramError, match="literal"):
        orbit_programs(variable, 3)
    with pytest.raises(ProgramError, match="obj9"):
        recolor_program(source, "obj9", (0.1, 0.2, 0.3))
    with pytest.raises(ConfigError):
        recolor_program(source, "obj0", (2.0, 0.0, 0.0))


def test_edits_rewrite_one_call() -> None:
    source = scene_source()
    edited = move_program(recolor_program(source, "obj0", (0.0, 0.9, 0.1)), "obj1", (0.0, 1.5, 0.5))
    assert 'set_material("obj0", color=(0.000, 0.900, 0.100)' in edited
    assert 'place("obj1", location=(0.000, 1.500, 0.500)' in edited
    changed = [a for a, b in zip(source.splitlines(), edited.splitlines()) if a != b]
    assert len(changed) == 2 and len(source.splitlines()) == len(edited.splitlines())


def _objects(summary: dict) -> dict[str, tuple]:
    return {o["name"]: (tuple(round(v, 4) for v in o["location"]), tuple(round(v, 4) for v in o["dimensions"]),
                        o["material"]["name"]) for o in summary["objects"]}


def test_orbit_relight_and_edits_render_as_expected(render_pool, tmp_path) -> None:
    source = scene_source()
    orbit = orbit_programs(source, 4)
    relit = {name: relight_program(source, name) for name in RELIGHT_PRESETS}
    recoloured = recolor_program(source, "obj0", (0.05, 0.8, 0.05))
    programs = [source, *orbit[1:], *relit.values(), recoloured]
    results = render_pool.render([RenderJob(p, SETTINGS, f"job{i}") for i, p in enumerate(programs)])
    assert all(r.ok for r in results), [str(r.failure) for r in results if not r.ok]
    base, orbit_r, relit_r, recolour_r = results[0], results[1:4], results[4:7], results[7]
    base_img = base.srgb()
    objects = _objects(base.summary)

    for result in orbit_r:  # camera moved, same objects, a visibly different picture
        assert _objects(result.summary) == objects
        assert not np.allclose(result.summary["camera"]["location"], base.summary["camera"]["location"], atol=1e-3)
        assert np.abs(result.srgb() - base_img).mean() > 0.02
    for (name, preset), result in zip(RELIGHT_PRESETS.items(), relit_r):  # lights changed, scene and view not
        assert _objects(result.summary) == objects
        assert result.summary["camera"] == base.summary["camera"]
        assert sorted(light["name"] for light in result.summary["lights"]) == sorted(l.name for l in preset.lights)
        assert np.abs(result.srgb() - base_img).mean() > 0.01, name
    sunset = relit_r[list(RELIGHT_PRESETS).index("sunset")].srgb()
    overcast = relit_r[list(RELIGHT_PRESETS).index("overcast")].srgb()
    warmth = lambda img: float(img[..., 0].mean() - img[..., 2].mean())  # noqa: E731
    assert warmth(sunset) > warmth(base_img) + 0.03  # a warm low sun
    assert warmth(overcast) < warmth(base_img)  # a cool grey-blue sky
    # recolouring obj0 changes only its pixels' hue: green goes up where it was red
    diff = np.abs(recolour_r.srgb() - base_img).mean(axis=2)
    changed = diff > 0.1
    assert changed.any() and recolour_r.srgb()[changed][:, 1].mean() > base_img[changed][:, 1].mean() + 0.2

    paths = save_orbit([base_img] + [r.srgb() for r in orbit_r], tmp_path)
    assert [p.name for p in paths][-1] == "orbit.gif" and len(paths) == 5
    with Image.open(paths[-1]) as gif:
        assert gif.n_frames == 4 and gif.size == (48, 48)

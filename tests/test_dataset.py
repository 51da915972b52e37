"""Ground-truth scenes: pure deterministic sampling, and rendered ground truth that agrees with the render."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from seig_search.dataset import GenerateOptions, case_seed, generate, sample_spec
from seig_search.dataset.layout import all_in_frame, footprint_radius
from seig_search.errors import ConfigError
from seig_search.program import render_program


@pytest.mark.parametrize("suite", ["primitives", "mixed"])
def test_sampling_is_pure_and_deterministic(suite: str) -> None:
    specs = [sample_spec(suite, seed) for seed in range(12)]
    assert [render_program(s) for s in specs] == [render_program(sample_spec(suite, seed)) for seed in range(12)]
    assert len({render_program(s) for s in specs}) == len(specs)
    for spec in specs:
        assert 2 <= len(spec.objects) and spec.ground is not None and spec.lights
        for o in spec.objects:
            # Everything is written with 3 decimals, so the program holds the spec's exact values.
            assert all(round(v, 3) == v for v in (*o.dims, *o.location, *o.rotation_deg, *o.color))
            assert o.location[2] - o.dims[2] / 2 >= -1e-9  # nothing sinks into the ground
    assert case_seed(7, 3) == case_seed(7, 3) != case_seed(7, 4) != case_seed(8, 3)
    with pytest.raises(ConfigError):
        sample_spec("clevr", 0)


@pytest.mark.parametrize("aspect", [1.0, 2.0, 0.5])
def test_cameras_keep_every_object_in_frame(aspect: float) -> None:
    for suite in ("primitives", "mixed"):
        for seed in range(10):
            spec = sample_spec(suite, seed, aspect)
            points = np.array([o.location for o in spec.objects])
            radii = np.array([0.5 * math.hypot(*o.dims) for o in spec.objects])
            half = 18.0 / spec.camera.lens
            cam, at = np.array(spec.camera.location), np.array(spec.camera.look_at)
            assert all_in_frame(cam, at, points, radii, half, half / aspect)
            assert not all_in_frame(cam, at, points, radii, 0.5 * half, 0.5 * half / aspect)  # and not tiny


def test_primitives_are_clevr_like_and_never_intersect() -> None:
    for seed in range(30):
        spec = sample_spec("primitives", seed)
        objs = spec.objects
        assert {o.shape for o in objs} <= {"cube", "sphere", "cylinder"}
        assert {(o.roughness, o.metallic) for o in objs} <= {(0.9, 0.0), (0.25, 1.0)}
        for o in objs:
            assert o.location[2] == pytest.approx(o.dims[2] / 2)  # resting on the ground
        for i, a in enumerate(objs):
            for b in objs[i + 1 :]:
                gap = math.dist(a.location[:2], b.location[:2])
                assert gap >= footprint_radius(a.shape, a.dims) + footprint_radius(b.shape, b.dims)


def test_mixed_has_stacks_and_touching_pairs() -> None:
    stacked = touching = 0
    shapes: set[str] = set()
    for seed in range(30):
        objs = sample_spec("mixed", seed).objects
        shapes |= {o.shape for o in objs}
        for i, a in enumerate(objs):
            for b in objs[i + 1 :]:
                if a.location[:2] == pytest.approx(b.location[:2], abs=1e-3) and \
                        b.location[2] - b.dims[2] / 2 == pytest.approx(a.location[2] + a.dims[2] / 2, abs=2e-3):
                    stacked += 1
                same_yaw = a.rotation_deg[2] == b.rotation_deg[2]
                on_ground = a.location[2] == pytest.approx(a.dims[2] / 2) and b.location[2] == pytest.approx(b.dims[2] / 2)
                if same_yaw and on_ground and math.dist(a.location[:2], b.location[:2]) == \
                        pytest.approx((a.dims[0] + b.dims[0]) / 2, abs=3e-3):
                    touching += 1
    assert stacked >= 3 and touching >= 3
    assert shapes >= {"cube", "sphere", "cylinder", "cone", "torus", "monkey"}


def _load(case_dir: Path) -> tuple[dict, np.ndarray, np.ndarray]:
    scene = json.loads((case_dir / "scene.json").read_text())
    return scene, np.array(Image.open(case_dir / "index.png")), np.array(Image.open(case_dir / "image.png"))


def test_generated_ground_truth_agrees_with_the_render(render_pool, tmp_path: Path) -> None:
    for suite, n in (("primitives", 2), ("mixed", 2)):
        options = GenerateOptions(suite=suite, n=n, seed=5, width=64, height=64, samples=2)
        index = generate(options, tmp_path / suite, render_pool)
        listed = json.loads((tmp_path / suite / "index.json").read_text())
        assert listed == index and len(listed["cases"]) == n
        for entry in listed["cases"]:
            scene, ids, image = _load(tmp_path / suite / entry["dir"])
            assert image.shape == (64, 64, 3) and ids.shape == (64, 64)
            spec = sample_spec(suite, entry["seed"], listed["aspect"])
            kept = [o for o in spec.objects if o.name not in entry["dropped"]]
            spec = spec.model_copy(update={"objects": kept})
            assert (tmp_path / suite / entry["dir"] / "scene.py").read_text() == render_program(spec)
            rendered = {o["name"]: o for o in scene["render_summary"]["objects"]}
            assert scene["ground"]["mask"]["pixels"] > 0 and rendered["ground"]["pass_index"] == 1
            for truth, want in zip(scene["objects"], spec.objects):
                assert truth["name"] == want.name and truth["shape"] == want.shape
                mask = ids == truth["pass_index"]
                assert mask.sum() > 0 and truth["mask"]["pixels"] == int(mask.sum())
                # The pixels' index is the renderer's pass_index of the object the summary names.
                assert rendered[truth["name"]]["pass_index"] == truth["pass_index"]
                assert rendered[truth["name"]]["shape"] == want.shape  # the worker reports the dialect's shape
                assert rendered[truth["name"]]["dimensions"] == pytest.approx(list(want.dims), abs=1e-4)
                assert rendered[truth["name"]]["location"] == pytest.approx(list(want.location), abs=1e-5)
                assert truth["dims"] == list(want.dims) and truth["location"] == list(want.location)
            assert set(np.unique(ids)) <= {0} | {o["pass_index"] for o in scene["objects"]} | {1}


def test_generation_is_deterministic_and_drops_what_cannot_be_seen(render_pool, tmp_path: Path) -> None:
    options = GenerateOptions(suite="primitives", n=1, seed=11, width=32, height=32, samples=1)
    a = generate(options, tmp_path / "a", render_pool)
    b = generate(options, tmp_path / "b", render_pool)
    assert a == b
    for name in ("scene.py", "index.png"):
        assert (tmp_path / "a/00000" / name).read_bytes() == (tmp_path / "b/00000" / name).read_bytes()
    with pytest.raises(ConfigError, match="--force"):
        generate(options, tmp_path / "a", render_pool)
    # No object can cover 10000 pixels of a 32x32 image: resampled once, then every object is dropped.
    strict = GenerateOptions(suite="primitives", n=1, seed=11, width=32, height=32, samples=1, min_pixels=10_000,
                             max_attempts=2)
    c = generate(strict, tmp_path / "c", render_pool)["cases"][0]
    assert c["attempt"] == 1 and c["seed"] == case_seed(11, 0, 1) and c["objects"] == 0
    assert c["dropped"] == [o.name for o in sample_spec("primitives", c["seed"]).objects]
    assert '    add_object("' not in (tmp_path / "c/00000/scene.py").read_text()


def test_cli_rejects_bad_options_with_exit_codes(tmp_path: Path) -> None:
    from seig_search.cli.main import app

    runner = CliRunner()
    bad_suite = runner.invoke(app, ["dataset", "generate", "--suite", "clevr", "--n", "1", "--out", str(tmp_path)])
    assert bad_suite.exit_code == 2 and "primitives" in bad_suite.output
    bad_size = runner.invoke(app, ["dataset", "generate", "--suite", "mixed", "--n", "1", "--out", str(tmp_path),
                                   "--size", "64by64"])
    assert bad_size.exit_code == 2 and "WxH" in bad_size.output
    (tmp_path / "index.json").write_text("{}")
    taken = runner.invoke(app, ["dataset", "generate", "--suite", "mixed", "--n", "1", "--out", str(tmp_path)])
    assert taken.exit_code == 2 and "--force" in taken.output

"""scene.py, scene.blend and scene.glb written from a real render, then verified (and a broken set rejected)."""

from __future__ import annotations

import pytest
import trimesh

from render_pool import RenderJob, RenderSettings
from seig_search.errors import ExportError
from seig_search.exports import (
    export_settings,
    expected_objects,
    verify_exports,
    write_exports,
    write_exports_from_result,
)
from seig_search.program import CameraSpec, LightSpec, ObjectSpec, SceneSpec, render_program

SETTINGS = RenderSettings(engine="WORKBENCH", width=32, height=32, samples=1, passes=("color",))


def program(n_objects: int) -> str:
    shapes = ("cube", "sphere", "cylinder")
    spec = SceneSpec(
        objects=[ObjectSpec(name=f"obj{i}", shape=shapes[i], location=(1.2 * i - 1.0, 0.0, 0.5),
                            color=(0.2 + 0.3 * i, 0.3, 0.4)) for i in range(n_objects)],
        camera=CameraSpec(location=(5.0, -5.0, 3.0), look_at=(0.0, 0.0, 0.5)),
        lights=[LightSpec(name="key")],
    )
    return render_program(spec)


@pytest.fixture(scope="module")
def rendered(render_pool):
    jobs = [RenderJob(program(3), export_settings(SETTINGS), "three"), RenderJob(program(2), export_settings(SETTINGS), "two")]
    results = render_pool.render(jobs)
    assert all(r.ok for r in results), [str(r.failure) for r in results]
    return results


def test_exports_round_trip(rendered, tmp_path) -> None:
    result = rendered[0]
    report = write_exports_from_result(tmp_path, program(3), result)
    assert report.ok and report.blender_version and report.blender_version.startswith("5.0")
    assert [c.file for c in report.checks] == ["scene.py", "scene.blend", "scene.glb"]
    assert sorted(p.name for p in report.paths.values()) == ["scene.blend", "scene.glb", "scene.py"]
    assert (tmp_path / "scene.py").read_text() == program(3)
    assert (tmp_path / "scene.blend").read_bytes() == result.blend
    # the .glb, read back independently: the same mesh objects with the same materials as the render summary
    expected = expected_objects(result.summary)
    assert sorted(expected) == ["ground", "obj0", "obj1", "obj2"]
    scene = trimesh.load(tmp_path / "scene.glb", force="scene")
    seen = {node: scene.geometry[scene.graph[node][1]].visual.material.name for node in scene.graph.nodes_geometry}
    assert seen == expected


def test_mismatched_and_broken_exports_are_rejected(rendered, tmp_path) -> None:
    three, two = rendered
    with pytest.raises(ExportError, match="scene.glb: objects differ") as caught:
        write_exports(tmp_path, program(3), blend=three.blend, glb=two.glb, summary=three.summary)
    assert {c.file: c.ok for c in caught.value.checks} == {"scene.py": True, "scene.blend": True, "scene.glb": False}

    crashing = program(2).replace("def geometry():", "def geometry():\n    raise RuntimeError('boom')", 1)
    report = verify_exports(crashing, b"not a blend file", b"not a glb", summary=two.summary)
    assert not report.ok
    assert [c.ok for c in report.checks] == [False, False, False]
    assert "boom" in report.checks[0].detail

    hung = verify_exports(program(2), three.blend, None, summary=two.summary, timeout_s=0.05)
    assert [(c.file, c.ok) for c in hung.checks] == [("scene.py", False), ("scene.blend", False)]
    assert "ran past" in hung.checks[0].detail

    rejected = verify_exports("import os\nos.system('true')\n", None, None)  # policy first: never run
    assert [(c.file, c.ok) for c in rejected.checks] == [("scene.py", False)]
    assert "not run" in rejected.checks[0].detail and "import of 'os'" in rejected.checks[0].detail
    assert rejected.blender_version is None
    with pytest.raises(ExportError, match="not run"):
        write_exports(tmp_path / "bad", "import os\n", summary=two.summary)

"""Scene programs: deterministic text, section splicing, and real Blender builds matching the spec."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from seig_search.errors import ProgramError
from seig_search.program import LightSpec, ObjectSpec, SceneProgram, SceneSpec, render_program
from seig_search.program.prelude import PRELUDE
from seig_search.proposers.base import STAGES

# Runs a program in a fresh bpy process and prints what it built as JSON (the test's own probe, not seig's).
PROBE = """
import bpy, json, math, mathutils
exec(open(PROGRAM).read())
out = {"objects": {}, "lights": {}, "camera": None, "world": None, "engine": bpy.context.scene.render.engine}
for o in bpy.data.objects:
    if o.type == "MESH":
        mat = o.active_material
        bsdf = mat.node_tree.nodes["Principled BSDF"] if mat else None
        out["objects"][o.name] = {
            "pass_index": o.pass_index, "shape": o.get("seig_shape"),
            "dims": list(o.dimensions), "location": list(o.location),
            "rotation_deg": [math.degrees(r) for r in o.rotation_euler],
            "color": list(bsdf.inputs["Base Color"].default_value)[:3] if bsdf else None,
            "roughness": bsdf.inputs["Roughness"].default_value if bsdf else None,
            "metallic": bsdf.inputs["Metallic"].default_value if bsdf else None}
    elif o.type == "LIGHT":
        fwd = o.rotation_euler.to_matrix() @ mathutils.Vector((0, 0, -1))
        out["lights"][o.name] = {"kind": o.data.type, "energy": o.data.energy, "location": list(o.location),
                                 "forward": list(fwd)}
cam = bpy.context.scene.camera
fwd = cam.rotation_euler.to_matrix() @ mathutils.Vector((0, 0, -1))
out["camera"] = {"location": list(cam.location), "lens": cam.data.lens, "forward": list(fwd),
                 "rotation_euler": list(cam.rotation_euler)}
bg = bpy.context.scene.world.node_tree.nodes["Background"]
out["world"] = {"color": list(bg.inputs["Color"].default_value)[:3], "strength": bg.inputs["Strength"].default_value}
print("PROBE" + json.dumps(out))
"""


def run_in_blender(path: Path) -> dict:
    code = f"PROGRAM = {str(path)!r}\n" + PROBE
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("PROBE"))
    return json.loads(line[len("PROBE"):])


def sample_spec() -> SceneSpec:
    return SceneSpec(
        objects=[
            ObjectSpec(name="obj0", shape="cube", location=(0.0, 0.0, 0.5), rotation_deg=(0.0, 0.0, 30.0),
                       color=(0.8, 0.1, 0.1), roughness=0.4),
            ObjectSpec(name="obj1", shape="sphere", dims=(0.7, 0.7, 0.7), location=(1.5, 0.2, 0.35),
                       color=(0.1, 0.2, 0.9), metallic=1.0, roughness=0.15),
            ObjectSpec(name="obj2", shape="torus", dims=(1.0, 1.0, 0.25), location=(-1.4, 0.5, 0.125),
                       rotation_deg=(0.0, -20.0, 45.0)),
            ObjectSpec(name="obj3", shape="cone", dims=(0.6, 0.6, 1.2), location=(0.0, 1.6, 0.6), transmission=0.3),
            ObjectSpec(name="obj4", shape="monkey", dims=(0.8, 0.7, 0.6), location=(0.3, -1.5, 0.3),
                       emission_strength=1.5),
            ObjectSpec(name="obj5", shape="cylinder", dims=(0.5, 0.9, 0.4), location=(-1.5, -1.2, 0.2),
                       rotation_deg=(90.0, 0.0, -45.0)),
            ObjectSpec(name="obj6", shape="plane", dims=(0.8, 0.5, 0.0), location=(1.6, -1.4, 0.001)),
        ],
        lights=[LightSpec(name="key", kind="SUN", energy=3.0, location=(4.0, -3.0, 8.0)),
                LightSpec(name="fill", kind="AREA", energy=250.0, location=(-4.0, -4.0, 3.0), size=2.0)],
    )


def test_same_spec_gives_same_bytes() -> None:
    a, b = render_program(sample_spec()), render_program(SceneSpec.model_validate_json(sample_spec().model_dump_json()))
    assert a == b
    assert "0.500" in a and "-0.000" not in a
    other = sample_spec().model_copy(update={"objects": sample_spec().objects[:1]})
    assert render_program(other) != a


def test_program_runs_in_real_blender_and_matches_spec(tmp_path: Path) -> None:
    spec = sample_spec()
    path = tmp_path / "scene.py"
    path.write_text(render_program(spec))
    built = run_in_blender(path)
    assert built["engine"] == "BLENDER_EEVEE"  # the program left the factory render settings alone
    indices = spec.pass_indices()
    assert set(built["objects"]) == set(indices)
    for o in spec.objects:
        got = built["objects"][o.name]
        assert got["pass_index"] == indices[o.name]
        assert got["shape"] == o.shape
        assert got["dims"] == pytest.approx(list(o.dims), abs=1e-4)
        assert got["location"] == pytest.approx(list(o.location), abs=1e-5)
        assert got["rotation_deg"] == pytest.approx(list(o.rotation_deg), abs=1e-3)
        assert got["color"] == pytest.approx(list(o.color), abs=1e-6)
        assert got["roughness"] == pytest.approx(o.roughness) and got["metallic"] == pytest.approx(o.metallic)
    assert built["objects"]["ground"]["pass_index"] == 1
    assert built["objects"]["ground"]["dims"] == pytest.approx([30.0, 30.0, 0.0])
    cam = built["camera"]
    assert cam["lens"] == pytest.approx(spec.camera.lens)
    want = [t - l for t, l in zip(spec.camera.look_at, spec.camera.location)]
    norm = sum(w * w for w in want) ** 0.5
    assert cam["forward"] == pytest.approx([w / norm for w in want], abs=1e-5)
    assert built["lights"]["fill"]["kind"] == "AREA" and built["lights"]["fill"]["energy"] == pytest.approx(250.0)
    assert built["world"]["color"] == pytest.approx(list(spec.world.color))


def test_sections_and_splicing_keep_other_bytes() -> None:
    program = SceneProgram.from_spec(sample_spec())
    assert program.section("geometry").startswith("def geometry():")
    start, end = program.ranges["materials"]
    assert program.stage_at(start) == "materials" and program.stage_at(1) is None
    body = 'set_material("obj0", color=(0.1, 0.9, 0.1))\nset_material("obj1", roughness=0.9)\n'
    for code in (body, "def materials():\n" + "".join("    " + l + "\n" for l in body.splitlines())):
        new = program.with_section("materials", code)
        assert new.section("materials") == "def materials():\n" + "".join("    " + l + "\n" for l in body.splitlines())
        for stage in STAGES:
            if stage != "materials":
                assert new.section(stage) == program.section(stage)
        old_lines, new_lines = program.source.splitlines(), new.source.splitlines()
        assert new_lines[: start - 1] == old_lines[: start - 1]
        assert new_lines[start - 1 + 3 :] == old_lines[end:]
        assert new.hash != program.hash
    # Splicing the section back gives the original bytes.
    assert program.with_section("materials", program.section("materials")).source == program.source


def test_bad_programs_raise_program_errors() -> None:
    good = render_program(sample_spec())
    with pytest.raises(ProgramError, match="line"):
        SceneProgram.from_source(good.replace("def lighting():", "def lighting(:"))
    with pytest.raises(ProgramError, match="lighting"):
        SceneProgram.from_source(good.replace("def lighting():", "def lights():"))
    program = SceneProgram.from_source(good)
    with pytest.raises(ProgramError):
        program.with_section("geometry", "def materials():\n    pass\n")
    with pytest.raises(ProgramError):
        program.with_section("geometry", "add_object('x', 'cube'\n")
    with pytest.raises(ProgramError, match="unknown stage"):
        program.section("textures")


def test_prelude_passes_the_sandbox_policy() -> None:
    policy = pytest.importorskip("render_pool.policy")
    program = render_program(sample_spec())
    assert policy.check_program(PRELUDE) == []
    assert policy.check_program(program) == []


def test_dialect_doc_example_builds(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "dialect.md").read_text()
    example = doc.split("```python\n", 1)[1].split("```", 1)[0]
    program = SceneProgram.from_partial(example)
    assert program.section("lighting") in example
    path = tmp_path / "example.py"
    path.write_text(program.source)
    built = run_in_blender(path)
    assert sorted(built["objects"]) == ["ground", "obj0", "obj1", "obj2"]
    assert built["objects"]["obj2"]["dims"] == pytest.approx([0.6, 0.6, 1.2], abs=1e-4)
    assert built["lights"]["fill"]["kind"] == "AREA"


def test_spec_from_the_worker_summary_rebuilds_the_scene(tmp_path: Path) -> None:
    from seig_search.program import spec_from_summary

    spec = sample_spec()
    path = tmp_path / "scene.py"
    path.write_text(render_program(spec))
    # The render worker's own summary function, run in a bpy process as the worker runs it.
    code = (f"import bpy, json\nexec(open({str(path)!r}).read())\nfrom render_pool.worker_scene import scene_summary\n"
            "s = scene_summary(bpy)\nfor o in s['objects']:\n    o['shape'] = bpy.data.objects[o['name']].get('seig_shape')\n"
            "print('SUMMARY' + json.dumps(s))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("SUMMARY"))[len("SUMMARY"):])
    back = spec_from_summary(summary)
    assert [o.name for o in back.objects] == [o.name for o in spec.objects]
    for got, want in zip(back.objects, spec.objects):
        assert got.shape == want.shape
        assert got.dims == pytest.approx(want.dims, abs=1e-4) and got.location == pytest.approx(want.location, abs=1e-5)
        assert got.rotation_deg == pytest.approx(want.rotation_deg, abs=1e-3)
        assert got.color == pytest.approx(want.color, abs=1e-6) and got.metallic == pytest.approx(want.metallic)
    assert back.ground is not None and back.ground.size == pytest.approx(30.0)
    # Aims come back as points on the same view ray.
    for got, want in ((back.camera, spec.camera), *zip(back.lights, spec.lights)):
        ray = [a - b for a, b in zip(got.look_at, got.location)]
        true = [a - b for a, b in zip(want.look_at, want.location)]
        cos = sum(a * b for a, b in zip(ray, true)) / math.hypot(*ray) / math.hypot(*true)
        assert cos == pytest.approx(1.0, abs=1e-6)
    assert back.camera.lens == pytest.approx(spec.camera.lens)
    with pytest.raises(ProgramError):
        spec_from_summary({"objects": []})


def test_helper_table_matches_the_prelude_and_the_doc() -> None:
    import ast

    from seig_search.program.prelude import HELPERS
    from seig_search.program.roles import HELPER_PARAMS

    defs = {n.name: tuple(a.arg for a in n.args.args) for n in ast.parse(PRELUDE).body if isinstance(n, ast.FunctionDef)}
    doc = (Path(__file__).resolve().parents[1] / "docs" / "dialect.md").read_text()
    for name, params in HELPER_PARAMS.items():
        assert defs[name] == params
    for name in HELPERS:
        assert f"`{name}(" in doc

"""Numeric literals: found with their context and bounds, rewritten in place, and the result still runs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from seig_search.errors import ProgramError
from seig_search.program import ObjectSpec, SceneProgram, SceneSpec, render_program
from seig_search.program.literals import find_literals, rewrite
from test_program import run_in_blender, sample_spec

RAW_LIGHTING = '''def lighting():
    add_light("key", "SUN", location=(4.0, -4.0, 8.0), energy=3.0)
    add_light("lamp", "POINT", location=(-2.0, 1.0, 3.0), energy=800)  # warm lamp
    lamp = bpy.data.objects["lamp"]
    lamp.data.energy = 650
    lamp.data.color = (1.0, 0.8, 0.6)
    lamp.rotation_euler = (0.0, -0.5, math.radians(-30))
    mat = bpy.data.objects["obj0"].active_material
    mat.node_tree.nodes["Principled BSDF"].inputs["Roughness"].default_value = 0.25
    for i in range(2):
        bpy.data.objects["obj" + str(i)].pass_index = 7
    set_world(color=(0.1, 0.1, 0.2), strength=0.5)
'''


def raw_program() -> str:
    spec = SceneSpec(objects=[ObjectSpec(name="obj0", shape="cube", location=(0.0, 0.0, 0.5)),
                              ObjectSpec(name="obj1", shape="sphere", location=(1.5, 0.0, 0.5))])
    return SceneProgram.from_spec(spec).with_section("lighting", RAW_LIGHTING).source


def by_context(source: str) -> dict:
    return {lit.context: lit for lit in find_literals(source)}


def test_helper_literals_have_roles_and_bounds() -> None:
    source = render_program(sample_spec())
    lits = by_context(source)
    assert lits['set_material("obj0").roughness'].role == "unit"
    assert (lits['set_material("obj0").roughness'].low, lits['set_material("obj0").roughness'].high) == (0.0, 1.0)
    assert lits['set_material("obj1").color[2]'].value == pytest.approx(0.9)
    rot = lits['place("obj0").rotation[2]']
    assert (rot.value, rot.low, rot.high, rot.stage) == (30.0, -180.0, 180.0, "composition")
    lens = lits["set_camera().lens"]
    assert (lens.low, lens.high) == (10.0, 200.0)
    dims = lits['add_object("obj1").dims[0]']
    assert dims.low > 0.0 and dims.stage == "geometry" and dims.target == "obj1"
    # Locations are bounded by the scene extent: half the 30 m ground.
    loc = lits['place("obj1").location[0]']
    assert (loc.low, loc.high) == (-15.0, 15.0)
    assert lits['add_light("key").energy'].high <= 20.0  # a sun, W/m2
    assert lits['add_light("fill").energy'].high >= 1000.0  # an area light, W
    negative = lits['set_camera().location[1]']
    assert negative.value == -7.0 and negative.text == "-7.000"
    # Stage filter, ids per stage, and nothing from the prelude or build().
    only = find_literals(source, stage="materials")
    assert {lit.stage for lit in only} == {"materials"} and only[0].id == "materials:0"
    program = SceneProgram.from_source(source)
    for lit in find_literals(source):
        assert program.stage_at(lit.line) == lit.stage
        assert lit.low <= lit.value <= lit.high


def test_raw_bpy_literals_and_counts() -> None:
    lits = by_context(raw_program())
    assert lits["lamp.data.energy"].role == "energy" and lits["lamp.data.energy"].value == 650.0
    assert lits['add_light("lamp").energy'].role == "energy_watts"  # kind from the positional argument
    assert lits["lamp.data.color[1]"].role == "color"
    assert lits["lamp.rotation_euler[1]"].role == "rotation_rad"
    assert lits["radians().arg0"].role == "rotation_deg" and lits["radians().arg0"].value == -30.0
    socket = lits["mat.node_tree.nodes['Principled BSDF'].inputs['Roughness'].default_value"]
    assert socket.role == "unit"
    count = lits["range().arg0"]
    assert count.discrete and count.is_int
    assert not any("pass_index" in c for c in lits)  # indices are not parameters
    assert not any(c.startswith("(index)") for c in lits)
    assert lits["set_world().strength"].value == 0.5


def test_rewrite_keeps_formatting_and_comments(tmp_path: Path) -> None:
    source = raw_program()
    lits = by_context(source)
    values = {lits["lamp.data.energy"].id: 420.0, lits["radians().arg0"].id: 15.5,
              lits['add_light("key").location[1]'].id: 2.25, lits["range().arg0"].id: 1.4,
              lits['add_light("lamp").energy'].id: 900}
    new = rewrite(source, values)
    changed = [(a, b) for a, b in zip(source.splitlines(), new.splitlines()) if a != b]
    assert len(source.splitlines()) == len(new.splitlines())
    assert changed == [
        ('    add_light("key", "SUN", location=(4.0, -4.0, 8.0), energy=3.0)',
         '    add_light("key", "SUN", location=(4.0, 2.250, 8.0), energy=3.0)'),
        ('    add_light("lamp", "POINT", location=(-2.0, 1.0, 3.0), energy=800)  # warm lamp',
         '    add_light("lamp", "POINT", location=(-2.0, 1.0, 3.0), energy=900.000)  # warm lamp'),
        ("    lamp.data.energy = 650", "    lamp.data.energy = 420.000"),
        ("    lamp.rotation_euler = (0.0, -0.5, math.radians(-30))",
         "    lamp.rotation_euler = (0.0, -0.5, math.radians(15.500))"),
        ("    for i in range(2):", "    for i in range(1):"),
    ]
    again = by_context(new)
    assert again["lamp.data.energy"].value == 420.0 and again["range().arg0"].value == 1.0
    assert [lit.id for lit in find_literals(new)] == [lit.id for lit in find_literals(source)]
    # Negative values in expressions keep their meaning.
    expr = source.replace("lamp.data.energy = 650", "lamp.data.energy = 700 - 50")
    fifty = next(l for l in find_literals(expr) if l.context == "(expr) 700 - 50" and l.value == 50.0)
    assert "lamp.data.energy = 700 - (-25)" in rewrite(expr, {fifty.id: -25.0})
    # Clipping to the bounds on request; unknown ids and non-finite values are errors.
    rough = lits["mat.node_tree.nodes['Principled BSDF'].inputs['Roughness'].default_value"]
    assert "default_value = 1.00" in rewrite(source, {rough.id: 3.0}, clip=True)
    with pytest.raises(ProgramError, match="no literal"):
        rewrite(source, {"lighting:999": 1.0})
    with pytest.raises(ProgramError, match="finite"):
        rewrite(source, {rough.id: math.nan})


def test_rewritten_program_still_runs_and_builds_the_new_values(tmp_path: Path) -> None:
    source = raw_program()
    lits = by_context(source)
    new = rewrite(source, {lits['place("obj1").location[0]'].id: -2.5, lits['add_object("obj0").dims[2]'].id: 0.4,
                           lits["lamp.data.energy"].id: 123.0, lits['add_light("key").location[0]'].id: -3.0})
    path = tmp_path / "scene.py"
    path.write_text(new)
    built = run_in_blender(path)
    assert built["objects"]["obj1"]["location"][0] == pytest.approx(-2.5)
    assert built["objects"]["obj0"]["dims"][2] == pytest.approx(0.4)
    assert built["lights"]["lamp"]["energy"] == pytest.approx(123.0)
    assert built["lights"]["key"]["location"][0] == pytest.approx(-3.0)
    assert built["objects"]["obj1"]["pass_index"] == 7  # the raw line ran


def test_non_ascii_comment_keeps_spans() -> None:
    source = raw_program().replace("# warm lamp", "# wärm lämp — ☀")
    source = source.replace('    lamp.data.energy = 650', '    x = "é"; lamp.data.energy = 650')
    lit = by_context(source)["lamp.data.energy"]
    new = rewrite(source, {lit.id: 5.0})
    assert '    x = "é"; lamp.data.energy = 5.000' in new and "# wärm lämp — ☀" in new


def test_rewriting_every_literal_moves_one_spec_program_onto_another() -> None:
    a = sample_spec()
    b = SceneSpec.model_validate({
        **a.model_dump(),
        "objects": [{**o.model_dump(), "location": (o.location[0] + 0.25, -o.location[1], o.location[2]),
                     "color": (0.2, 0.3, 0.4), "roughness": 0.123} for o in a.objects],
        "camera": {**a.camera.model_dump(), "lens": 35.0, "location": (-6.0, -8.5, 4.25)},
    })
    source = render_program(a)
    same = {lit.id: lit.value for lit in find_literals(source)}
    assert rewrite(source, same) == source  # writing back the values changes no byte
    target = {lit.context: lit.value for lit in find_literals(render_program(b))}
    moved = rewrite(source, {lit.id: target[lit.context] for lit in find_literals(source)})
    assert moved == render_program(b)


def test_numbers_in_local_names_take_the_role_of_their_use() -> None:
    source = raw_program().replace(
        '    lamp = bpy.data.objects["lamp"]\n',
        '    lamp = bpy.data.objects["lamp"]\n    warm = (1.0, 0.7, 0.5)\n    watts = 300.0\n'
        '    lamp.data.color = warm\n    bpy.data.lights["key"].energy = watts\n'
        '    for k in range(2):\n        step = 0.5\n        step = step + 1.0\n')
    lits = {lit.context: lit for lit in find_literals(source)}
    assert lits["lamp.data.color[1] (via warm)"].role == "color"
    assert lits["bpy.data.lights['key'].energy (via watts)"].role == "energy"
    assert lits["step"].role == "unknown"  # assigned twice: no single meaning

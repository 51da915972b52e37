"""The static policy check: every escape in tests/escapes/ is rejected with its rule; scene programs pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from render_pool.policy import (
    FORBIDDEN_ATTRIBUTES,
    RULES,
    PolicyViolation,
    check_program,
    ensure_allowed,
)
from seig_search.errors import PolicyViolationError, ProgramError, SeigError
from policy_programs import OPS_PRIMITIVES, RAW_BPY, TUTORIAL_STYLE

ESCAPES = sorted((Path(__file__).parent / "escapes").glob("*.py"))


def _expected_rule(path: Path) -> str:
    match = re.search(r"^# expect: ([\w-]+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path.name} has no '# expect: <rule>' header"
    return match.group(1)


def test_corpus_is_large_and_documented() -> None:
    assert len(ESCAPES) >= 25
    for path in ESCAPES:
        text = path.read_text(encoding="utf-8")
        assert "# Tries: " in text, f"{path.name} does not say what it tries"
        assert _expected_rule(path) in RULES, f"{path.name} expects an unknown rule"


@pytest.mark.parametrize("path", ESCAPES, ids=[p.stem for p in ESCAPES])
def test_escape_is_rejected_with_expected_rule(path: Path) -> None:
    violations = check_program(path.read_text(encoding="utf-8"))
    rules = {v.rule for v in violations}
    assert _expected_rule(path) in rules, f"{path.name}: got {[str(v) for v in violations]}"
    with pytest.raises(PolicyViolationError) as caught:
        ensure_allowed(path.read_text(encoding="utf-8"))
    assert caught.value.violations == violations
    assert caught.value.exit_code == 4


# ---- legitimate programs ----------------------------------------------------------------------------------


def test_raw_bpy_scene_passes() -> None:
    assert check_program(RAW_BPY) == []


def test_bpy_ops_primitives_pass() -> None:
    assert check_program(OPS_PRIMITIVES) == []


def test_dialect_programs_pass() -> None:
    from seig_search.program.spec import CameraSpec, LightSpec, ObjectSpec, SceneSpec, WorldSpec, render_program

    shapes = ("cube", "sphere", "cylinder", "cone", "torus", "plane", "monkey")
    spec = SceneSpec(
        objects=[ObjectSpec(name=f"obj{i}", shape=shape, dims=(1.0, 0.5, 0.8), location=(i - 3.0, 0.0, 0.4),
                            rotation_deg=(0.0, 0.0, 15.0 * i), color=(0.2, 0.4, 0.6), roughness=0.3,
                            emission_strength=0.5 if shape == "cube" else 0.0)
                 for i, shape in enumerate(shapes)],
        camera=CameraSpec(location=(6.0, -6.0, 4.0), look_at=(0.0, 0.0, 0.5), lens=35.0),
        lights=[LightSpec(name="key", kind=kind) for kind in ("SUN",)]
        + [LightSpec(name=f"fill{k}", kind=kind) for k, kind in enumerate(("POINT", "AREA", "SPOT"))],
        world=WorldSpec(),
    )
    source = render_program(spec)
    assert "def reset_scene" in source  # the whole prelude is part of what is checked
    assert check_program(source) == []


def test_dialect_section_with_raw_bpy_passes() -> None:
    from seig_search.program import SceneProgram
    from seig_search.program.spec import SceneSpec, render_program

    program = SceneProgram.from_source(render_program(SceneSpec()))
    edited = program.with_section(
        "materials",
        "    set_material('ground', color=(0.5, 0.5, 0.5))\n"
        "    mat = bpy.data.objects['ground'].active_material\n"
        "    mat.node_tree.nodes['Principled BSDF'].inputs['Coat Weight'].default_value = 0.2\n",
    )
    assert check_program(edited.source) == []


# ---- API details -----------------------------------------------------------------------------------------

def test_violation_carries_rule_line_and_column() -> None:
    violations = check_program("import bpy\nx = 1\n  \nbpy.app.version\n")
    assert violations == [PolicyViolation("bpy-module", "attribute 'app' is not allowed", 4, 4)]
    with pytest.raises(AttributeError):
        violations[0].line = 1  # frozen
    assert str(violations[0]) == "line 4: [bpy-module] attribute 'app' is not allowed"


def test_violations_are_in_source_order_and_all_reported() -> None:
    violations = check_program("import os\nimport sys\nimport bpy\nbpy.utils.execfile\n")
    assert [(v.line, v.rule) for v in violations] == [(1, "import"), (2, "import"), (4, "bpy-module"), (4, "file-io")]


@pytest.mark.parametrize("source, line", [("def f(:\n    pass\n", 1), ("x = 1\ny = (\n", 2), ("\n\n  x = 1\n", 3)])
def test_syntax_error_is_program_error_with_line(source: str, line: int) -> None:
    with pytest.raises(ProgramError) as caught:
        check_program(source)
    assert not isinstance(caught.value, PolicyViolationError)
    assert caught.value.line == line
    assert caught.value.exit_code == 4
    assert isinstance(caught.value, SeigError)


def test_unparseable_sources_are_program_errors() -> None:
    with pytest.raises(ProgramError):
        check_program("x = 1\x00\n")
    with pytest.raises(ProgramError):
        check_program("x = " + "(" * 5000 + ")" * 5000 + "\n")


def test_oversized_program_is_rejected_without_parsing() -> None:
    assert [v.rule for v in check_program("x = 1\n" * 200_000)] == ["too-large"]


def test_ensure_allowed_accepts_clean_program() -> None:
    assert ensure_allowed("import bpy\nbpy.context.scene.frame_current = 1\n") is None


def test_every_rule_has_a_reason_and_every_table_entry_a_rule() -> None:
    assert all(isinstance(why, str) and len(why) > 20 for why in RULES.values())
    assert set(FORBIDDEN_ATTRIBUTES.values()) <= set(RULES)


@pytest.mark.parametrize("source", [
    "import bpy\nname = bpy.data.objects['obj0'].name\n",
    "import bpy\nbpy.data.objects['obj0']['seig_role'] = 'object'\n",
    "label = 'a/b'\n",
    "x = '{} {}'.format(1, 2)\n",
    "import bpy\nbpy.context.scene.render.engine = 'CYCLES'\n",
    "import bpy\nbpy.ops.uv.pack_islands(margin=0.01)\nbpy.ops.uv.lightmap_pack()\n",
])
def test_harmless_lookalikes_pass(source: str) -> None:
    assert check_program(source) == []


def test_tutorial_style_bpy_passes() -> None:
    """What models write after reading Blender tutorials: bpy.ops, context, render settings, nodes."""
    assert [str(v) for v in check_program(TUTORIAL_STYLE)] == []


def test_mangled_programs_give_violations_or_program_errors_only() -> None:
    """The check never crashes on odd input: every outcome is a list or a ProgramError (seeded mutations)."""
    import random

    rng = random.Random(1234)
    sources = [RAW_BPY, TUTORIAL_STYLE] + [p.read_text(encoding="utf-8") for p in ESCAPES[:10]]
    outcomes = {"list": 0, "error": 0}
    for _ in range(150):
        text = rng.choice(sources)
        start = rng.randrange(len(text))
        cut = text[:start] + text[start + rng.randrange(1, 40):]
        try:
            assert isinstance(check_program(cut), list)
            outcomes["list"] += 1
        except ProgramError:
            outcomes["error"] += 1
    assert outcomes["list"] > 0 and outcomes["error"] > 0


def test_docstrings_are_inert() -> None:
    source = 'def place():\n    """Moves obj__1 to /2 of the height, like ../ in a path."""\n    x = 1\n'
    assert check_program(source) == []
    assert [v.rule for v in check_program('x = "obj__1"\n')] == ["dunder"]

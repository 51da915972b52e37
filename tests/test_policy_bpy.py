"""The policy check against the real bpy: every file-touching operator and path property it has is rejected,
the security doc lists the rules as generated, and the programs the check accepts render in Blender."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from render_pool.policy import check_program
from policy_programs import OPS_PRIMITIVES, RAW_BPY, TUTORIAL_STYLE

PROGRAMS = {"RAW_BPY": RAW_BPY, "OPS_PRIMITIVES": OPS_PRIMITIVES, "TUTORIAL_STYLE": TUTORIAL_STYLE}


# ---- against the real bpy: every file-touching operator and path property is rejected ---------------------

_SCAN = r'''
import json, bpy
ops, props = [], set()
for cat in dir(bpy.ops):
    if cat.startswith("_"):
        continue
    for name in dir(getattr(bpy.ops, cat)):
        try:
            rna = getattr(getattr(bpy.ops, cat), name).get_rna_type()
        except Exception:
            continue
        if {p.identifier for p in rna.properties} & {"filepath", "directory", "files", "filename"}:
            ops.append(cat + "." + name)
for tname in dir(bpy.types):
    rna = getattr(getattr(bpy.types, tname), "bl_rna", None)
    for p in (rna.properties if rna is not None else ()):
        if p.type == "STRING" and p.subtype in ("FILE_PATH", "DIR_PATH"):
            props.add(p.identifier)
print(json.dumps({"ops": ops, "props": sorted(props)}))
'''


@pytest.fixture(scope="module")
def bpy_file_surface() -> dict:
    done = subprocess.run([sys.executable, "-c", _SCAN], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_operator_taking_a_file_is_rejected(bpy_file_surface: dict) -> None:
    assert len(bpy_file_surface["ops"]) > 40
    passed = [op for op in bpy_file_surface["ops"] if not check_program(f"import bpy\nbpy.ops.{op}()\n")]
    assert passed == []
    # and through an alias the chain check cannot follow: the names alone must reject them
    aliased = [op for op in bpy_file_surface["ops"] if not check_program(f"o = (1, 2)[0]\no.{op}()\n")]
    assert aliased == []


def test_every_path_property_is_rejected_except_generic_names(bpy_file_surface: dict) -> None:
    # Path-typed sockets and custom properties use generic names (default_value, name, id_name, value,
    # data); those are blocked elsewhere: no node that reads files can be created, no path literal passes.
    generic = {"default_value", "name", "id_name", "value", "data", "active_keyconfig"}
    passed = [p for p in bpy_file_surface["props"]
              if p not in generic and not check_program(f"x = y.{p}\n")]
    assert passed == []


def test_security_doc_lists_the_rules_as_generated() -> None:
    from render_pool.policy import rules_markdown

    doc = (Path(__file__).parent.parent / "docs" / "security.md").read_text(encoding="utf-8")
    begin = doc.index("-->\n", doc.index("<!-- rules:begin")) + len("-->\n")
    assert doc[begin:doc.index("<!-- rules:end -->")] == rules_markdown()


def test_legitimate_programs_render_with_the_policy_on(render_pool) -> None:
    """They are not only accepted by the check: they are real programs that Blender runs and renders."""
    from render_pool import RenderJob, RenderSettings

    assert render_pool.enforce_policy
    settings = RenderSettings(engine="WORKBENCH", width=16, height=16, passes=("color", "index"), timeout_s=60.0)
    names = ("RAW_BPY", "OPS_PRIMITIVES", "TUTORIAL_STYLE")
    results = render_pool.render([RenderJob(PROGRAMS[name], settings, name) for name in names])
    for name, result in zip(names, results):
        assert result.ok, (name, result.failure)
        assert len([o for o in result.summary["objects"] if o["type"] == "MESH"]) >= 2, name
        print(name, {k: round(v, 3) for k, v in result.timings.items()})

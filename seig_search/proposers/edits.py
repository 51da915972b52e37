"""Discrete edits of a scene program: swap an object's primitive, add, drop or split an object.

Edits work on the program text through its syntax tree: a call such as ``add_object("obj1", "cube",
dims=(...))`` is located by its line span and replaced, so the rest of the program keeps every byte. An
object's lines in other sections follow it (a dropped object loses its ``set_material`` and ``place``
lines; an added one gets copies), because a program that names a missing object does not run.
Every edit takes an explicit ``random.Random``; an edit that does not apply returns None.
"""

from __future__ import annotations

import ast
import math
import random
from dataclasses import dataclass

from seig_search.errors import ProgramError
from seig_search.program import SHAPES, SceneProgram
from seig_search.program.spec import fmt

SOLID_SHAPES = tuple(s for s in SHAPES if s not in ("plane", "monkey"))
OBJECT_CALLS = ("add_object", "set_material", "place")


@dataclass(frozen=True)
class ObjectCall:
    """One statement ``f("name", ...)`` in a section."""

    section: str
    func: str
    name: str
    start: int  # 1-based first line
    end: int  # 1-based last line
    node: ast.Call


def object_calls(program: SceneProgram) -> list[ObjectCall]:
    """Statements of the sections that call a dialect helper on a named object."""
    tree = ast.parse(program.source)
    calls: list[ObjectCall] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name not in program.ranges:
            continue
        for stmt in node.body:
            if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
                continue
            call = stmt.value
            if not (isinstance(call.func, ast.Name) and call.func.id in OBJECT_CALLS and call.args):
                continue
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                calls.append(ObjectCall(node.name, call.func.id, first.value, stmt.lineno,
                                        int(stmt.end_lineno or stmt.lineno), call))
    return calls


def objects(program: SceneProgram) -> list[str]:
    """Names of the objects made with add_object (the ground is not one)."""
    return [c.name for c in object_calls(program) if c.func == "add_object"]


def _kwarg(call: ast.Call, name: str, position: int | None = None):
    for keyword in call.keywords:
        if keyword.arg == name:
            return ast.literal_eval(keyword.value)
    if position is not None and len(call.args) > position:
        return ast.literal_eval(call.args[position])
    return None


def _vec(values) -> str:
    return "(" + ", ".join(fmt(v) for v in values) + ")"


def _replace_lines(source: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace 1-based inclusive line spans by text (a span with end < start inserts before start)."""
    lines = source.splitlines(keepends=True)
    for start, end, text in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[start - 1 : max(end, start - 1)] = [text] if text else []
    return "".join(lines)


def _indent(source: str, line: int) -> str:
    text = source.splitlines()[line - 1]
    return text[: len(text) - len(text.lstrip())]


def _finish(source: str) -> SceneProgram | None:
    try:
        program = SceneProgram.from_source(source)
    except ProgramError:
        return None
    for stage in program.ranges:  # an emptied section needs a body
        body = program.section(stage).splitlines()[1:]
        if not any(line.strip() and not line.strip().startswith("#") for line in body):
            program = program.with_section(stage, "pass\n")
    return program


def swap(program: SceneProgram, rng: random.Random) -> tuple[SceneProgram, str] | None:
    """Give one object another primitive shape."""
    adds = [c for c in object_calls(program) if c.func == "add_object" and len(c.node.args) >= 2]
    if not adds:
        return None
    call = rng.choice(adds)
    shape_node = call.node.args[1]
    if not isinstance(shape_node, ast.Constant):
        return None
    old = shape_node.value
    new = rng.choice([s for s in SOLID_SHAPES if s != old])
    lines = program.source.splitlines(keepends=True)
    row = lines[shape_node.lineno - 1]
    row = row[: shape_node.col_offset] + f'"{new}"' + row[shape_node.end_col_offset :]
    done = _finish(_replace_lines(program.source, [(shape_node.lineno, shape_node.lineno, row)]))
    return (done, f"swap {call.name} {old}->{new}") if done else None


def drop(program: SceneProgram, rng: random.Random) -> tuple[SceneProgram, str] | None:
    """Remove one object (and its material and placement), keeping at least one."""
    names = objects(program)
    if len(names) < 2:
        return None
    name = rng.choice(names)
    spans = [(c.start, c.end, "") for c in object_calls(program) if c.name == name]
    done = _finish(_replace_lines(program.source, spans))
    return (done, f"drop {name}") if done else None


def _fresh_name(program: SceneProgram, taken: list[str]) -> str:
    used = set(taken) | {c.name for c in object_calls(program)}
    i = len(taken)
    while f"obj{i}" in used:
        i += 1
    return f"obj{i}"


def _copy_object(program: SceneProgram, name: str, new_name: str, dims, location, rotation
                 ) -> list[tuple[int, int, str]]:
    """Insertions that make ``new_name`` a copy of ``name`` with new dims/location/rotation."""
    source = program.source
    edits = []
    for c in object_calls(program):
        if c.name != name:
            continue
        pad = _indent(source, c.start)
        if c.func == "add_object":
            text = f'{pad}add_object("{new_name}", "{c.node.args[1].value}", dims={_vec(dims)})\n'
        elif c.func == "place":
            text = f'{pad}place("{new_name}", location={_vec(location)}, rotation={_vec(rotation)})\n'
        else:  # set_material: same surface
            segment = ast.get_source_segment(source, c.node) or ""
            text = pad + segment.replace(f'"{name}"', f'"{new_name}"', 1) + "\n"
        edits.append((c.end + 1, c.end, text))
    return edits


def _object_state(program: SceneProgram, name: str):
    dims = location = rotation = None
    for c in object_calls(program):
        if c.name != name:
            continue
        if c.func == "add_object":
            dims = _kwarg(c.node, "dims", 2) or (1.0, 1.0, 1.0)
        elif c.func == "place":
            location = _kwarg(c.node, "location", 1) or (0.0, 0.0, 0.0)
            rotation = _kwarg(c.node, "rotation", 2) or (0.0, 0.0, 0.0)
    return dims, location, rotation


def _pick_object(program: SceneProgram, rng: random.Random):
    """(all names, a random object's name, its dims, location, rotation), or None when there is none to edit."""
    names = objects(program)
    if not names:
        return None
    name = rng.choice(names)
    try:
        dims, location, rotation = _object_state(program, name)
    except (ValueError, SyntaxError):
        return None
    if dims is None or location is None:
        return None
    return names, name, dims, location, rotation


def add(program: SceneProgram, rng: random.Random) -> tuple[SceneProgram, str] | None:
    """Add a smaller copy of an object beside it (the literal sampler then moves and sizes it)."""
    picked = _pick_object(program, rng)
    if picked is None:
        return None
    names, name, dims, location, rotation = picked
    scale = rng.uniform(0.5, 1.0)
    new_dims = tuple(max(0.05, d * scale) for d in dims)
    angle = rng.uniform(0.0, 2.0 * math.pi)
    reach = 0.75 * (max(dims[:2]) + max(new_dims[:2]))
    new_location = (location[0] + reach * math.cos(angle), location[1] + reach * math.sin(angle),
                    new_dims[2] / 2.0 if location[2] > 0 else location[2])
    new_name = _fresh_name(program, names)
    done = _finish(_replace_lines(program.source, _copy_object(program, name, new_name, new_dims, new_location,
                                                               rotation)))
    return (done, f"add {new_name} (copy of {name})") if done else None


def _rotation_matrix(rotation_deg) -> list[list[float]]:
    rx, ry, rz = (math.radians(a) for a in rotation_deg)
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    return [[cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx],
            [sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx],
            [-sy, cy * sx, cy * cx]]


def split(program: SceneProgram, rng: random.Random) -> tuple[SceneProgram, str] | None:
    """Split one object in two halves along its longest side (one region may be two objects)."""
    picked = _pick_object(program, rng)
    if picked is None:
        return None
    names, name, dims, location, rotation = picked
    axis = max(range(3), key=lambda i: dims[i])
    half = list(dims)
    half[axis] = dims[axis] / 2.0
    matrix = _rotation_matrix(rotation)
    offset = [matrix[row][axis] * dims[axis] / 4.0 for row in range(3)]
    first = tuple(location[i] - offset[i] for i in range(3))
    second = tuple(location[i] + offset[i] for i in range(3))
    new_name = _fresh_name(program, names)
    edits = _copy_object(program, name, new_name, half, second, rotation)
    for c in object_calls(program):  # shrink and move the original in place
        if c.name != name:
            continue
        pad = _indent(program.source, c.start)
        if c.func == "add_object":
            edits.append((c.start, c.end, f'{pad}add_object("{name}", "{c.node.args[1].value}", dims={_vec(half)})\n'))
        elif c.func == "place":
            edits.append((c.start, c.end, f'{pad}place("{name}", location={_vec(first)}, rotation={_vec(rotation)})\n'))
    done = _finish(_replace_lines(program.source, edits))
    return (done, f"split {name} -> {name}+{new_name}") if done else None


EDITS = {"swap": swap, "add": add, "drop": drop, "split": split}
#: The sections an edit may touch; an edit is used only when the stage edits all of them.
EDIT_SECTIONS = {"swap": ("geometry",), "add": ("geometry", "composition"), "drop": ("geometry", "composition"),
                 "split": ("geometry", "composition")}

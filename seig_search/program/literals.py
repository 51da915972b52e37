"""Numeric literals of a program's sections are its parameters.

`find_literals` walks the four section functions with `ast`, takes every number (and `-number` as one literal),
and bounds it by where it stands: a helper's keyword or positional argument (by the helper's signature), an
assignment to a known bpy attribute (``light.energy = 500``), a `math.radians(...)` call, or else a relative
range around its value. Indices are excluded; counts are discrete. The prelude and build() are never touched.
`rewrite` puts new values back at the literals' exact spans, so formatting and comments survive.
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from seig_search.errors import ProgramError
from seig_search.program.program import parse, section_nodes
from seig_search.program.roles import ROLE_BOUNDS, role_for_attribute, role_for_call, role_for_key
from seig_search.proposers.base import STAGES

DEFAULT_EXTENT = 10.0  # metres; half the side of the region objects are expected in, without a ground
_TRANSPARENT_CALLS = {"Vector", "Color", "Euler", "tuple", "list", "float"}  # wrappers that keep the role


@dataclass(frozen=True)
class Literal:
    """One tunable number in a section. Spans are 1-based lines and 0-based UTF-8 byte columns (as `ast`)."""

    id: str  # "<stage>:<n>", n counting the stage's literals in source order
    stage: str
    value: float
    text: str  # the literal as written, e.g. "-0.500"
    line: int
    col: int
    end_line: int
    end_col: int
    role: str  # key of roles.ROLE_BOUNDS, e.g. "unit", "location", "rotation_deg", "count", "unknown"
    context: str  # where it stands, e.g. 'place("obj0").location[2]'
    target: str | None  # the object name the call is about, when the helper takes one
    low: float
    high: float
    discrete: bool  # integer-valued (counts); rewritten as an int
    is_int: bool  # written as an int literal in the source

    def clip(self, value: float) -> float:
        value = min(max(float(value), self.low), self.high)
        return float(round(value)) if self.discrete else value


def find_literals(source: str, stage: str | None = None, extent: float | None = None) -> list[Literal]:
    """The tunable literals of one stage's section (or all four), in source order.

    `extent` bounds locations (metres from the origin); by default half the ground's size, else 10 m.
    """
    if stage is not None and stage not in STAGES:
        raise ProgramError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    return list(_find(source, stage, extent))


@functools.lru_cache(maxsize=64)  # a search rewrites the same survivor many times
def _find(source: str, stage: str | None, extent: float | None) -> tuple[Literal, ...]:
    tree = parse(source)
    sections = section_nodes(tree)
    parents = {child: node for section in sections.values() for node in ast.walk(section)
               for child in ast.iter_child_nodes(node)}  # the prelude is most of the file: skip it
    if extent is None:
        extent = _ground_extent(sections["geometry"]) or DEFAULT_EXTENT
    found: list[Literal] = []
    lines = source.encode("utf-8").splitlines(keepends=True)  # ast columns are UTF-8 byte offsets
    for name in STAGES if stage is None else (stage,):
        count = 0
        uses = _single_assignment_uses(sections[name])
        for node in _number_nodes(sections[name], parents):
            literal = _describe(node, name, count, parents, extent, lines, uses)
            if literal is not None:
                found.append(literal)
                count += 1
    return tuple(found)


def rewrite(source: str, values: Mapping[str, float], *, clip: bool = False) -> str:
    """The source with the literals named by id set to new values; every other byte unchanged."""
    literals = {lit.id: lit for lit in find_literals(source)}
    unknown = sorted(set(values) - set(literals))
    if unknown:
        raise ProgramError(f"no literal with id {', '.join(unknown)}")
    for lit_id, value in values.items():
        if not math.isfinite(float(value)):
            lit = literals[lit_id]
            raise ProgramError(f"literal {lit_id} ({lit.context}): value {value!r} is not finite", line=lit.line)
    return splice_values(source, literals, values, clip=clip)


def splice_values(source: str, literals: Mapping[str, Literal], values: Mapping[str, float], *,
                  clip: bool = False) -> str:
    """Write ``values`` over the spans of already-found ``literals`` of ``source`` (no parse: callers that
    rewrite one source many times find its literals once)."""
    data = source.encode("utf-8")
    starts = [0]
    for piece in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(piece))
    edits = []
    for lit_id, value in values.items():
        lit = literals[lit_id]
        value = lit.clip(value) if clip else float(value)
        begin, end = starts[lit.line - 1] + lit.col, starts[lit.end_line - 1] + lit.end_col
        edits.append((begin, end, format_value(lit, value).encode("utf-8")))
    for begin, end, text in sorted(edits, reverse=True):
        data = data[:begin] + text + data[end:]
    return data.decode("utf-8")


def format_value(lit: Literal, value: float) -> str:
    """Text for a new value: ints for discrete literals, else fixed decimals (at least the original's, 3+)."""
    if lit.discrete:
        text = str(int(round(value)))
    else:
        written = lit.text.lstrip("-").strip()
        decimals = len(written.split(".")[1]) if "." in written and "e" not in written.lower() else 0
        decimals = min(max(decimals, 3), 6)
        text = f"{value:.{decimals}f}"
        if text.startswith("-") and float(text) == 0.0:
            text = text[1:]
    return f"({text})" if text.startswith("-") and lit.context.startswith("(expr)") else text


def _ground_extent(geometry: ast.FunctionDef) -> float | None:
    for node in ast.walk(geometry):
        if isinstance(node, ast.Call) and _call_name(node) == "add_ground":
            size = next((k.value for k in node.keywords if k.arg == "size"), node.args[1] if len(node.args) > 1 else None)
            number = _number(size) if size is not None else None
            if number is not None and number > 0:
                return number / 2.0
            return 15.0  # the helper's default size is 30 m
    return None


def _number(node: ast.AST) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None or not isinstance(node.operand, ast.Constant) else -inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    return None


def _number_nodes(section: ast.FunctionDef, parents: dict) -> list[ast.AST]:
    """Number constants and -constants in the section body, outermost form only, in source order."""
    nodes = []
    for node in ast.walk(section):
        if _number(node) is None:
            continue
        parent = parents.get(node)
        if isinstance(node, ast.Constant) and isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub):
            continue  # counted as part of its -number
        nodes.append(node)
    return sorted(nodes, key=lambda n: (n.lineno, n.col_offset))


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _string_arg(call: ast.Call, index: int, keyword: str) -> str | None:
    node = next((k.value for k in call.keywords if k.arg == keyword), None)
    if node is None and len(call.args) > index:
        node = call.args[index]
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _subscript_key(node: ast.AST) -> str | None:
    # inputs["Roughness"].default_value -> "Roughness"
    while isinstance(node, ast.Attribute):
        node = node.value
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    return None


def _segment(lines: list[bytes], node: ast.AST) -> str:
    first, last = node.lineno - 1, int(node.end_lineno or node.lineno) - 1
    if first == last:
        return lines[first][node.col_offset : node.end_col_offset].decode("utf-8")
    middle = b"".join(lines[first + 1 : last])
    return (lines[first][node.col_offset :] + middle + lines[last][: node.end_col_offset]).decode("utf-8")


def _single_assignment_uses(section: ast.FunctionDef) -> dict[str, ast.Name]:
    """Local names assigned exactly once in the section -> their first read (`s = 0.5` ... `dims=(s, s, s)`)."""
    stores: dict[str, int] = {}
    loads: dict[str, ast.Name] = {}
    for node in ast.walk(section):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                stores[node.id] = stores.get(node.id, 0) + 1
            elif node.id not in loads or (node.lineno, node.col_offset) < (loads[node.id].lineno,
                                                                           loads[node.id].col_offset):
                loads[node.id] = node
    return {name: use for name, use in loads.items() if stores.get(name) == 1}


def _describe(node: ast.AST, stage: str, count: int, parents: dict, extent: float,
              lines: list[bytes], uses: dict[str, ast.Name]) -> Literal | None:
    value = _number(node)
    assert value is not None
    inner = node.operand if isinstance(node, ast.UnaryOp) else node
    is_int = isinstance(inner, ast.Constant) and type(inner.value) is int
    role, context, target = _role(node, parents, uses)
    if role == "excluded":
        return None
    low, high = _bounds(role, value, extent)
    discrete = role == "count" or (role == "unknown" and is_int)
    if discrete and role == "unknown":
        low, high = (float(math.floor(low)), float(math.ceil(high)))
    return Literal(
        id=f"{stage}:{count}", stage=stage, value=value, text=_segment(lines, node),
        line=node.lineno, col=node.col_offset, end_line=int(node.end_lineno or node.lineno),
        end_col=int(node.end_col_offset or 0), role=role, context=context, target=target,
        low=min(low, value), high=max(high, value), discrete=discrete, is_int=is_int,
    )


def _role(node: ast.AST, parents: dict, uses: dict[str, ast.Name] | None = None) -> tuple[str, str, str | None]:
    """(role, context, target) of a number node from the nodes around it; a number stored in a local name
    that is assigned once takes the role of the name's first use."""
    component: int | None = None
    child, parent = node, parents.get(node)
    while isinstance(parent, (ast.Tuple, ast.List)) or (
        isinstance(parent, ast.Call) and _call_name(parent) in _TRANSPARENT_CALLS and child in parent.args
    ):
        if isinstance(parent, (ast.Tuple, ast.List)) and component is None:
            component = parent.elts.index(child)
        child, parent = parent, parents.get(parent)
    suffix = "" if component is None else f"[{component}]"
    if isinstance(parent, ast.keyword) and isinstance(parents.get(parent), ast.Call):
        call = parents[parent]
        return _call_role(call, parent.arg, None, component, suffix)
    if isinstance(parent, ast.Call) and child in parent.args:
        return _call_role(parent, None, parent.args.index(child), component, suffix)
    if isinstance(parent, ast.Subscript) and child is parent.slice:
        return "excluded", "(index)", None
    if isinstance(parent, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and child is parent.value:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        target = targets[-1]
        if isinstance(target, ast.Name) and uses and target.id in uses and isinstance(parent, ast.Assign):
            role, context, obj = _role(uses[target.id], parents)
            if role == "color" and component == 3:
                role = "unit"
            return role, f"{context}{suffix} (via {target.id})", obj
        role = "unknown"
        if isinstance(target, ast.Attribute):
            role = role_for_attribute(target.attr, _subscript_key(target.value), component)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute):
            role = role_for_attribute(target.value.attr, None, _index(target.slice))
        return role, ast.unparse(target) + suffix, None
    if isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Attribute)):
        return "unknown", "(expr) " + ast.unparse(parent)[:60], None
    return "unknown", ast.unparse(parent)[:60] if parent is not None else "", None


def _index(node: ast.AST) -> int | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, int) else None


def _call_role(call: ast.Call, keyword: str | None, position: int | None, component: int | None,
               suffix: str) -> tuple[str, str, str | None]:
    name = _call_name(call)
    role, param = role_for_call(name, keyword, position, component, kind=_string_arg(call, 1, "kind"))
    target = _string_arg(call, 0, "name")
    head = f'{name}("{target}")' if target is not None else f"{name}()"
    if role == "unknown" and keyword is not None:
        role = role_for_key(keyword, component)
    return role, f"{head}.{param}{suffix}", target


def _bounds(role: str, value: float, extent: float) -> tuple[float, float]:
    spec = ROLE_BOUNDS.get(role)
    if spec is None:  # unknown context: a range relative to the value
        span = max(abs(value), 1.0) * 0.5
        return value - span, value + span
    low, high, scaled = spec
    return (low * extent, high * extent) if scaled else (low, high)

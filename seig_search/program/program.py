"""SceneProgram: a validated program text with its four stage sections located.

The source is the state; this class only parses it, finds the section functions (top-level
``def geometry()`` ... ``def lighting()``) and splices a replacement for one section while every other
byte stays as it was.
"""

from __future__ import annotations

import ast
import hashlib
import textwrap
from dataclasses import dataclass, field

from seig_search.errors import ProgramError
from seig_search.program.spec import SceneSpec, assemble, render_program
from seig_search.proposers.base import STAGES


def parse(source: str) -> ast.Module:
    """ast.parse with the error turned into a ProgramError that carries the line."""
    try:
        return ast.parse(source)
    except SyntaxError as error:
        raise ProgramError(f"syntax error: {error.msg}", line=error.lineno) from error


def section_nodes(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """The top-level section functions; a missing, repeated or argument-taking one is a ProgramError."""
    found: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in STAGES:
            if node.name in found:
                raise ProgramError(f"section {node.name}() is defined twice", line=node.lineno)
            if not isinstance(node, ast.FunctionDef):
                raise ProgramError(f"section {node.name}() must be a plain def", line=node.lineno)
            args = node.args
            if args.args or args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg:
                raise ProgramError(f"section {node.name}() must take no arguments", line=node.lineno)
            found[node.name] = node
    missing = [s for s in STAGES if s not in found]
    if missing:
        raise ProgramError("missing section functions: " + ", ".join(f"{s}()" for s in missing))
    return found


def _span(node: ast.FunctionDef) -> tuple[int, int]:
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return start, int(node.end_lineno or node.lineno)


@dataclass(frozen=True)
class SceneProgram:
    """An immutable, validated scene program. Build with `from_source`, `from_spec` or `from_sections`."""

    source: str
    ranges: dict[str, tuple[int, int]] = field(compare=False)  # stage -> (first line, last line), 1-based

    @classmethod
    def from_source(cls, source: str) -> "SceneProgram":
        if not isinstance(source, str) or not source.strip():
            raise ProgramError("empty program")
        nodes = section_nodes(parse(source))
        return cls(source=source, ranges={stage: _span(nodes[stage]) for stage in STAGES})

    @classmethod
    def from_spec(cls, spec: SceneSpec) -> "SceneProgram":
        return cls.from_source(render_program(spec))

    @classmethod
    def from_sections(cls, sections: dict[str, str]) -> "SceneProgram":
        """A full program (header, prelude, build) around section code; each value is a def or a body."""
        return cls.from_source(assemble({stage: normalise_section(stage, sections[stage]) for stage in STAGES
                                         if stage in sections}))

    @classmethod
    def from_partial(cls, text: str) -> "SceneProgram":
        """A full program from text that defines the four sections but may lack the prelude or build()
        (what a person or a model usually writes). Everything outside the section functions is dropped."""
        nodes = section_nodes(parse(text))
        lines = text.splitlines(keepends=True)
        sections = {}
        for stage in STAGES:
            start, end = _span(nodes[stage])
            sections[stage] = "".join(lines[start - 1 : end])
        return cls.from_source(assemble(sections))

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def lines(self) -> list[str]:
        return self.source.splitlines(keepends=True)

    def section(self, stage: str) -> str:
        """The source of one section function, `def` line through its last line."""
        start, end = self.ranges[_check_stage(stage)]
        return "".join(self.lines[start - 1 : end])

    def stage_at(self, line: int) -> str | None:
        """The stage whose section holds the 1-based line, or None (prelude, build)."""
        for stage, (start, end) in self.ranges.items():
            if start <= line <= end:
                return stage
        return None

    def with_section(self, stage: str, code: str) -> "SceneProgram":
        """A new program with the section replaced; `code` is a full `def <stage>():` block or only its body."""
        block = normalise_section(_check_stage(stage), code)
        start, end = self.ranges[stage]
        lines = self.lines
        tail = lines[end:]
        if end == len(lines) and not lines[-1].endswith("\n"):
            block = block.rstrip("\n")
        return SceneProgram.from_source("".join(lines[: start - 1]) + block + "".join(tail))


def _check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise ProgramError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    return stage


def normalise_section(stage: str, code: str) -> str:
    """Turn replacement code into one `def <stage>():` block ending in a newline.

    Accepts a whole def (other top-level lines around it, such as imports, are dropped) or a bare body,
    which is indented under a new def line.
    """
    text = textwrap.dedent(code.expandtabs(4)).strip("\n")
    if not text.strip():
        return f"def {stage}():\n    pass\n"
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None  # a body with `return` at top level still parses; anything else gets checked below
    named = [] if tree is None else [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == stage]
    wrong = [] if tree is None else [n for n in tree.body if isinstance(n, ast.FunctionDef)
                                      and n.name in STAGES and n.name != stage]
    if wrong:
        raise ProgramError(f"replacement for {stage}() defines {wrong[0].name}()", line=wrong[0].lineno)
    if named:
        others = [n for n in tree.body if n is not named[0] and not _droppable(n)]
        if len(named) != 1 or others:
            raise ProgramError(f"replacement for {stage}() must be one def {stage}() (imports aside)",
                               line=(others or named)[-1].lineno)
        start, end = _span(named[0])
        return "\n".join(text.splitlines()[start - 1 : end]) + "\n"
    body = textwrap.indent(text, "    ")
    block = f"def {stage}():\n{body}\n"
    try:
        ast.parse(block)
    except SyntaxError as error:
        line = None if error.lineno is None else max(error.lineno - 1, 1)
        raise ProgramError(f"replacement for {stage}(): {error.msg}", line=line) from error
    return block


def _droppable(node: ast.stmt) -> bool:
    """Top-level lines that may surround a replacement def: imports and bare strings."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)

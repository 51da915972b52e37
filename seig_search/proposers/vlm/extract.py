"""Pulling the stage's functions out of a model's reply, with a fault kind for every way that can fail."""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

THINKING = re.compile(r"<think(?:ing)?>.*?(?:</think(?:ing)?>|\Z)", re.DOTALL | re.IGNORECASE)
FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
PYTHON_TAGS = frozenset({"", "python", "python3", "py", "bpy"})


@dataclass(frozen=True)
class Extracted:
    """Section name -> the function's body (dedented source), as written by the model."""

    bodies: dict[str, str]
    code: str  # the whole code the sections came from


class ExtractionError(Exception):
    """The reply holds no usable code. ``kind`` is the counted fault; ``repairable`` ones get a repair turn."""

    def __init__(self, kind: str, message: str, line: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.code = code

    @property
    def repairable(self) -> bool:
        return self.kind in {"syntax", "missing_section"}


def _code_blocks(text: str) -> tuple[list[str], list[str]]:
    """(python blocks, blocks fenced as another language)."""
    python, other = [], []
    for match in FENCE.finditer(text):
        tag, body = match.group(1).lower(), match.group(2)
        (python if tag in PYTHON_TAGS else other).append(body)
    return python, other


def _choose_code(text: str, sections: tuple[str, ...]) -> str:
    python, other = _code_blocks(text)
    if python:
        wanted = [b for b in python if any(f"def {s}(" in b for s in sections)]
        return "\n\n".join(wanted or python)
    if other:
        raise ExtractionError("wrong_language", "the reply's code is fenced as another language, not Python")
    if any(f"def {s}(" in text for s in sections):
        # no fences at all: keep from the first top-level def onwards
        start = min(text.index(f"def {s}(") for s in sections if f"def {s}(" in text)
        return text[start:]
    raise ExtractionError("no_code", "the reply contains no Python code block")


def extract_sections(text: str | None, sections: tuple[str, ...], max_chars: int) -> Extracted:
    """The bodies of ``def <section>():`` for every name in ``sections``, or an ExtractionError."""
    if text is None or not text.strip():
        raise ExtractionError("empty", "the reply is empty")
    if len(text) > max_chars:
        raise ExtractionError("oversized", f"the reply has {len(text)} characters (limit {max_chars})")
    text = THINKING.sub("", text)  # reasoning models draft code while thinking; only the answer counts
    if not text.strip():
        raise ExtractionError("no_code", "the reply holds only reasoning, no answer")
    code = textwrap.dedent(_choose_code(text, sections)).strip("\n") + "\n"
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        if not any(f"def {s}(" in code for s in sections) and _looks_foreign(code):
            raise ExtractionError("wrong_language", "the reply's code is not Python", code=code) from None
        raise ExtractionError("syntax", f"SyntaxError: {error.msg}", line=error.lineno, code=code) from None
    found = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    missing = [s for s in sections if s not in found]
    if missing:
        names = ", ".join(f"def {s}():" for s in missing)
        raise ExtractionError("missing_section", f"the reply does not define {names}", code=code)
    lines = code.splitlines()
    bodies = {}
    for name in sections:
        node = found[name]
        first, last = node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno
        if first == node.lineno:  # `def f(): stmt` on one line
            bodies[name] = "\n".join(ast.unparse(stmt) for stmt in node.body) + "\n"
            continue
        # comments between the def line and the first statement belong to the body too
        start = min(node.lineno + 1, first)
        bodies[name] = textwrap.dedent("\n".join(lines[start - 1 : last])).strip("\n") + "\n"
    return Extracted(bodies=bodies, code=code)


def _looks_foreign(code: str) -> bool:
    markers = ("function ", "const ", "let ", "#include", "public static", "=>", "};", "fn main")
    return any(m in code for m in markers)

"""Prompt text from the Jinja templates in seig_search/prompts/ (package data), and the dialect reference."""

from __future__ import annotations

import ast
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from seig_search.errors import ConfigError

EDIT_BEGIN = "# >>> EDIT: {name}() is the only part you may change"
EDIT_END = "# <<< END EDIT {name}()"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("seig_search", "prompts"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values).strip() + "\n"


@lru_cache(maxsize=1)
def stage_goals() -> dict[str, dict[str, str]]:
    text = resources.files("seig_search.prompts").joinpath("vlm_stage_goals.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def goal(stage: str) -> dict[str, str]:
    goals = stage_goals()
    return goals.get(stage, goals["all"])


def dialect_reference(path: Path | None = None) -> str:
    """docs/dialect.md when it can be found (or the given file), else the prelude helpers' signatures."""
    candidates = [path] if path is not None else [Path(__file__).resolve().parents[3] / "docs" / "dialect.md"]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate.read_text(encoding="utf-8").strip()
    if path is not None:
        raise ConfigError(f"vlm: dialect reference {path} does not exist")
    return helper_signatures()


@lru_cache(maxsize=1)
def helper_signatures() -> str:
    """`def helper(args):` plus its docstring for every public prelude helper, as a Python block."""
    from seig_search.program import prelude

    tree = ast.parse(prelude.PRELUDE)
    lines = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in prelude.HELPERS:
            lines.append(f"def {node.name}({ast.unparse(node.args)}): ...")
            doc = ast.get_docstring(node)
            if doc:
                lines.append(f'    """{doc.strip()}"""')
    shapes = ", ".join(prelude.SHAPES)
    lights = ", ".join(prelude.LIGHT_KINDS)
    return f"Shapes: {shapes}. Light kinds: {lights}.\n\n```python\n" + "\n".join(lines) + "\n```"


def marked_program(sections: dict[str, str], editable: tuple[str, ...]) -> str:
    """The four section blocks (no prelude), the editable ones between EDIT markers."""
    out = []
    for name, block in sections.items():
        block = block.rstrip("\n")
        if name in editable:
            out.append(f"{EDIT_BEGIN.format(name=name)}\n{block}\n{EDIT_END.format(name=name)}")
        else:
            out.append(f"# (fixed, for context)\n{block}")
    return "\n\n".join(out)

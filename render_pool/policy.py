"""Static policy check for untrusted scene programs.

A scene program is Python written by a VLM or a person, run inside a sandboxed Blender worker. This AST
check is the first of two layers (the OS sandbox is the second, see docs/security.md): it rejects programs
that reach for the ways out that Python and bpy offer (imports, code-executing builtins, text blocks run as
modules, file operators, handlers, drivers, library loading, file paths).

The check is name-based on purpose: a forbidden attribute NAME is rejected whatever expression it hangs
off, so aliasing (``o = bpy.ops; o.wm...``) gains nothing. Where a name is too common to forbid outright
(``bpy.ops.scene`` vs ``context.scene``) the ``bpy.ops`` chain is also checked against an allowlist.

The rules are data in :mod:`render_pool.policy_rules` (re-exported here) so docs and tests can list them.
"""

from __future__ import annotations

import ast
import re
import string
from dataclasses import dataclass

from render_pool.policy_rules import (
    ALLOWED_DUNDER_NAMES,
    ALLOWED_DUNDER_STRINGS,
    ALLOWED_IMPORTS,
    ALLOWED_OPS_CATEGORIES,
    CODING,
    COMMON_WORDS,
    DENIED_OPS_CALLS,
    FORBIDDEN_ATTRIBUTES,
    FORBIDDEN_CALLS,
    FORBIDDEN_NAMES,
    FORBIDDEN_TOKENS,
    MAX_SOURCE_CHARS,
    NODE_TYPE_FRAGMENTS,
    PATH_LITERAL,
    RNA_PATH,
    RULES,
    attribute_rule,
    rules_markdown,
)
from seig_search.errors import PolicyViolationError, ProgramError

__all__ = [
    "ALLOWED_IMPORTS",
    "ALLOWED_OPS_CATEGORIES",
    "FORBIDDEN_ATTRIBUTES",
    "FORBIDDEN_CALLS",
    "FORBIDDEN_NAMES",
    "FORBIDDEN_TOKENS",
    "MAX_SOURCE_CHARS",
    "PolicyViolation",
    "ProgramError",
    "RULES",
    "check_program",
    "ensure_allowed",
    "rules_markdown",
]


@dataclass(frozen=True)
class PolicyViolation:
    """One rejected construct: which rule, why, and where (1-based line, 0-based column)."""

    rule: str
    message: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"line {self.line}: [{self.rule}] {self.message}"


def _import_allowed(module: str) -> bool:
    return module.split(".")[0] in ALLOWED_IMPORTS


def _chain(node: ast.expr) -> list[str] | None:
    """`a.b.c` -> ["a", "b", "c"]; None when the chain does not start at a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


class _Checker:
    """One pass over the tree, pre-order: each node's check runs before its children are visited (alias
    and base bookkeeping relies on that). Checks never recurse themselves."""

    def __init__(self) -> None:
        self.bases: set[int] = set()  # ids of nodes used as `x.attr` / `x[i]` bases
        self.keys: set[int] = set()  # ids of constants used as subscript or dict keys
        self.inert: set[int] = set()  # ids of docstrings and other bare string statements
        self.violations: list[PolicyViolation] = []
        self.bpy_names: set[str] = set()  # names bound to the bpy module
        self.ops_names: set[str] = set()  # names bound to bpy.ops
        self.module_names: set[str] = set()  # every name an import statement binds

    def flag(self, node: ast.AST, rule: str, message: str) -> None:
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        if isinstance(node, ast.Attribute) and node.end_lineno is not None and node.end_col_offset is not None:
            line, col = node.end_lineno, node.end_col_offset - len(node.attr)  # point at the name itself
        self.violations.append(PolicyViolation(rule, message, line, col))

    def check_name_part(self, node: ast.AST, name: str, what: str) -> bool:
        """Flag `name` if a rule forbids it; True when flagged."""
        rule = attribute_rule(name)
        if rule is not None:
            self.flag(node, rule, f"{what} {name!r} is not allowed")
        return rule is not None

    # imports -------------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.module_names.add(alias.asname or alias.name.split(".")[0])
            if not _import_allowed(alias.name):
                self.flag(node, "import", f"import of {alias.name!r} is not allowed")
                continue
            for part in alias.name.split(".")[1:]:
                self.check_name_part(node, part, "module")
            if alias.name == "bpy.ops" and alias.asname:
                self.ops_names.add(alias.asname)
            elif alias.name.split(".")[0] == "bpy" and (alias.asname is None or alias.name == "bpy"):
                self.bpy_names.add(alias.asname or "bpy")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not _import_allowed(module):
            self.flag(node, "import", f"import from {'.' * node.level}{module!r} is not allowed")
            return
        for part in module.split(".")[1:]:
            self.check_name_part(node, part, "module")
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, "star-import", f"'from {module} import *' is not allowed")
                continue
            self.module_names.add(alias.asname or alias.name)
            self.check_name_part(node, alias.name, "imported name")
            if module == "bpy.ops" and alias.name not in ALLOWED_OPS_CATEGORIES:
                self.flag(node, "ops-category", f"bpy.ops category {alias.name!r} is not allowed")
            if module == "bpy" and alias.name == "ops":
                self.ops_names.add(alias.asname or "ops")

    # names and attributes ----------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if not isinstance(node.ctx, ast.Load):
            if name.startswith("__"):
                self.flag(node, "dunder", f"name {name!r} is not allowed")
            return
        if name in FORBIDDEN_NAMES:
            self.flag(node, "dunder" if name.startswith("__") else "forbidden-builtin",
                      f"name {name!r} is not allowed")
        elif name in FORBIDDEN_CALLS and not self._used_as_base(node):
            self.flag(node, "forbidden-builtin", f"builtin {name!r} is not allowed")
        elif name.startswith("__") and name not in ALLOWED_DUNDER_NAMES:
            self.flag(node, "dunder", f"name {name!r} is not allowed")

    def _used_as_base(self, node: ast.Name) -> bool:
        """True for `x.attr` and `x[i]`: a variable that merely shadows a builtin's name."""
        return id(node) in self.bases

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.bases.add(id(node.value))
        self.keys.add(id(node.slice))

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            self.inert.add(id(node.value))  # a docstring or bare literal is never evaluated for effect

    def visit_Dict(self, node: ast.Dict) -> None:
        self.keys.update(id(key) for key in node.keys if key is not None)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.bases.add(id(node.value))
        if not self.check_name_part(node, node.attr, "attribute"):
            self._check_chain(node)
        if node.attr == "format" and not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            # str.format(t, x) or t.format(x) with a computed t walks attributes named in t at run time
            self.flag(node, "introspection", ".format of a computed template is not allowed")

    def _check_chain(self, node: ast.Attribute) -> None:
        chain = _chain(node)
        if chain is None:
            return
        ops_path = None  # the part after bpy.ops, when this is a bpy.ops chain
        if chain[0] in self.bpy_names and len(chain) >= 3 and chain[1] == "ops":
            ops_path = chain[2:]
        elif chain[0] in self.ops_names:
            ops_path = chain[1:]
        if ops_path is not None and len(ops_path) == 1 and ops_path[0] not in ALLOWED_OPS_CATEGORIES:
            self.flag(node, "ops-category", f"bpy.ops category {ops_path[0]!r} is not allowed")
        elif ops_path is not None and len(ops_path) == 2 and tuple(ops_path) in DENIED_OPS_CALLS:
            self.flag(node, "file-io", f"operator bpy.ops.{'.'.join(ops_path)} is not allowed")
        if chain[-2:] == ["context", "copy"]:
            self.flag(node, "introspection", "bpy.context.copy() is not allowed")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and chain[0] in self.module_names and (
                len(chain) == 2 or "types" in chain[1:-1]):
            self.flag(node, "module-state", f"assigning to {'.'.join(chain)} is not allowed")

    def visit_Assign(self, node: ast.Assign) -> None:
        # `x = bpy.ops` / `x = o` makes x an alias of bpy.ops (the name denylist still applies to x.wm).
        chain = _chain(node.value) if isinstance(node.value, (ast.Attribute, ast.Name)) else None
        if chain is not None:
            is_ops = (len(chain) == 2 and chain[0] in self.bpy_names and chain[1] == "ops") or (
                len(chain) == 1 and chain[0] in self.ops_names)
            is_bpy = len(chain) == 1 and chain[0] in self.bpy_names
            is_module = chain[0] in self.module_names and (len(chain) == 1 or "types" in chain[1:])
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if is_ops:
                        self.ops_names.add(target.id)
                    if is_bpy:
                        self.bpy_names.add(target.id)
                    if is_module:  # m = math; T = bpy.types.Object: stores through it are module state
                        self.module_names.add(target.id)

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        # `case object(app=a)` reads the attribute `app` by name
        for name in node.kwd_attrs:
            self.check_name_part(node, name, "match attribute")

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self.check_name_part(node, node.arg, "keyword argument")


    # definitions -------------------------------------------------------------------------------
    def _check_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        if node.name.startswith("__"):
            self.flag(node, "dunder", f"definition of {node.name!r} is not allowed")

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _check_def

    def visit(self, tree: ast.AST) -> None:
        self.checks = {getattr(ast, name[len("visit_"):]): getattr(self, name)
                       for name in dir(self) if name.startswith("visit_") and hasattr(ast, name[len("visit_"):])}
        self._walk(tree)

    def _walk(self, node: ast.AST) -> None:
        check = self.checks.get(type(node))
        if check is not None:
            check(node)
        for field in node._fields:  # ast.iter_child_nodes, minus the many Load/Store leaves (2x faster)
            if field == "ctx":
                continue
            value = getattr(node, field, None)
            if isinstance(value, ast.AST):
                self._walk(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self._walk(item)

    def visit_arg(self, node: ast.arg) -> None:
        if node.arg.startswith("__"):
            self.flag(node, "dunder", f"parameter {node.arg!r} is not allowed")

    # literals ----------------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if not isinstance(value, str) or id(node) in self.inert:
            return
        if "__" in value and value not in ALLOWED_DUNDER_STRINGS:
            self.flag(node, "dunder", f"string containing '__' is not allowed: {value[:40]!r}")
        elif PATH_LITERAL.search(value.strip()):
            self.flag(node, "path-literal", f"string looks like a file path: {value[:60]!r}")
        elif any(fragment in value for fragment in NODE_TYPE_FRAGMENTS):
            self.flag(node, "node-group", f"node type {value[:60]!r} is not allowed")
        elif self._is_key(node) and value in FORBIDDEN_ATTRIBUTES and value not in COMMON_WORDS:
            # obj["shading_system"] = 1 sets Python-defined RNA properties; **{"filepath": p} passes keywords.
            # Exact names only: keys are also object names ("backpack_strap" must pass).
            self.check_name_part(node, value, "key")
        if RNA_PATH.match(value):
            for part in re.findall(r"(?:^|\.)([A-Za-z_]\w*)", value):
                self.check_name_part(node, part, "data path part")
        if "{" in value:
            self._check_format_fields(node, value)

    def _is_key(self, node: ast.Constant) -> bool:
        return id(node) in self.keys

    def _check_format_fields(self, node: ast.Constant, value: str) -> None:
        """`"{0.app}".format(bpy)` walks attributes at run time: apply the attribute rules to its fields."""
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(value) if f]
        except ValueError:
            return
        for field in fields:
            for part in re.split(r"[.\[\]]", field)[1:]:
                if part and not part.isdigit():
                    self.check_name_part(node, part, "format field")


def check_program(source: str) -> list[PolicyViolation]:
    """Every policy violation in `source`, in source order; raises ProgramError if it does not parse."""
    if len(source) > MAX_SOURCE_CHARS:
        return [PolicyViolation("too-large", f"program has {len(source)} characters, more than "
                                f"{MAX_SOURCE_CHARS}", 1, 0)]
    try:
        tree = ast.parse(source, filename="<scene program>")
    except SyntaxError as error:
        raise ProgramError(f"syntax error: {error.msg}", line=error.lineno) from None
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, absurd nesting
        raise ProgramError(f"program cannot be parsed: {error}", line=None) from None
    checker = _Checker()
    for number, text in enumerate(source.splitlines()[:2], start=1):
        match = CODING.match(text)
        if match and match.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
            checker.flag(ast.Pass(lineno=number, col_offset=0), "encoding",
                         f"coding declaration {match.group(1)!r} is not allowed; programs are UTF-8")
    try:
        checker.visit(tree)
    except RecursionError:
        raise ProgramError("program is nested too deeply to check", line=None) from None
    return sorted(checker.violations, key=lambda v: (v.line, v.col, v.rule))


def ensure_allowed(source: str) -> None:
    """Raise PolicyViolationError (or ProgramError for syntax errors) unless `source` passes the policy."""
    violations = check_program(source)
    if violations:
        raise PolicyViolationError(violations)

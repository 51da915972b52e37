"""Static policy check for untrusted scene programs.

A scene program is Python written by a VLM or a person, run inside a sandboxed Blender worker. This AST
check is the first of two layers (the OS sandbox is the second, see docs/security.md): it rejects programs
that reach for the ways out that Python and bpy offer (imports, code-executing builtins, text blocks run as
modules, file operators, handlers, drivers, library loading, file paths).

The check is name-based on purpose: a forbidden attribute NAME is rejected whatever expression it hangs
off, so aliasing (``o = bpy.ops; o.wm...``) gains nothing. Where a name is too common to forbid outright
(``bpy.ops.scene`` vs ``context.scene``) the ``bpy.ops`` chain is also checked against an allowlist.

The rules are data (:data:`RULES`, :data:`FORBIDDEN_ATTRIBUTES`, ...) so docs and tests can list them.
"""

from __future__ import annotations

import ast
import functools
import re
import string
from dataclasses import dataclass

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

# Rule name -> why it exists. Every violation carries one of these names.
RULES: dict[str, str] = {
    "import": "only bpy, bmesh, mathutils (and their submodules), math and random may be imported; "
    "everything else (os, sys, subprocess, socket, ctypes, importlib, ...) reaches the machine",
    "star-import": "`from x import *` binds names the check cannot see",
    "forbidden-builtin": "builtins that run code, reach attributes by string, open files or expose the "
    "interpreter (`exec`, `eval`, `compile`, `open`, `getattr`, `globals`, `vars`, ...); `input`, `help`, "
    "`breakpoint` and `exit` may only be shadowed, not called",
    "dunder": "double-underscore names, attributes and strings are the classic way out of any Python "
    "sandbox (`__class__.__subclasses__`, `__globals__`, `__builtins__`, `__import__`); only reading "
    "`__name__` and the string `'__main__'` are allowed",
    "private-attribute": "single-underscore attributes are internals (`random._os`, `bpy.ops._op_call`)",
    "bpy-module": "`bpy.app` (handlers, binary path, timers), `bpy.utils` (execfile, module loaders, "
    "register_class), `bpy.path`, `bpy.msgbus` and `bpy.props` are not scene building",
    "text-block": "Blender text blocks run as modules or scripts (`bpy.data.texts`, `as_module`, script "
    "operators and nodes)",
    "ops-category": "only the `bpy.ops` categories in ALLOWED_OPS_CATEGORIES may be called; wm, script, "
    "text, image, render, file, preferences, sound, screen, sequencer, import_*/export_* open, save or run "
    "files",
    "file-io": "loading, saving, linking, packing, baking, presets and anything named like a file path "
    "touch the file system",
    "callback": "handlers, timers, message-bus subscriptions, drivers and class registration run code later, "
    "outside the program",
    "ui-state": "preferences, window manager, windows, screens and workspaces hold settings that persist "
    "or run operators",
    "node-group": "node groups (geometry-node file import, compositor file output) and OSL script shading "
    "read and write files",
    "python-eval": "operators that evaluate strings as Python (the node-adding operators' `settings`, "
    "`wm.context_*`), even where they need a UI the worker lacks today",
    "introspection": "frames, code objects, RNA path resolution by string, `bpy.context.copy()` and "
    "`.format()` on computed templates reach objects the check cannot see",
    "path-literal": "a string that looks like a file path or a URL has no business in a scene program",
    "module-state": "assigning to a module or bpy.types attribute (`math.sin = ...`, `bpy.types.Object.x = ...`) "
    "outlives the job in a reused worker and can tamper with the next candidates",
    "encoding": "a coding declaration other than UTF-8 makes Blender read different code than was checked",
    "too-large": "programs are capped in size to keep the check and the worker bounded",
}

ALLOWED_IMPORTS: frozenset[str] = frozenset({"bpy", "bmesh", "mathutils", "math", "random"})

# bpy.ops categories a scene program may call (checked when the chain starts at bpy.ops).
ALLOWED_OPS_CATEGORIES: frozenset[str] = frozenset(
    {"mesh", "object", "transform", "material", "node", "curve", "uv", "collection", "constraint",
     "world", "texture"}
)

# bpy.ops categories that are never needed and never collide with an attribute a scene needs: rejected
# as attribute names whatever the base expression, which defeats aliasing of bpy.ops.
_DENIED_OPS_NAMES = (
    "wm script text text_editor image file preferences sound screen sequencer console info ed "
    "buttons cachefile extensions asset workspace ui ptcache fluid cloth dpaint clip outliner poselib "
    "palette brush paint paintcurve sculpt sculpt_curves gizmogroup spreadsheet view2d view3d uilist "
    "marker nla graph anim boid export_anim export_scene export_mesh import_anim import_curve import_scene "
    "import_mesh import_image"
).split()

_NAMES_BY_RULE: dict[str, str] = {
    "bpy-module": "app utils path msgbus props",
    "text-block": "texts as_module as_string edit_text script scripts bytecode bytecode_hash",
    "file-io": "load save save_as save_render write reload pack unpack library "
    "libraries filepath filepath_raw filepath_from_user directory files filename file base_path "
    "temp_data autopack use_autopack cache_files cache_file cache_directory use_disk_cache "
    "use_external add_image empty_image_add movieclips sounds sequence_editor sequence_editor_create "
    "strips sequences new_movie new_sound new_image execfile filepaths full_path image_output_path proxy_dir "
    "font_path_ui font_path_ui_mono animation_player image_editor relative_path paste copybuffer pastebuffer "
    "merge_images denoise_animation",
    "callback": "handlers timers driver_namespace drivers driver driver_add driver_remove expression "
    "register register_class unregister unregister_class subscribe_rna clear_by_owner",
    "ui-state": "preferences window_manager window_managers window windows screen screens workspace workspaces area areas "
    "keyconfigs clipboard addons",
    "node-group": "node_groups node_group compositing_node_group shading_system new_geometry_nodes_modifier "
    "new_geometry_node_group_assign new_geometry_node_group_tool new_node_tree new_compositing_node_group "
    "new_compositor_sequencer_node_group duplicate_compositing_node_group add_group_asset swap_group_asset "
    "modifier_add_node_group geometry_node_tree_copy_assign drop_geometry_nodes geometry_nodes_move_to_nodes",
    "python-eval": "add_node swap_node add_empty_group swap_empty_group add_zone swap_zone add_simulation_zone "
    "add_repeat_zone add_foreach_geometry_element_zone add_closure_zone update_animated_transform_constraints",
    "introspection": "path_resolve as_pointer user_map mro gi_frame gi_code cr_frame cr_code ag_frame ag_code "
    "f_globals f_locals f_builtins f_back f_code tb_frame tb_next co_code co_consts func_globals "
    "func_code format_map",
}

# Attribute name -> rule. Applied to every attribute, keyword argument and imported name.
FORBIDDEN_ATTRIBUTES: dict[str, str] = {
    **{name: "ops-category" for name in _DENIED_OPS_NAMES},
    **{name: rule for rule, names in _NAMES_BY_RULE.items() for name in names.split()},
}

# A name made of '_'-separated words, one of which is here, is rejected too (save_as_mainfile,
# multires_external_save, camera.preset_add, object.ocean_bake, font.text_paste_from_file, ...).
FORBIDDEN_TOKENS: dict[str, str] = {
    **{token: "file-io" for token in (
        "load save open write read reload pack unpack export exporter import external bake preset "
        "file files filepath filename directory library libraries play"
    ).split()},
    **{token: "text-block" for token in ("script", "scripts")},
    **{token: "callback" for token in ("handler", "handlers", "timer", "timers", "driver", "drivers",
                                        "register", "unregister", "subscribe")},
}
# Harmless names that contain a forbidden token.
_TOKEN_EXCEPTIONS: frozenset[str] = frozenset({"pack_islands", "lightmap_pack", "file_format"})

# Builtins that run code, reach attributes by string or open files: rejected wherever they are read.
FORBIDDEN_NAMES: frozenset[str] = frozenset(
    "exec eval compile __import__ open getattr setattr delattr globals locals vars "
    "__builtins__ __loader__ __spec__ __file__ __build_class__".split()
)
# Builtins that are harmless as variable names (`for input in node.inputs`) but not as values: they read
# stdin, start a pager or a debugger, or end the worker. Rejected when called or passed around.
FORBIDDEN_CALLS: frozenset[str] = frozenset(
    "input help breakpoint exit quit license credits copyright".split()
)

# Dunder names a program may legitimately read: `if __name__ == "__main__": build()`.
_ALLOWED_DUNDER_NAMES = frozenset({"__name__"})
_ALLOWED_DUNDER_STRINGS = frozenset({"__main__"})

MAX_SOURCE_CHARS = 512 * 1024

# Node type names whose nodes read or write files or run scripts (geometry-node import, compositor file
# output, OSL script): rejected inside any string.
NODE_TYPE_FRAGMENTS: tuple[str, ...] = ("GeometryNode", "CompositorNode", "NodeImport", "ShaderNodeScript",
                                        "NodeOutputFile", "NodeTree")
# bpy.ops calls rejected although their category is allowed (they write a copy buffer file).
_DENIED_OPS_CALLS = frozenset({("material", "copy"), ("material", "paste")})
# Forbidden names that are also ordinary object names ("window", "screen"): not rejected as dict or
# subscript keys, where `bpy.data.objects["window"]` is legitimate.
_COMMON_WORDS = frozenset(
    "window screen area text image file path sound marker brush paint clip palette graph asset fluid cloth "
    "console info ui ed anim boid expression driver load open script library".split()
)
# "modifiers['Cloth'].point_cache.use_disk_cache": RNA data paths (keyframe_insert, fcurves.new) reach
# properties by string, so their identifiers get the attribute rules.
_RNA_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\]]*\])+$")
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")

_PATH_LITERAL = re.compile(
    r"""^(?:/|~|\\|[A-Za-z]:[\\/]|[A-Za-z][\w+.-]*://|file:|\.\.?[\\/])  # absolute, home, UNC, drive, URL, relative
       |(?:^|[\\/])\.\.(?:[\\/]|$)                         # parent-folder step anywhere
       |\.(?:blend\d?|py|pyc|pyd|so|dll|dylib|sh|bat|exe|osl|oso|abc|usd[acz]?|vdb|obj|fbx|ply|stl|glb|gltf)$""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class PolicyViolation:
    """One rejected construct: which rule, why, and where (1-based line, 0-based column)."""

    rule: str
    message: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"line {self.line}: [{self.rule}] {self.message}"


@functools.lru_cache(maxsize=4096)  # the same few hundred names recur in every program
def _attribute_rule(name: str) -> str | None:
    """The rule that forbids attribute (or keyword, or imported) `name`, if any."""
    if name.startswith("__") and name.endswith("__"):
        return "dunder"
    if name.startswith("_"):
        return "private-attribute"
    if name in FORBIDDEN_ATTRIBUTES:
        return FORBIDDEN_ATTRIBUTES[name]
    if name in _TOKEN_EXCEPTIONS:
        return None
    for token in name.lower().split("_"):
        token = token.rstrip("0123456789")  # input_filepath1
        if token in FORBIDDEN_TOKENS:
            return FORBIDDEN_TOKENS[token]
    return None


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
        rule = _attribute_rule(name)
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
        elif name.startswith("__") and name not in _ALLOWED_DUNDER_NAMES:
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
        elif ops_path is not None and len(ops_path) == 2 and tuple(ops_path) in _DENIED_OPS_CALLS:
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
        if "__" in value and value not in _ALLOWED_DUNDER_STRINGS:
            self.flag(node, "dunder", f"string containing '__' is not allowed: {value[:40]!r}")
        elif _PATH_LITERAL.search(value.strip()):
            self.flag(node, "path-literal", f"string looks like a file path: {value[:60]!r}")
        elif any(fragment in value for fragment in NODE_TYPE_FRAGMENTS):
            self.flag(node, "node-group", f"node type {value[:60]!r} is not allowed")
        elif self._is_key(node) and value in FORBIDDEN_ATTRIBUTES and value not in _COMMON_WORDS:
            # obj["shading_system"] = 1 sets Python-defined RNA properties; **{"filepath": p} passes keywords.
            # Exact names only: keys are also object names ("backpack_strap" must pass).
            self.check_name_part(node, value, "key")
        if _RNA_PATH.match(value):
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


def rules_markdown() -> str:
    """The rule table of docs/security.md, generated from the data above (a test keeps them equal)."""
    names: dict[str, list[str]] = {rule: [] for rule in RULES}
    for name, rule in FORBIDDEN_ATTRIBUTES.items():
        names[rule].append(f"`{name}`")
    for name in FORBIDDEN_NAMES | FORBIDDEN_CALLS:
        names["dunder" if name.startswith("__") else "forbidden-builtin"].append(f"`{name}`")
    words: dict[str, list[str]] = {rule: [] for rule in RULES}
    for word, rule in FORBIDDEN_TOKENS.items():
        words[rule].append(f"`{word}`")
    rows = ["| rule | why | names it rejects (as attribute, keyword, imported name or key) |", "|---|---|---|"]
    for rule, why in RULES.items():
        listed = ", ".join(sorted(names[rule]))
        if words[rule]:
            listed += ("; " if listed else "") + "names containing the word " + ", ".join(sorted(words[rule]))
        rows.append(f"| `{rule}` | {why} | {listed} |")
    return "\n".join(rows) + "\n"


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
        match = _CODING.match(text)
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

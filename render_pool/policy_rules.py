"""The policy's rules as data: what a scene program may not name, and why.

`render_pool.policy` applies them; `rules_markdown()` turns them into the table of docs/security.md (a test
keeps the two equal), so the rules are written down once.
"""

from __future__ import annotations

import functools
import re

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
DENIED_OPS_NAMES = (
    "wm script text text_editor image file preferences sound screen sequencer console info ed "
    "buttons cachefile extensions asset workspace ui ptcache fluid cloth dpaint clip outliner poselib "
    "palette brush paint paintcurve sculpt sculpt_curves gizmogroup spreadsheet view2d view3d uilist "
    "marker nla graph anim boid export_anim export_scene export_mesh import_anim import_curve import_scene "
    "import_mesh import_image"
).split()

NAMES_BY_RULE: dict[str, str] = {
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
    **{name: "ops-category" for name in DENIED_OPS_NAMES},
    **{name: rule for rule, names in NAMES_BY_RULE.items() for name in names.split()},
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
TOKEN_EXCEPTIONS: frozenset[str] = frozenset({"pack_islands", "lightmap_pack", "file_format"})

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
ALLOWED_DUNDER_NAMES = frozenset({"__name__"})
ALLOWED_DUNDER_STRINGS = frozenset({"__main__"})

MAX_SOURCE_CHARS = 512 * 1024

# Node type names whose nodes read or write files or run scripts (geometry-node import, compositor file
# output, OSL script): rejected inside any string.
NODE_TYPE_FRAGMENTS: tuple[str, ...] = ("GeometryNode", "CompositorNode", "NodeImport", "ShaderNodeScript",
                                        "NodeOutputFile", "NodeTree")
# bpy.ops calls rejected although their category is allowed (they write a copy buffer file).
DENIED_OPS_CALLS = frozenset({("material", "copy"), ("material", "paste")})
# Forbidden names that are also ordinary object names ("window", "screen"): not rejected as dict or
# subscript keys, where `bpy.data.objects["window"]` is legitimate.
COMMON_WORDS = frozenset(
    "window screen area text image file path sound marker brush paint clip palette graph asset fluid cloth "
    "console info ui ed anim boid expression driver load open script library".split()
)
# "modifiers['Cloth'].point_cache.use_disk_cache": RNA data paths (keyframe_insert, fcurves.new) reach
# properties by string, so their identifiers get the attribute rules.
RNA_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\]]*\])+$")
CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")

PATH_LITERAL = re.compile(
    r"""^(?:/|~|\\|[A-Za-z]:[\\/]|[A-Za-z][\w+.-]*://|file:|\.\.?[\\/])  # absolute, home, UNC, drive, URL, relative
       |(?:^|[\\/])\.\.(?:[\\/]|$)                         # parent-folder step anywhere
       |\.(?:blend\d?|py|pyc|pyd|so|dll|dylib|sh|bat|exe|osl|oso|abc|usd[acz]?|vdb|obj|fbx|ply|stl|glb|gltf)$""",
    re.VERBOSE | re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)  # the same few hundred names recur in every program
def attribute_rule(name: str) -> str | None:
    """The rule that forbids attribute (or keyword, or imported) `name`, if any."""
    if name.startswith("__") and name.endswith("__"):
        return "dunder"
    if name.startswith("_"):
        return "private-attribute"
    if name in FORBIDDEN_ATTRIBUTES:
        return FORBIDDEN_ATTRIBUTES[name]
    if name in TOKEN_EXCEPTIONS:
        return None
    for token in name.lower().split("_"):
        token = token.rstrip("0123456789")  # input_filepath1
        if token in FORBIDDEN_TOKENS:
            return FORBIDDEN_TOKENS[token]
    return None


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

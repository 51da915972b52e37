# Tries: take str.format unbound under another name, so no `.format(` call follows a computed template.
# expect: introspection
import bpy
fmt = str.format
leak = fmt("{0." + "app}", bpy)

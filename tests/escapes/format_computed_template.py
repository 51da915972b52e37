# Tries: build the format template at run time so no literal shows the fields.
# expect: introspection
import bpy
template = "{0." + "app.binary_path}"
leak = template.format(bpy)

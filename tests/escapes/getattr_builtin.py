# Tries: reach bpy.app by building the attribute name at run time.
# expect: forbidden-builtin
import bpy
handlers = getattr(bpy, "a" + "pp").handlers

# Tries: put a callable into the driver namespace.
# expect: bpy-module
import bpy
bpy.app.driver_namespace["f"] = print

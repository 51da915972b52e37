# Tries: set a Python-defined render property through its ID-property key instead of the attribute.
# expect: node-group
import bpy
bpy.context.scene.cycles["shading_system"] = 1

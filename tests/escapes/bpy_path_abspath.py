# Tries: resolve Blender-relative paths with bpy.path.
# expect: bpy-module
import bpy
where = bpy.path.abspath("x")

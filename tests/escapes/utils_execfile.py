# Tries: execute a file with bpy.utils.execfile.
# expect: bpy-module
import bpy
bpy.utils.execfile("payload")

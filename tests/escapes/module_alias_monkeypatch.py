# Tries: patch a bpy type through an alias so later jobs in the same worker report wrong scene data.
# expect: module-state
import bpy
Obj = bpy.types.Object
Obj.pass_index = 0

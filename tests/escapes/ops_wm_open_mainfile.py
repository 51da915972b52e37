# Tries: load another .blend file with its auto-run scripts.
# expect: ops-category
import bpy
bpy.ops.wm.open_mainfile(filepath=bpy.data.objects[0].name)

# Tries: alias bpy.ops through 'from bpy import ops as o' and save the file elsewhere.
# expect: ops-category
from bpy import ops as o
o.wm.save_as_mainfile()

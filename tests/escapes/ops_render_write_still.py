# Tries: render and write the image wherever render settings point.
# expect: ops-category
import bpy
bpy.ops.render.render(write_still=True)

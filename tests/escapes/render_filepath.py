# Tries: move the render output path.
# expect: file-io
import bpy
bpy.context.scene.render.filepath = "x"

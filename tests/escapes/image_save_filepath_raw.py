# Tries: point an in-memory image at a path outside the output folder and save it.
# expect: file-io
import bpy
image = bpy.data.images.new("x", 4, 4)
image.filepath_raw = "leak.png"
image.save()

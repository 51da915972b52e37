# Tries: link data-blocks from a .blend file on disk.
# expect: file-io
import bpy
with bpy.data.libraries.load("assets.blend") as (src, dst):
    dst.objects = src.objects

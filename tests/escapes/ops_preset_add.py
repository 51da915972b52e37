# Tries: write a Python preset file into the user's config through an allowed-looking category.
# expect: file-io
import bpy
bpy.ops.camera.preset_add(name="payload")

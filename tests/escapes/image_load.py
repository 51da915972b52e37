# Tries: load an arbitrary file as an image.
# expect: file-io
import bpy
image = bpy.data.images.load("secret.png")

# Tries: reach text blocks through bpy.context.blend_data instead of bpy.data.
# expect: text-block
import bpy
data = bpy.context.blend_data
data.texts.new("payload")

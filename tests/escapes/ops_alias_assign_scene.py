# Tries: alias bpy.ops to a variable and use a category whose name is also a common attribute.
# expect: ops-category
import bpy
x = bpy.ops
x.scene.new(type="EMPTY")

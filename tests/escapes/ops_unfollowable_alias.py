# Tries: hide bpy.ops behind an expression alias tracking cannot follow, then call a file operator.
# expect: file-io
import bpy
ops = (bpy.ops, None)[0]
ops.cycles.merge_images(input_filepath1="a", input_filepath2="b")

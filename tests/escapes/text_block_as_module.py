# Tries: write Python into a Blender text block and run it as a module.
# expect: text-block
import bpy
text = bpy.data.texts.new("payload")
text.from_string("import os\nos.system('id')")
text.as_module()

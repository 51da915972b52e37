# Tries: run a Python file through the script operators.
# expect: text-block
import bpy
bpy.ops.script.python_file_run()

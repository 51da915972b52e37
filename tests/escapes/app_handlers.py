# Tries: register a handler that runs after every later job in the same worker.
# expect: bpy-module
import bpy
bpy.app.handlers.depsgraph_update_post.append(lambda scene: None)

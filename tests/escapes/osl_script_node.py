# Tries: switch Cycles to OSL and attach a script node.
# expect: node-group
import bpy
bpy.context.scene.cycles.shading_system = True

# Tries: the node-adding operator, which eval()s each setting's value string as Python.
# expect: python-eval
import bpy
bpy.ops.node.add_node(type="ShaderNodeMath", settings=[{"name": "label", "value": "print(1)"}])

# Tries: a geometry-node group with a file import node, to read a file into the rendered geometry.
# expect: node-group
import bpy
tree = bpy.data.node_groups.new("g", "GeometryNodeTree")

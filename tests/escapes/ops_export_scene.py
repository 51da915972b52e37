# Tries: write the scene to disk with an exporter.
# expect: ops-category
import bpy
bpy.ops.export_scene.gltf()

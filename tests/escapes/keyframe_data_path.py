# Tries: write a forbidden property through the animation system, by RNA data path string.
# expect: file-io
import bpy
obj = bpy.data.objects["obj0"]
obj.keyframe_insert(data_path="modifiers['Cloth'].point_cache.use_disk_cache", frame=1)

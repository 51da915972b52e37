# Tries: subscribe a callback on the message bus that fires in later jobs.
# expect: bpy-module
import bpy
bpy.msgbus.subscribe_rna(key=bpy.context.scene, owner=object, args=(), notify=print)

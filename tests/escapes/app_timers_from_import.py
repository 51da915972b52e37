# Tries: import bpy.app's timers directly.
# expect: bpy-module
from bpy.app import timers
timers.register(lambda: 1.0)

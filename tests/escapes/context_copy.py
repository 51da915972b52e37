# Tries: fetch context members (preferences, window manager) by string from bpy.context.copy().
# expect: introspection
import bpy
members = bpy.context.copy()

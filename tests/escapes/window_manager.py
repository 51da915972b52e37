# Tries: reach the window manager (its operators and key maps).
# expect: ui-state
import bpy
wm = bpy.context.window_manager

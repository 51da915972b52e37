# Tries: turn on auto-running of scripts in the preferences.
# expect: ui-state
import bpy
bpy.context.preferences.filepaths.use_scripts_auto_execute = True

# Tries: star-import bpy so app, utils and path arrive as bare names.
# expect: star-import
from bpy import *

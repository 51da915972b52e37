# Tries: read attributes through str.format fields instead of attribute syntax.
# expect: dunder
import bpy
leak = "{0.__class__}".format(bpy)

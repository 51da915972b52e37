# Tries: hide a forbidden attribute behind full-width Unicode letters (Python folds them with NFKC).
# expect: bpy-module
import bpy
x = bpy.ａｐｐ

# Tries: smuggle an absolute path into a program, for any API that takes a path.
# expect: path-literal
import bpy
target = "/etc/passwd"

# Tries: a class pattern in a match statement, which reads attributes by keyword name without attribute syntax.
# expect: bpy-module
import bpy
match bpy:
    case object(app=app):
        app.handlers.load_post.append(print)

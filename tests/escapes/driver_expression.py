# Tries: a driver whose Python expression runs on every depsgraph update.
# expect: callback
import bpy
obj = bpy.data.objects.new("o", None)
fcurve = obj.driver_add("location", 0)
fcurve.driver.expression = "0"

"""Legitimate scene programs the policy check must accept: raw bpy, bpy.ops primitives, tutorial style."""

RAW_BPY = '''\
import bpy
import bmesh
import math
import random
from mathutils import Vector, Matrix, Euler
from mathutils.noise import noise

scene = bpy.context.scene


def geometry():
    mesh = bpy.data.meshes.new("obj0")
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=1.0)
    bmesh.ops.bevel(bm, geom=bm.edges[:], offset=0.05, segments=2, affect="EDGES")
    bm.to_mesh(mesh)
    bm.free()
    obj = bpy.data.objects.new("obj0", mesh)
    scene.collection.objects.link(obj)
    obj.modifiers.new("smooth", "SUBSURF").levels = 1
    verts = [(0, 0, 0), (1, 0, 0), (1, 1, 0)]
    tri = bpy.data.meshes.new("tri")
    tri.from_pydata(verts, [], [(0, 1, 2)])
    tri.validate()
    coll = bpy.data.collections.new("props")
    scene.collection.children.link(coll)
    coll.objects.link(bpy.data.objects.new("tri", tri))


def materials():
    mat = bpy.data.materials.new("red")
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    bsdf = nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (0.8, 0.1, 0.1, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.4
    noise_tex = nodes.new("ShaderNodeTexNoise")
    mat.node_tree.links.new(noise_tex.outputs["Fac"], bsdf.inputs["Roughness"])
    for input in bsdf.inputs:
        if input.name == "Metallic":
            input.default_value = 0.0
    bpy.data.objects["obj0"].data.materials.append(mat)
    bpy.data.objects["window"] if "window" in bpy.data.objects else None


def composition():
    obj = bpy.data.objects["obj0"]
    obj.location = Vector((0.0, 0.0, 0.5)) + Vector((random.uniform(-0.1, 0.1), 0.0, 0.0))
    obj.rotation_euler = Euler((0.0, 0.0, math.radians(30.0)))
    obj.scale = (1.0, 1.0, 1.0 + 0.01 * noise(Vector((1.0, 2.0, 3.0))))
    obj.keyframe_insert(data_path="location", frame=1)
    cam_data = bpy.data.cameras.new("camera")
    cam_data.lens = 50.0
    cam_data.clip_start = 0.1
    cam = bpy.data.objects.new("camera", cam_data)
    scene.collection.objects.link(cam)
    cam.location = (7.0, -7.0, 5.0)
    cam.rotation_euler = (Vector((0, 0, 0.5)) - cam.location).to_track_quat("-Z", "Y").to_euler()
    cam.matrix_world = Matrix.Translation(cam.location) @ cam.rotation_euler.to_matrix().to_4x4()
    scene.camera = cam


def lighting():
    light = bpy.data.lights.new("key", type="SUN")
    light.energy = 3.0
    light.angle = math.radians(1.0)
    obj = bpy.data.objects.new("key", light)
    scene.collection.objects.link(obj)
    scene.world.node_tree.nodes["Background"].inputs["Strength"].default_value = 1.0
    print("objects: {}".format(len(bpy.data.objects)), f"{light.name!r}")


def build():
    geometry()
    materials()
    composition()
    lighting()


if __name__ == "__main__":
    build()
'''

OPS_PRIMITIVES = '''\
import bpy

bpy.ops.mesh.primitive_cube_add(size=1.0, location=(0.0, 0.0, 0.5))
bpy.context.active_object.name = "obj0"
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.5, location=(1.5, 0.0, 0.5))
bpy.ops.object.shade_smooth()
bpy.ops.mesh.primitive_cylinder_add(vertices=32, radius=0.3, depth=1.0, location=(-1.5, 0.0, 0.5))
bpy.ops.mesh.primitive_plane_add(size=20.0)
bpy.ops.transform.rotate(value=0.5, orient_axis="Z")
bpy.ops.object.modifier_add(type="BEVEL")
bpy.ops.material.new()
bpy.ops.object.select_all(action="DESELECT")
bpy.ops.object.light_add(type="POINT", location=(3.0, -3.0, 4.0))
bpy.ops.object.camera_add(location=(6.0, -6.0, 4.0))
bpy.context.scene.camera = bpy.context.active_object
bpy.ops.curve.primitive_bezier_circle_add(radius=1.0)
bpy.ops.mesh.primitive_cube_add(size=0.5, location=(0.0, 2.0, 0.25))
bpy.ops.object.mode_set(mode="EDIT")
bpy.ops.mesh.select_all(action="SELECT")
bpy.ops.uv.smart_project()
bpy.ops.object.mode_set(mode="OBJECT")
'''


TUTORIAL_STYLE = '''\
import bpy
import math
import random
from math import radians
from mathutils import Vector

random.seed(42)
bpy.ops.object.select_all(action="SELECT")
bpy.ops.object.delete()
bpy.ops.mesh.primitive_cube_add(size=2, location=(0, 0, 1))
cube = bpy.context.active_object
cube.name = "Box"
mat = bpy.data.materials.new(name="Red")
mat.use_nodes = True
nodes = mat.node_tree.nodes
bsdf = nodes.get("Principled BSDF")
bsdf.inputs["Base Color"].default_value = (1, 0, 0, 1)
checker = nodes.new(type="ShaderNodeTexChecker")
mat.node_tree.links.new(checker.outputs["Color"], bsdf.inputs["Base Color"])
out = nodes.new("ShaderNodeOutputMaterial")
cube.data.materials.append(mat)
bevel = cube.modifiers.new(name="Bevel", type="BEVEL")
bevel.width = 0.1
bpy.ops.object.shade_smooth()
bpy.ops.object.shade_auto_smooth()
cube.rotation_euler[2] = radians(45)
bpy.ops.object.light_add(type="AREA", location=(4, 4, 6))
light = bpy.context.object
light.data.energy = 500
light.data.size = 2
bpy.ops.object.camera_add(location=(7, -7, 5))
cam = bpy.context.object
track = cam.constraints.new(type="TRACK_TO")
track.target = cube
track.track_axis = "TRACK_NEGATIVE_Z"
track.up_axis = "UP_Y"
cam.data.dof.use_dof = True
cam.data.dof.focus_distance = 5
scene = bpy.context.scene
scene.camera = cam
scene.render.engine = "CYCLES"
scene.cycles.samples = 64
scene.render.resolution_x = 512
scene.render.film_transparent = True
scene.render.image_settings.file_format = "PNG"
scene.view_settings.view_transform = "Standard"
world = scene.world
world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.5
sky = world.node_tree.nodes.new("ShaderNodeTexSky")
bpy.ops.object.text_add(location=(0, -2, 0))
bpy.context.object.data.body = "Hello"
for i in range(5):
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.2, location=(i * 0.5, 2, 0.2))
    bpy.context.object.name = "ball_%d" % i
strap = bpy.data.objects.get("backpack_strap")
if "window" in bpy.data.objects:
    bpy.data.objects["window"].hide_render = True
depsgraph = bpy.context.evaluated_depsgraph_get()
corners = [cube.matrix_world @ Vector(c) for c in cube.bound_box]
print("lowest corner: {:.2f}".format(min(c.z for c in corners)), len(bpy.data.objects), hasattr(cube, "data"))
bpy.context.view_layer.update()
'''

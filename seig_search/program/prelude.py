"""The helper prelude written into every scene program.

The prelude is Blender code kept as text: seig never imports bpy, it only writes these helpers into each
program so the file runs in plain Blender (``blender --background --python scene.py``) with nothing of
seig installed. It builds meshes with bpy.data + bmesh (about twice as cheap as bpy.ops), uses only the
imports the sandbox policy allows (bpy, bmesh, mathutils, math) and no underscore names, and never touches
render settings (the worker owns engine and resolution).
"""

from __future__ import annotations

DIALECT_VERSION = 1

# Shapes the prelude can build; `dims` always means the bounding-box size in metres.
SHAPES: tuple[str, ...] = ("cube", "sphere", "cylinder", "cone", "torus", "plane", "monkey")
LIGHT_KINDS: tuple[str, ...] = ("SUN", "POINT", "AREA", "SPOT")
HELPERS: tuple[str, ...] = (
    "reset_scene",
    "add_ground",
    "add_object",
    "set_material",
    "place",
    "set_camera",
    "add_light",
    "set_world",
)

HEADER = f"""\
# seig scene program (dialect {DIALECT_VERSION}). Runs in Blender: blender --background --python scene.py
# Sections: geometry() materials() composition() lighting(); build() resets the scene and runs them in order.
"""

PRELUDE = '''\
import bpy
import bmesh
import math
import mathutils

# ---- prelude: dialect helpers (do not edit; sections below are the scene) ----
SEIG_SHAPES = ("cube", "sphere", "cylinder", "cone", "torus", "plane", "monkey")
SEIG_LIGHT_KINDS = ("SUN", "POINT", "AREA", "SPOT")
SEIG_DEFAULT_ENERGY = {"SUN": 3.0, "POINT": 1000.0, "AREA": 500.0, "SPOT": 1000.0}


def reset_scene():
    """Remove every object and datablock a program creates; render settings stay as they are."""
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj, do_unlink=True)
    for blocks in (bpy.data.meshes, bpy.data.materials, bpy.data.lights, bpy.data.cameras,
                   bpy.data.curves, bpy.data.worlds, bpy.data.collections):
        for block in list(blocks):
            blocks.remove(block)
    set_world()


def find_object(name):
    obj = bpy.data.objects.get(name)
    if obj is None:
        raise ValueError("no object named " + repr(name))
    return obj


def vec3(value, what):
    if len(value) != 3:
        raise ValueError(what + " needs 3 numbers, got " + repr(value))
    return mathutils.Vector((float(value[0]), float(value[1]), float(value[2])))


def shape_bmesh(shape):
    """A bmesh of the shape, any size; returns (bm, smooth) where smooth says which faces shade smooth."""
    bm = bmesh.new()
    if shape == "cube":
        bmesh.ops.create_cube(bm, size=1.0)
        return bm, "none"
    if shape == "sphere":
        bmesh.ops.create_uvsphere(bm, u_segments=32, v_segments=16, radius=0.5)
        return bm, "all"
    if shape == "cylinder":
        bmesh.ops.create_cone(bm, cap_ends=True, cap_tris=False, segments=32, radius1=0.5, radius2=0.5, depth=1.0)
        return bm, "sides"
    if shape == "cone":
        bmesh.ops.create_cone(bm, cap_ends=True, cap_tris=False, segments=32, radius1=0.5, radius2=0.0, depth=1.0)
        return bm, "sides"
    if shape == "plane":
        bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=0.5)
        return bm, "none"
    if shape == "monkey":
        bmesh.ops.create_monkey(bm)
        return bm, "all"
    if shape == "torus":
        # Ring radius 3x the tube radius: bounding box 1 x 1 x 0.25 before scaling to dims.
        major, minor, ring, tube = 0.375, 0.125, 48, 16
        verts = []
        for i in range(ring):
            a = 2.0 * math.pi * i / ring
            for j in range(tube):
                b = 2.0 * math.pi * j / tube
                r = major + minor * math.cos(b)
                verts.append(bm.verts.new((r * math.cos(a), r * math.sin(a), minor * math.sin(b))))
        for i in range(ring):
            for j in range(tube):
                i2, j2 = (i + 1) % ring, (j + 1) % tube
                bm.faces.new((verts[i * tube + j], verts[i2 * tube + j], verts[i2 * tube + j2], verts[i * tube + j2]))
        return bm, "all"
    bm.free()
    raise ValueError("unknown shape " + repr(shape) + "; expected one of " + ", ".join(SEIG_SHAPES))


def fit_bmesh(bm, dims):
    """Centre the mesh on its bounding box and scale it so the box is exactly dims (flat axes stay flat)."""
    lo = [min(v.co[k] for v in bm.verts) for k in range(3)]
    hi = [max(v.co[k] for v in bm.verts) for k in range(3)]
    for v in bm.verts:
        co = [0.0, 0.0, 0.0]
        for k in range(3):
            extent = hi[k] - lo[k]
            co[k] = 0.0 if extent <= 0.0 else (v.co[k] - (lo[k] + hi[k]) * 0.5) / extent * dims[k]
        v.co = co


def smooth_bmesh(bm, smooth):
    if smooth == "none":
        return
    bm.normal_update()
    for face in bm.faces:
        face.smooth = smooth == "all" or abs(face.normal.z) < 0.99
    for edge in bm.edges:
        edge.smooth = all(face.smooth for face in edge.link_faces)


def mesh_object(name, shape, dims):
    """A mesh object of the shape whose bounding box is dims, origin at the box centre, pass_index 1..N."""
    if bpy.data.objects.get(name) is not None:
        raise ValueError("an object named " + repr(name) + " already exists")
    size = vec3(dims, "dims")
    if min(size) < 0.0 or (shape != "plane" and min(size) <= 0.0):
        raise ValueError("dims must be positive, got " + repr(tuple(dims)))
    bm, smooth = shape_bmesh(shape)
    fit_bmesh(bm, size)
    smooth_bmesh(bm, smooth)
    mesh = bpy.data.meshes.new(name)
    bm.to_mesh(mesh)
    bm.free()
    scene = bpy.context.scene
    count = len([o for o in scene.objects if o.type == "MESH"])
    obj = bpy.data.objects.new(name, mesh)
    scene.collection.objects.link(obj)
    obj.pass_index = count + 1
    obj["seig_shape"] = shape
    return obj


def add_ground(name="ground", size=30.0):
    """A square ground plane of side `size` metres at z = 0."""
    obj = mesh_object(name, "plane", (size, size, 0.0))
    obj["seig_role"] = "ground"
    return obj


def add_object(name, shape, dims=(1.0, 1.0, 1.0)):
    """A primitive whose bounding box is dims (x, y, z) metres, centred on the origin until place()."""
    obj = mesh_object(name, shape, dims)
    obj["seig_role"] = "object"
    return obj


def set_material(name, color=(0.8, 0.8, 0.8), roughness=0.5, metallic=0.0, specular=0.5, transmission=0.0,
                 emission=(0.0, 0.0, 0.0), emission_strength=0.0):
    """A Principled BSDF material on the object `name`; colours are linear RGB in [0, 1]."""
    obj = find_object(name)
    rgb = vec3(color, "color")
    mat = obj.active_material
    if mat is None:
        mat = bpy.data.materials.new(name)
        obj.data.materials.append(mat)
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    bsdf.inputs["Base Color"].default_value = (rgb.x, rgb.y, rgb.z, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic
    bsdf.inputs["Specular IOR Level"].default_value = specular
    bsdf.inputs["Transmission Weight"].default_value = transmission
    glow = vec3(emission, "emission")
    bsdf.inputs["Emission Color"].default_value = (glow.x, glow.y, glow.z, 1.0)
    bsdf.inputs["Emission Strength"].default_value = emission_strength
    # Workbench reads the viewport fields, so silhouettes and flat previews show the same colour.
    mat.diffuse_color = (rgb.x, rgb.y, rgb.z, 1.0)
    mat.roughness = roughness
    mat.metallic = metallic
    return mat


def place(name, location=(0.0, 0.0, 0.0), rotation=(0.0, 0.0, 0.0)):
    """Move the object's centre to location (metres) and rotate it by Euler XYZ degrees."""
    obj = find_object(name)
    obj.location = vec3(location, "location")
    rot = vec3(rotation, "rotation")
    obj.rotation_euler = (math.radians(rot.x), math.radians(rot.y), math.radians(rot.z))
    return obj


def aim(obj, look_at):
    direction = vec3(look_at, "look_at") - obj.location
    if direction.length < 1e-9:
        raise ValueError(obj.name + ": look_at equals location")
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def set_camera(location=(7.0, -7.0, 5.0), look_at=(0.0, 0.0, 0.0), lens=50.0, sensor_width=36.0):
    """The scene camera at location looking at look_at; lens and sensor_width in millimetres."""
    obj = bpy.data.objects.get("camera")
    if obj is None:
        obj = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
        bpy.context.scene.collection.objects.link(obj)
    obj.location = vec3(location, "location")
    aim(obj, look_at)
    obj.data.lens = lens
    obj.data.sensor_fit = "HORIZONTAL"
    obj.data.sensor_width = sensor_width
    bpy.context.scene.camera = obj
    return obj


def add_light(name, kind="SUN", location=(4.0, -4.0, 8.0), look_at=(0.0, 0.0, 0.0), energy=None,
              color=(1.0, 1.0, 1.0), size=0.1, angle=1.0, spot_size=45.0):
    """A light aimed at look_at. energy: W/m2 for SUN, W otherwise. size: metres (radius; AREA side).
    angle: SUN angular diameter in degrees. spot_size: SPOT cone angle in degrees."""
    if kind not in SEIG_LIGHT_KINDS:
        raise ValueError("unknown light kind " + repr(kind) + "; expected one of " + ", ".join(SEIG_LIGHT_KINDS))
    if bpy.data.objects.get(name) is not None:
        raise ValueError("an object named " + repr(name) + " already exists")
    data = bpy.data.lights.new(name, kind)
    data.energy = SEIG_DEFAULT_ENERGY[kind] if energy is None else energy
    rgb = vec3(color, "color")
    data.color = (rgb.x, rgb.y, rgb.z)
    if kind == "SUN":
        data.angle = math.radians(angle)
    elif kind == "AREA":
        data.size = size
    else:
        data.shadow_soft_size = size
    if kind == "SPOT":
        data.spot_size = math.radians(spot_size)
    obj = bpy.data.objects.new(name, data)
    bpy.context.scene.collection.objects.link(obj)
    obj.location = vec3(location, "location")
    aim(obj, look_at)
    return obj


def set_world(color=(0.05, 0.05, 0.05), strength=1.0):
    """Uniform world (background) light: linear RGB colour times strength."""
    scene = bpy.context.scene
    world = scene.world
    if world is None:
        world = bpy.data.worlds.new("world")
        scene.world = world
    rgb = vec3(color, "color")
    background = world.node_tree.nodes.get("Background")
    background.inputs["Color"].default_value = (rgb.x, rgb.y, rgb.z, 1.0)
    background.inputs["Strength"].default_value = strength
    world.color = (rgb.x, rgb.y, rgb.z)
    return world
# ---- end of prelude ----
'''

BUILD = """\
def build():
    reset_scene()
    geometry()
    materials()
    composition()
    lighting()


build()
"""

# seig scene program (dialect 1). Runs in Blender: blender --background --python scene.py
# Sections: geometry() materials() composition() lighting(); build() resets the scene and runs them in order.
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


def grid_faces(bm, rows, ring):
    """Quads between consecutive rings of `ring` vertices each (rows is a list of vertex rings)."""
    for a, b in zip(rows, rows[1:]):
        for j in range(ring):
            k = (j + 1) % ring
            bm.faces.new((a[j], a[k], b[k], b[j]))


def shape_bmesh(shape):
    """A bmesh of the shape filling the unit box centred on the origin; returns (bm, smoothing).

    Curved shapes are built vertex by vertex: bmesh's own sphere and spin ops cost 5-10 ms each here.
    """
    bm = bmesh.new()
    if shape == "cube":
        bmesh.ops.create_cube(bm, size=1.0)
        return bm, "none"
    if shape == "plane":
        bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=0.5)
        return bm, "none"
    if shape in ("cylinder", "cone"):
        top = 0.5 if shape == "cylinder" else 0.0
        bmesh.ops.create_cone(bm, cap_ends=True, cap_tris=False, segments=32, radius1=0.5, radius2=top, depth=1.0)
        return bm, "sides"
    if shape == "monkey":
        bmesh.ops.create_monkey(bm)
        # Suzanne's bounding box is centred on the origin, 2.734375 x 1.703125 x 1.96875.
        bmesh.ops.scale(bm, vec=(1.0 / 2.734375, 1.0 / 1.703125, 1.0 / 1.96875), verts=bm.verts)
        return bm, "all"
    if shape == "sphere":
        ring, rows = 32, 16
        bottom = bm.verts.new((0.0, 0.0, -0.5))
        top = bm.verts.new((0.0, 0.0, 0.5))
        circles = []
        for i in range(1, rows):
            polar = math.pi * i / rows
            r, z = 0.5 * math.sin(polar), -0.5 * math.cos(polar)
            circles.append([bm.verts.new((r * math.cos(2.0 * math.pi * j / ring), r * math.sin(2.0 * math.pi * j / ring), z))
                            for j in range(ring)])
        grid_faces(bm, circles, ring)
        for j in range(ring):
            k = (j + 1) % ring
            bm.faces.new((bottom, circles[0][k], circles[0][j]))
            bm.faces.new((top, circles[-1][j], circles[-1][k]))
        return bm, "all"
    if shape == "torus":
        # Ring radius 3x the tube radius: fills the unit box; dims z = dims x / 4 gives a round tube.
        ring, tube = 48, 16
        rows = []
        for i in range(ring + 1):
            a = 2.0 * math.pi * (i % ring) / ring
            if i == ring:
                rows.append(rows[0])
                break
            rows.append([bm.verts.new(((0.375 + 0.125 * math.cos(2.0 * math.pi * j / tube)) * math.cos(a),
                                       (0.375 + 0.125 * math.cos(2.0 * math.pi * j / tube)) * math.sin(a),
                                       0.5 * math.sin(2.0 * math.pi * j / tube))) for j in range(tube)])
        grid_faces(bm, rows[::-1], tube)  # reversed: normals point out of the tube
        return bm, "all"
    bm.free()
    raise ValueError("unknown shape " + repr(shape) + "; expected one of " + ", ".join(SEIG_SHAPES))


def mesh_object(name, shape, dims):
    """A mesh object of the shape whose bounding box is dims, origin at the box centre, pass_index 1..N."""
    if bpy.data.objects.get(name) is not None:
        raise ValueError("an object named " + repr(name) + " already exists")
    size = vec3(dims, "dims")
    if min(size) < 0.0 or (shape != "plane" and min(size) <= 0.0):
        raise ValueError("dims must be positive, got " + repr(tuple(dims)))
    bm, smooth = shape_bmesh(shape)
    bmesh.ops.scale(bm, vec=size, verts=bm.verts)
    mesh = bpy.data.meshes.new(name)
    bm.to_mesh(mesh)
    bm.free()
    if smooth != "none":
        mesh.shade_smooth()
    if smooth == "sides":
        mesh.set_sharp_from_angle(angle=math.radians(30.0))  # flat caps, smooth sides
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


# ---- scene ----
def geometry():  # objects: names, shapes, sizes
    add_ground("ground", size=30.000)
    add_object("red_cube", "cube", dims=(1.200, 1.200, 1.200))
    add_object("blue_sphere", "sphere", dims=(1.100, 1.100, 1.100))
    add_object("gold_cylinder", "cylinder", dims=(0.800, 0.800, 1.500))


def materials():  # surfaces
    set_material("ground", color=(0.450, 0.450, 0.420), roughness=0.900, metallic=0.000)
    set_material("red_cube", color=(0.650, 0.060, 0.040), roughness=0.600, metallic=0.000)
    set_material("blue_sphere", color=(0.050, 0.120, 0.600), roughness=0.250, metallic=0.000)
    set_material("gold_cylinder", color=(0.800, 0.550, 0.150), roughness=0.300, metallic=1.000)


def composition():  # placement and camera
    place("red_cube", location=(-1.300, 0.400, 0.600), rotation=(0.000, 0.000, 25.000))
    place("blue_sphere", location=(0.600, -0.600, 0.550), rotation=(0.000, 0.000, 0.000))
    place("gold_cylinder", location=(1.400, 1.200, 0.750), rotation=(0.000, 0.000, 0.000))
    set_camera(location=(6.500, -6.000, 4.200), look_at=(0.000, 0.200, 0.500), lens=45.000)


def lighting():  # lights and world
    add_light("key", "SUN", location=(3.000, -4.000, 8.000), look_at=(0.000, 0.000, 0.000), energy=3.500, color=(1.000, 1.000, 1.000), angle=3.000)
    set_world(color=(0.350, 0.400, 0.500), strength=0.600)


def build():
    reset_scene()
    geometry()
    materials()
    composition()
    lighting()


build()

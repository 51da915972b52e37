"""Shared fixtures: one render pool for the whole suite, and a builder of small test scene programs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

# (shape, location, colour) of each object; shapes: cube, sphere
TestObject = tuple[str, Sequence[float], Sequence[float]]

DEFAULT_OBJECTS: tuple[TestObject, ...] = (
    ("cube", (-0.8, 0.0, 0.5), (0.8, 0.1, 0.1)),
    ("sphere", (0.8, 0.0, 0.5), (0.1, 0.2, 0.8)),
)


def build_test_program(objects: Sequence[TestObject] = DEFAULT_OBJECTS, *, camera=(4.0, -4.0, 3.0),
                       ground: bool = False, extra: str = "") -> str:
    """A plain bpy scene program (no seig prelude): meshes named obj0.., a camera looking at the origin,
    a sun light and a world colour. `extra` is appended verbatim (raw bpy, a deliberate fault, ...)."""
    lines = [
        "import bpy, bmesh, mathutils",
        "scene = bpy.context.scene",
        "def add_mesh(name, shape, location, color):",
        "    mesh = bpy.data.meshes.new(name)",
        "    bm = bmesh.new()",
        "    if shape == 'cube':",
        "        bmesh.ops.create_cube(bm, size=1.0)",
        "    elif shape == 'plane':",
        "        bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=5.0)",
        "    else:",
        "        bmesh.ops.create_uvsphere(bm, u_segments=24, v_segments=12, radius=0.5)",
        "    bm.to_mesh(mesh)",
        "    bm.free()",
        "    obj = bpy.data.objects.new(name, mesh)",
        "    scene.collection.objects.link(obj)",
        "    obj.location = location",
        "    mat = bpy.data.materials.new(name + '_mat')",
        "    mat.node_tree.nodes['Principled BSDF'].inputs['Base Color'].default_value = (*color, 1.0)",
        "    mat.node_tree.nodes['Principled BSDF'].inputs['Roughness'].default_value = 0.4",
        "    mat.diffuse_color = (*color, 1.0)  # what Workbench shows",
        "    mesh.materials.append(mat)",
        "    return obj",
    ]
    if ground:
        lines.append("add_mesh('ground', 'plane', (0.0, 0.0, 0.0), (0.5, 0.5, 0.5))")
    for i, (shape, location, color) in enumerate(objects):
        lines.append(f"add_mesh('obj{i}', {shape!r}, {tuple(location)!r}, {tuple(color)!r})")
    lines += [
        "cam = bpy.data.objects.new('camera', bpy.data.cameras.new('camera'))",
        "scene.collection.objects.link(cam)",
        f"cam.location = {tuple(camera)!r}",
        "cam.rotation_euler = (mathutils.Vector((0.0, 0.0, 0.3)) - cam.location).to_track_quat('-Z', 'Y').to_euler()",
        "scene.camera = cam",
        "sun = bpy.data.objects.new('key', bpy.data.lights.new('key', 'SUN'))",
        "sun.data.energy = 3.0",
        "sun.rotation_euler = (0.6, 0.2, 0.8)",
        "scene.collection.objects.link(sun)",
        "bg = scene.world.node_tree.nodes['Background']",
        "bg.inputs['Color'].default_value = (0.05, 0.05, 0.05, 1.0)",
    ]
    if extra:
        lines += extra.strip("\n").splitlines()
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def render_pool() -> Iterator["object"]:
    """One RenderPool with 2 workers, shared by every test in the session, closed at the end."""
    from render_pool import RenderPool

    pool = RenderPool(num_workers=2)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def render_primitives(render_pool):
    """``render(seed)``: the generated ``primitives`` scene of that seed and its Cycles render (128 px, 32 spp,
    colour and index passes), as bench_perception.py renders it."""
    from render_pool import RenderJob, RenderSettings
    from seig_search.dataset import sample_spec
    from seig_search.program.spec import render_program

    done: dict[int, tuple] = {}  # several tests look at the same scene: render it once

    def render(seed: int):
        if seed in done:
            return done[seed]
        spec = sample_spec("primitives", seed)
        settings = RenderSettings(engine="CYCLES", width=128, height=128, samples=32, passes=("color", "index"))
        res = render_pool.render([RenderJob(program=render_program(spec), settings=settings, job_id=f"p{seed}")])[0]
        assert res.ok, res.failure
        done[seed] = (spec, res)
        return spec, res

    return render


@pytest.fixture(scope="session")
def test_program():
    """The `build_test_program` helper, for tests that prefer a fixture to an import."""
    return build_test_program

"""Regenerate the bundled example: a known scene program and its Cycles render.

    .venv/bin/python examples/make_example.py

`three_objects.py` is the true program (so a reconstruction can be compared with it); `three_objects.png`
is the image `seig reconstruct` is shown on in the README.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from render_pool import RenderJob, RenderPool, RenderSettings
from seig_search.program import SceneSpec, render_program
from seig_search.program.spec import CameraSpec, GroundSpec, LightSpec, ObjectSpec, WorldSpec

HERE = Path(__file__).resolve().parent

SPEC = SceneSpec(
    objects=[
        ObjectSpec(name="red_cube", shape="cube", dims=(1.2, 1.2, 1.2), location=(-1.3, 0.4, 0.6),
                   rotation_deg=(0.0, 0.0, 25.0), color=(0.65, 0.06, 0.04), roughness=0.6),
        ObjectSpec(name="blue_sphere", shape="sphere", dims=(1.1, 1.1, 1.1), location=(0.6, -0.6, 0.55),
                   color=(0.05, 0.12, 0.6), roughness=0.25),
        ObjectSpec(name="gold_cylinder", shape="cylinder", dims=(0.8, 0.8, 1.5), location=(1.4, 1.2, 0.75),
                   color=(0.8, 0.55, 0.15), roughness=0.3, metallic=1.0),
    ],
    ground=GroundSpec(size=30.0, color=(0.45, 0.45, 0.42), roughness=0.9),
    camera=CameraSpec(location=(6.5, -6.0, 4.2), look_at=(0.0, 0.2, 0.5), lens=45.0),
    lights=[LightSpec(name="key", kind="SUN", location=(3.0, -4.0, 8.0), look_at=(0.0, 0.0, 0.0), energy=3.5,
                      size=3.0)],
    world=WorldSpec(color=(0.35, 0.4, 0.5), strength=0.6),
)


def main() -> None:
    program = render_program(SPEC)
    (HERE / "three_objects.py").write_text(program)
    settings = RenderSettings(engine="CYCLES", width=320, height=240, samples=128, denoise=True, seed=0,
                              passes=("color",), timeout_s=600.0)
    with RenderPool(num_workers=1) as pool:
        result = pool.render([RenderJob(program=program, settings=settings, job_id="example")])[0]
    if not result.ok:
        raise SystemExit(f"render failed: {result.failure}")
    srgb = np.clip(result.srgb() * 255.0 + 0.5, 0, 255).astype(np.uint8)
    Image.fromarray(srgb, "RGB").save(HERE / "three_objects.png")
    print(HERE / "three_objects.png")


if __name__ == "__main__":
    main()

"""Ranked hypotheses: the best estimate first, then the most plausible alternatives where the image is ambiguous.

Order: the best estimate; then, interleaved, each object's next-best shapes (most ambiguous object first, each
alternative with its own fitted size and placement) and, when the camera pitch came from the prior rather than
the horizon, the same objects re-fitted under a steeper and a shallower camera (reframe.py: the count and the
shapes stay the base estimate's, so that each hypothesis changes one factor); random shape swaps fill the rest.
"""

from __future__ import annotations

import numpy as np

from seig_search.perception.analyse import analyse
from seig_search.perception.reframe import reframe
from seig_search.perception.spec import to_spec
from seig_search.program.spec import SceneSpec
from seig_search.proposers.base import TargetImage

PITCH_ALTERNATIVES_DEG = (12.0, -10.0)  # added to a prior pitch for the camera hypotheses
RANDOM_SHAPES = ("cube", "sphere", "cylinder", "cone")


def initial_specs(target: TargetImage, n: int, seed: int) -> list[SceneSpec]:
    """Up to ``n`` SceneSpec hypotheses for the target, best first (deterministic for a given seed)."""
    if n <= 0:
        return []
    srgb, alpha = target.for_analysis()
    est = analyse(srgb, alpha)
    specs: list[SceneSpec] = [to_spec(est)]
    seen = {tuple(o.shape for o in specs[0].objects)}
    base = [o.shape for o in est.objects]
    shape_alts = []
    for i, o in enumerate(est.objects):
        for g in o.shapes[1:]:
            shape_alts.append((o.shapes[0].score - g.score, i, g.shape))
    shape_alts.sort(key=lambda t: (t[0], t[1]))
    camera_alts = []
    if est.camera.source != "horizon" and est.objects:  # the pitch came from priors or weak cues
        camera_alts = [est.camera.pitch_deg + d for d in PITCH_ALTERNATIVES_DEG]

    def add_shapes(i: int, shape: str) -> None:
        shapes = list(base)
        shapes[i] = shape
        if tuple(shapes) not in seen:
            seen.add(tuple(shapes))
            specs.append(to_spec(est, shapes))

    while len(specs) < n and (shape_alts or camera_alts):
        if shape_alts:
            _, i, shape = shape_alts.pop(0)
            add_shapes(i, shape)
        if camera_alts and len(specs) < n:
            alt = reframe(srgb, est, camera_alts.pop(0))
            if alt is not None:  # one factor at a time: the first estimate's shapes, fitted under this camera
                specs.append(to_spec(alt, base))
    rng = np.random.default_rng(seed)
    tries = 0
    while len(specs) < n and est.objects and tries < 20 * n:  # random shape swaps when the ranking runs out
        tries += 1
        add_shapes(int(rng.integers(len(base))), str(rng.choice(RANDOM_SHAPES)))
    return specs[:n]

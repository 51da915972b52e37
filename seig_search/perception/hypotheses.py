"""Ranked hypotheses: the best estimate first, then the most plausible alternatives where the image is ambiguous."""

from __future__ import annotations

import numpy as np

from seig_search.perception.analyse import analyse
from seig_search.perception.spec import to_spec
from seig_search.proposers.base import TargetImage


def initial_specs(target: TargetImage, n: int, seed: int) -> list:
    """Up to ``n`` SceneSpec hypotheses for the target, best first (deterministic for a given seed)."""
    if n <= 0:
        return []
    est = analyse(target.srgb, target.alpha)
    specs = [to_spec(est)]
    rng = np.random.default_rng(seed)
    base = [o.shape for o in est.objects]
    # Alternatives: for each object, its next-best shapes, most ambiguous objects first.
    alts = []
    for i, o in enumerate(est.objects):
        for g in o.shapes[1:]:
            gap = o.shapes[0].score - g.score
            alts.append((gap, i, g.shape))
    alts.sort(key=lambda t: (t[0], t[1]))
    for _, i, shape in alts:
        if len(specs) >= n:
            break
        shapes = list(base)
        shapes[i] = shape
        specs.append(to_spec(est, shapes))
    while len(specs) < n and est.objects:  # random shape swaps when the ranking runs out
        shapes = list(base)
        i = int(rng.integers(len(shapes)))
        shapes[i] = str(rng.choice(["cube", "sphere", "cylinder", "cone"]))
        specs.append(to_spec(est, shapes))
    return specs[:n]

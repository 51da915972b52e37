"""Embedded perception: first scene programs from one image with classical vision, no neural model.

Public entry point: :func:`initial_specs` (ranked SceneSpec hypotheses, best first) and :func:`analyse`
(the underlying estimate, for inspection and benchmarks).
"""

from __future__ import annotations

from seig_search.perception.analyse import analyse
from seig_search.perception.hypotheses import initial_specs

__all__ = ["analyse", "initial_specs"]

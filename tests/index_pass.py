"""What a render's index pass says about an estimate: the true object behind each found region."""

from __future__ import annotations

import numpy as np


def owners(est, index: np.ndarray) -> list[int]:
    """Per found object of ``est``, the pass index holding most of its region's pixels in ``index``."""
    return [int(np.bincount(index[o.region.mask].clip(0)).argmax()) for o in est.objects]


def visible_ids(spec, index: np.ndarray) -> set[int]:
    """The pass indices of the objects of ``spec`` that show at least one pixel in ``index``."""
    ids = spec.pass_indices()
    return {ids[o.name] for o in spec.objects if (index == ids[o.name]).any()}

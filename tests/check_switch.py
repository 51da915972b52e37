"""The learned last checks of ``analyse`` (spurious drop, split, join) run several times on one image, with the
steps before them run once: ``analyse`` is ``learned_checks`` after ``estimate_unchecked``."""

from __future__ import annotations

import copy
import importlib

import numpy as np

from seig_search.perception import checks

analyse_mod = importlib.import_module("seig_search.perception.analyse")  # the package exports the function


class ChecksOnOneImage:
    """One image's estimate before the checks; ``checked()`` is ``analyse(srgb)`` under the current settings."""

    def __init__(self, srgb: np.ndarray) -> None:
        self.srgb = np.clip(srgb.astype(np.float32), 0.0, 1.0)  # as analyse prepares it
        self.unchecked = analyse_mod.estimate_unchecked(self.srgb)

    def checked(self):
        return analyse_mod.learned_checks(self.srgb, copy.deepcopy(self.unchecked))


def off_then_on(srgb: np.ndarray, switch: str, monkeypatch) -> tuple:
    """``analyse(srgb)`` with ``checks.<switch>`` False, then True (the estimates, in that order)."""
    once = ChecksOnOneImage(srgb)
    found = []
    for on in (False, True):
        monkeypatch.setattr(checks, switch, on)
        found.append(once.checked())
    return tuple(found)

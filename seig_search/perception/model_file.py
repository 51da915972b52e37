"""Model files of perception's learned steps: JSON that names the cues it was fitted on.

A model fitted on another version's cues would silently weigh the wrong numbers, so reading one checks its
cue names against the module's, in order.
"""

from __future__ import annotations

import json
from pathlib import Path


def read_model(path: Path, features: dict[str, str]) -> dict:
    """The model at ``path``; ValueError when its cues are not ``features``, in that order."""
    model = json.loads(Path(path).read_text())
    if list(model["features"]) != list(features):
        raise ValueError(f"{path}: its features {model['features']} are not this module's {list(features)}")
    return model

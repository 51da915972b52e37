"""Scene programs: the dialect's prelude, SceneSpec and its program text, SceneProgram, numeric literals."""

from seig_search.program.prelude import DIALECT_VERSION, HELPERS, LIGHT_KINDS, PRELUDE, SHAPES
from seig_search.program.program import SceneProgram, normalise_section
from seig_search.program.spec import (
    CameraSpec,
    GroundSpec,
    LightSpec,
    ObjectSpec,
    SceneSpec,
    WorldSpec,
    render_program,
    spec_from_summary,
)

__all__ = [
    "DIALECT_VERSION",
    "HELPERS",
    "LIGHT_KINDS",
    "PRELUDE",
    "SHAPES",
    "CameraSpec",
    "GroundSpec",
    "LightSpec",
    "ObjectSpec",
    "SceneProgram",
    "SceneSpec",
    "WorldSpec",
    "normalise_section",
    "render_program",
    "spec_from_summary",
]

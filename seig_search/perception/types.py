"""Records the perception estimators hand to each other.

Everything here is plain numpy and dataclasses; the conversion to the dialect's ``SceneSpec`` lives in
``spec.py`` so the estimators can be tested without the program package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_OBJECTS = 12  # objects perception reports per image at most
SHAPES: tuple[str, ...] = ("cube", "sphere", "cylinder", "cone", "torus", "plane")


@dataclass
class Region:
    """One foreground instance in image space."""

    mask: np.ndarray  # HxW bool
    bbox: tuple[int, int, int, int]  # row_min, col_min, row_max, col_max (exclusive)
    area: int
    centroid: tuple[float, float]  # (row, col)

    @property
    def height(self) -> int:
        return self.bbox[2] - self.bbox[0]

    @property
    def width(self) -> int:
        return self.bbox[3] - self.bbox[1]


@dataclass
class ShapeGuess:
    shape: str  # one of SHAPES, or "unknown" (rendered as a cube)
    score: float  # in [0, 1], higher is more likely


@dataclass
class Appearance:
    """Material cues of one region: linear albedo and BSDF parameters."""

    color: tuple[float, float, float]  # linear RGB in [0, 1]
    roughness: float
    metallic: float


@dataclass
class ObjectEstimate:
    region: Region
    shapes: list[ShapeGuess]  # best first
    appearance: Appearance
    dims: tuple[float, float, float] = (1.0, 1.0, 1.0)
    location: tuple[float, float, float] = (0.0, 0.0, 0.5)
    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    fits: dict = field(default_factory=dict)  # shape -> fit.Fit at the chosen camera, in working units
    fit_scale: float = 1.0  # working units -> scene metres
    view_scale: float = 1.0  # distance from the camera relative to the ground fit's (assembly.py), 1 on the ground

    @property
    def shape(self) -> str:
        return self.shapes[0].shape if self.shapes else "unknown"


@dataclass
class Background:
    """What surrounds the objects: the world colour, the ground and the horizon."""

    world_srgb: tuple[float, float, float]
    ground_srgb: tuple[float, float, float] | None  # None when no ground is visible (e.g. RGBA cut-outs)
    horizon_row: float | None  # image row of the horizon / ground edge, None when not seen
    ground_mask: np.ndarray | None = None  # HxW bool, pixels explained by the ground
    shadow_mask: np.ndarray | None = None  # HxW bool, ground pixels in cast shadow
    world_mask: np.ndarray | None = None  # HxW bool, pixels showing the world (sky) beyond the ground
    shadow_ratio: float | None = None  # shadowed over lit ground brightness (ambient share of the light)
    ground_field: np.ndarray | None = None  # HxWx3 CIELAB, the fitted lit ground colour at every pixel


@dataclass
class CameraEstimate:
    location: tuple[float, float, float]
    look_at: tuple[float, float, float]
    lens: float  # mm, for a 36 mm sensor fitted to the larger image side
    pitch_deg: float  # downward tilt of the optical axis below the horizontal
    height: float
    source: str  # "horizon", "cues" or "prior": where the pitch came from


@dataclass
class LightEstimate:
    direction: tuple[float, float, float]  # unit vector from the scene towards the key light (world frame)
    energy: float  # sun strength
    color: tuple[float, float, float]
    world_color: tuple[float, float, float]  # linear ambient colour
    world_strength: float
    source: str  # "shadows", "shading" or "prior"


@dataclass
class SceneEstimate:
    objects: list[ObjectEstimate]
    background: Background
    camera: CameraEstimate
    light: LightEstimate
    ground_color: tuple[float, float, float] | None  # linear albedo
    ground_roughness: float = 0.8
    notes: list[str] = field(default_factory=list)
    foreground: np.ndarray | None = None  # HxW bool, the object pixels the estimate ended with
    cutout: bool = False  # read from an RGBA cut-out (no ground; parts of one object)

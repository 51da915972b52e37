"""The records of the render pool's public surface: settings, jobs, results, failures."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from render_pool.color import linear_to_srgb
from seig_search.errors import ConfigError

ENGINES = ("CYCLES", "WORKBENCH")
PASSES = ("color", "index", "depth")
FAILURE_KINDS = ("policy", "syntax", "program", "timeout", "crash", "memory", "sandbox")
MAX_SIDE = 8192

FailureKind = Literal["policy", "syntax", "program", "timeout", "crash", "memory", "sandbox"]


@dataclass(frozen=True)
class RenderSettings:
    """How to render one job. Invalid values raise ConfigError when the settings are built."""

    engine: str = "CYCLES"
    width: int = 128
    height: int = 128
    samples: int = 8
    denoise: bool = False
    seed: int = 0
    passes: tuple[str, ...] = ("color",)
    timeout_s: float = 60.0
    want_blend: bool = False
    want_glb: bool = False

    def __post_init__(self) -> None:
        engine = str(self.engine).upper()
        if engine == "BLENDER_WORKBENCH":
            engine = "WORKBENCH"
        if engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        object.__setattr__(self, "engine", engine)
        for name in ("width", "height", "samples", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
            object.__setattr__(self, name, int(value))
        if not (1 <= self.width <= MAX_SIDE and 1 <= self.height <= MAX_SIDE):
            raise ConfigError(f"resolution must be within 1..{MAX_SIDE}, got {self.width}x{self.height}")
        if not 1 <= self.samples <= 1 << 16:
            raise ConfigError(f"samples must be within 1..65536, got {self.samples}")
        if not 0 <= self.seed < 2**31:
            raise ConfigError(f"seed must be within 0..2**31-1, got {self.seed}")
        passes = (self.passes,) if isinstance(self.passes, str) else tuple(self.passes)
        unknown = [p for p in passes if p not in PASSES]
        if unknown or not passes:
            raise ConfigError(f"passes must be a non-empty subset of {', '.join(PASSES)}, got {list(passes)}")
        object.__setattr__(self, "passes", tuple(dict.fromkeys(passes)))
        if not isinstance(self.timeout_s, (int, float)) or not 0 < float(self.timeout_s) <= 86400:
            raise ConfigError(f"timeout_s must be a positive number of seconds, got {self.timeout_s!r}")
        object.__setattr__(self, "timeout_s", float(self.timeout_s))

    def to_wire(self) -> dict[str, Any]:
        return {**asdict(self), "passes": list(self.passes)}


@dataclass(frozen=True)
class RenderJob:
    """A program (Python source for Blender) and how to render it."""

    program: str
    settings: RenderSettings = field(default_factory=RenderSettings)
    job_id: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.program, str):
            raise ConfigError(f"program must be source text, got {type(self.program).__name__}")
        if not isinstance(self.settings, RenderSettings):
            raise ConfigError("settings must be a RenderSettings")


@dataclass(frozen=True)
class JobFailure:
    """Why a job produced no render. `line` is the line in the program, where one is known."""

    kind: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line is not None else ""
        return f"{self.kind}{where}: {self.message}"


@dataclass
class RenderResult:
    """What a job produced. A fault never raises: it sets `ok=False` and `failure`."""

    job_id: str
    ok: bool
    color: np.ndarray | None = None  # HxWx4 float32, linear
    index: np.ndarray | None = None  # HxW int32, the object's pass_index, 0 = nothing
    depth: np.ndarray | None = None  # HxW float32, distance along the view axis, inf for background
    summary: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    failure: JobFailure | None = None
    blend: bytes | None = None
    glb: bytes | None = None

    def srgb(self) -> np.ndarray:
        """The colour pass as HxWx3 float32 sRGB in [0, 1] (what Blender writes to a PNG)."""
        if self.color is None:
            raise ValueError(f"job {self.job_id!r} has no colour pass ({self.failure or 'not requested'})")
        return linear_to_srgb(self.color[..., :3])

    @classmethod
    def failed(cls, job_id: str, kind: str, message: str, line: int | None = None, **timings: float) -> "RenderResult":
        return cls(job_id=job_id, ok=False, failure=JobFailure(kind, message, line), timings=dict(timings))

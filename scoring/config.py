"""Validated configuration of the search score: which terms, their weights, where neural weights live."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from seig_search.errors import ConfigError

#: Every term the scorer knows, in report order. Each lies in [0, 1], higher is better.
TERM_NAMES: tuple[str, ...] = ("lpips", "clip", "ssim", "pixel", "mask", "objects", "edges", "color")
#: Terms that need a neural network (and so its weights).
NEURAL_TERMS: tuple[str, ...] = ("lpips", "clip")

NeuralMode = Literal["auto", "pretrained", "random-weights", "off"]


class TermWeights(BaseModel):
    """Relative weight of each term; the total is the weighted mean over terms with weight > 0."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lpips: float = Field(0.30, ge=0.0)
    clip: float = Field(0.15, ge=0.0)
    ssim: float = Field(0.15, ge=0.0)
    pixel: float = Field(0.05, ge=0.0)
    mask: float = Field(0.10, ge=0.0)
    objects: float = Field(0.10, ge=0.0)
    edges: float = Field(0.05, ge=0.0)
    color: float = Field(0.10, ge=0.0)

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in TERM_NAMES}


#: The documented offline combination: used when no neural weights can be had (or neural="off").
OFFLINE_WEIGHTS = TermWeights(lpips=0.0, clip=0.0, ssim=0.30, pixel=0.10, mask=0.20, objects=0.15,
                              edges=0.10, color=0.15)


class ScoreConfig(BaseModel):
    """How candidates are scored against the target.

    ``neural``: ``auto`` uses LPIPS/CLIP where their weights are on this machine and otherwise falls back (with
    one warning) to ``offline_weights``; ``pretrained`` insists on the weights (raises
    ``WeightsUnavailableError``); ``random-weights`` builds the real architectures with seeded random weights
    (plumbing tests and cost benchmarks only: the values mean nothing perceptually); ``off`` is offline only.
    Nothing is ever downloaded here: ``seig weights fetch`` does that on request.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    neural: NeuralMode = "auto"
    weights: TermWeights = TermWeights()
    offline_weights: TermWeights = OFFLINE_WEIGHTS
    background: tuple[float, float, float] = (1.0, 1.0, 1.0)  # RGBA targets are composited over this (sRGB)

    lpips_net: Literal["alex", "vgg", "squeeze"] = "alex"
    lpips_backbone_path: Path | None = None  # torchvision ImageNet checkpoint of the LPIPS trunk
    lpips_linear_path: Path | None = None  # LPIPS linear layers; default: the copy inside the lpips wheel
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "laion2b_s34b_b79k"
    clip_weights_path: Path | None = None  # an open_clip checkpoint file for clip_model
    # CLIP input size; None = the model's own (224 for ViT-B-32). Smaller is cheaper (position embeddings are
    # interpolated), at some cost in fidelity to the trained model.
    clip_image_size: int | None = Field(None, ge=32)

    # torch device for the networks: "auto" = the first CUDA GPU when torch sees one, else the CPU. On a GPU the
    # networks cost a few percent of the structure terms (docs/scoring.md), on 2 CPU cores as much as a render.
    device: str = Field("auto", pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$")
    torch_threads: int | None = Field(None, ge=1)  # None: half the cores, 1..4; set once per process
    neural_batch: int = Field(32, ge=1)  # images per network forward, bounds memory for big batches
    seed: int = 0  # seeds the random-weights networks

    # What the target's foreground (mask and objects terms) is: "objects" leaves the ground's cast shadows and
    # pools of lamp light out, as a render's index pass does; "border" is everything unlike the border colours,
    # shadows included, which rewards objects grown over the target's shadows (docs/scoring.md).
    target_foreground: Literal["objects", "border"] = "objects"
    edge_sigma: float = Field(1.5, gt=0.0)  # Canny smoothing
    edge_tolerance_px: int = Field(2, ge=0)  # an edge within this many pixels counts as matched
    color_bins: int = Field(8, ge=2, le=32)  # histogram bins per sRGB channel for the per-region colour term

    @model_validator(mode="after")
    def _some_weight(self) -> "ScoreConfig":
        if sum(self.offline_weights.as_dict().values()) <= 0.0:
            raise ConfigError("offline_weights: at least one term needs a weight > 0")
        if sum(self.weights.as_dict().values()) <= 0.0:
            raise ConfigError("weights: at least one term needs a weight > 0")
        if any(not 0.0 <= c <= 1.0 for c in self.background):
            raise ConfigError(f"background must be sRGB components in [0, 1], got {self.background}")
        return self

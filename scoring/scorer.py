"""The search score: one weighted, batched, higher-is-better comparison of renders with the target."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
from pydantic import ValidationError

from scoring import terms as T
from scoring.config import NEURAL_TERMS, TERM_NAMES, ScoreConfig
from scoring.images import as_alpha, resize_to, to_srgb
from seig_search.errors import ConfigError, ScoringError


@dataclass(frozen=True)
class ScoreBreakdown:
    """``total`` in [0, 1] (higher is better) and each computed term's value in [0, 1]."""

    total: float
    terms: dict[str, float]


def parse_config(config: ScoreConfig | Mapping[str, Any] | None) -> ScoreConfig:
    """Accept a ScoreConfig or a plain mapping (from a config file); bad values become a ConfigError."""
    if config is None:
        return ScoreConfig()
    if isinstance(config, ScoreConfig):
        return config
    try:
        return ScoreConfig.model_validate(dict(config))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid score config: {problems}") from exc


class Scorer:
    """Scores renders against one target image.

    The target (sRGB HxWx3 or HxWx4, or HxWx3 plus ``target_alpha``, straight alpha) is composited over
    ``config.background``, resampled to each render's resolution and analysed once per resolution; its alpha
    also gives the target's foreground. ``target_composited=True`` says an HxWx3 target is already composited
    over ``config.background`` (so it is not composited twice) and ``target_alpha`` is only its foreground.
    Neural models are shared by every Scorer in the process.
    """

    def __init__(self, target_srgb: np.ndarray, config: ScoreConfig | Mapping[str, Any] | None = None,
                 target_alpha: np.ndarray | None = None, target_composited: bool = False,
                 target_foreground: np.ndarray | None = None) -> None:
        """``target_foreground``: the target's foreground (HxW bool, any resolution) when the caller found it
        on a sharper copy of the target; it is resized to each view instead of being found there again."""
        self.config = parse_config(config)
        if target_foreground is not None and np.ndim(target_foreground) != 2:
            raise ScoringError(f"target_foreground must be an HxW mask, got shape {np.shape(target_foreground)}")
        self.target_fg = None if target_foreground is None else np.asarray(target_foreground, dtype=bool)
        if target_composited:
            self.target, _ = to_srgb(target_srgb, None, self.config.background, "target")
            self.target_alpha = None if target_alpha is None else as_alpha(target_alpha, self.target.shape[:2])
        else:
            self.target, self.target_alpha = to_srgb(target_srgb, target_alpha, self.config.background, "target")
        self.models = None
        wants_neural = any(self.config.weights.as_dict()[t] > 0 for t in NEURAL_TERMS)
        if self.config.neural != "off" and wants_neural:
            from scoring.models import load_models  # torch is imported only when a network is built

            self.models = load_models(self.config)
        self.weights = self._resolve_weights()
        self._views: dict[tuple[int, int], T.TargetView] = {}
        self._lpips_target: dict[tuple[int, int], Any] = {}
        self._clip_target: dict[tuple[int, int], Any] = {}

    def _resolve_weights(self) -> dict[str, float]:
        m = self.models
        if m is None or (m.lpips is None and m.clip is None):
            raw = self.config.offline_weights.as_dict()
            # a neural term named in the offline weights has no network to compute it: it weighs nothing
            raw["lpips"] = raw["lpips"] if m is not None and m.lpips is not None else 0.0
            raw["clip"] = raw["clip"] if m is not None and m.clip is not None else 0.0
        else:
            raw = self.config.weights.as_dict()
            raw["lpips"] = raw["lpips"] if m.lpips is not None else 0.0
            raw["clip"] = raw["clip"] if m.clip is not None else 0.0
        total = sum(raw.values())
        return {k: v / total for k, v in raw.items() if v > 0}

    def describe(self) -> dict[str, Any]:
        """The resolved term weights (normalised to sum 1) and where the neural terms come from."""
        m = self.models
        return {
            "weights": dict(self.weights),
            "neural": "off" if m is None else m.source,
            "missing_weights": [] if m is None else [w.name for w in m.missing],
            "lpips_net": self.config.lpips_net if "lpips" in self.weights else None,
            "clip_model": (f"{self.config.clip_model} ({self.config.clip_pretrained})"
                           if "clip" in self.weights else None),
            "background": list(self.config.background),
            "target_shape": list(self.target.shape[:2]),
        }

    def score(self, render: np.ndarray, index: np.ndarray | None = None) -> ScoreBreakdown:
        return self.score_batch([render], [index])[0]

    def score_batch(self, renders: list[np.ndarray],
                    index_passes: list[np.ndarray | None] | None = None) -> list[ScoreBreakdown]:
        """Score many renders at once (same order); renders may differ in resolution."""
        if index_passes is None:
            index_passes = [None] * len(renders)
        if len(index_passes) != len(renders):
            raise ScoringError(f"{len(renders)} renders but {len(index_passes)} index passes")
        images = [to_srgb(r, None, self.config.background, f"render {i}")[0] for i, r in enumerate(renders)]
        for i, (img, idx) in enumerate(zip(images, index_passes)):
            if idx is not None and np.shape(idx) != img.shape[:2]:
                raise ScoringError(f"index pass {i} has shape {np.shape(idx)}, its render {img.shape[:2]}")
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, img in enumerate(images):
            groups[img.shape[:2]].append(i)
        results: list[dict[str, float]] = [{} for _ in images]
        for shape, members in groups.items():
            view = self._view(shape)
            for i in members:
                results[i].update(self._structure_terms(view, images[i], index_passes[i]))
            self._neural_terms(shape, [images[i] for i in members], [results[i] for i in members])
        out = []
        for terms in results:
            ordered = {name: terms[name] for name in TERM_NAMES if name in terms}
            total = float(sum(self.weights[name] * value for name, value in ordered.items()))
            out.append(ScoreBreakdown(total=total, terms=ordered))
        return out

    def _view(self, shape: tuple[int, int]) -> T.TargetView:
        if shape not in self._views:
            srgb = resize_to(self.target, shape)
            alpha = None if self.target_alpha is None else resize_to(self.target_alpha, shape)
            fg = None if self.target_fg is None else resize_to(self.target_fg.astype(np.float32), shape) >= 0.5
            self._views[shape] = T.analyse_target(srgb, alpha, self.config.edge_sigma, self.config.color_bins,
                                                  self.config.target_foreground, fg=fg)
        return self._views[shape]

    def _structure_terms(self, view: T.TargetView, img: np.ndarray, index: np.ndarray | None) -> dict[str, float]:
        w, c = self.weights, self.config
        out: dict[str, float] = {}
        if "ssim" in w:
            out["ssim"] = T.ssim_term(view, img)
        if "pixel" in w:
            out["pixel"] = T.pixel_term(view, img)
        if "mask" in w or "objects" in w:
            objects = T.render_objects(img, index, c.target_foreground)
            if "mask" in w:
                out["mask"] = T.mask_term(view, objects)
            if "objects" in w:
                out["objects"] = T.objects_term(view, objects)
        if "edges" in w:
            out["edges"] = T.edges_term(view, img, c.edge_sigma, c.edge_tolerance_px)
        if "color" in w:
            out["color"] = T.color_term(view, img, c.color_bins)
        return out

    def _neural_terms(self, shape: tuple[int, int], images: list[np.ndarray], results: list[dict]) -> None:
        m = self.models
        want_lpips, want_clip = "lpips" in self.weights, "clip" in self.weights
        if m is None or not (want_lpips or want_clip) or (m.lpips is None and m.clip is None):
            return
        from scoring.neural import to_tensor

        device = (m.lpips or m.clip).device
        if shape not in self._lpips_target:
            t = to_tensor([self._view(shape).srgb], device)
            self._lpips_target[shape] = m.lpips.features(t) if want_lpips else None
            self._clip_target[shape] = m.clip.embed(t) if want_clip else None
        step = self.config.neural_batch
        for start in range(0, len(images), step):
            x = to_tensor(images[start:start + step], device)
            chunk = results[start:start + step]
            if want_lpips:
                dist = m.lpips.distance(self._lpips_target[shape], x).cpu().numpy()
                for r, d in zip(chunk, dist):
                    r["lpips"] = float(np.clip(1.0 - d, 0.0, 1.0))
            if want_clip:
                cos = (m.clip.embed(x) @ self._clip_target[shape].T)[:, 0].cpu().numpy()
                for r, s in zip(chunk, cos):
                    r["clip"] = float(np.clip(s, 0.0, 1.0))

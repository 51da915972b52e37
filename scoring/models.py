"""Which neural networks the score uses in this process: looked up, built once, shared (no torch until built).

The weights lookup (:mod:`scoring.weights`) needs no torch, so a machine without LPIPS or CLIP weights falls back
to the offline score without importing torch, torchvision and open_clip (several seconds per process); only a
network that is actually built imports :mod:`scoring.neural`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from scoring.config import ScoreConfig
from scoring.weights import WeightsLocation, locate_clip, locate_lpips_linear, locate_lpips_trunk
from seig_search.errors import WeightsUnavailableError

log = logging.getLogger("seig.scoring")

_LOCK = threading.Lock()
_CACHE: dict[tuple, "NeuralModels"] = {}
_NETS: dict[tuple, object] = {}  # each network once, shared by every weighting that uses it
_WARNED: set[tuple] = set()
#: The modes whose networks depend on what the weight caches hold (random weights never do).
LOOKUP_MODES = ("auto", "pretrained")


@dataclass
class NeuralModels:
    """The networks this process scores with; a missing network's term is left out of the score."""

    lpips: Any | None  # scoring.neural.LPIPSNet
    clip: Any | None  # scoring.neural.CLIPNet
    source: str  # "pretrained", "random-weights", "off", "partial" or "offline-fallback"
    missing: list[WeightsLocation] = field(default_factory=list)


def _warn_once(key: tuple, message: str) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        log.warning(message)


def load_models(config: ScoreConfig) -> NeuralModels:
    """The process-wide networks for ``config`` (built at most once per distinct setting)."""
    key = (config.neural, config.lpips_net, str(config.lpips_backbone_path), str(config.lpips_linear_path),
           config.clip_model, config.clip_pretrained, str(config.clip_weights_path), config.clip_image_size,
           config.device, config.seed,
           config.weights.lpips > 0, config.weights.clip > 0)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        models = _load(config)
        _CACHE[key] = models
        return models


def _net(key: tuple, build):
    """A network built once per distinct setting of its own options (not of the term weights); ``build`` gets
    the torch module :mod:`scoring.neural`, imported here and nowhere earlier."""
    kind, c = key[0], key[1]
    own = ((c.lpips_net,) if kind == "lpips" else (c.clip_model, c.clip_pretrained, c.clip_image_size))
    full = (kind, c.neural, c.device, c.seed, *own, *key[2:])
    if full not in _NETS:
        from scoring import neural

        neural.configure_threads(c)
        _NETS[full] = build(neural)
    return _NETS[full]


def _load(config: ScoreConfig) -> NeuralModels:
    want_lpips, want_clip = config.weights.lpips > 0, config.weights.clip > 0
    if config.neural == "off":
        return NeuralModels(None, None, "off")
    if config.neural == "random-weights":
        lp = _net(("lpips", config), lambda n: n.seeded(config.seed, n.build_lpips, config, None, None)) \
            if want_lpips else None
        cl = _net(("clip", config), lambda n: n.seeded(config.seed, n.build_clip, config, None)) if want_clip else None
        return NeuralModels(lp, cl, "random-weights")
    trunk, linear, clip_w = locate_lpips_trunk(config), locate_lpips_linear(config), locate_clip(config)
    missing = [w for w, want in ((trunk, want_lpips), (linear, want_lpips), (clip_w, want_clip))
               if want and not w.found]
    if missing and config.neural == "pretrained":
        raise WeightsUnavailableError(_missing_text(missing) + "; run `seig weights fetch` on a machine with "
                                      "internet, or set the *_path options")
    lp = (_net(("lpips", config, trunk.path, linear.path), lambda n: n.build_lpips(config, trunk, linear))
          if want_lpips and trunk.found and linear.found else None)
    cl = (_net(("clip", config, clip_w.path), lambda n: n.build_clip(config, clip_w))
          if want_clip and clip_w.found else None)
    if missing:
        _warn_once(("missing",) + tuple(m.name for m in missing),
                   _missing_text(missing) + ". Scoring falls back to "
                   + ("the offline score (SSIM, pixel, masks, edges, colour)" if lp is None and cl is None
                      else "the neural terms that are available") + "; `seig weights status` shows the lookup, "
                   "`seig weights fetch` downloads them.")
    source = "pretrained" if not missing else ("offline-fallback" if lp is None and cl is None else "partial")
    return NeuralModels(lp, cl, source, missing)


def _missing_text(missing: list[WeightsLocation]) -> str:
    return "neural weights not found: " + "; ".join(f"{m.name} (looked in {', '.join(m.looked)})"
                                                    for m in missing)


def clear_cache(modes: tuple[str, ...] | None = None) -> None:
    """Forget loaded networks (of the given ``neural`` modes, default all) and the warnings given; for a
    process that fetched weights after building its scorer, or moved its caches."""
    with _LOCK:
        for key in [k for k in _CACHE if modes is None or k[0] in modes]:
            del _CACHE[key]
        for key in [k for k in _NETS if modes is None or k[1] in modes]:
            del _NETS[key]
        _WARNED.clear()

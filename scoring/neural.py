"""LPIPS and CLIP networks (torch), built by :mod:`scoring.models` and run in batches.

Networks are always built without weights (``pretrained=False``, ``pnet_rand=True``, ``pretrained=None``) and
the state dicts found by :mod:`scoring.weights` are loaded explicitly, so no code path here can download.
"""

from __future__ import annotations

import logging
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from scoring.config import ScoreConfig
from scoring.weights import WeightsLocation
from seig_search.errors import ScoringError

log = logging.getLogger("seig.scoring")

_THREADS_SET = False


def configure_threads(config: ScoreConfig) -> None:
    """Bound torch's intra-op threads once per process.

    Default: half the cores, at most 4 (1 on a 2-core machine). The render workers want the cores too, and
    oversubscribed OpenMP threads spin: measured on 2 busy cores, 2 threads scored 10x slower than 1.
    """
    global _THREADS_SET
    if _THREADS_SET:
        return
    n = config.torch_threads or max(1, min((os.cpu_count() or 1) // 2, 4))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already fixed by earlier parallel work in this process
        pass
    _THREADS_SET = True


def torch_device(config: ScoreConfig) -> str:
    """The device the networks run on; an unusable one is a ScoringError here, not a torch error mid-search."""
    if config.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if config.device.startswith("cuda"):
        index = int(config.device.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise ScoringError(f"score device {config.device!r}: torch sees {torch.cuda.device_count()} CUDA "
                               "device(s) here; use device = \"auto\" or \"cpu\"")
    elif config.device == "mps" and not torch.backends.mps.is_available():
        raise ScoringError("score device 'mps': not available here; use device = \"auto\" or \"cpu\"")
    return config.device


def to_tensor(images: list[np.ndarray], device: str) -> torch.Tensor:
    """Stack equally sized HxWx3 float images into an NCHW float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.stack(images, 0).transpose(0, 3, 1, 2))).to(device)


class LPIPSNet:
    """LPIPS with the target's features computed once, so a batch costs one trunk pass per render."""

    def __init__(self, model: torch.nn.Module, device: str) -> None:
        self.model = model.to(device).eval()
        self.device = device

    @torch.inference_mode()
    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        from lpips import normalize_tensor

        h = x.shape[-2:]
        if min(h) < 32:  # the trunks' strides need at least this much image
            x = F.interpolate(x, scale_factor=32 / min(h), mode="bilinear", align_corners=False)
        outs = self.model.net(self.model.scaling_layer(2.0 * x - 1.0))
        return [normalize_tensor(o) for o in outs]

    @torch.inference_mode()
    def distance(self, target_feats: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        feats = self.features(x)
        total = torch.zeros(x.shape[0], device=x.device)
        for lin, f, t in zip(self.model.lins, feats, target_feats):
            total += lin((f - t) ** 2).mean(dim=(1, 2, 3))
        return total


class CLIPNet:
    """The image tower of an open_clip model, with its own preprocessing done in torch on the batch."""

    def __init__(self, visual: torch.nn.Module, mean: tuple, std: tuple, device: str) -> None:
        self.visual = visual.to(device).eval()
        self.device = device
        size = visual.image_size
        self.size = int(size[0] if isinstance(size, (tuple, list)) else size)
        self.mean = torch.tensor(mean, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=device).view(1, 3, 1, 1)

    @torch.inference_mode()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        scale = self.size / min(h, w)  # resize the shorter side, then centre-crop, as open_clip does
        nh, nw = max(self.size, round(h * scale)), max(self.size, round(w * scale))
        x = F.interpolate(x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=True)
        top, left = (nh - self.size) // 2, (nw - self.size) // 2
        x = x[..., top:top + self.size, left:left + self.size].clamp(0.0, 1.0)
        return F.normalize(self.visual((x - self.mean) / self.std), dim=-1)


class _DropRecord(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


def build_lpips(config: ScoreConfig, trunk: WeightsLocation | None, linear: WeightsLocation | None) -> LPIPSNet:
    import lpips

    # pretrained=False and pnet_rand=True: lpips itself loads nothing; the weights are loaded below.
    with warnings.catch_warnings():  # torchvision's deprecation notes about lpips's `pretrained=` argument
        warnings.simplefilter("ignore", UserWarning)
        model = lpips.LPIPS(net=config.lpips_net, pretrained=False, pnet_rand=True, verbose=False)
    if trunk is None:  # random-weights mode: keep the linear layers non-negative, as trained ones are
        for lin in model.lins:
            lin.model[-1].weight.data.abs_()
    else:
        state = torch.load(str(trunk.path), map_location="cpu", weights_only=True)
        slot = {}  # torchvision "features.<i>" -> lpips "net.slice<k>.<i>"
        for name, _ in model.net.named_children():
            for idx, _ in getattr(model.net, name).named_children():
                slot[idx] = name
        mapped = {f"{slot[k.split('.')[1]]}.{k.split('.', 1)[1]}": v for k, v in state.items()
                  if k.startswith("features.") and k.split(".")[1] in slot}
        model.net.load_state_dict(mapped, strict=True)
        lin_state = torch.load(str(linear.path), map_location="cpu", weights_only=True)
        model.load_state_dict(lin_state, strict=False)
    return LPIPSNet(model, torch_device(config))


def build_clip(config: ScoreConfig, weights: WeightsLocation | None) -> CLIPNet:
    import open_clip
    from open_clip.pretrained import get_pretrained_cfg

    cfg = get_pretrained_cfg(config.clip_model, config.clip_pretrained) if weights is not None else {}
    quiet = _DropRecord("No pretrained weights loaded")  # we load them ourselves just below
    logging.getLogger().addFilter(quiet)
    try:
        model = open_clip.create_model(config.clip_model, pretrained=None, pretrained_image=False,
                                       pretrained_text=False, force_image_size=config.clip_image_size,
                                       force_quick_gelu=bool(cfg.get("quick_gelu", False)))
    finally:
        logging.getLogger().removeFilter(quiet)
    if weights is not None:
        open_clip.load_checkpoint(model, str(weights.path))  # resizes position embeddings if needed
    mean = cfg.get("mean") or open_clip.OPENAI_DATASET_MEAN
    std = cfg.get("std") or open_clip.OPENAI_DATASET_STD
    return CLIPNet(model.visual, tuple(mean), tuple(std), torch_device(config))


def seeded(seed: int, build, *args):
    """Build with torch's global RNG seeded, then restore it: each network's random weights depend on the
    seed alone, not on what was built before."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build(*args)

"""Where neural weights are found on this machine, and fetching them on request.

Lookup never touches the network: torchvision checkpoints are looked up in torch hub's cache
(``$TORCH_HOME/hub/checkpoints``), LPIPS linear layers in the lpips wheel, CLIP checkpoints in the Hugging Face
cache (``$HF_HOME`` / ``$HF_HUB_CACHE``) and in open_clip's URL cache (``~/.cache/clip``), unless the config
names a file. Only :func:`fetch` downloads, and only ``seig weights fetch`` calls it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scoring.config import ScoreConfig
from seig_search.errors import WeightsUnavailableError

# torchvision ImageNet checkpoints of the LPIPS trunks (the URLs torchvision itself uses).
_TRUNK_URLS = {
    "alex": "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
    "vgg": "https://download.pytorch.org/models/vgg16-397923af.pth",
    "squeeze": "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth",
}
_OPENCLIP_URL_CACHE = Path("~/.cache/clip").expanduser()
# open_clip.constants HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME (checked by a test)
_HF_SAFE_WEIGHTS_NAME, _HF_WEIGHTS_NAME = "open_clip_model.safetensors", "open_clip_pytorch_model.bin"


@dataclass(frozen=True)
class WeightsLocation:
    """One weights file: what it is, where it was found (None if missing) and every place looked."""

    name: str
    path: Path | None
    looked: tuple[str, ...] = field(default_factory=tuple)

    @property
    def found(self) -> bool:
        return self.path is not None


def torch_hub_checkpoints() -> Path:
    """torch hub's checkpoint folder, found as ``torch.hub.get_dir`` finds it, without importing torch unless
    it is already imported (then ``torch.hub.set_dir`` counts too)."""
    if "torch.hub" in sys.modules:
        return Path(sys.modules["torch.hub"].get_dir()) / "checkpoints"
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))
    return Path(home) / "hub" / "checkpoints"


def locate_lpips_trunk(config: ScoreConfig) -> WeightsLocation:
    name = f"lpips trunk ({config.lpips_net}, torchvision ImageNet)"
    if config.lpips_backbone_path is not None:
        p = Path(config.lpips_backbone_path)
        return WeightsLocation(name, p if p.is_file() else None, (str(p),))
    candidate = torch_hub_checkpoints() / os.path.basename(_TRUNK_URLS[config.lpips_net])
    return WeightsLocation(name, candidate if candidate.is_file() else None, (str(candidate),))


def locate_lpips_linear(config: ScoreConfig) -> WeightsLocation:
    name = f"lpips linear layers ({config.lpips_net}, v0.1)"
    if config.lpips_linear_path is not None:
        p = Path(config.lpips_linear_path)
    else:
        import importlib.util

        spec = importlib.util.find_spec("lpips")
        if spec is None or spec.origin is None:
            return WeightsLocation(name, None, ("lpips package (not installed)",))
        p = Path(spec.origin).parent / "weights" / "v0.1" / f"{config.lpips_net}.pth"
    return WeightsLocation(name, p if p.is_file() else None, (str(p),))


# Where open_clip's pretrained table says the default model's weights live, so that looking for them (on every
# run) need not import open_clip, and with it torch and torchvision (about 5 s); a test checks the entry against
# open_clip's own table. Other models and tags are read from that table.
_KNOWN_CLIP_SOURCES = {
    ("ViT-B-32", "laion2b_s34b_b79k"): {"url": "", "hf_hub": "laion/CLIP-ViT-B-32-laion2B-s34B-b79K/"},
}


def _clip_cfg(config: ScoreConfig) -> dict:
    from open_clip.pretrained import get_pretrained_cfg

    return get_pretrained_cfg(config.clip_model, config.clip_pretrained)


def _clip_sources(config: ScoreConfig) -> dict:
    known = _KNOWN_CLIP_SOURCES.get((config.clip_model, config.clip_pretrained))
    return dict(known) if known is not None else _clip_cfg(config)


def locate_clip(config: ScoreConfig) -> WeightsLocation:
    name = f"clip ({config.clip_model}, {config.clip_pretrained})"
    if config.clip_weights_path is not None:
        p = Path(config.clip_weights_path)
        return WeightsLocation(name, p if p.is_file() else None, (str(p),))
    from huggingface_hub import constants, try_to_load_from_cache

    cfg = _clip_sources(config)
    looked: list[str] = []
    hf = cfg.get("hf_hub", "")
    if hf:
        repo_id, filename = os.path.split(hf)
        names = [filename] if filename else [_HF_SAFE_WEIGHTS_NAME, _HF_WEIGHTS_NAME]
        if filename and filename.endswith((".bin", ".pth")):
            names.insert(0, filename[:-4] + ".safetensors")
        for fname in names:
            looked.append(f"{constants.HF_HUB_CACHE} [{repo_id}/{fname}]")
            hit = try_to_load_from_cache(repo_id, fname)  # cache lookup only, no network
            if isinstance(hit, str) and os.path.isfile(hit):
                return WeightsLocation(name, Path(hit), tuple(looked))
    url = cfg.get("url", "")
    if url:
        p = _OPENCLIP_URL_CACHE / os.path.basename(url)
        looked.append(str(p))
        if p.is_file():
            return WeightsLocation(name, p, tuple(looked))
    if not cfg:
        looked.append(f"open_clip knows no pretrained tag {config.clip_pretrained!r} for {config.clip_model!r}")
    return WeightsLocation(name, None, tuple(looked))


def locate_all(config: ScoreConfig) -> dict[str, WeightsLocation]:
    """Every weights file the neural terms need, keyed by term part."""
    return {"lpips_trunk": locate_lpips_trunk(config), "lpips_linear": locate_lpips_linear(config),
            "clip": locate_clip(config)}


def fetch(config: ScoreConfig, lpips: bool = True, clip: bool = True) -> dict[str, WeightsLocation]:
    """Download what is missing into the standard caches (needs internet); returns the new locations."""
    try:
        if lpips and not locate_lpips_trunk(config).found:
            if config.lpips_backbone_path is not None:
                raise WeightsUnavailableError(f"configured lpips_backbone_path {config.lpips_backbone_path} "
                                              "does not exist; fetch writes only to the standard caches")
            import torch.hub

            torch.hub.load_state_dict_from_url(_TRUNK_URLS[config.lpips_net], map_location="cpu", progress=True)
        if clip and not locate_clip(config).found:
            from open_clip.pretrained import download_pretrained

            cfg = _clip_cfg(config)
            if not cfg:
                raise WeightsUnavailableError(f"open_clip has no pretrained {config.clip_pretrained!r} "
                                              f"for {config.clip_model!r}")
            download_pretrained(cfg)
    except WeightsUnavailableError:
        raise
    except Exception as exc:  # network, disk or hub errors all mean the same to the user
        raise WeightsUnavailableError(f"could not fetch weights: {type(exc).__name__}: {exc}") from exc
    return locate_all(config)

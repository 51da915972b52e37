"""The search score on synthetic images: known answers, ranking, batching, alpha, fallback, no downloads."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scoring import OFFLINE_WEIGHTS, ScoreConfig, Scorer
from scoring import models
from scoring.models import LOOKUP_MODES
from scoring.segment import foreground_from_image, objects_from_foreground, objects_from_index
from seig_search.errors import ConfigError, ScoringError, WeightsUnavailableError

# The real LPIPS and CLIP architectures with seeded random weights: exercises the plumbing, not perception.
RANDOM_WEIGHTS = ScoreConfig(neural="random-weights", clip_image_size=64)  # small input: cheap tests
OFFLINE = ScoreConfig(neural="off")


def scene(size: int = 64, boxes=(((16, 40), (10, 30), (0.8, 0.1, 0.1)),), bg=(0.9, 0.9, 0.9)) -> np.ndarray:
    """A flat background with coloured boxes ((rows), (cols), colour)."""
    img = np.empty((size, size, 3), np.float32)
    img[:] = bg
    for (r0, r1), (c0, c1), col in boxes:
        img[r0:r1, c0:c1] = col
    return img


TWO = (((16, 40), (8, 26), (0.8, 0.1, 0.1)), ((20, 44), (36, 56), (0.1, 0.2, 0.8)))
NEAR = (((18, 42), (10, 28), (0.8, 0.1, 0.1)), ((20, 44), (38, 58), (0.1, 0.2, 0.8)))
POOR = (((40, 60), (40, 60), (0.1, 0.7, 0.1)),)


@pytest.fixture()
def empty_caches(tmp_path, monkeypatch):
    """Weight caches that hold nothing, and a fresh model cache; restored afterwards."""
    import huggingface_hub.constants as hc

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf"))
    models.clear_cache(LOOKUP_MODES)
    yield tmp_path
    models.clear_cache(LOOKUP_MODES)


@pytest.mark.parametrize("config", [OFFLINE, RANDOM_WEIGHTS], ids=["offline", "random-weights"])
def test_identical_render_scores_one_and_better_render_ranks_higher(config):
    scorer = Scorer(scene(boxes=TWO), config)
    same, near, poor = scorer.score_batch([scene(boxes=TWO), scene(boxes=NEAR), scene(boxes=POOR)])
    assert same.total == pytest.approx(1.0, abs=1e-5)
    assert all(v == pytest.approx(1.0, abs=1e-5) for v in same.terms.values())
    assert same.total > near.total > poor.total
    assert set(same.terms) == set(scorer.describe()["weights"])
    assert 0.0 <= poor.total < 0.8


def test_batch_and_single_scoring_agree_across_resolutions():
    scorer = Scorer(scene(96, boxes=TWO), RANDOM_WEIGHTS)
    renders = [scene(64, boxes=NEAR), scene(48, boxes=POOR), scene(64, boxes=POOR), scene(48, boxes=TWO)]
    index = [None, None, (renders[2][..., 1] > 0.5).astype(np.int32), None]
    batch = scorer.score_batch(renders, index)
    for r, i, b in zip(renders, index, batch):
        single = scorer.score(r, i)
        assert single.total == pytest.approx(b.total, abs=1e-5)
        assert single.terms == pytest.approx(b.terms, abs=1e-5)
    assert set(batch[0].terms) == {"lpips", "clip", "ssim", "pixel", "mask", "objects", "edges", "color"}


def test_rgba_target_is_composited_over_the_background():
    rgb = scene(boxes=TWO, bg=(1.0, 1.0, 1.0))
    alpha = (np.abs(rgb - 1.0).sum(axis=-1) > 0).astype(np.float32)
    rgba = np.dstack([np.where(alpha[..., None] > 0, rgb, 0.3), alpha])  # junk colour where transparent
    on_white = Scorer(rgba, OFFLINE)
    assert np.allclose(on_white.target, rgb)
    white = on_white.score(rgb)  # the target's mask comes from its alpha, the render's from image analysis
    assert white.terms["pixel"] == pytest.approx(1.0) and white.terms["ssim"] == pytest.approx(1.0)
    assert white.total > 0.99
    separate = Scorer(rgba[..., :3], OFFLINE, target_alpha=alpha)
    assert np.allclose(separate.target, rgb)
    once = Scorer(rgb, OFFLINE, target_alpha=alpha * 0.5, target_composited=True)  # not composited again
    assert np.allclose(once.target, rgb) and np.allclose(once.target_alpha, alpha * 0.5)
    with pytest.raises(ScoringError):
        Scorer(rgb, OFFLINE, target_alpha=alpha[:10])
    on_black = Scorer(rgba, ScoreConfig(neural="off", background=(0.0, 0.0, 0.0)))
    assert on_black.score(rgb).total < 0.9


def test_offline_fallback_is_used_and_said_once(empty_caches, caplog):
    with caplog.at_level(logging.WARNING, logger="seig.scoring"):
        first = Scorer(scene(boxes=TWO))  # neural="auto"
        second = Scorer(scene(boxes=NEAR))
    warnings = [r for r in caplog.records if "neural weights not found" in r.getMessage()]
    assert len(warnings) == 1
    assert "seig weights fetch" in warnings[0].getMessage()
    info = first.describe()
    assert info["neural"] == "offline-fallback"
    total = sum(OFFLINE_WEIGHTS.as_dict().values())
    assert info["weights"] == pytest.approx({k: v / total for k, v in OFFLINE_WEIGHTS.as_dict().items() if v > 0})
    assert "lpips" not in second.score(scene(boxes=TWO)).terms


def test_pretrained_mode_refuses_missing_weights(empty_caches):
    with pytest.raises(WeightsUnavailableError) as err:
        Scorer(scene(), ScoreConfig(neural="pretrained"))
    assert err.value.exit_code == 6 and "seig weights fetch" in str(err.value)


@pytest.fixture()
def no_network(monkeypatch):
    """Every download entry point of torch hub, Hugging Face, open_clip and urllib fails the test."""
    import urllib.request

    import huggingface_hub
    import open_clip.pretrained
    import torch.hub

    def refuse(*args, **kwargs):
        raise AssertionError(f"download attempted: {args[:1]}")

    for owner, name in [(torch.hub, "load_state_dict_from_url"), (torch.hub, "download_url_to_file"),
                        (huggingface_hub, "hf_hub_download"), (open_clip.pretrained, "hf_hub_download"),
                        (open_clip.pretrained, "download_pretrained"), (urllib.request, "urlopen")]:
        monkeypatch.setattr(owner, name, refuse)


def test_missing_weights_trigger_no_download(empty_caches, no_network):
    Scorer(scene(), ScoreConfig(neural="auto")).score(scene(boxes=NEAR))


def test_configured_weight_files_are_loaded_without_downloads(empty_caches, tmp_path, no_network):
    import open_clip
    import torch
    import torchvision

    torch.manual_seed(1)
    trunk = {k: v for k, v in torchvision.models.alexnet(weights=None).state_dict().items()
             if k.startswith("features.")}  # the classifier head is unused: keep the file small
    torch.save(trunk, tmp_path / "alexnet.pth")
    clip = open_clip.create_model("ViT-S-32")
    torch.save({k: v.half() for k, v in clip.state_dict().items()}, tmp_path / "clip.pt")
    cfg = ScoreConfig(neural="pretrained", lpips_backbone_path=tmp_path / "alexnet.pth", clip_model="ViT-S-32",
                      clip_pretrained="none", clip_weights_path=tmp_path / "clip.pt")
    scorer = Scorer(scene(boxes=TWO), cfg)
    assert scorer.describe()["neural"] == "pretrained"
    lp = scorer.models.lpips.model
    assert torch.equal(lp.net.slice1[0].weight, trunk["features.0.weight"])
    assert torch.equal(getattr(lp.net.slice5, "10").weight, trunk["features.10.weight"])
    got = scorer.models.clip.visual.conv1.weight
    assert torch.equal(got, clip.visual.conv1.weight.half().float())
    assert scorer.score(scene(boxes=TWO)).total == pytest.approx(1.0, abs=1e-5)


def test_partial_weights_drop_only_the_missing_term(empty_caches, tmp_path, caplog):
    import torch
    import torchvision

    trunk = {k: v for k, v in torchvision.models.alexnet(weights=None).state_dict().items()
             if k.startswith("features.")}
    torch.save(trunk, tmp_path / "alexnet.pth")
    with caplog.at_level(logging.WARNING, logger="seig.scoring"):
        scorer = Scorer(scene(), ScoreConfig(lpips_backbone_path=tmp_path / "alexnet.pth"))  # CLIP missing
    info = scorer.describe()
    assert info["neural"] == "partial" and "clip" not in info["weights"] and "lpips" in info["weights"]
    assert sum(info["weights"].values()) == pytest.approx(1.0)
    assert any("clip" in r.getMessage() for r in caplog.records)


def test_bad_inputs_raise_scoring_errors():
    scorer = Scorer(scene(), OFFLINE)
    with pytest.raises(ScoringError):
        scorer.score(np.zeros((8, 8)))
    with pytest.raises(ScoringError):
        scorer.score(np.full((8, 8, 3), np.nan, np.float32))
    with pytest.raises(ScoringError):
        scorer.score(scene(), index=np.zeros((5, 5), np.int32))
    with pytest.raises(ScoringError):
        scorer.score_batch([scene(), scene()], [None])
    with pytest.raises(ConfigError):
        Scorer(scene(), {"weights": {"lpips": -1.0}})
    with pytest.raises(ConfigError):
        Scorer(scene(), {"offline_weights": {k: 0.0 for k in OFFLINE_WEIGHTS.as_dict()}})


def test_score_device_auto_uses_what_torch_sees_and_bad_devices_are_clear_errors():
    import torch

    with pytest.raises(ConfigError, match="device"):
        Scorer(scene(), {"device": "gpu0"})
    scorer = Scorer(scene(), {"neural": "random-weights", "clip_image_size": 64})  # device "auto" by default
    assert scorer.models.lpips.device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert scorer.score(scene()).total == pytest.approx(1.0, abs=1e-4)
    if not torch.cuda.is_available():  # asking for a GPU that is not there fails before any scoring
        with pytest.raises(ScoringError, match="CUDA"):
            Scorer(scene(), ScoreConfig(neural="random-weights", device="cuda:1", clip_image_size=64))


def test_uint8_renders_match_float_renders():
    scorer = Scorer(scene(boxes=TWO), OFFLINE)
    f = scene(boxes=NEAR)
    u = np.round(f * 255).astype(np.uint8)
    assert scorer.score(u).total == pytest.approx(scorer.score(u.astype(np.float32) / 255).total, abs=1e-6)


def test_segmentation_finds_objects_and_index_ground_is_background():
    img = scene(boxes=TWO)
    labels = objects_from_foreground(foreground_from_image(img))
    assert labels.max() == 2
    assert (labels[30, 15] > 0) and (labels[30, 45] > 0) and labels[2, 2] == 0
    index = np.full((64, 64), 1, np.int32)  # label 1 fills the frame: a ground plane
    index[16:40, 8:26], index[20:44, 36:56] = 2, 3
    objs = objects_from_index(index)
    assert set(np.unique(objs)) == {0, 2, 3}


def test_index_pass_drives_the_mask_terms():
    target = scene(boxes=TWO)
    scorer = Scorer(target, OFFLINE)
    render = scene(boxes=TWO)
    right = np.zeros((64, 64), np.int32)
    right[16:40, 8:26], right[20:44, 36:56] = 1, 2
    wrong = np.zeros((64, 64), np.int32)
    wrong[0:10, 0:10] = 1
    good, bad = scorer.score_batch([render, render], [right, wrong])
    # the target's analysis rounds each box's 4 corner pixels off (denoising median), hence not exactly 1
    assert good.terms["mask"] == pytest.approx(1.0, abs=0.01)
    assert good.terms["objects"] == pytest.approx(1.0, abs=0.01)
    assert bad.terms["mask"] == 0.0 and bad.terms["objects"] == 0.0
    assert good.terms["ssim"] == bad.terms["ssim"]


def test_weights_cli_status_and_fetch(empty_caches, monkeypatch):
    import json

    import torch.hub
    from typer.testing import CliRunner

    from seig_search.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["weights", "status", "--json"])
    assert res.exit_code == 0
    status = json.loads(res.stdout)
    assert status["lpips_linear"]["found"] and not status["lpips_trunk"]["found"]
    assert not status["clip"]["found"] and str(empty_caches) in status["lpips_trunk"]["looked"][0]

    def offline(*a, **k):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    res = runner.invoke(app, ["weights", "fetch", "--no-clip"])
    assert res.exit_code == 6 and "could not fetch weights" in res.output
    assert runner.invoke(app, ["weights", "status", "--lpips-net", "nope"]).exit_code == 2


def test_weights_fetch_fills_the_standard_caches(empty_caches, monkeypatch):
    """`seig weights fetch` with download functions replaced by test doubles that write small files."""
    import json

    import open_clip.pretrained
    import torch.hub
    from typer.testing import CliRunner

    from scoring.weights import torch_hub_checkpoints
    from seig_search.cli.main import app

    def fake_torch_download(url, **kwargs):  # test double of torch hub's download into its cache
        torch_hub_checkpoints().mkdir(parents=True, exist_ok=True)
        (torch_hub_checkpoints() / url.rsplit("/", 1)[-1]).write_bytes(b"weights")

    def fake_clip_download(cfg, **kwargs):  # test double: lays the file out as the Hugging Face cache does
        repo = cfg["hf_hub"].strip("/")
        snap = empty_caches / "hf" / f"models--{repo.replace('/', '--')}" / "snapshots" / "0"
        snap.mkdir(parents=True)
        (snap / "open_clip_model.safetensors").write_bytes(b"weights")
        (snap.parent.parent / "refs").mkdir()
        (snap.parent.parent / "refs" / "main").write_text("0")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", fake_torch_download)
    monkeypatch.setattr(open_clip.pretrained, "download_pretrained", fake_clip_download)
    runner = CliRunner()
    assert runner.invoke(app, ["weights", "fetch"]).exit_code == 0
    status = json.loads(runner.invoke(app, ["weights", "status", "--json"]).stdout)
    assert all(w["found"] for w in status.values()), status
    assert status["clip"]["path"].startswith(str(empty_caches / "hf"))


def test_the_weights_lookup_agrees_with_torch_and_open_clip(tmp_path, monkeypatch):
    """The lookup finds weights where torch hub and open_clip would put them, without importing either."""
    import open_clip.constants
    import torch.hub
    from open_clip.pretrained import get_pretrained_cfg

    from scoring import weights

    for (model, tag), known in weights._KNOWN_CLIP_SOURCES.items():
        cfg = get_pretrained_cfg(model, tag)
        assert {k: cfg.get(k, "") for k in known} == known, (model, tag)
    assert (weights._HF_SAFE_WEIGHTS_NAME, weights._HF_WEIGHTS_NAME) == (open_clip.constants.HF_SAFE_WEIGHTS_NAME,
                                                                          open_clip.constants.HF_WEIGHTS_NAME)
    for env in ({"TORCH_HOME": str(tmp_path / "th")}, {"XDG_CACHE_HOME": str(tmp_path / "xdg")}, {}):
        monkeypatch.delenv("TORCH_HOME", raising=False)
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        expected = Path(torch.hub.get_dir()) / "checkpoints"
        monkeypatch.delitem(sys.modules, "torch.hub")  # as in a process that never imported torch
        assert weights.torch_hub_checkpoints() == expected, env
        monkeypatch.undo()


def test_the_offline_fallback_imports_no_torch(tmp_path):
    """Without weights, a scorer in ``auto`` mode falls back without importing torch (seconds per process)."""
    code = ("import sys, numpy as np\n"
            "from scoring.scorer import Scorer\n"
            "s = Scorer(np.full((32, 32, 3), 0.5))\n"
            "print(s.describe()['neural'], 'torch' in sys.modules, 'open_clip' in sys.modules)\n")
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "torch"), "HF_HUB_CACHE": str(tmp_path / "hf"),
           "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["offline-fallback", "False", "False"]
    assert "neural weights not found" in run.stderr


def test_neural_terms_in_offline_weights_weigh_nothing_without_networks() -> None:
    """Naming lpips in the offline combination must not reach for a network that is not there."""
    rng = np.random.default_rng(3)
    target = rng.random((24, 24, 3)).astype(np.float32)
    config = ScoreConfig.model_validate({"neural": "off", "offline_weights": {"lpips": 0.5, "ssim": 0.5}})
    scorer = Scorer(target, config)
    assert "lpips" not in scorer.weights and scorer.weights["ssim"] > 0
    assert scorer.score(target).total > scorer.score(1.0 - target).total


def _box_with_shadow(size: int = 96) -> np.ndarray:
    """A grey ground with a gentle gradient, a red box and its cast shadow (the ground, darker) beside it."""
    rows = np.linspace(0.55, 0.7, size, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(rows, (size, size, 3)).copy()
    img[40:70, 20:44] = (0.75, 0.12, 0.1)
    img[50:70, 44:78] *= 0.35  # the shadow falls to the right, on the ground, touching the box
    return img


def test_the_target_foreground_leaves_cast_shadows_to_the_ground():
    """The mask and objects terms compare the target with a render's index pass, which has no shadows: the
    target's foreground must not have them either, or the search grows objects over the shadows."""
    from scoring.terms import target_foreground

    img = _box_with_shadow()
    box = np.zeros(img.shape[:2], bool)
    box[40:70, 20:44] = True
    shadow = np.zeros_like(box)
    shadow[52:68, 48:76] = True  # the shadow's inside, away from its soft rim
    objects = target_foreground(img, None, "objects")
    border = target_foreground(img, None, "border")
    assert objects[box].mean() > 0.9 and objects[shadow].mean() < 0.1
    assert border[box].mean() > 0.9 and border[shadow].mean() > 0.9  # the old foreground: shadow included
    # the render that draws only the box scores a full mask under "objects", not under "border"
    index = np.zeros(img.shape[:2], np.int32)
    index[box] = 1
    only_mask = {**{k: 0.0 for k in OFFLINE_WEIGHTS.as_dict()}, "mask": 1.0}

    def mask_term(mode: str) -> float:
        config = ScoreConfig(neural="off", offline_weights=only_mask, target_foreground=mode)
        return Scorer(img, config).score(img, index).terms["mask"]

    assert mask_term("objects") > 0.95 and mask_term("border") < 0.7


def test_a_given_target_foreground_is_used_at_every_resolution():
    """A foreground found on the sharper perception-size copy replaces the working image's own analysis."""
    img = _box_with_shadow()
    only_mask = {**{k: 0.0 for k in OFFLINE_WEIGHTS.as_dict()}, "mask": 1.0}
    config = ScoreConfig(neural="off", offline_weights=only_mask)
    given = np.zeros((192, 192), bool)  # twice the target's size: the box's left half only
    given[80:140, 40:64] = True
    index = np.zeros(img.shape[:2], np.int32)
    index[40:70, 20:32] = 1  # a render of exactly that half
    assert Scorer(img, config, target_foreground=given).score(img, index).terms["mask"] > 0.95
    assert Scorer(img, config).score(img, index).terms["mask"] < 0.7  # its own analysis finds the whole box
    small = np.zeros((48, 48, 3), np.float32)  # a view at another size resizes the given mask too
    assert Scorer(img, config, target_foreground=given).score(small, index[::2, ::2]).terms["mask"] > 0.9
    with pytest.raises(ScoringError):
        Scorer(img, config, target_foreground=np.zeros((4, 4, 3), bool))

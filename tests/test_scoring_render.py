"""The score on real Blender renders: a visibly closer candidate outranks a poor one."""

from __future__ import annotations

import pytest

from scoring import ScoreConfig, Scorer
from scoring.metrics import psnr, ssim
from scoring.scene_metrics import objects_from_summary, scene_metrics

TARGET = (("cube", (-0.8, 0.0, 0.5), (0.8, 0.1, 0.1)), ("sphere", (0.8, 0.0, 0.5), (0.1, 0.2, 0.8)))
CLOSE = (("cube", (-0.7, 0.1, 0.5), (0.7, 0.15, 0.1)), ("sphere", (0.8, 0.1, 0.5), (0.1, 0.2, 0.8)))
POOR = (("sphere", (0.0, 1.0, 0.5), (0.1, 0.8, 0.1)),)


@pytest.fixture(scope="module")
def renders(render_pool, test_program):
    from render_pool import RenderJob, RenderSettings

    settings = RenderSettings(engine="CYCLES", width=64, height=64, samples=4, passes=("color", "index"),
                              seed=0)
    jobs = [RenderJob(program=test_program(objs, ground=True), settings=settings, job_id=name)
            for name, objs in (("target", TARGET), ("close", CLOSE), ("poor", POOR))]
    results = render_pool.render(jobs)
    assert all(r.ok for r in results), [r.failure for r in results]
    return {r.job_id: r for r in results}


@pytest.mark.parametrize("neural", ["off", "random-weights"])
def test_closer_render_scores_higher(renders, neural):
    target = renders["target"].srgb()
    scorer = Scorer(target, ScoreConfig(neural=neural, clip_image_size=64))
    cands = [renders[k] for k in ("target", "close", "poor")]
    # the renders' object-index passes against the target's image analysis (which leaves shadows out, as an
    # index pass does: the true scene's masks agree)
    same, close, poor = scorer.score_batch([c.srgb() for c in cands], [c.index for c in cands])
    assert same.total >= close.total > poor.total + 0.1, (same, close, poor)
    assert same.terms["mask"] > 0.9
    assert close.terms["objects"] > poor.terms["objects"] and close.terms["mask"] > poor.terms["mask"]
    # without index passes the renders get the target's own analysis: identical scores 1
    same_img, close_img, poor_img = scorer.score_batch([c.srgb() for c in cands])
    assert same_img.total == pytest.approx(1.0, abs=1e-5)
    assert close_img.total > poor_img.total + 0.1


def test_metrics_on_renders(renders):
    t, c, p = (renders[k] for k in ("target", "close", "poor"))
    assert psnr(t.srgb(), c.srgb()) > psnr(t.srgb(), p.srgb())
    assert ssim(t.srgb(), c.srgb()) > ssim(t.srgb(), p.srgb())
    gt = [o.model_copy(update={"shape": s[0]}) for o, s in zip(objects_from_summary(t.summary, t.index), TARGET)]
    close = [o.model_copy(update={"shape": s[0]}) for o, s in zip(objects_from_summary(c.summary, c.index), CLOSE)]
    poor = [o.model_copy(update={"shape": s[0]}) for o, s in zip(objects_from_summary(p.summary, p.index), POOR)]
    mc, mp = scene_metrics(close, gt), scene_metrics(poor, gt)
    assert mc["count_error"] == 0 and mc["shape_accuracy"] == 1.0 and mc["color_accuracy"] == 1.0
    assert mp["count_error"] == 1 and mp["shape_accuracy"] <= 0.5 and mp["color_accuracy"] == 0.0

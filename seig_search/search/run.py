"""One reconstruction, start to finish: target -> search -> output folder. The CLI is a thin shell over this.

Resumable: ``run.json`` holds the resolved config and arguments; ``search/log.jsonl`` every scored
candidate. ``resume=True`` reads both, replays the log instead of rendering what was already rendered,
and reaches the same result as an uninterrupted run (see docs/search.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seig_search.config import SearchConfig, config_to_dict, validate_config
from seig_search.errors import ConfigError, SearchStateError
from seig_search.proposers.base import Candidate, Proposer
from seig_search.search.backends import PoolRenderer, StageScorer, render_settings
from seig_search.search.engine import Progress, SearchResult, run_search
from seig_search.search.evaluate import Budget, EvalSetting, Evaluator
from seig_search.search.log import SearchLog
from seig_search.search.outputs import (RUN_FILE, file_sha256, read_run, write_json, write_stage_best)
from seig_search.target import load_target, save_png

RUN_FORMAT = 1
VLM_CALLS_DIR = "vlm_calls"  # a VLM run's own recording of its model calls, when --record is not given


@dataclass
class RunOptions:
    image: Path
    out: Path
    config: SearchConfig
    agent: str = "embedded"  # embedded | vlm
    ray_address: str | None = None
    resume: bool = False
    record_dir: Path | None = None
    replay_dir: Path | None = None
    verify_exports: bool = True
    final_max_size: int = 1024  # render.png/scene.blend at the target's resolution, longer side capped here
    denoise_output: bool = True  # denoise render.png (the search's own renders follow the config)
    args: dict[str, Any] = field(default_factory=dict)  # as given on the command line, for run.json


@dataclass
class RunOutcome:
    out: Path
    best: Candidate
    result: SearchResult
    metrics: dict[str, Any]


def resolve_resume(out: Path, image: Path, resume: bool, config: SearchConfig | None,
                   args: dict[str, Any]) -> tuple[SearchConfig, dict[str, Any]]:
    """The config and arguments to run with: fresh ones, or those of the run being resumed."""
    previous = read_run(out)
    has_log = (out / "search" / "log.jsonl").exists()
    if not resume:
        if previous is not None or has_log:
            raise SearchStateError(f"{out} already holds a run; pass --resume to continue it, or choose another --out")
        if config is None:
            raise ConfigError("no config given")
        return config, args
    if previous is None:
        raise SearchStateError(f"nothing to resume in {out}: no {RUN_FILE}")
    if previous.get("format") != RUN_FORMAT:
        raise SearchStateError(f"{out / RUN_FILE} has format {previous.get('format')!r}, expected {RUN_FORMAT}")
    recorded = previous.get("target_sha256")
    if image.exists() and recorded and file_sha256(image) != recorded:
        raise SearchStateError(f"{image} is not the image the run in {out} was started with")
    return validate_config(previous["config"], origin=str(out / RUN_FILE)), dict(previous.get("args") or {})


def build_proposer(options: RunOptions) -> Proposer:
    if options.agent == "embedded":
        from seig_search.proposers.embedded import EmbeddedProposer

        return EmbeddedProposer()
    if options.agent == "vlm":
        from seig_search.proposers.vlm import build_vlm_proposer

        # Every VLM run records its calls (into the run folder unless --record says elsewhere), so that
        # --resume answers the interrupted part from the recording and proposes the same candidates again.
        record_dir = options.record_dir
        if record_dir is None and options.replay_dir is None:
            record_dir = options.out / VLM_CALLS_DIR
        return build_vlm_proposer(options.config.vlm, record_dir=record_dir, replay_dir=options.replay_dir)
    raise ConfigError(f"--agent must be embedded or vlm, got {options.agent!r}")


def _stage_writer(out: Path, evaluator: Evaluator):
    def write(index: int, name: str, best: Candidate, setting: EvalSetting) -> None:
        srgb = best.srgb
        if srgb is None:  # replayed from the log: render it again (deterministic), outside the budget
            outcome = evaluator.renderer.render([best.program], setting.render, evaluator.size)[0]
            srgb = outcome.srgb
        write_stage_best(out, index, name, best.program, srgb,
                         {"stage": name, "hash": best.hash, "score": best.score, "terms": best.terms,
                          "setting": setting.key, "note": best.note})
    return write


FINAL_TIMEOUT_PIXELS = 512 * 512


def _final_outputs(options: RunOptions, pool, best: Candidate, config: SearchConfig) -> dict[str, Any]:
    """render.png, scene.py/.blend/.glb, scene.json and the image metrics, at the target's resolution."""
    from render_pool import RenderJob
    from scoring.config import ScoreConfig
    from scoring.metrics import image_metrics

    from seig_search.exports import PROGRAM_FILE, export_settings, write_exports_from_result

    out = options.out
    full = load_target(options.image, size=options.final_max_size, background=config.search.background)
    size = full.size
    # The output render is denoised (OIDN): search renders stay noisy but cheap, the user's picture should not.
    # Its time limit grows with its pixels: [final] timeout_s holds for FINAL_TIMEOUT_PIXELS, and a 1024x576
    # CLEVR image on two busy cores ran past a flat 60 s.
    pixels = size[0] * size[1]
    final_render = config.final.model_copy(update={
        "denoise": config.final.denoise or options.denoise_output,
        "timeout_s": config.final.timeout_s * max(1.0, pixels / FINAL_TIMEOUT_PIXELS)})
    settings = export_settings(render_settings(final_render, size, config.search.seed))
    # the search's result is written first: a final render that fails must not lose it
    (out / PROGRAM_FILE).write_text(best.program)
    started = time.perf_counter()
    result = pool.render([RenderJob(program=best.program, settings=settings, job_id="final")])[0]
    render_s = time.perf_counter() - started
    if not result.ok:
        raise SearchStateError(
            f"the final render failed: {result.failure}. The best program is in {out / PROGRAM_FILE}; run again "
            f"with --resume to retry the final render without searching again (a larger [final] timeout_s or a "
            f"smaller final size helps a slow machine)")
    render = result.srgb()
    save_png(render, out / "render.png")
    report = write_exports_from_result(out, best.program, result, verify=options.verify_exports, strict=False)
    write_json(out / "scene.json", result.summary)
    score_config = ScoreConfig.model_validate(config.score)
    try:
        metrics = image_metrics(render, full.srgb, score_config)
    except Exception as error:  # metrics are a report, never a reason to lose the reconstruction
        metrics = {"error": f"{type(error).__name__}: {error}"}
    metrics["size"] = list(size)
    return {"image": metrics, "final_render_s": render_s,
            "exports": [{"file": c.file, "ok": c.ok, "detail": c.detail} for c in report.checks]}


def reconstruct(options: RunOptions, pool=None, progress: Progress | None = None,
                fail_after_rounds: int | None = None, proposer: Proposer | None = None) -> RunOutcome:
    """Run a reconstruction into ``options.out``; pass ``pool`` to reuse a running RenderPool.

    ``proposer`` replaces the one ``options.agent`` names; ``fail_after_rounds`` interrupts the search
    (KeyboardInterrupt) after that many rounds, as Ctrl-C would, to exercise ``--resume``.
    """
    started = time.perf_counter()
    config = options.config
    out = options.out
    target = load_target(options.image, size=config.search.size, background=config.search.background,
                         analysis_size=config.search.perception_size)
    proposer = proposer or build_proposer(options)  # config problems surface before anything is written
    out.mkdir(parents=True, exist_ok=True)
    save_png(target.srgb, out / "target.png")
    search_log = SearchLog(out / "search")
    replay = search_log.read() if options.resume else []
    run_info = {
        "format": RUN_FORMAT, "args": {**options.args, "original_size": list(target.original_size or ())},
        "config": config_to_dict(config), "seed": config.search.seed, "method": config.search.method,
        "agent": options.agent, "target": str(options.image), "target_sha256": file_sha256(options.image),
        "working_size": list(target.size), "status": "running", "resumed": options.resume,
    }
    write_json(out / RUN_FILE, run_info)
    own_pool = pool is None
    if own_pool:
        from render_pool import RenderPool

        pool = RenderPool(num_workers=config.search.workers, ray_address=options.ray_address)
    try:
        budget = Budget(config.search.budget_renders, config.search.budget_seconds)
        scorer = StageScorer(target, config.score)
        evaluator = Evaluator(PoolRenderer(pool, config.search.seed), scorer, target.size, search_log, budget,
                              replay=replay)
        result = run_search(target, config, proposer, evaluator, progress=progress,
                            on_stage_best=_stage_writer(out, evaluator), fail_after_rounds=fail_after_rounds)
        search_s = time.perf_counter() - started
        final = _final_outputs(options, pool, result.best, config)
    finally:
        search_log.close()
        if own_pool:
            pool.close()
    first = result.first
    metrics = {
        **final["image"],
        "score": result.best.score, "score_terms": result.best.terms, "score_setting": result.final_setting.key,
        "first_proposal_score": None if first is None else first.score,
        "renders": {"budgeted": result.renders_used, "final_pick": result.final_renders,
                    "rendered_now": evaluator.rendered, "replayed_from_log": evaluator.replayed},
        "timings": {"total_s": time.perf_counter() - started, "search_s": search_s,
                    "render_s": evaluator.render_seconds, "score_s": evaluator.score_seconds,
                    "final_render_s": final["final_render_s"],
                    "stages": {s.name: {"seconds": s.seconds, "renders": s.renders, "rounds": s.rounds_done,
                                        "best_score": None if s.best is None else s.best.score}
                               for s in result.stages}},
        "exports": final["exports"],
        "scorer": scorer.describe(result.final_setting),
    }
    usage = getattr(proposer, "usage_totals", None)
    if callable(usage):  # a VLM proposer's calls, tokens, estimated cost and faults
        metrics["vlm"] = usage()
    write_json(out / "metrics.json", metrics)
    run_info.update(status="done", best_hash=result.best.hash, history=[list(h) for h in result.history])
    write_json(out / RUN_FILE, run_info)
    return RunOutcome(out=out, best=result.best, result=result, metrics=metrics)


__all__ = ["RunOptions", "RunOutcome", "reconstruct", "resolve_resume"]

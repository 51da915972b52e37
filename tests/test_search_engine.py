"""Beam search bookkeeping, dedup, budget, resume and determinism, on a toy renderer (a test double).

The toy renderer "renders" a scene program to a tiny image whose pixels are the program's scene numbers,
so that the search has a real, smooth objective without Blender. Real renders: test_reconstruct.py.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from seig_search.config import load_config
from seig_search.program import CameraSpec, LightSpec, ObjectSpec, SceneSpec, render_program
from seig_search.proposers.base import TargetImage
from seig_search.proposers.embedded import EmbeddedProposer
from seig_search.search.beam import derive_seed, top_k
from seig_search.search.engine import plan_stages, run_search
from seig_search.search.evaluate import Budget, Evaluator, RenderOutcome
from seig_search.search.log import LogRecord, SearchLog

NUMBER = re.compile(r"-?\d+\.\d+")


def _numbers(program: str) -> np.ndarray:
    scene = program[program.index("# ---- scene ----"):]
    return np.array([float(x) for x in NUMBER.findall(scene)], dtype=np.float32)


class ToyRenderer:
    """Test double: the image is the program's scene numbers, squashed into [0, 1]."""

    def __init__(self) -> None:
        self.rendered: Counter = Counter()

    def render(self, programs, setting, size):
        out = []
        for program in programs:
            self.rendered[(program, setting.key())] += 1
            values = 0.5 + 0.5 * np.tanh(_numbers(program) / 4.0)
            out.append(RenderOutcome(srgb=values.reshape(1, -1, 1).repeat(3, axis=2)))
        return out


class ToyScorer:
    """Test double: higher is closer to the target program's numbers."""

    def __init__(self, target_program: str) -> None:
        self.target = 0.5 + 0.5 * np.tanh(_numbers(target_program) / 4.0)

    def score(self, setting, renders, index):
        out = []
        for render in renders:
            values = render[0, :, 0]
            if values.shape != self.target.shape:
                out.append((0.0, {"toy": 0.0}))
                continue
            err = float(np.mean((values - self.target) ** 2))
            out.append((float(np.exp(-30.0 * np.sqrt(err))), {"toy": err}))
        return out


def _spec(shift: float = 0.0, colour=(0.8, 0.1, 0.1)) -> SceneSpec:
    return SceneSpec(
        objects=[ObjectSpec(name="obj0", shape="cube", dims=(1.0, 1.0, 1.0), location=(shift, 0.0, 0.5), color=colour),
                 ObjectSpec(name="obj1", shape="sphere", dims=(0.8, 0.8, 0.8), location=(1.0 + shift, 0.5, 0.4))],
        camera=CameraSpec(location=(6.0, -6.0, 4.0), look_at=(0.0, 0.0, 0.4)),
        lights=[LightSpec(name="key")],
    )


TRUE = render_program(_spec())
GUESS = _spec(shift=0.6, colour=(0.5, 0.4, 0.3))
TARGET = TargetImage(srgb=np.zeros((4, 4, 3), np.float32))


def _config(**search):
    config = load_config(preset="fast", overrides=search)
    # The toy objective has no Workbench/Cycles difference; keep two settings anyway to exercise re-scoring.
    return config


def _run(tmp_path: Path, config, renderer=None, replay=None, fail_after_rounds=None, proposer=None):
    renderer = renderer or ToyRenderer()
    log = SearchLog(tmp_path / "search")
    evaluator = Evaluator(renderer, ToyScorer(TRUE), (4, 4), log,
                          Budget(config.search.budget_renders), replay=replay)
    proposer = proposer or EmbeddedProposer(initial_specs=lambda target, n, seed: [GUESS] * 1)
    try:
        return run_search(TARGET, config, proposer, evaluator, fail_after_rounds=fail_after_rounds), renderer
    finally:
        log.close()


def test_search_improves_and_never_renders_a_program_twice(tmp_path):
    result, renderer = _run(tmp_path, _config())
    assert result.first is not None
    print(result.first.score, result.best.score)
    assert result.best.score > result.first.score + 0.05
    assert max(renderer.rendered.values()) == 1  # each (program, setting) rendered once
    records = SearchLog(tmp_path / "search").read()
    assert len({r.key for r in records}) == len(records)
    for record in records[:5]:
        assert (tmp_path / "search" / "programs" / f"{record.hash}.py").exists()


def test_the_first_program_stays_unless_the_search_beats_it_by_the_margin(tmp_path):
    searched, _ = _run(tmp_path / "a", _config())
    gain = searched.best.score - searched.first.score
    assert gain > 0.05
    kept, _ = _run(tmp_path / "b", _config(first_guess_margin=round(gain + 0.01, 3)))
    assert kept.best.hash == kept.first.hash and kept.best.score == searched.first.score
    beaten, _ = _run(tmp_path / "c", _config(first_guess_margin=round(gain - 0.01, 3)))
    assert beaten.best.program == searched.best.program


def test_same_seed_same_program_and_other_seed_differs(tmp_path):
    a, _ = _run(tmp_path / "a", _config(seed=3))
    b, _ = _run(tmp_path / "b", _config(seed=3))
    c, _ = _run(tmp_path / "c", _config(seed=4))
    assert a.best.program == b.best.program and a.best.score == b.best.score
    assert c.best.program != a.best.program


def test_resume_after_interruption_reaches_the_same_result(tmp_path):
    full, _ = _run(tmp_path / "full", _config())
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "cut", _config(), fail_after_rounds=4)
    done_before = SearchLog(tmp_path / "cut" / "search").read()
    assert 0 < len(done_before) < len(SearchLog(tmp_path / "full" / "search").read())
    resumed, renderer = _run(tmp_path / "cut", _config(), replay=done_before)
    assert resumed.best.program == full.best.program and resumed.best.score == full.best.score
    rendered_again = {key for key in renderer.rendered}
    replayed = {(r.hash, r.setting) for r in done_before}
    from seig_search.search.beam import program_hash
    assert not any((program_hash(p), s) in {(h, st.split("|")[0]) for h, st in replayed} for p, s in rendered_again)


def test_render_budget_is_respected(tmp_path):
    result, renderer = _run(tmp_path, _config(budget_renders=12))
    assert result.renders_used == 12
    assert sum(renderer.rendered.values()) == 12 + result.final_renders


def test_torn_last_line_of_the_log_is_ignored(tmp_path):
    log = SearchLog(tmp_path)
    record = LogRecord(stage="geometry", round=0, hash="ab", setting="s", score=0.5, terms={"mask": 0.5})
    log.append([record])
    log.close()
    with open(log.path, "a") as handle:
        handle.write('{"stage": "geometry", "round": 1, "ha')
    assert log.read() == [record]
    log.append([record])  # appending after a torn line starts a fresh line
    log.close()
    assert log.read() == [record, record]


def test_failed_render_is_logged_with_null_score(tmp_path):
    record = LogRecord(stage="g", round=0, hash="x", setting="s", score=float("-inf"),
                       failure={"kind": "timeout", "message": "killed", "line": None})
    assert '"score": null' in record.to_json()
    assert LogRecord.from_json(record.to_json()) == record


def test_methods_use_the_same_number_of_renders():
    config = load_config(preset="default")
    staged_total = sum(s.beam * s.per_survivor * s.rounds for s in plan_stages(config)[1])
    for method in ("greedy", "unstaged"):
        other = load_config(preset="default", overrides={"method": method})
        _, stages = plan_stages(other)
        total = sum(s.beam * s.per_survivor * s.rounds for s in stages)
        assert staged_total <= total < staged_total * 1.1, method
    unstaged = plan_stages(load_config(preset="default", overrides={"method": "unstaged"}))[1]
    assert len(unstaged) == 1 and set(unstaged[0].sections) == {"geometry", "materials", "composition", "lighting"}
    assert plan_stages(load_config(preset="default", overrides={"method": "oneshot"})) == (1, [])


def test_top_k_and_derived_seeds():
    from seig_search.proposers.base import Candidate

    cands = [Candidate(program="", hash=h, stage="s", round=0, score=s) for h, s in
             [("b", 0.5), ("a", 0.5), ("c", 0.9), ("c", 0.9), ("d", float("-inf"))]]
    assert [c.hash for c in top_k(cands, 3)] == ["c", "a", "b"]
    assert derive_seed(1, "geometry", 0) == derive_seed(1, "geometry", 0) != derive_seed(1, "geometry", 1)


def test_stalled_stage_hands_its_renders_on(tmp_path):
    from seig_search.config import config_to_dict, validate_config

    data = config_to_dict(_config())
    for stage in data["stages"]:
        stage["patience"] = 1
    config = validate_config(data)
    result, _ = _run(tmp_path, config)
    geometry = result.stages[0]
    assert geometry.name == "geometry" and geometry.rounds_done == 1  # the toy's sizes are already right
    planned = sum(s.beam * s.per_survivor * s.rounds for s in config.stages)
    assert result.renders_used >= 0.9 * planned  # the unspent renders were used by later stages
    assert sum(s.rounds_done for s in result.stages[1:]) > sum(s.rounds for s in config.stages[1:])


def test_time_budget_stops_the_search(tmp_path):
    renderer = ToyRenderer()
    log = SearchLog(tmp_path / "search")
    config = _config()
    evaluator = Evaluator(renderer, ToyScorer(TRUE), (4, 4), log, Budget(seconds=1e-9))
    proposer = EmbeddedProposer(initial_specs=lambda target, n, seed: [GUESS])
    result = run_search(TARGET, config, proposer, evaluator)  # out of time before the first render
    log.close()
    assert result.best.program == render_program(GUESS)  # the first proposal, rendered anyway
    assert all(s.rounds_done == 0 for s in result.stages)
    assert sum(renderer.rendered.values()) <= 2  # the first program, under the stage and the final setting


def test_resume_renders_machinery_faults_again_but_replays_program_faults():
    """A dead worker or a deadline missed under load says nothing about the program: resume renders it again."""
    from seig_search.search.evaluate import Budget, Evaluator
    from seig_search.search.log import LogRecord

    def record(h: str, kind: str | None) -> LogRecord:
        return LogRecord(stage="geometry", round=0, hash=h, setting="s", score=float("-inf") if kind else 0.5,
                         failure=None if kind is None else {"kind": kind, "message": "m", "line": None})

    records = [record("ok", None), record("raises", "program"), record("policy", "policy"),
               record("died", "crash"), record("slow", "timeout"), record("nosandbox", "sandbox")]
    evaluator = Evaluator(renderer=None, scorer=None, size=(8, 8), log=None, budget=Budget(), replay=records)
    assert sorted(h for h, _ in evaluator.replay) == ["ok", "policy", "raises"]


def test_stage_scorer_finds_the_target_foreground_on_the_perception_copy():
    from scoring.images import resize_to
    from seig_search.search.backends import StageScorer

    sharp = np.full((96, 96, 3), 0.6, np.float32)
    sharp[30:60, 20:50] = (0.75, 0.12, 0.1)
    small = resize_to(sharp, (48, 48))
    mask = StageScorer(TargetImage(srgb=small, analysis_srgb=sharp), {"neural": "off"})._target_foreground
    assert mask is not None and mask.shape == (96, 96) and mask[35:55, 25:45].all() and not mask[:20].any()
    assert StageScorer(TargetImage(srgb=small), {"neural": "off"})._target_foreground is None
    alpha = np.ones((96, 96), np.float32)  # a cut-out's alpha is exact at any size: no second analysis
    cutout = TargetImage(srgb=small, alpha=alpha[::2, ::2], analysis_srgb=sharp, analysis_alpha=alpha)
    assert StageScorer(cutout, {"neural": "off"})._target_foreground is None

"""The results schema of bench and batch runs, and the tables and plots made from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seig_search.errors import SearchStateError
from seig_search.jobs.results import SCHEMA_VERSION, Results, RunRecord, config_hash, load_results, provenance, write_results
from seig_search.jobs.summaries import markdown_table, method_means, score_curves, write_summaries


def _results(tmp_path: Path) -> Results:
    run_dir = tmp_path / "runs" / "c0" / "staged"
    (run_dir / "search").mkdir(parents=True)
    lines = [{"setting": "workbench-1", "score": 0.2}, {"setting": "workbench-1", "score": 0.1},
             {"setting": "workbench-1", "score": 0.4}, {"setting": "cycles-8", "score": 0.3},
             {"setting": "cycles-8", "score": None}]
    (run_dir / "search" / "log.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n{half a li")
    runs = [
        RunRecord(case="c0", method="staged", status="done", out=str(run_dir), wall_s=3.0,
                  metrics={"psnr": 20.0, "ssim": 0.8, "score": 0.6, "renders": {"budgeted": 30}},
                  truth={"count_error": 0, "shape_accuracy": 1.0, "color_accuracy": 0.5,
                         "material_accuracy": 1.0, "size_accuracy": 1.0, "position_error_rel": 0.1}),
        RunRecord(case="c1", method="staged", status="done", out=str(tmp_path / "x"), wall_s=5.0,
                  metrics={"psnr": 10.0, "ssim": 0.4, "score": 0.4, "renders": {"budgeted": 30}},
                  truth={"count_error": 2, "shape_accuracy": 0.0, "color_accuracy": 0.5,
                         "material_accuracy": 0.0, "size_accuracy": 0.0, "position_error_rel": 0.3}),
        RunRecord(case="c0", method="oneshot", status="failed", out=str(tmp_path / "y"), error="RenderError: boom"),
    ]
    config = {"search": {"seed": 3}}
    return Results(kind="bench", source="suite", source_kind="generated", agent="embedded",
                   methods=["staged", "oneshot"], seed=3, budget_renders=30, config_hash=config_hash(config),
                   config=config, provenance=provenance(), runs=runs)


def test_round_trip_and_provenance(tmp_path: Path) -> None:
    results = _results(tmp_path)
    path = tmp_path / "results.json"
    write_results(path, results)
    loaded = load_results(path)
    assert loaded == results
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["provenance"]["bpy_version"] == "5.0.1"
    assert data["provenance"]["commit"] is None or len(data["provenance"]["commit"]) == 40
    assert config_hash({"b": 1, "a": 2}) == config_hash({"a": 2, "b": 1})


def test_other_schema_versions_and_broken_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_results(path, _results(tmp_path))
    data = json.loads(path.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(SearchStateError, match="schema"):
        load_results(path)
    data["schema_version"] = SCHEMA_VERSION
    data["runs"][0]["status"] = "maybe"
    path.write_text(json.dumps(data))
    with pytest.raises(SearchStateError, match="does not follow"):
        load_results(path)
    path.write_text("{")
    with pytest.raises(SearchStateError, match="cannot read"):
        load_results(path)


def test_means_table_and_plots(tmp_path: Path) -> None:
    results = _results(tmp_path)
    means = method_means(results)
    assert means["staged"]["PSNR dB"] == pytest.approx(15.0)
    assert means["staged"]["count exact"] == pytest.approx(0.5)
    assert means["staged"]["runs"] == 2 and means["oneshot"]["failed"] == 1
    assert means["oneshot"]["PSNR dB"] is None
    table = markdown_table(results)
    assert "| staged | 2 | 0 | 50% |" in table
    assert "c0 / oneshot: RenderError: boom" in table
    written = write_summaries(results, tmp_path)
    assert [p.name for p in written] == ["results.md", "metrics_by_method.png", "score_vs_renders.png"]
    assert all(p.stat().st_size > 0 for p in written)


def test_score_curves_restart_per_render_setting(tmp_path: Path) -> None:
    results = _results(tmp_path)
    curves = score_curves(Path(results.runs[0].out))
    assert curves == [[(1, 0.2), (2, 0.2), (3, 0.4)], [(4, 0.3), (5, 0.3)]]

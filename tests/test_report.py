"""report.html of an output folder built from real renders: content, partial runs, index pages, the CLI,
and (where Chromium is installed) a real headless browser loading the page."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from render_pool import RenderJob, RenderSettings
from seig_search.cli.main import app
from seig_search.program import CameraSpec, LightSpec, ObjectSpec, SceneSpec, render_program
from seig_search.report import write_index, write_report
from seig_search.report.browser import check_pages, find_chromium
from seig_search.search.log import LogRecord, SearchLog
from seig_search.views import save_orbit

SETTINGS = RenderSettings(engine="CYCLES", width=48, height=40, samples=4, seed=0, passes=("color",))
STAGE_NAMES = ("geometry", "materials", "composition", "lighting")


def spec(colors: bool = True, camera=(5.0, -5.0, 3.5), energy: float = 3.0, shapes=("cube", "sphere")) -> SceneSpec:
    palette = ((0.8, 0.1, 0.1), (0.1, 0.2, 0.8))
    return SceneSpec(
        objects=[ObjectSpec(name=f"obj{i}", shape=shape, location=(1.4 * i - 0.7, 0.0, 0.5),
                            color=palette[i] if colors else (0.6, 0.6, 0.6)) for i, shape in enumerate(shapes)],
        camera=CameraSpec(location=camera, look_at=(0.0, 0.0, 0.5)),
        lights=[LightSpec(name="key", energy=energy)],
    )


# Per stage: the programs tried, best first by construction (each stage fixes one more thing of the target).
STAGE_PROGRAMS = {
    "geometry": [spec(colors=False, camera=(6.0, -4.0, 3.0)), spec(colors=False, camera=(6.0, -4.0, 3.0), shapes=("cube", "cube"))],
    "materials": [spec(camera=(6.0, -4.0, 3.0)), spec(colors=False, camera=(6.0, -4.0, 3.0))],
    "composition": [spec(energy=2.0), spec(camera=(6.5, -3.5, 3.0), energy=2.0)],
    "lighting": [spec(energy=2.8), spec(energy=6.0)],
}


def _mae_score(render: np.ndarray, target: np.ndarray) -> tuple[float, dict[str, float]]:
    """A plain score for the test log: 1 - mean absolute sRGB difference (the real scorer lives in scoring/)."""
    mae = float(np.abs(render - target).mean())
    return 1.0 - mae, {"mae": mae, "max_abs": float(np.abs(render - target).max())}


def _png(image: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)).save(path)


@pytest.fixture(scope="module")
def run_dir(render_pool, tmp_path_factory) -> Path:
    """An output folder laid out as `seig reconstruct` writes it, every image a real render."""
    out = tmp_path_factory.mktemp("runs") / "clevr_like"
    target_src = render_program(spec())
    sources = [target_src] + [render_program(s) for name in STAGE_NAMES for s in STAGE_PROGRAMS[name]]
    sources.append(target_src.replace("def lighting():", "def lighting(:", 1))  # a syntax failure, as a VLM may write
    results = render_pool.render([RenderJob(s, SETTINGS, str(i)) for i, s in enumerate(sources)])
    target = results[0].srgb()
    _png(target, out / "target.png")
    log = SearchLog(out / "search")
    records, k, parent = [], 1, None
    for index, name in enumerate(STAGE_NAMES):
        stage_results = results[k : k + len(STAGE_PROGRAMS[name])]
        stage_sources = sources[k : k + len(STAGE_PROGRAMS[name])]
        k += len(stage_sources)
        for source, result in zip(stage_sources, stage_results):
            assert result.ok, result.failure
            score, terms = _mae_score(result.srgb(), target)
            digest = log.save_program(__import__("hashlib").sha256(source.encode()).hexdigest(), source).stem
            records.append(LogRecord(stage=name, round=0, hash=digest, setting="cycles-48x40-4|wtest", score=score,
                                     terms=terms, parent=parent, note="test", timing=result.timings))
        best = stage_sources[0]
        _png(stage_results[0].srgb(), out / "stages" / f"{index}_{name}" / "best.png")
        (out / "stages" / f"{index}_{name}" / "best.py").write_text(best)
        parent = records[-len(stage_sources)].hash
    failed = results[-1]
    assert failed.failure is not None and failed.failure.kind == "syntax"
    records.append(LogRecord(stage="lighting", round=1, hash="f" * 64, setting="cycles-48x40-4|wtest",
                             score=float("-inf"), parent=parent, failure={"kind": failed.failure.kind,
                             "message": failed.failure.message, "line": failed.failure.line}))
    log.append(records)
    log.close()
    final = results[1 + 2 * 3]  # the lighting stage's best
    _png(final.srgb(), out / "render.png")
    (out / "scene.py").write_text(sources[7])
    (out / "scene.json").write_text(json.dumps(final.summary))
    (out / "metrics.json").write_text(json.dumps({"score": _mae_score(final.srgb(), target)[0], "renders": len(records),
                                                  "vlm": {"calls": 9, "input_tokens": 12345, "output_tokens": 678,
                                                          "cost_usd_estimate": 0.0421, "faults": {"timeout": 1}},
                                                  "timings": {"total_s": 4.2, "render_s": 1.5}}))
    (out / "run.json").write_text(json.dumps({"seed": 0, "config": {"stages": [{"name": n, "beam": 1} for n in STAGE_NAMES]}}))
    return out


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "a":
            self.links.append(attrs.get("href", ""))

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _decode(uri: str) -> np.ndarray:
    assert re.match(r"data:image/(png|gif);base64,", uri)
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def test_report_shows_every_part_of_the_run(run_dir: Path) -> None:
    stage_images = [run_dir / "stages" / f"{k}_{name}" / "best.png" for k, name in enumerate(STAGE_NAMES)]
    save_orbit([np.asarray(Image.open(p), dtype=np.float32) / 255.0 for p in stage_images], run_dir / "orbit")
    shutil.copy(stage_images[-1], run_dir / "relight_sunset.png")  # what `seig render OUT --relight` leaves
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    page = _parse(path)
    text = " ".join(page.text)
    alts = [img["alt"] for img in page.images]
    assert alts[:3] == ["target", "final render", "difference"]
    assert alts[3:11] == [f"{kind} {name}" for name in STAGE_NAMES for kind in ("best render of", "difference of")]
    assert alts[11] == "score against renders spent"
    images = {img["alt"]: _decode(img["src"]) for img in page.images}  # all inline: the page works offline
    assert images["target"].shape == (40, 48, 3) and images["final render"].shape == (40, 48, 3)
    # heatmaps share one scale: the final (lighting) render is closer to the target than the geometry stage's
    assert images["difference of lighting"].mean() < images["difference of geometry"].mean()
    assert images["score against renders spent"].shape[1] > 300
    assert alts[12:] == ["orbit", "relit: sunset"]
    assert next(img for img in page.images if img["alt"] == "orbit")["src"].startswith("data:image/gif;base64,R0lGOD")
    # the scene section: every object of scene.json with its linear colour and a swatch
    assert "obj0" in text and "(0.800, 0.100, 0.100)" in text and "camera at (5.00, -5.00, 3.50)" in text
    for name in STAGE_NAMES:
        assert f"stages/{STAGE_NAMES.index(name)}_{name}/best.py" in page.links
    assert "partial run" not in text and "syntax: 1" in text
    assert "Failed candidates" in text and "SyntaxError" in text  # the worker's message, in the failures table
    assert "9 model calls · 12,345 input + 678 output tokens · $0.0421" in text  # VLM totals in the header
    for value in ("12,345", "678", "0.0421", "faults.timeout"):  # and in their table
        assert value in text
    assert "total_s" in text and "cost_usd_estimate" in text
    assert any(link.startswith("search/programs/") for link in page.links)
    assert {"scene.py", "scene.json"} <= set(page.links)
    html = path.read_text()
    assert '<div class="code">' in html and 'class="k">def</span>' in html  # pygments-highlighted program
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing fetched from the network


def test_partial_run_still_gets_a_page(run_dir: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(run_dir, partial, ignore=shutil.ignore_patterns("render.png", "scene.py", "metrics.json", "report.html"))
    shutil.rmtree(partial / "stages" / "3_lighting")
    with open(partial / "search" / "log.jsonl", "a") as handle:
        hostile = {"stage": "lighting", "round": 2, "hash": "e" * 64, "setting": "s", "score": 0.99, "terms": {},
                   "parent": None, "note": "<script>console.error('injected')</script>", "timing": {}, "failure": None}
        handle.write(json.dumps(hostile) + "\n")  # text from a model is shown, never run
        handle.write('{"stage": "lighting", "round"')  # torn last line of a killed run
    (partial / "metrics.json").write_text('{"score": 0.9')  # killed while writing
    (partial / "stages" / "1_materials" / "best.png").write_bytes(b"\x89PNG\r\n")  # truncated
    page = _parse(write_report(partial))
    text = " ".join(page.text)
    assert "metrics.json is not valid JSON" in text and "best.png could not be read" in text
    html = (partial / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;console.error" in html
    assert "partial run" in text and "log line" in text
    assert [img["alt"] for img in page.images][:4] == ["target", "best render of geometry", "difference of geometry",
                                                      "best render of composition"]
    assert "def" in text  # the latest stage's best program stands in for scene.py


def test_index_of_runs_and_cli(run_dir: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    for name in ("img_a", "img_b"):
        shutil.copytree(run_dir, batch / "runs" / name)
    failed = batch / "runs" / "img_c"  # a run that failed before writing anything but its status
    failed.mkdir()
    (failed / "status.json").write_text(json.dumps({"status": "failed", "error": "worker crashed", "wall_s": 3.5}))
    shutil.copy(run_dir / "target.png", batch / "score_vs_renders.png")  # stands in for a bench plot
    (batch / "results.md").write_text("| method | runs |\n")
    index = write_index(batch)
    page = _parse(index)
    assert page.links == ["results.md", "runs/img_a/report.html", "runs/img_b/report.html", "runs/img_c/report.html"]
    assert all((batch / link).is_file() for link in page.links)
    text = " ".join(page.text)
    assert "failed" in text and "worker crashed" in text and "done" in text
    assert [img["alt"] for img in page.images][-1] == "score_vs_renders.png"
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(batch / "runs" / "img_a")])
    assert result.exit_code == 0, result.output
    missing = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in " ".join(missing.output.split())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["report", str(empty)]).exit_code == 8


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (apt install chromium); .ci/run installs it")
def test_report_loads_in_headless_chromium(run_dir: Path, tmp_path: Path) -> None:
    page_paths = [write_report(run_dir), write_index(run_dir.parent)]
    for page_path, seen in zip(page_paths, check_pages(page_paths)):
        assert seen.console_errors == []
        assert seen.images and seen.broken_images == []
        assert seen.title.startswith("seig")
        with Image.open(io.BytesIO(seen.screenshot)) as shot:
            assert shot.width > 1200 and shot.height > 600
            assert np.asarray(shot.convert("L")).std() > 10  # a real rendered page, not a blank frame
        (tmp_path / f"{page_path.parent.name}.png").write_bytes(seen.screenshot)

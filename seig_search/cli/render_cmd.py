"""``seig render``: render a scene program (or a reconstruction's folder) through the render pool."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import typer

from seig_search.cli.app import app, err_console, fail
from seig_search.errors import (ConfigError, PolicyViolationError, ProgramError, RenderError, RenderTimeoutError,
                                SeigError, WorkerCrashedError)


def _parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise ConfigError(f"--size must look like WIDTHxHEIGHT (e.g. 256x192), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _read_program(target: Path) -> tuple[str, Path]:
    """Source text and the folder it came from; a folder means a `seig reconstruct` output (its scene.py)."""
    path = target / "scene.py" if target.is_dir() else target
    if target.is_dir() and not path.is_file():
        raise ConfigError(f"{target} is a folder without scene.py (expected a `seig reconstruct` output folder)")
    try:
        return path.read_text(encoding="utf-8"), path
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise ProgramError(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None


def _views_module():
    try:
        from seig_search import views
    except ImportError as error:
        raise ConfigError(f"--orbit and --relight need seig_search.views, which cannot be imported: {error}") from None
    return views


def _raise_for(result, source_path: Path) -> None:
    """Turn a failed job into the matching SeigError (and so the CLI's exit code)."""
    failure = result.failure
    where = f"{source_path}" + (f":{failure.line}" if failure.line else "")
    if failure.kind == "policy":
        from render_pool.policy import check_program

        raise PolicyViolationError(check_program(source_path.read_text(encoding="utf-8")) or [failure])
    if failure.kind in ("syntax", "program"):
        raise ProgramError(f"{where}: {failure.message}")
    if failure.kind == "timeout":
        raise RenderTimeoutError(f"{where}: {failure.message} (raise --timeout if the scene is just slow)")
    if failure.kind in ("crash", "memory"):
        raise WorkerCrashedError(f"{where}: {failure.kind}: {failure.message}")
    raise RenderError(f"{where}: {failure.kind}: {failure.message}")


def _save_png(path: Path, array: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(array).save(path)


def _write_outputs(result, out: Path, passes: tuple[str, ...], blend: bool, glb: bool) -> list[Path]:
    """out.png (sRGB), out_mask.png (object indices), out_depth.npy, out.blend, out.glb."""
    from render_pool.color import linear_to_srgb

    written = []
    if "color" in passes:
        rgba = linear_to_srgb(result.color)
        if np.all(rgba[..., 3] >= 1.0):
            rgba = rgba[..., :3]  # opaque: a plain RGB PNG, as Blender writes one
        _save_png(out, (np.clip(rgba, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
        written.append(out)
    if "index" in passes:
        mask_path = out.with_name(out.stem + "_mask.png")
        dtype = np.uint8 if result.index.max() < 256 else np.uint16
        _save_png(mask_path, result.index.astype(dtype))
        written.append(mask_path)
    if "depth" in passes:
        depth_path = out.with_name(out.stem + "_depth.npy")
        np.save(depth_path, result.depth)
        written.append(depth_path)
    for wanted, data, suffix in ((blend, result.blend, ".blend"), (glb, result.glb, ".glb")):
        if wanted:
            path = out.with_suffix(suffix)
            path.write_bytes(data)
            written.append(path)
    return written


def _default_output(target: Path, source_path: Path, orbit: int | None, relight: str | None) -> Path:
    folder = target if target.is_dir() else source_path.parent
    if orbit:
        return folder / "orbit" / "orbit.png"
    if relight:
        return folder / f"relight_{relight}.png"
    return folder / "rerender.png" if target.is_dir() else source_path.with_suffix(".png")


def open_pool(num_workers: int, ray_address: str | None):
    """The pool `seig render` renders with (a context manager); tests swap in the suite's shared pool."""
    from render_pool import RenderPool

    return RenderPool(num_workers=num_workers, ray_address=ray_address,
                      on_message=lambda text: err_console.print(f"[yellow]{text}[/]"))


def run_render(target: Path, out: Path | None, engine: str, size: str, samples: int, passes: str, timeout: float,
               seed: int, blend: bool, glb: bool, ray_address: str | None, orbit: int | None, relight: str | None,
               workers: int | None, denoise: bool) -> list[Path]:
    from render_pool import RenderJob, RenderSettings
    from render_pool.pool import precheck

    width, height = _parse_size(size)
    pass_list = tuple(p.strip() for p in passes.split(",") if p.strip())
    settings = RenderSettings(engine=engine, width=width, height=height, samples=samples, denoise=denoise, seed=seed,
                              passes=pass_list, timeout_s=timeout, want_blend=blend, want_glb=glb)
    if orbit is not None and relight is not None:
        raise ConfigError("use --orbit or --relight, not both")
    if orbit is not None and orbit < 1:
        raise ConfigError(f"--orbit needs a positive number of views, got {orbit}")
    source, source_path = _read_program(target)
    out = out or _default_output(target, source_path, orbit, relight)
    if out.suffix.lower() != ".png":
        raise ConfigError(f"-o must name a .png file, got {out}")
    # syntax and policy first: a bad program fails here, before any worker starts
    early = precheck(RenderJob(source, settings, "check"))
    if early is not None:
        _raise_for(early, source_path)
    if orbit is not None:
        programs = _views_module().orbit_programs(source, orbit)
    elif relight is not None:
        programs = [_views_module().relight_program(source, relight)]
    else:
        programs = [source]
    jobs = [RenderJob(p, settings, f"view{i}") for i, p in enumerate(programs)]
    out.parent.mkdir(parents=True, exist_ok=True)
    num_workers = workers or max(1, min(len(jobs), 2))
    with open_pool(num_workers, ray_address) as pool:
        results = _render_with_progress(pool, jobs)
    for result in results:
        if not result.ok:
            _raise_for(result, source_path)
    if orbit is None:
        return _write_outputs(results[0], out, pass_list, blend, glb)
    written = []
    for k, result in enumerate(results):
        written += _write_outputs(result, out.with_name(f"{out.stem}_{k:03d}.png"), pass_list, blend, glb)
    if "color" in pass_list:
        written += _views_module().save_orbit([r.srgb() for r in results], out.parent, stem=out.stem)[-1:]
    return written


def _render_with_progress(pool, jobs):
    if len(jobs) == 1:
        return pool.render(jobs)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console) as progress:
        task = progress.add_task("rendering", total=len(jobs))
        return pool.render(jobs, progress=lambda result: progress.advance(task))


@app.command("render")
def render_command(
    target: Path = typer.Argument(..., help="A scene program (.py), or a `seig reconstruct` output folder.",
                                  metavar="PROGRAM.py|OUT"),
    out: Path = typer.Option(None, "-o", "--out", help="Output PNG; extra passes go beside it "
                             "(NAME_mask.png, NAME_depth.npy). Default: next to the program."),
    engine: str = typer.Option("CYCLES", "--engine", help="CYCLES or WORKBENCH."),
    size: str = typer.Option("256x256", "--size", help="Resolution, WIDTHxHEIGHT."),
    samples: int = typer.Option(16, "--samples", help="Cycles samples per pixel."),
    passes: str = typer.Option("color", "--passes", help="Comma-separated: color, index (mask), depth."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds per render before the job is killed."),
    seed: int = typer.Option(0, "--seed", help="Seed of the program's `random` and of Cycles."),
    denoise: bool = typer.Option(False, "--denoise", help="Denoise Cycles renders (OIDN)."),
    blend: bool = typer.Option(False, "--blend", help="Also write NAME.blend."),
    glb: bool = typer.Option(False, "--glb", help="Also write NAME.glb (glTF binary)."),
    ray_address: str = typer.Option(None, "--ray-address", envvar="RAY_ADDRESS",
                                    help="Join this Ray cluster instead of starting a local one."),
    orbit: int = typer.Option(None, "--orbit", help="Render N views on a circle around the scene, plus a GIF."),
    relight: str = typer.Option(None, "--relight", help="Render with a lighting preset: studio, sunset, overcast."),
    workers: int = typer.Option(None, "--workers", help="Render workers (default: up to 2)."),
) -> None:
    """Render a scene program to a PNG (and optionally its mask, depth, .blend and .glb)."""
    try:
        written = run_render(target, out, engine, size, samples, passes, timeout, seed, blend, glb, ray_address,
                             orbit, relight, workers, denoise)
    except SeigError as error:
        raise fail(error) from None
    for path in written:
        typer.echo(str(path))

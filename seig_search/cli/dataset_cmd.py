"""``seig dataset generate``: procedural scenes rendered by Blender, with their true programs and masks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from seig_search.cli.app import app, fail
from seig_search.errors import ConfigError, SeigError

dataset_app = typer.Typer(help="Procedural ground-truth scenes (image, true program, masks, summary).",
                          no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


def parse_size(text: str) -> tuple[int, int]:
    """'256x192' -> (256, 192); '128' -> (128, 128)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+))?\s*", text)
    if not match:
        raise ConfigError(f"--size must look like WxH (e.g. 256x256), got {text!r}")
    width = int(match.group(1))
    height = int(match.group(2) or width)
    if not (8 <= width <= 4096 and 8 <= height <= 4096):
        raise ConfigError(f"--size must be within 8..4096 on each side, got {width}x{height}")
    return width, height


@dataset_app.command("generate")
def generate_command(
    suite: str = typer.Option(..., "--suite", help="primitives (CLEVR-like) or mixed."),
    n: int = typer.Option(..., "--n", help="Number of scenes."),
    out: Path = typer.Option(..., "--out", help="Output folder (gets index.json and one folder per scene)."),
    seed: int = typer.Option(0, "--seed", help="Run seed; each scene gets its own derived seed."),
    size: str = typer.Option("256x256", "--size", help="Render size WxH."),
    engine: str = typer.Option("CYCLES", "--engine", help="CYCLES or WORKBENCH."),
    samples: int = typer.Option(32, "--samples", help="Cycles samples per pixel."),
    workers: int = typer.Option(2, "--workers", help="Blender worker processes."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Join a Ray cluster at this address."),
    max_attempts: int = typer.Option(4, "--max-attempts", help="Resamples of a scene with a hidden object."),
    force: bool = typer.Option(False, "--force", help="Replace a dataset already in --out."),
) -> None:
    """Render N scenes of a suite with their ground truth into --out."""
    console = Console()
    try:
        from seig_search.dataset import SUITES, GenerateOptions, generate

        if suite not in SUITES:
            raise ConfigError(f"--suite must be one of {', '.join(SUITES)}, got {suite!r}")
        if n < 1:
            raise ConfigError(f"--n must be at least 1, got {n}")
        if seed < 0:
            raise ConfigError(f"--seed must not be negative, got {seed}")
        if max_attempts < 1:
            raise ConfigError(f"--max-attempts must be at least 1, got {max_attempts}")
        width, height = parse_size(size)
        options = GenerateOptions(suite=suite, n=n, seed=seed, width=width, height=height,
                                  engine=engine.upper(), samples=samples, max_attempts=max_attempts)
        if (out / "index.json").exists() and not force:
            raise ConfigError(f"{out} already holds a dataset (index.json); pass --force to replace it")
        from render_pool import RenderPool, RenderSettings

        RenderSettings(engine=options.engine, width=width, height=height, samples=samples)  # validate early
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("starting Blender workers", total=n)
            with RenderPool(num_workers=workers, ray_address=ray_address) as pool:
                progress.update(task, description=f"rendering {suite}")

                def on_render(done: int) -> None:
                    # Resampled scenes add renders beyond n; grow the bar rather than overflow it.
                    progress.update(task, completed=done, total=max(n, done))

                index = generate(options, out, pool, force=force, on_render=on_render)
    except SeigError as error:
        raise fail(error)
    retried = sum(1 for c in index["cases"] if c["attempt"] > 0)
    dropped = sum(len(c["dropped"]) for c in index["cases"])
    console.print(f"wrote {len(index['cases'])} scenes to {out} ({retried} resampled, {dropped} hidden objects "
                  f"dropped); list: {out / 'index.json'}")

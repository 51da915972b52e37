"""``seig reconstruct IMAGE --out DIR``: search for a scene program whose render matches the image."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from seig_search.cli.app import app, err_console, fail
from seig_search.errors import ConfigError, SeigError

console = Console(stderr=True)


class RichProgress:
    """One bar per stage: rounds done, candidates rendered, best score so far."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[int, int] = {}

    def stage_started(self, index: int, name: str, rounds: int) -> None:
        self.tasks[index] = self.progress.add_task(f"{index + 1}. {name}", total=rounds, renders=0, best="-")

    def round_done(self, index: int, name: str, round_: int, renders: int, best: float) -> None:
        self.progress.update(self.tasks[index], completed=round_ + 1, renders=renders,
                             best=f"{best:.4f}" if math.isfinite(best) else "-")

    def stage_done(self, index: int, name: str, best: float) -> None:
        """Bars stay where the stage stopped (a budget that ran out shows as rounds not done); clocks stop."""
        self.progress.stop_task(self.tasks[index])


def _options(image: Path, out: Path, config: Optional[Path], preset: Optional[str], method: Optional[str],
             seed: Optional[int], budget: Optional[str], size: Optional[int], resume: bool, agent: str,
             record: Optional[Path], replay: Optional[Path], ray_address: Optional[str], no_verify: bool):
    from seig_search.config import load_config, parse_budget
    from seig_search.search.run import RunOptions, resolve_resume

    if agent not in ("embedded", "vlm"):
        raise ConfigError(f"--agent must be embedded or vlm, got {agent!r}")
    if (record or replay) and agent != "vlm":
        raise ConfigError("--record and --replay apply to --agent vlm only")
    if record and replay:
        raise ConfigError("give either --record or --replay, not both")
    if seed is not None and not 0 <= seed < 2**31:
        raise ConfigError(f"--seed must be within 0..2147483647, got {seed}")
    args = {"image": str(image), "config": None if config is None else str(config), "preset": preset,
            "method": method, "seed": seed, "budget": budget, "size": size, "agent": agent,
            "record": None if record is None else str(record), "replay": None if replay is None else str(replay)}
    resolved = None
    if not resume:
        renders, seconds = parse_budget(budget)
        resolved = load_config(config, preset, {"method": method, "seed": seed, "size": size,
                                                "budget_renders": renders, "budget_seconds": seconds})
    elif any(v is not None for v in (config, preset, method, seed, budget, size)):
        err_console.print("note: --resume continues with the options recorded in run.json; the others are ignored")
    resolved, args = resolve_resume(out, image, resume, resolved, args)
    record_dir = Path(args["record"]) if args.get("record") else None
    replay_dir = Path(args["replay"]) if args.get("replay") else None
    return RunOptions(image=image, out=out, config=resolved, agent=args.get("agent", "embedded"),
                      ray_address=ray_address, resume=resume, record_dir=record_dir, replay_dir=replay_dir,
                      verify_exports=not no_verify, args=args)


@app.command("reconstruct")
def reconstruct_command(
    image: Path = typer.Argument(..., help="The photograph or render to reconstruct (PNG, JPEG, ...)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created; must not hold a run unless --resume)."),
    config: Optional[Path] = typer.Option(None, "--config", help="A config TOML file (see configs/)."),
    preset: Optional[str] = typer.Option(
        None, "--preset", help="fast | default | quality | tuned, or one `seig tune` wrote (default: default)."),
    method: Optional[str] = typer.Option(None, "--method", help="staged | unstaged | greedy | oneshot."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of every random choice (default: config's)."),
    budget: Optional[str] = typer.Option(None, "--budget", help="Renders (e.g. 300) or seconds (e.g. 90s)."),
    size: Optional[int] = typer.Option(None, "--size", help="Working resolution: the longer side in pixels."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Join a Ray cluster at this address."),
    resume: bool = typer.Option(False, "--resume", help="Continue the interrupted run in --out."),
    agent: str = typer.Option("embedded", "--agent", help="embedded (no model) | vlm (the config's vlm table)."),
    record: Optional[Path] = typer.Option(None, "--record", help="vlm: save every model request and reply here."),
    replay: Optional[Path] = typer.Option(None, "--replay", help="vlm: answer model calls from a recording."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip re-opening scene.py/.blend/.glb to check them."),
) -> None:
    """Search for a Blender scene program whose render matches IMAGE; write it and its files to --out."""
    from seig_search.target import load_target

    try:
        options = _options(image, out, config, preset, method, seed, budget, size, resume, agent, record, replay,
                           ray_address, no_verify)
        load_target(image, size=options.config.search.size)  # bad input fails here, before any worker starts
    except SeigError as error:
        raise fail(error) from None
    from seig_search.report import write_report
    from seig_search.search.run import reconstruct

    c = options.config
    console.print(f"seig reconstruct: {image} -> {out} (method {c.search.method}, seed {c.search.seed}, "
                  f"size {c.search.size}, agent {options.agent}{', resuming' if resume else ''})", highlight=False)
    columns = [TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TextColumn("rounds"),
               TextColumn("{task.fields[renders]:>5} renders"), TextColumn("best {task.fields[best]}"),
               TimeElapsedColumn()]
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            outcome = reconstruct(options, progress=RichProgress(progress))
        write_report(out)  # report.html: target beside render, stage bests, curves, survivors, program
    except SeigError as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        err_console.print(f"interrupted; continue with: seig reconstruct {image} --out {out} --resume")
        raise typer.Exit(code=130) from None
    m = outcome.metrics
    psnr = m.get("psnr")
    console.print(
        f"done: score {m['score']:.4f} (first proposal {m['first_proposal_score'] or float('nan'):.4f}), "
        f"PSNR {psnr:.2f} dB (flat mean colour: {m.get('psnr_flat', float('nan')):.2f} dB), SSIM {m.get('ssim', float('nan')):.3f}, "
        f"{m['renders']['budgeted']} renders + {m['renders']['final_pick']} final, "
        f"{m['timings']['total_s']:.1f} s" if psnr is not None else "done", highlight=False)
    typer.echo(str(out / "scene.py"))

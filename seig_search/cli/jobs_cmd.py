"""``seig bench``, ``seig batch`` and ``seig tune``: many reconstructions through Ray."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from seig_search.cli.app import app, fail
from seig_search.errors import ConfigError, SeigError
from seig_search.jobs.paired import describe

console = Console(stderr=True)
COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[last]}"),
           TimeElapsedColumn())


def _budget(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    if not re.fullmatch(r"\d+", text.strip()) or int(text) < 1:
        raise ConfigError(f"--budget here is a number of renders per run (e.g. 200), got {text!r}")
    return int(text)


def _with_progress(label: str, total: int, run):
    """Call ``run(on_done)`` under a progress bar advanced once per finished run."""
    with Progress(*COLUMNS, console=console) as progress:
        task_id = progress.add_task(label, total=total, last="")
        return run(_progress_callback(progress, task_id))


def _progress_callback(progress: Progress, task_id):
    def done(task, record: dict) -> None:
        status = record.get("status")
        psnr = (record.get("metrics") or {}).get("psnr")
        text = f"{task.case.id}/{task.method}: {status}" + (f" {psnr:.2f} dB" if psnr is not None else "")
        if record.get("skipped"):
            text += " (already done)"
        progress.update(task_id, advance=1, last=text)
    return done


@app.command("bench")
def bench_command(
    suite: Path = typer.Argument(..., help="A generated suite (index.json), a NeRF-Synthetic folder, an image folder or a manifest."),
    out: Path = typer.Option(..., "--out", "-o", help="Results folder (resumable: run again to finish it)."),
    methods: str = typer.Option("staged,unstaged,greedy,oneshot", "--methods", help="Comma-separated methods."),
    agent: str = typer.Option("embedded", "--agent", help="embedded | vlm."),
    config: Optional[Path] = typer.Option(None, "--config", help="A config TOML file."),
    preset: Optional[str] = typer.Option(None, "--preset", help="A preset in configs/ (default: default)."),
    seed: Optional[int] = typer.Option(None, "--seed"),
    size: Optional[int] = typer.Option(None, "--size", help="Working resolution (longer side)."),
    budget: Optional[str] = typer.Option(None, "--budget", help="Renders per run, equal for every method (default: the staged config's)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N cases."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Join a Ray cluster."),
    parallel: Optional[int] = typer.Option(None, "--parallel", help="Runs in flight at once (default: what the cluster's CPUs fit)."),
) -> None:
    """Run every case with every method at equal render budgets; write results.json, results.md and plots."""
    from seig_search.jobs.bench import BenchOptions, bench_tasks, parse_methods, run_bench

    try:
        options = BenchOptions(source=suite, out=out, methods=parse_methods(methods), agent=agent, config=config,
                               preset=preset, seed=seed, size=size, budget=_budget(budget), limit=limit,
                               ray_address=ray_address, parallel=parallel)
        _, cases, _, per_run, tasks = bench_tasks(options)
        console.print(f"seig bench: {len(cases)} cases x {len(options.methods)} methods, {per_run} renders each",
                      highlight=False)
        results = _with_progress("runs", len(tasks), lambda done: run_bench(options, on_done=done))
    except SeigError as error:
        raise fail(error) from None
    failed = sum(1 for r in results.runs if r.status == "failed")
    console.print((out / "results.md").read_text(), highlight=False, markup=False)
    typer.echo(str(out / "results.json"))
    if failed:
        raise typer.Exit(code=1)


@app.command("batch")
def batch_command(
    source: Path = typer.Argument(..., help="A folder of images or a manifest (text: one path per line; or JSON)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: one reconstruction folder per image."),
    agent: str = typer.Option("embedded", "--agent", help="embedded | vlm."),
    config: Optional[Path] = typer.Option(None, "--config"),
    preset: Optional[str] = typer.Option(None, "--preset"),
    method: Optional[str] = typer.Option(None, "--method"),
    seed: Optional[int] = typer.Option(None, "--seed"),
    size: Optional[int] = typer.Option(None, "--size"),
    budget: Optional[str] = typer.Option(None, "--budget", help="Renders per image."),
    limit: Optional[int] = typer.Option(None, "--limit"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Join a Ray cluster (e.g. auto, or HOST:PORT)."),
    parallel: Optional[int] = typer.Option(None, "--parallel"),
) -> None:
    """Reconstruct many images, one Ray task per image; run again to finish after any failure."""
    from seig_search.jobs.batch import BatchOptions, batch_tasks, run_batch

    try:
        options = BatchOptions(source=source, out=out, agent=agent, config=config, preset=preset, method=method,
                               seed=seed, size=size, budget=_budget(budget), limit=limit, ray_address=ray_address,
                               parallel=parallel)
        _, _, tasks = batch_tasks(options)
        console.print(f"seig batch: {len(tasks)} images -> {out}", highlight=False)
        results = _with_progress("images", len(tasks), lambda done: run_batch(options, on_done=done))
    except SeigError as error:
        raise fail(error) from None
    failed = [r for r in results.runs if r.status == "failed"]
    console.print(f"{len(results.runs) - len(failed)} done, {len(failed)} failed; see {out / 'summary.md'}",
                  highlight=False)
    typer.echo(str(out / "results.json"))
    if failed:
        raise typer.Exit(code=1)


@app.command("tune")
def tune_command(
    suite: Path = typer.Argument(..., help="Cases to tune on (a generated suite, image folder or manifest)."),
    out: Path = typer.Option(..., "--out", "-o", help="Study folder (study.db: run again to continue the study)."),
    trials: int = typer.Option(20, "--trials", help="Completed trials to reach."),
    config: Optional[Path] = typer.Option(None, "--config", help="The base config (default: the default preset)."),
    preset: Optional[str] = typer.Option(None, "--preset"),
    seed: int = typer.Option(0, "--seed"),
    size: Optional[int] = typer.Option(None, "--size"),
    budget: Optional[str] = typer.Option(None, "--budget", help="Fixed renders per image for every trial (default: the base config's total)."),
    limit: Optional[int] = typer.Option(None, "--limit"),
    objective: str = typer.Option("score", "--objective", help="score | psnr (mean over cases, higher is better)."),
    name: str = typer.Option("tuned", "--name", help="Name of the preset written to configs/NAME.toml."),
    preset_dir: Optional[Path] = typer.Option(None, "--preset-dir", help="Write the preset here instead of configs/."),
    holdout: Optional[Path] = typer.Option(None, "--holdout", help="Cases never tuned on: compare base vs tuned there."),
    holdout_limit: Optional[int] = typer.Option(None, "--holdout-limit"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address"),
) -> None:
    """Tune per-stage budgets with optuna under a fixed total budget; write the best as a preset."""
    from seig_search.jobs.tune import TuneOptions, run_tune

    try:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or name in ("fast", "default", "quality"):
            raise ConfigError(f"--name must be letters, digits, - or _ and not a built-in preset, got {name!r}")
        options = TuneOptions(source=suite, out=out, trials=trials, config=config, preset=preset, seed=seed,
                              size=size, budget=_budget(budget), limit=limit, objective=objective,
                              preset_name=name, preset_dir=preset_dir, holdout=holdout, holdout_limit=holdout_limit,
                              ray_address=ray_address)
        with Progress(*COLUMNS, console=console) as progress:
            task_id = progress.add_task("trials", total=trials, last="")

            def on_trial(number: int, value: float) -> None:
                progress.update(task_id, advance=1, last=f"trial {number}: {objective} {value:.4f}")

            def on_resume(done: int) -> None:
                progress.update(task_id, completed=min(done, trials),
                                last=f"{done} trials already done" if done else "")

            summary = run_tune(options, on_trial=on_trial, on_resume=on_resume)
    except SeigError as error:
        raise fail(error) from None
    console.print(f"best trial {summary['best_trial']}: {objective} {summary['best_value']:.4f}; "
                  f"preset written to {summary['presets'][-1]}", highlight=False)
    if "holdout" in summary:
        h = summary["holdout"]
        console.print(f"held-out cases ({h['cases']}): base {h['base_mean']:.4f}, tuned {h['tuned_mean']:.4f}; "
                      f"tuned {describe(h['paired'])}; on {h['other']}: {describe(h['paired_' + h['other']])}",
                      highlight=False)
    typer.echo(str(out / "tune.json"))

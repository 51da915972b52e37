"""``seig report DIR``: rebuild report.html of a run folder, or an index of a folder of runs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from seig_search.cli.app import app, fail
from seig_search.errors import SeigError


@app.command("report")
def report_command(
    path: Path = typer.Argument(..., help="A run folder of `seig reconstruct`, or a bench/batch folder of run folders."),
    check: bool = typer.Option(False, "--check", help="Open the page in headless Chromium and report console errors and broken images."),
    screenshot: Path | None = typer.Option(None, "--screenshot", help="With --check: save a full-page PNG here."),
) -> None:
    """Write report.html: target beside render, stage bests, difference heatmaps, curves, survivors, program."""
    from seig_search.report import build  # deferred: matplotlib and pygments load only for this command
    from seig_search.report.browser import check_page

    console = Console()
    try:
        page = build(path)
        console.print(f"wrote {page}")
        if check or screenshot is not None:
            result = check_page(page)
            broken = result.broken_images
            console.print(
                f"chromium: loaded in {result.load_s:.2f} s, {len(result.images)} images, {len(broken)} broken, "
                f"{len(result.console_errors)} console errors"
            )
            for message in result.console_errors:
                console.print(f"  console: {message}", highlight=False, markup=False)
            if screenshot is not None:
                screenshot.write_bytes(result.screenshot)
                console.print(f"screenshot {screenshot}")
            if broken or result.console_errors:
                raise typer.Exit(code=1)
    except SeigError as error:
        raise fail(error) from error

"""The Typer application and the error boundary shared by every command."""

from __future__ import annotations

import typer
from rich.console import Console

from seig_search.errors import SeigError

app = typer.Typer(
    name="seig",
    help="Turn one image into an editable Blender scene program, by search over program candidates.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)


def fail(error: SeigError) -> "typer.Exit":
    """Print a SeigError as one clear line and return the Exit carrying its code."""
    err_console.print(f"[bold red]error:[/] {error}", highlight=False, markup=True)
    return typer.Exit(code=error.exit_code)

"""``seig check PROGRAM.py ...``: run the sandbox policy check on scene programs without rendering them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from seig_search.cli.app import app, fail
from seig_search.errors import ConfigError, PolicyViolationError, ProgramError, SeigError


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a program file") from None
    except UnicodeDecodeError as error:
        raise ProgramError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None


def check_file(path: Path, console: Console) -> SeigError | None:
    """Check one file, print what is wrong with it; returns the error (None when it passes)."""
    from render_pool.policy import check_program  # deferred: keeps `seig --help` light

    try:
        source = _read(path)
    except SeigError as error:  # the message already names the file
        console.print(str(error), highlight=False, markup=False)
        return error
    try:
        violations = check_program(source)
    except ProgramError as error:
        where = f"{path}:{error.line}" if error.line is not None else str(path)
        console.print(f"{where}: [syntax] {error.args[0].removeprefix(f'line {error.line}: ')}",
                      highlight=False, markup=False)
        return error
    if not violations:
        console.print(f"{path}: ok", highlight=False, markup=False)
        return None
    for v in violations:
        console.print(f"{path}:{v.line}:{v.col + 1}: [{v.rule}] {v.message}", highlight=False, markup=False)
    return _Rejected(path, violations)


class _Rejected(PolicyViolationError):
    """A policy violation whose one-line message names the file (the lines were printed above it)."""

    def __init__(self, path: Path, violations: list) -> None:
        super().__init__(violations)
        self.args = (f"{path}: {len(violations)} policy violation{'s' if len(violations) != 1 else ''}",)


@app.command("check")
def check_command(
    programs: list[Path] = typer.Argument(None, help="Scene program files (.py) to check.", metavar="PROGRAM.py..."),
    rules: bool = typer.Option(False, "--rules", help="Print the policy rules as a Markdown table and exit."),
) -> None:
    """Check scene programs against the sandbox policy: print each violation with its line and rule.

    Exits 0 when every program passes, else with the exit code of the first failure (a policy violation or
    a syntax error: 4; a missing file: 2). The rules are listed in docs/security.md and by --rules.
    """
    console = Console(highlight=False, soft_wrap=True)  # one line per finding, never wrapped
    if rules:
        from render_pool.policy import rules_markdown

        typer.echo(rules_markdown(), nl=False)
        return
    if not programs:
        raise fail(ConfigError("give at least one PROGRAM.py to check (or --rules)"))
    failures = [error for error in (check_file(path, console) for path in programs) if error is not None]
    if failures:
        if len(programs) > 1:
            console.print(f"{len(failures)} of {len(programs)} programs failed the policy check")
        raise fail(failures[0])

"""``seig check PROGRAM.py ...``: run the sandbox policy check on scene programs without rendering them."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import typer

from seig_search.cli.app import app, fail
from seig_search.errors import ConfigError, PolicyViolationError, ProgramError, SeigError

STDIN = Path("-")


@dataclass
class FileReport:
    """The outcome for one file: `error` is None when it passes."""

    path: str
    error: SeigError | None = None
    findings: list[dict] = field(default_factory=list)  # {"line", "col" (1-based), "rule", "message"}

    def lines(self) -> list[str]:
        if self.error is None:
            return [f"{self.path}: ok"]
        return [f"{self.path}:{f['line']}" + (f":{f['col']}" if f["col"] else "") + f": [{f['rule']}] {f['message']}"
                if f["line"] is not None else f"{self.path}: [{f['rule']}] {f['message']}" for f in self.findings]


def _read(path: Path) -> str:
    if path == STDIN:
        return sys.stdin.read()
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


def check_file(path: Path) -> FileReport:
    """Check one file (``-`` reads standard input)."""
    from render_pool.policy import check_program  # deferred: keeps `seig --help` light

    report = FileReport("<stdin>" if path == STDIN else str(path))
    try:
        source = _read(path)
    except SeigError as error:
        message = str(error).removeprefix(f"{path}: ")
        report.error, report.findings = error, [{"line": None, "col": None, "rule": "file", "message": message}]
        return report
    try:
        violations = check_program(source)
    except ProgramError as error:
        message = error.args[0].removeprefix(f"line {error.line}: ").removeprefix("syntax error: ")
        report.error, report.findings = error, [{"line": error.line, "col": None, "rule": "syntax", "message": message}]
        return report
    if violations:
        report.error = PolicyViolationError(violations)
        report.error.args = (f"{report.path}: {len(violations)} policy violation{'s' if len(violations) > 1 else ''}",)
        report.findings = [{"line": v.line, "col": v.col + 1, "rule": v.rule, "message": v.message} for v in violations]
    return report


@app.command("check")
def check_command(
    programs: list[Path] = typer.Argument(None, help="Scene program files (.py) to check; - reads standard input.",
                                          metavar="PROGRAM.py..."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file instead of text lines."),
    rules: bool = typer.Option(False, "--rules", help="Print the policy rules as a Markdown table and exit."),
) -> None:
    """Check scene programs against the sandbox policy: print each violation with its line and rule.

    Exits 0 when every program passes, else with the exit code of the first failure (a policy violation or
    a syntax error: 4; a missing file: 2). The rules are listed in docs/security.md and by --rules.
    """
    if rules:
        from render_pool.policy import rules_markdown

        typer.echo(rules_markdown(), nl=False)
        return
    if not programs:
        raise fail(ConfigError("give at least one PROGRAM.py to check (or --rules)"))
    reports = [check_file(path) for path in programs]
    for report in reports:
        if as_json:
            typer.echo(json.dumps({"path": report.path, "ok": report.error is None, "findings": report.findings}))
        else:
            for line in report.lines():
                typer.echo(line)
    failures = [report.error for report in reports if report.error is not None]
    if failures:
        if len(reports) > 1 and not as_json:
            typer.echo(f"{len(failures)} of {len(reports)} programs failed the policy check")
        raise fail(failures[0])

"""`seig check`: exit codes and output for clean programs, violations, syntax errors and missing files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import seig_search.cli.main  # noqa: F401  (registers every command)
from seig_search.cli.app import app
from seig_search.errors import ConfigError, PolicyViolationError, ProgramError

ESCAPES = Path(__file__).parent / "escapes"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_program_prints_ok_and_exits_zero(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "scene.py", "import bpy\nbpy.ops.mesh.primitive_cube_add(size=1.0)\n")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: ok"


def test_violations_print_line_rule_and_exit_with_error_code(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.py", "import bpy\n\nbpy.ops.wm.open_mainfile()\nimport socket\n")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == PolicyViolationError.exit_code == 4
    lines = result.stdout.strip().splitlines()
    assert f"{path}:3:9: [ops-category] attribute 'wm' is not allowed" in lines
    assert f"{path}:4:1: [import] import of 'socket' is not allowed" in lines
    assert f"{path}:3:12: [file-io] attribute 'open_mainfile' is not allowed" in lines
    assert len(lines) == 3
    assert f"{path}: 3 policy violations" in " ".join(result.stderr.split())


def test_syntax_error_reports_its_line(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.py", "import bpy\nx = (1,\n")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == ProgramError.exit_code
    assert result.stdout.startswith(f"{path}:2: [syntax]")
    assert "Traceback" not in result.output


def test_missing_file_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.py")])
    assert result.exit_code == ConfigError.exit_code
    assert "no such file" in result.output
    assert "Traceback" not in result.output


def test_non_utf8_file_is_a_program_error(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "latin1.py"
    path.write_bytes(b"name = '\xe9t\xe9'\n")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == ProgramError.exit_code
    assert "not UTF-8" in result.output


def test_several_files_exit_with_first_failure(runner: CliRunner, tmp_path: Path) -> None:
    ok = _write(tmp_path, "ok.py", "import math\nx = math.pi\n")
    result = runner.invoke(app, ["check", str(ok), str(ESCAPES / "import_os.py"), str(tmp_path / "gone.py")])
    assert result.exit_code == 4
    assert f"{ok}: ok" in result.stdout
    assert "[import]" in result.stdout and "no such file" in result.stdout
    assert "2 of 3 programs failed" in result.stdout


def test_console_script_end_to_end(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it: no traceback, the error's exit code."""
    done = subprocess.run([sys.executable, "-m", "seig_search.cli.main", "check", str(ESCAPES / "app_handlers.py")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 4
    assert "app_handlers.py:4:5: [bpy-module]" in done.stdout
    assert "Traceback" not in done.stderr


def test_rules_flag_prints_the_rule_table(runner: CliRunner) -> None:
    from render_pool.policy import RULES, rules_markdown

    result = runner.invoke(app, ["check", "--rules"])
    assert result.exit_code == 0
    assert result.stdout == rules_markdown()
    assert all(f"| `{rule}` |" in result.stdout for rule in RULES)


def test_no_program_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == ConfigError.exit_code
    assert "at least one PROGRAM.py" in result.output


def test_stdin_and_json_output(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "--json", "-"], input="import bpy\nbpy.app.handlers\n")
    assert result.exit_code == 4
    report = json.loads(result.stdout)
    assert report == {"path": "<stdin>", "ok": False, "findings": [
        {"line": 2, "col": 5, "rule": "bpy-module", "message": "attribute 'app' is not allowed"},
        {"line": 2, "col": 9, "rule": "callback", "message": "attribute 'handlers' is not allowed"}]}
    clean = runner.invoke(app, ["check", "--json", "-"], input="import math\n")
    assert clean.exit_code == 0 and json.loads(clean.stdout) == {"path": "<stdin>", "ok": True, "findings": []}

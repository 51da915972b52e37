"""The program operations the VLM proposer needs: section views, splicing, and the dialect and policy checks."""

from __future__ import annotations

from dataclasses import dataclass

from seig_search.errors import ProgramError
from seig_search.proposers.base import STAGES


@dataclass
class Problem(Exception):
    """Why a candidate cannot be used: ``kind`` is the counted fault, ``where`` says which check found it."""

    kind: str
    message: str
    line: int | None = None
    where: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class ProgramOps:
    """Thin layer over seig_search.program and render_pool.policy, so the proposer can be tested alone."""

    def sections(self, source: str) -> dict[str, str]:
        from seig_search.program import SceneProgram

        program = SceneProgram.from_source(source)
        return {stage: program.section(stage) for stage in STAGES}

    def assemble(self, bodies: dict[str, str]) -> str:
        from seig_search.program import SceneProgram

        try:
            return SceneProgram.from_sections(bodies).source
        except ProgramError as error:
            raise Problem("dialect", str(error), None, "when assembling the program") from None

    def splice(self, base: str, bodies: dict[str, str]) -> str:
        from seig_search.program import SceneProgram

        try:
            program = SceneProgram.from_source(base)
            for stage, body in bodies.items():
                program = program.with_section(stage, body)
        except ProgramError as error:
            raise Problem("dialect", str(error), None, "when splicing the section into the program") from None
        return program.source

    def check(self, source: str) -> Problem | None:
        """The policy check, as a Problem that quotes the offending lines; None when the program passes."""
        from render_pool.policy import check_program

        try:
            violations = check_program(source)
        except ProgramError as error:
            return Problem("syntax", str(error), getattr(error, "line", None), "in the assembled program")
        if not violations:
            return None
        lines = source.splitlines()
        text = "\n".join(
            f"[{v.rule}] {v.message}\n    offending code: {lines[v.line - 1].strip() if 0 < v.line <= len(lines) else ''}"
            for v in violations[:5]
        )
        return Problem("policy", text, None, "rejected by the sandbox policy, before running")


def quote_line(source: str, line: int | None) -> str:
    """The source line a Blender error points at, for the repair prompt (or where it was raised)."""
    if line is None:
        return ""
    from seig_search.program import SceneProgram

    lines = source.splitlines()
    if not 0 < line <= len(lines):
        return ""
    try:
        stage = SceneProgram.from_source(source).stage_at(line)
    except ProgramError:
        stage = None
    if stage is None:  # the prelude raised it: the helper's own line would only confuse
        return "(raised inside a dialect helper, called from your code)"
    return f"{lines[line - 1].strip()}  (in {stage}())"

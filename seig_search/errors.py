"""The one exception hierarchy of seig.

Every error seig raises on purpose derives from :class:`SeigError`; the CLI turns it into a clear
message and the class's ``exit_code``. Errors carry the offending values as attributes.
"""

from __future__ import annotations


class SeigError(Exception):
    """Base of every error seig raises on purpose."""

    exit_code: int = 1


class ConfigError(SeigError):
    """Bad options, config files or presets."""

    exit_code = 2


class InputImageError(SeigError):
    """The target image is missing, unreadable or unusable."""

    exit_code = 3


class ProgramError(SeigError):
    """A scene program does not parse or does not follow the dialect."""

    exit_code = 4

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


class PolicyViolationError(ProgramError):
    """A scene program uses something the sandbox policy forbids."""

    def __init__(self, violations: list) -> None:  # list[render_pool.policy.PolicyViolation]
        self.violations = list(violations)
        first = self.violations[0] if self.violations else None
        lines = "; ".join(f"line {v.line}: {v.message}" for v in self.violations)
        super().__init__(f"policy violations: {lines}", line=getattr(first, "line", None))


class RenderError(SeigError):
    """A render could not be produced."""

    exit_code = 5


class RenderTimeoutError(RenderError):
    """A render job ran past its deadline and its process was killed."""


class WorkerCrashedError(RenderError):
    """The Blender worker process died (segfault, out of memory)."""


class ScoringError(SeigError):
    """Images could not be scored."""

    exit_code = 6


class WeightsUnavailableError(ScoringError):
    """Neural weights were asked for explicitly but are not on this machine."""


class ProposerError(SeigError):
    """A proposer could not produce candidates."""

    exit_code = 7


class VLMError(ProposerError):
    """A vision-language model server failed or answered nonsense."""


class SearchStateError(SeigError):
    """A search log or output folder cannot be resumed."""

    exit_code = 8


class ReportError(SeigError):
    """The HTML report could not be written or checked."""

    exit_code = 9


class BrowserError(ReportError):
    """Headless Chromium could not be started or did not answer."""


class ExportError(SeigError):
    """scene.blend, scene.glb or scene.py could not be written or failed verification."""

    exit_code = 10

    def __init__(self, message: str, checks: list | None = None) -> None:  # list[exports.ExportCheck]
        super().__init__(message)
        self.checks = list(checks or [])

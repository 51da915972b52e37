"""The HTML report of a run folder (``report.html``), and the index page of a folder of runs."""

from __future__ import annotations

from seig_search.report.build import build, find_runs, write_index, write_report

__all__ = ["build", "find_runs", "write_index", "write_report"]

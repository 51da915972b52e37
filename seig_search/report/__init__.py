"""The HTML report of a run folder (``report.html``), and the index page of a folder of runs."""

from __future__ import annotations

from seig_search.report.build import write_report
from seig_search.report.index import build, find_runs, write_index

__all__ = ["build", "find_runs", "write_index", "write_report"]

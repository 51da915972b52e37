"""Perceptual and semantic scores of renders against a target image, and the metrics benchmarks report.

Import-light: torch is imported only when a neural term is used.
"""

from scoring.config import OFFLINE_WEIGHTS, ScoreConfig, TermWeights
from scoring.scorer import ScoreBreakdown, Scorer

__all__ = ["OFFLINE_WEIGHTS", "ScoreBreakdown", "ScoreConfig", "Scorer", "TermWeights"]

"""Paired comparison of two configs on the same cases: is the difference more than noise?

Search scores vary from case to case far more than between two configs on one case, so the per-case
differences are what carry the signal. Reported: wins, losses, ties, the mean difference, a paired t-test and a
Wilcoxon signed-rank test (two-sided), so a preset is only called better when the evidence says so.
"""

from __future__ import annotations

import math
from typing import Any, Sequence


def paired_comparison(base: Sequence[float | None], other: Sequence[float | None],
                      tie: float = 1e-9) -> dict[str, Any]:
    """Statistics of ``other - base`` over the cases where both have a value (None = failed, left out)."""
    from scipy import stats

    pairs = [(float(b), float(o)) for b, o in zip(base, other, strict=True)
             if b is not None and o is not None and math.isfinite(float(b)) and math.isfinite(float(o))]
    diffs = [o - b for b, o in pairs]
    n = len(diffs)
    out: dict[str, Any] = {"n": n, "wins": sum(d > tie for d in diffs), "losses": sum(d < -tie for d in diffs),
                           "ties": sum(abs(d) <= tie for d in diffs),
                           "mean_diff": sum(diffs) / n if n else None, "t": None, "p_t": None, "p_wilcoxon": None}
    if n >= 2 and any(abs(d - diffs[0]) > tie for d in diffs):  # a t statistic needs some spread
        test = stats.ttest_rel([o for _, o in pairs], [b for b, _ in pairs])
        out["t"], out["p_t"] = float(test.statistic), float(test.pvalue)
    if sum(abs(d) > tie for d in diffs) >= 1:
        out["p_wilcoxon"] = float(stats.wilcoxon(diffs, zero_method="wilcox").pvalue)
    return out


def describe(stats: dict[str, Any]) -> str:
    """One line for a terminal: "better on 15 of 24 (2 ties), mean +0.0013, paired t 0.72 (p 0.48)"."""
    if not stats["n"]:
        return "no case finished under both configs"
    text = f"better on {stats['wins']} of {stats['n']}"
    text += f" ({stats['ties']} ties)" if stats["ties"] else ""
    text += f", mean {stats['mean_diff']:+.4f}"
    if stats["t"] is not None:
        text += f", paired t {stats['t']:.2f} (p {stats['p_t']:.3g})"
    if stats["p_wilcoxon"] is not None:
        text += f", Wilcoxon p {stats['p_wilcoxon']:.3g}"
    return text

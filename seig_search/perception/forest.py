"""A forest of decision trees as plain arrays, applied with numpy.

Models are fitted offline with scikit-learn (``benchmarks/train_split_gate.py``) and shipped as JSON, so
perception needs no scikit-learn at run time. Each tree is five parallel lists, as scikit-learn's ``tree_``
holds them: the feature and threshold tested at each node (a sample goes left when its feature is at or below
the threshold), the left and right child (-1 at a leaf), and each node's share of positive training samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def export_forest(forest: Any, digits: int = 8) -> list[dict]:
    """The trees of a fitted scikit-learn forest classifier (``RandomForestClassifier`` or
    ``ExtraTreesClassifier``, binary) as JSON-ready dicts."""
    trees = []
    for est in forest.estimators_:
        t = est.tree_
        value = t.value[:, 0, :]
        share = value[:, 1] / np.maximum(value.sum(axis=1), 1e-12)
        trees.append({"feature": t.feature.tolist(), "threshold": [float(f"{v:.{digits}g}") for v in t.threshold],
                      "left": t.children_left.tolist(), "right": t.children_right.tolist(),
                      "p": [round(float(v), 4) for v in share]})
    return trees


def forest_probability(X: np.ndarray, trees: list[dict]) -> np.ndarray:
    """Mean over ``trees`` of the positive share of the leaf each row of ``X`` reaches."""
    X = np.asarray(X, float).reshape(len(X), -1)
    total = np.zeros(len(X))
    rows = np.arange(len(X))
    for t in trees:
        feature, threshold = np.asarray(t["feature"]), np.asarray(t["threshold"], float)
        left, right, p = np.asarray(t["left"]), np.asarray(t["right"]), np.asarray(t["p"], float)
        node = np.zeros(len(X), int)
        while True:
            inner = left[node] >= 0
            if not inner.any():
                break
            go_left = X[rows, np.maximum(feature[node], 0)] <= threshold[node]
            node = np.where(inner, np.where(go_left, left[node], right[node]), node)
        total += p[node]
    return total / max(len(trees), 1)

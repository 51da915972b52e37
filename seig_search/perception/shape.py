"""Shape class from the silhouette alone (placeholder ranking until the silhouette fit decides)."""

from __future__ import annotations

from seig_search.perception.types import Region, ShapeGuess


def classify_shape(region: Region) -> list[ShapeGuess]:
    return [ShapeGuess("cube", 0.5)]

"""Objects mostly hidden behind another, found as what the front object's fitted outline leaves over.

Segmentation joins a small part of another colour, or a grey or dark part, to the neighbour it shares most
border with; when that part is the top of an object standing behind, the two come out as one region. The
outline fit of the front object (a convex primitive) does not cover it: a compact piece of the region outside
the fitted silhouette, above its middle (what stands behind shows higher in the image), not where any fitted
object's drawn shadow falls, and unlike both the front object's colour and the ground's, is another object,
unless it is colourless and far brighter than the lit ground: a glossy object's highlight. A piece of the front
object's own colour counts only where no primitive outlines the whole region well (the caller's judgement: the
join test of rejoin.py, reversed) and only when its core is large, since a fit's small misses share that colour;
never for a grey region: a grey object's shaded faces and own cast shadow have the ground's colour, so its fit
misses parts of it, and such pieces were mostly parts of the same object.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage as ndi
from skimage.color import deltaE_ciede2000, rgb2lab

MIN_CORE_PX = 6  # pixels left after a one-pixel erosion: thin slivers along a fitted outline are not objects
MAX_SHADOW_SHARE = 0.5  # a piece this much inside the drawn shadows is shadow
MIN_DELTA_E_MAIN = 20.0  # CIEDE2000 between the piece and the rest of the region
MIN_DELTA_E_GROUND = 18.0  # ... and between the piece and the ground (lit ground tinted by the object)
SAME_HUE_MIN_CORE_PX = 15  # core pixels of a piece of the front object's colour (set on development seeds)
HIGHLIGHT_MAX_CHROMA = 10.0  # CIELAB chroma under which a piece brighter than the lit ground is a highlight
HIGHLIGHT_MIN_LIGHTER = 30.0  # ... when its L* exceeds the lit ground's by this much (a white object behind is lost too)
GREY_MAX_CHROMA = 8.0  # CIELAB chroma under which a piece and its front object are both grey: no same-colour split
# (over 610 scenes of bench_perception.py, 9 such pieces were parts of the same object, 1 ground, 2 other objects;
# coloured pieces measured 10 and up)
SHADOW_MAX_AB_GAP = 10.0  # CIELAB a*b* distance to the lit ground under which a dark piece has the ground's colour
SHADOW_MIN_DARKER = 25.0  # ... and L* this far under the lit ground's: a cast shadow (grey objects behind: 10-16)


def hidden_pieces(region: np.ndarray, silhouette: np.ndarray, drawn_shadows: np.ndarray, lab: np.ndarray,
                  ground_lab: np.ndarray | None, same_hue: bool = False) -> list[np.ndarray]:
    """HxW masks of the pieces of ``region`` that are other objects standing behind its fitted ``silhouette``.

    ``lab``: the image in CIELAB; ``ground_lab``: the lit ground's colour (None: no ground, nothing is found);
    ``same_hue``: large pieces of the front object's colour count too (no primitive outlines the whole region).
    """
    if ground_lab is None or not silhouette.any():
        return []
    inside = region & silhouette
    if not inside.any():
        return []
    main_lab = np.median(lab[inside], axis=0)
    pieces = []
    for piece in pieces_behind(region, silhouette, MIN_CORE_PX):
        if (piece & drawn_shadows).sum() >= MAX_SHADOW_SHARE * piece.sum():
            continue
        piece_lab = np.median(lab[piece], axis=0)
        if float(deltaE_ciede2000(piece_lab, main_lab)) < MIN_DELTA_E_MAIN and not (
                same_hue and not (grey(piece_lab) and grey(main_lab))
                and ndi.binary_erosion(piece).sum() >= SAME_HUE_MIN_CORE_PX):
            continue
        if float(deltaE_ciede2000(piece_lab, ground_lab)) < MIN_DELTA_E_GROUND:
            continue
        if highlight(piece_lab, ground_lab):
            continue
        pieces.append(piece)
    return pieces


def pieces_behind(region: np.ndarray, silhouette: np.ndarray, min_core: int,
                  low_too: Callable[[np.ndarray], bool] | None = None) -> list[np.ndarray]:
    """Pieces of ``region`` outside its fitted ``silhouette`` and above its middle, with at least ``min_core``
    pixels after a one-pixel erosion: where an object standing behind may show. ``low_too(piece)``: a piece
    below the middle counts too when it says so."""
    if not silhouette.any():
        return []
    labels, n = ndi.label(region & ~ndi.binary_dilation(silhouette, iterations=1))
    middle_row = float(np.nonzero(silhouette)[0].mean())
    pieces = [labels == k for k in range(1, n + 1)]
    return [p for p in pieces if ndi.binary_erosion(p).sum() >= min_core and (
        np.nonzero(p)[0].mean() < middle_row or (low_too is not None and low_too(p)))]


def chroma(lab_colour: np.ndarray) -> float:
    """CIELAB chroma of one colour: its distance from grey in the a*b* plane."""
    return float(np.hypot(lab_colour[1], lab_colour[2]))


def grey(lab_colour: np.ndarray) -> bool:
    """Is a CIELAB colour grey (a grey or black object, or the ground's grey)?"""
    return chroma(lab_colour) < GREY_MAX_CHROMA


def highlight(piece_lab: np.ndarray, ground_lab: np.ndarray) -> bool:
    """A colourless piece far brighter than the lit ground: a glossy object's highlight or a pool of light."""
    return chroma(piece_lab) < HIGHLIGHT_MAX_CHROMA and float(piece_lab[0] - ground_lab[0]) > HIGHLIGHT_MIN_LIGHTER


def shadow_coloured(piece_lab: np.ndarray, ground_lab: np.ndarray) -> bool:
    """A piece of the ground's colour far darker than the lit ground: the dark core of a cast shadow."""
    gap = float(np.hypot(piece_lab[1] - ground_lab[1], piece_lab[2] - ground_lab[2]))
    return gap < SHADOW_MAX_AB_GAP and float(ground_lab[0] - piece_lab[0]) > SHADOW_MIN_DARKER


def image_lab(srgb: np.ndarray) -> np.ndarray:
    return rgb2lab(np.clip(srgb, 0.0, 1.0))

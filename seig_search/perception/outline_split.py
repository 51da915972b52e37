"""An object behind another of like colour, found where one primitive cannot outline their joint region.

``hidden_pieces`` (hidden_objects.py) tells a piece of another object from the front object's own fit error by
colour. Where colour does not tell, the outline does, the reverse of the join test in rejoin.py: a piece of the
region outside the front object's fitted silhouette, above its middle, is another object when no primitive
outlines the whole region well, the rest alone is outlined far better, and a primitive standing on the ground
outlines the piece. A grey piece below the middle is the object's own shadow or ground contact; a clearly
coloured one there is a smaller object standing in front of it, lower in the image, and is tried. Colourless
pieces far brighter than the ground are highlights, and ones of the ground's colour far darker than it are the
dark cores of cast shadows (crisp in clean renders, where a shadow's core and its penumbra segment apart);
neither is tried.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seig_search.perception.fit import Fit
from seig_search.perception.hidden_objects import chroma, highlight, pieces_behind, shadow_coloured
from seig_search.perception.rejoin import MAX_UNION_COST, best_cost
from seig_search.perception.tint import region_from_mask
from seig_search.perception.types import ObjectEstimate, Region

MIN_CORE_PX = 20  # pixels of a piece after a one-pixel erosion
REST_GAIN = 0.6  # the rest's best outline cost, as a share of the whole region's, must fall to this
LOW_PIECE_MIN_CHROMA = 20.0  # CIELAB chroma of a piece below the middle that is tried: objects measured 40-69,
# tinted ground 10-15 (pieces tried where 12 and 20 changed the count in 450 scenes of bench_perception.py)
MAX_PIECE_COST = 0.15  # a piece's own outline cost (over its size: its hidden outline parts keep it high)


def split_behind(o: ObjectEstimate, silhouette: np.ndarray, lab: np.ndarray, ground_lab: np.ndarray,
                 fit_rest: Callable[[Region], list[Fit]],
                 make: Callable[[np.ndarray], ObjectEstimate | None]) -> tuple[Region, ObjectEstimate] | None:
    """The rest of ``o``'s region and the object standing behind it, or None when one object explains it.

    ``silhouette``: ``o``'s fitted outline (HxW); ``lab``: the image in CIELAB; ``ground_lab``: the lit ground's
    colour; ``fit_rest(region)``: the outline fits of a region, best first; ``make(mask)``: the object fitted to
    ``mask``, or None when it cannot stand on the ground.
    """
    whole = best_cost(o)
    if not np.isfinite(whole) or whole <= MAX_UNION_COST:
        return None

    def coloured(piece: np.ndarray) -> bool:
        return chroma(np.median(lab[piece], axis=0)) >= LOW_PIECE_MIN_CHROMA

    pieces = pieces_behind(o.region.mask, silhouette, MIN_CORE_PX, low_too=coloured)
    for piece in sorted(pieces, key=lambda p: -int(p.sum())):
        piece_lab = np.median(lab[piece], axis=0)
        if highlight(piece_lab, ground_lab) or shadow_coloured(piece_lab, ground_lab):
            continue
        rest = region_from_mask(o.region.mask & ~piece)
        fits = fit_rest(rest)
        if not fits or fits[0].cost > REST_GAIN * whole:
            continue
        new = make(piece)
        if new is not None and best_cost(new) <= MAX_PIECE_COST:
            return rest, new
    return None

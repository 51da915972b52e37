"""Dark objects the shadow mask took: shadow pixels that no fitted object's drawn shadow explains.

A black metal cylinder, or the shaded body of a grey one whose lit top alone was found, is as dark and as
grey as a cast shadow, so the background analysis puts it in the shadow mask. Once the objects are fitted
and the key light is fitted to their shadows, every cast shadow should lie under a drawn one. A piece of
the shadow mask well away from all drawn shadows and silhouettes has no caster; a shadow is also evenly dark,
while an object's faces, reflections and highlights make its brightness vary and its outline crisp, and a
primitive's outline is convex where a leftover of a shadow is ragged.

A shadow's brightness varies only in its soft rim, so a large piece is also judged inside its rim: a dark grey
rubber object (a sphere's shading ramp, a cylinder's top over its side) varies there, a shadow is flat.

The key light is fitted to the shadow mask, so a grey object in it pulls the sun until a drawn shadow covers the
object; :func:`key_without_dark_objects` fits it again without such pieces where the rest still fits as well.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.cast_shadows import KeyLightFit, drawn_shadows, fit_key_light, light_vector
from seig_search.perception.colorspace import srgb_to_linear
from seig_search.perception.colour_parts import hue_sat
from seig_search.perception.concavity import SLIVER_MAX_SOLIDITY, solidity
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.types import ObjectEstimate

MARGIN_PX = 2  # drawn shadows and silhouettes are grown this much: their edges are only as exact as the fits
MIN_PIECE_SHARE = 0.0025  # of the image's pixels (40 at 128 x 128): smaller pieces are fit slop (dev seeds)
MIN_BRIGHTNESS_SPREAD = 0.6  # std over mean of linear brightness: shadows measured 0.02-0.5 (dev seeds)
MIN_OUTLINE_GRADIENT = 8.0  # Lab units per pixel, 75th percentile along the piece's outline
PENUMBRA_PX = 2  # a shadow's soft rim: its brightness spread lies there, inside it is flat
MIN_CORE_PX = 40  # pixels left inside the rim for the inner spread to be measured
MIN_CORE_SPREAD = 0.25  # std over mean inside the rim: ground-shadow pieces measured up to 0.22, the grey
# objects the whole-piece bound missed 0.27-0.36 (370 scenes of bench_perception.py)
JOINED_CORE_SPREAD = 0.4  # ... a piece varying this much inside its rim is an object even where its outline is
# not convex: a grey box joined with its own cast shadow (shadows measured up to 0.31, most under 0.2)
PULLED_SHARE = 0.5  # an object-like piece this much inside the first key fit's drawn shadows may have pulled it
KEPT_IOU_SHARE = 0.7  # ... and the fit without it must keep this share of the first fit's overlap (see below)
FIT_WHEN_NONE = True  # where no direction fits the whole mask, fit the sun without all object-like pieces


def unexplained_shadow_pieces(shadow: np.ndarray, drawn_shadows: np.ndarray, objects: np.ndarray,
                              srgb: np.ndarray, gradient: np.ndarray) -> list[np.ndarray]:
    """HxW masks of the pieces of ``shadow`` that are objects: away from the ``drawn_shadows`` and from the
    ``objects`` (found regions and fitted silhouettes), uneven in brightness and crisply outlined.

    ``gradient``: the image's colour gradient (segment.py), for the outline test.
    """
    explained = ndi.binary_dilation(drawn_shadows, iterations=MARGIN_PX) | ndi.binary_dilation(objects, iterations=1)
    left = ndi.binary_opening(shadow & ~explained)  # one-pixel seams along the explained parts are slop
    labels, n = ndi.label(left)
    if n == 0:
        return []
    lum = srgb_to_linear(srgb).sum(axis=2)
    min_px = max(10, int(MIN_PIECE_SHARE * shadow.size))
    pieces = []
    for k in range(1, n + 1):
        piece = labels == k
        if piece.sum() < min_px:
            continue
        if not uneven(lum, piece):
            continue  # evenly dark: a shadow of something the fits missed, or of another light
        if solidity(piece) < SLIVER_MAX_SOLIDITY and not _faces_inside(lum, piece):
            continue  # no primitive's outline: a ragged piece of shadow
        if outline_gradient(piece, gradient) < MIN_OUTLINE_GRADIENT:
            continue
        pieces.append(piece)
    return pieces


def outline_gradient(mask: np.ndarray, gradient: np.ndarray) -> float:
    """75th percentile of ``gradient`` (segment.colour_gradient) along the outline of ``mask``: how crisp it is."""
    return float(np.percentile(gradient[mask & ~ndi.binary_erosion(mask)], 75))


def _faces_inside(lum: np.ndarray, piece: np.ndarray) -> bool:
    """Does ``piece`` vary inside its rim far more than a shadow does (an object's lit and shaded faces)?"""
    return JOINED_CORE_SPREAD is not None and core_spread(lum, piece) >= JOINED_CORE_SPREAD


def uneven(lum: np.ndarray, piece: np.ndarray) -> bool:
    """Does the brightness ``lum`` vary over ``piece`` as over an object's faces, not as over a shadow?"""
    return spread(lum[piece]) >= MIN_BRIGHTNESS_SPREAD or core_spread(lum, piece) >= MIN_CORE_SPREAD


def core_spread(lum: np.ndarray, piece: np.ndarray) -> float:
    """Brightness spread of ``piece`` inside its soft rim; 0 when too little is left to judge."""
    core = inside_rim(piece)
    return spread(lum[core]) if core is not None else 0.0


def inside_rim(mask: np.ndarray) -> np.ndarray | None:
    """``mask`` without its soft two-pixel rim, None when too little is left to judge."""
    core = ndi.binary_erosion(mask, iterations=PENUMBRA_PX)
    return core if int(core.sum()) >= MIN_CORE_PX else None


def spread(values: np.ndarray) -> float:
    return float(values.std()) / max(float(values.mean()), 1e-6)


GREY_MAX_SAT = 0.3  # saturation up to which a region is grey (colour_parts.distinct_hues: "clearly coloured")
TOP_REACH_PX = 3  # a lit top ends this close above its shaded body
TOP_MAX_DEPTH = 0.25  # ... where the body's upper quarter is


def lit_top_above(piece: np.ndarray, regions: list[np.ndarray], lin3: np.ndarray) -> int | None:
    """Index of the grey region that meets ``piece`` from above (a grey object's lit top over its shaded body,
    the body taken for shadow), the one with the longest such border; None when no region does.

    ``lin3``: the linear image. A coloured object's shaded side keeps its colour, so it is no shadow-grey piece.
    """
    rows = np.nonzero(piece.any(axis=1))[0]
    upper = rows[0] + TOP_MAX_DEPTH * (rows[-1] - rows[0] + 1)
    reach = ndi.binary_dilation(piece, iterations=TOP_REACH_PX)
    best, best_border = None, 0
    for i, region in enumerate(regions):
        border = reach & region
        count = int(border.sum())
        if count <= best_border or float(np.nonzero(border)[0].mean()) >= upper:
            continue
        if hue_sat(lin3[region].mean(axis=0)[None])[1][0] <= GREY_MAX_SAT:
            best, best_border = i, count
    return best


def key_without_dark_objects(cam: PinholeCamera, objects: list[ObjectEstimate], key: KeyLightFit | None,
                             shadow: np.ndarray | None, occupied: np.ndarray, srgb: np.ndarray,
                             gradient: np.ndarray) -> KeyLightFit | None:
    """The key light fitted again without the pieces of ``shadow`` that look like objects (uneven, convex, crisp:
    :func:`unexplained_shadow_pieces` with no drawn shadows) yet lie mostly in ``key``'s drawn shadows; ``key``
    itself where there is none or the refit is refused.

    A grey object taken for shadow pulls the fit of the sun towards directions that shade it, and the drawn
    shadows then explain it away. A large one can also leave no direction whose drawn shadows overlap the mask
    enough (``key`` None): the sun is then fitted to the mask without all such pieces, and kept when that fit
    passes on its own. ``occupied``: found regions and fitted silhouettes; ``gradient``: the image's colour
    gradient (segment.py).
    """
    if shadow is None:
        return key
    looks = unexplained_shadow_pieces(shadow, np.zeros_like(shadow), occupied, srgb, gradient)
    if key is None:
        return fit_key_light(cam, objects, shadow & ~np.any(looks, axis=0)) if looks and FIT_WHEN_NONE else None
    drawn = ndi.binary_dilation(drawn_shadows(cam, objects, light_vector(key.azimuth_deg, key.elevation_deg),
                                              shadow.shape), iterations=MARGIN_PX)
    pulled = [p for p in looks if float(drawn[p].mean()) >= PULLED_SHARE]
    if not pulled:
        return key
    refit = fit_key_light(cam, objects, shadow & ~np.any(pulled, axis=0))
    # Without a grey object the rest of the shadows fit as well as all of them did; without real shadows
    # (uneven ones pass the tests too) the rest fits far worse, and the first fit stands.
    return refit if refit is not None and refit.iou >= KEPT_IOU_SHARE * key.iou else key

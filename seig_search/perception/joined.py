"""Found regions that hold two objects: split candidates weighed by a forest of decision trees.

Under-counting is the larger share of perception's count errors: an object behind or beside another, joined
to its region through touching outlines, a shared shadow or a like colour. The rules before this step split
such regions where one cue is clear (hidden_objects.py, outline_split.py); what is left needs several cues at
once. Each found region offers up to three candidate splits, each a piece and the rest:

- ``colour``: two-means over the region's CIELAB pixels, the larger connected core of each cluster;
- ``outline``: the largest piece outside the region's fitted primitive silhouette (any row, any colour);
- ``ridge``: the two basins of the region's distance transform, for like-coloured objects side by side.

Cues of each candidate (how far apart the colours are, how sharp the cut is against the inside, how convex
each part is, where the piece lies against the fit, the ground and the shadows) go into a forest of extremely randomised trees fitted
by ``benchmarks/train_split_gate.py`` on rendered scenes with known objects (the cues interact: a hue gap means
two objects on a matt region and little on a metal one), shipped as arrays in ``joined_model.json`` beside this
module with its threshold and provenance and applied with numpy (forest.py). The candidate it calls two
objects with the highest probability above the threshold is split, at most one per image. The number of
found objects is deliberately not a cue: the generated scenes hold at most six, and a model would learn that
cap rather than anything about images.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from skimage.color import rgb2lab
from skimage.morphology import convex_hull_image
from skimage.segmentation import watershed

from seig_search.perception.estimate_maps import EstimateMaps, maps_for
from seig_search.perception.forest import forest_probability
from seig_search.perception.model_file import read_model
from seig_search.perception.shadow_objects import spread
from seig_search.perception.types import SceneEstimate

MODEL_PATH = Path(__file__).with_name("joined_model.json")
MIN_PIECE_PX = 12  # pixels of a candidate piece (and of the rest) after a one-pixel opening
KINDS = ("colour", "outline", "ridge")

FEATURES: dict[str, str] = {
    "kind_colour": "the candidate comes from colour two-means",
    "kind_outline": "the candidate is the largest piece outside the fitted silhouette",
    "kind_ridge": "the candidate splits the distance transform's two basins",
    "piece_px": "pixels of the piece (log)",
    "piece_share": "the piece's share of the region",
    "dE": "CIELAB distance between the median colours of piece and rest",
    "dL": "L* of the piece minus the rest's",
    "chroma_piece": "CIELAB chroma of the piece's median colour",
    "chroma_rest": "CIELAB chroma of the rest's median colour",
    "cut_contrast": "colour gradient along the cut over the median gradient inside (log)",
    "cut_len": "pixels along the cut over the square root of the piece's pixels",
    "solid_gain": "mean solidity of piece and rest minus the region's",
    "solid_region": "solidity of the region (area over convex hull area)",
    "cost": "outline-fit cost of the region's best primitive",
    "iou": "intersection over union of the region and its fitted silhouette",
    "outside_fit": "share of the piece outside the fitted silhouette",
    "row_gap": "piece centroid row minus the rest's, over the region's height (negative: above, behind)",
    "thick_piece": "largest inside distance of the piece (pixels)",
    "thick_rest": "largest inside distance of the rest (pixels)",
    "ring_ground": "share of the one-pixel ring around the piece (outside the region) on lit ground",
    "ring_shadow": "share of that ring in the shadow mask",
    "in_shadow_drawn": "share of the piece inside the objects' drawn cast shadows",
    "cv_piece": "linear brightness spread of the piece",
    "lum_vs_ground": "mean linear brightness of the piece over the lit ground's (log)",
    "region_px": "pixels of the region (log)",
    "dab": "CIELAB a*b* distance between the median colours of piece and rest (shading moves L* most)",
    "dhue": "hue angle between piece and rest (degrees; 0 where either is nearly grey)",
    "separation": "a*b* distance of the parts' means over their pooled spread: two colours, or one varying",
    "chroma_min": "the lower of the two parts' chroma",
    "metallic": "the region's estimated metallic (metals mirror other colours)",
    "top_gap": "piece's top row minus the rest's, over the region's height (an object behind shows above)",
    "bottom_gap": "piece's bottom row minus the rest's, over the region's height",
    "cols_overlap": "share of the piece's columns the rest also spans",
    "piece_ground_dE": "CIELAB distance of the piece's median colour to the lit ground's",
    "rest_in_fit": "share of the rest inside the region's fitted silhouette",
    "fit_on_rest": "share of the fitted silhouette (inside the region) the rest covers",
    "shadow_unexplained": "shadow-mask pixels within 6 px of the region that no drawn shadow or silhouette "
                          "explains, over the region's pixels (a missing object casts one)",
}


@dataclass
class Candidate:
    """One way to split found object ``index``: ``piece`` becomes a new object, ``rest`` stays."""

    index: int
    kind: str
    piece: np.ndarray  # HxW bool
    rest: np.ndarray  # HxW bool


def _clean(mask: np.ndarray) -> np.ndarray:
    """The largest connected part of ``mask`` after a one-pixel opening (empty when none is left)."""
    opened = ndi.binary_opening(mask)
    labels, n = ndi.label(opened)
    if n == 0:
        return opened
    sizes = ndi.sum(opened, labels, range(1, n + 1))
    return labels == int(np.argmax(sizes)) + 1


def _as_split(region: np.ndarray, piece: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(piece, rest) with the rest the largest connected part of the region without the piece, the strays
    given to the piece; None when either is under :data:`MIN_PIECE_PX`."""
    piece = _clean(piece & region)
    if piece.sum() < MIN_PIECE_PX:
        return None
    labels, n = ndi.label(region & ~piece)
    if n == 0:
        return None
    sizes = ndi.sum(np.ones_like(labels), labels, range(1, n + 1))
    rest = labels == int(np.argmax(sizes)) + 1
    if rest.sum() < MIN_PIECE_PX:
        return None
    return region & ~rest, rest


def _two_means(x: np.ndarray, iters: int = 12) -> np.ndarray:
    """Cluster labels (0/1) of the rows of ``x``: two-means started at the extremes of the first principal axis
    (deterministic)."""
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    t = centred @ vt[0]
    c = np.stack([x[t <= np.percentile(t, 10)].mean(axis=0), x[t >= np.percentile(t, 90)].mean(axis=0)])
    lab = np.zeros(len(x), int)
    for _ in range(iters):
        lab = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
        if lab.min() == lab.max():
            break
        c = np.stack([x[lab == k].mean(axis=0) for k in (0, 1)])
    return lab


def _colour_split(region: np.ndarray, lab: np.ndarray) -> np.ndarray | None:
    px = lab[region]
    if len(px) < 2 * MIN_PIECE_PX:
        return None
    x = px * np.array([0.5, 1.0, 1.0])  # lightness counts half: shading varies it within one object
    k = _two_means(x)
    if k.min() == k.max():
        return None
    piece = np.zeros(region.shape, bool)
    piece[region] = k == int(np.bincount(k, minlength=2).argmin())  # the smaller cluster
    return piece


def _ridge_split(region: np.ndarray) -> np.ndarray | None:
    """The smaller basin of the two highest peaks of the region's distance transform, when they are apart."""
    dist = ndi.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    peaks = (dist == ndi.maximum_filter(dist, size=5)) & (dist >= 2.5) & region
    labels, n = ndi.label(peaks)
    if n < 2:
        return None
    heights = ndi.maximum(dist, labels, range(1, n + 1))
    top = np.argsort(heights)[::-1][:2] + 1
    markers = np.zeros(region.shape, int)
    markers[labels == top[0]] = 1
    markers[labels == top[1]] = 2
    basins = watershed(-dist, markers, mask=region)  # each peak grown down the distance transform
    sizes = [int((basins == k).sum()) for k in (1, 2)]
    return basins == (1 if sizes[0] < sizes[1] else 2)


def candidates(est: SceneEstimate, lab: np.ndarray, sils: list[np.ndarray]) -> list[Candidate]:
    """Every candidate split of every found object of ``est``; ``lab``: the image in CIELAB; ``sils``: each
    object's fitted silhouette."""
    out: list[Candidate] = []
    for i, o in enumerate(est.objects):
        region = o.region.mask
        if region.sum() < 2 * MIN_PIECE_PX:
            continue
        seen: list[np.ndarray] = []
        raw = {"colour": _colour_split(region, lab),
               "outline": region & ~ndi.binary_dilation(sils[i]) if sils[i].any() else None,
               "ridge": _ridge_split(region)}
        for kind in KINDS:
            if raw[kind] is None:
                continue
            split = _as_split(region, raw[kind])
            if split is None:
                continue
            piece, rest = split
            if any((piece & s).sum() > 0.8 * max(piece.sum(), s.sum()) for s in seen):
                continue  # the same split from another cue
            seen.append(piece)
            out.append(Candidate(i, kind, piece, rest))
    return out


def _solidity(mask: np.ndarray) -> float:
    hull = convex_hull_image(mask)
    return float(mask.sum()) / max(float(hull.sum()), 1.0)


def _chroma(c: np.ndarray) -> float:
    return float(np.hypot(c[1], c[2]))


def _hue_gap(a: np.ndarray, b: np.ndarray, grey: float = 8.0) -> float:
    if min(_chroma(a), _chroma(b)) < grey:
        return 0.0
    d = np.degrees(np.arctan2(a[2], a[1]) - np.arctan2(b[2], b[1]))
    return float(abs((d + 180.0) % 360.0 - 180.0))


def _separation(a: np.ndarray, b: np.ndarray) -> float:
    pooled = np.sqrt(0.5 * (a.var(axis=0).sum() + b.var(axis=0).sum())) + 1.0
    return float(np.linalg.norm(a.mean(axis=0) - b.mean(axis=0)) / pooled)


def _columns_overlap(piece: np.ndarray, rest: np.ndarray) -> float:
    cp, cr = piece.any(axis=0), rest.any(axis=0)
    return float((cp & cr).sum()) / max(float(cp.sum()), 1.0)


def candidate_features(srgb: np.ndarray, est: SceneEstimate,
                       maps: EstimateMaps | None = None) -> tuple[list[Candidate], np.ndarray]:
    """The candidate splits of ``est`` (an estimate of the sRGB image ``srgb``) and one row of
    :data:`FEATURES` each; ``maps``: the image's maps under ``est`` when already at hand."""
    maps = maps_for(srgb, est, maps)
    srgb = maps.srgb
    h, w, _ = srgb.shape
    objects = est.objects
    if not objects:
        return [], np.zeros((0, len(FEATURES)))
    bg = est.background
    empty = np.zeros((h, w), bool)
    ground = bg.ground_mask if bg.ground_mask is not None else empty
    shadow = bg.shadow_mask if bg.shadow_mask is not None else empty
    lit = ground & ~shadow
    lab = rgb2lab(ndi.median_filter(srgb, size=(3, 3, 1)))
    lum, grad = maps.lum, maps.grad
    ground_lum = float(np.median(lum[lit])) if lit.any() else float(np.median(lum))
    sils = maps.silhouettes(objects)
    drawn = np.any(maps.footprints(objects), axis=0)
    ground_lab = np.median(lab[lit], axis=0) if lit.any() else np.median(lab.reshape(-1, 3), axis=0)
    unexplained = shadow & ~drawn & ~np.any(sils, axis=0)
    cands = candidates(est, lab, sils)
    rows = []
    solid_cache: dict[int, float] = {}
    for c in cands:
        o = objects[c.index]
        region = o.region.mask
        if c.index not in solid_cache:
            solid_cache[c.index] = _solidity(region)
        solid_region = solid_cache[c.index]
        lp, lr = np.median(lab[c.piece], axis=0), np.median(lab[c.rest], axis=0)
        cut = c.piece & ndi.binary_dilation(c.rest)
        cut_grad = float(grad[cut | (c.rest & ndi.binary_dilation(c.piece))].mean()) if cut.any() else 0.0
        inner = ndi.binary_erosion(c.piece) | ndi.binary_erosion(c.rest)
        inside_grad = float(np.median(grad[inner])) if inner.any() else float(np.median(grad[region]))
        ring = ndi.binary_dilation(c.piece) & ~region
        ring_n = max(float(ring.sum()), 1.0)
        rows_p, rows_r = np.nonzero(c.piece)[0], np.nonzero(c.rest)[0]
        n_piece = float(c.piece.sum())
        rows.append([
            float(c.kind == "colour"), float(c.kind == "outline"), float(c.kind == "ridge"),
            float(np.log(n_piece)),
            n_piece / float(region.sum()),
            float(np.linalg.norm(lp - lr)),
            float(lp[0] - lr[0]),
            _chroma(lp), _chroma(lr),
            float(np.log((cut_grad + 1e-3) / (inside_grad + 1e-3))),
            float(cut.sum()) / np.sqrt(n_piece),
            0.5 * (_solidity(c.piece) + _solidity(c.rest)) - solid_region,
            solid_region,
            min((f.cost for f in o.fits.values()), default=1.0),
            float((sils[c.index] & region).sum()) / max(float((sils[c.index] | region).sum()), 1.0),
            float((c.piece & ~sils[c.index]).sum()) / n_piece,
            (rows_p.mean() - rows_r.mean()) / max(o.region.height, 1),
            float(ndi.distance_transform_edt(np.pad(c.piece, 1)).max()),
            float(ndi.distance_transform_edt(np.pad(c.rest, 1)).max()),
            float((ring & lit).sum()) / ring_n,
            float((ring & shadow).sum()) / ring_n,
            float(drawn[c.piece].mean()),
            spread(lum[c.piece]),
            float(np.log((lum[c.piece].mean() + 1e-4) / (ground_lum + 1e-4))),
            float(np.log(region.sum())),
            float(np.hypot(lp[1] - lr[1], lp[2] - lr[2])),
            _hue_gap(lp, lr),
            _separation(lab[c.piece][:, 1:], lab[c.rest][:, 1:]),
            min(_chroma(lp), _chroma(lr)),
            float(o.appearance.metallic),
            (rows_p.min() - rows_r.min()) / max(o.region.height, 1),
            (rows_p.max() - rows_r.max()) / max(o.region.height, 1),
            _columns_overlap(c.piece, c.rest),
            float(np.linalg.norm(lp - ground_lab)),
            float((c.rest & sils[c.index]).sum()) / max(float(c.rest.sum()), 1.0),
            float((c.rest & sils[c.index]).sum()) / max(float((region & sils[c.index]).sum()), 1.0),
            float((unexplained & ndi.binary_dilation(region, iterations=6)).sum()) / float(region.sum()),
        ])
    return cands, np.asarray(rows, float).reshape(len(cands), len(FEATURES))


@functools.cache
def load_model(path: Path = MODEL_PATH) -> dict:
    return read_model(path, FEATURES)


def split_probability(features: np.ndarray, model: dict) -> np.ndarray:
    """The model's probability that each row's candidate separates two objects."""
    return forest_probability(features, model["trees"])


def best_split(srgb: np.ndarray, est: SceneEstimate, model: dict | None = None,
               maps: EstimateMaps | None = None) -> Candidate | None:
    """The candidate split the model trusts most, above its threshold; None when there is none."""
    model = model or load_model()
    cands, X = candidate_features(srgb, est, maps)
    if not cands:
        return None
    p = split_probability(X, model)
    i = int(np.argmax(p))
    return cands[i] if p[i] > float(model["threshold"]) else None

"""Two found regions that are one object: touching pairs weighed by a forest of decision trees.

An object found twice (a metal's reflection of another colour, a cube's lit top apart from its shaded side, a
grey object cut by its own shadow line) is the other half of over-counting, beside ground taken for an object.
``rejoin.py`` joins touching regions of one hue when one primitive outlines their union; what is left needs
several cues at once, as the split of ``joined.py`` does for the opposite error. Every pair of touching found
regions gets the cues of :data:`FEATURES` (how far apart their colours are, how sharp the border between them
is against their insides, how convex their union is against each part, how each lies against the other's
fitted silhouette, their sizes and places), weighed by extremely randomised trees fitted by
``benchmarks/train_same_object.py`` on rendered scenes with known objects and shipped as arrays in
``same_object_model.json`` (applied with numpy, forest.py). The pair it calls one object with the highest
probability above the model's threshold is joined, at most one per image. As for the split, the number of
found objects is not a cue.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from skimage.color import rgb2lab

from seig_search.perception.estimate_maps import EstimateMaps, maps_for
from seig_search.perception.forest import forest_probability
from seig_search.perception.joined import _chroma, _columns_overlap, _hue_gap, _separation, _solidity
from seig_search.perception.model_file import read_model
from seig_search.perception.shadow_objects import spread
from seig_search.perception.types import SceneEstimate

MODEL_PATH = Path(__file__).with_name("same_object_model.json")

FEATURES: dict[str, str] = {
    "px_small": "pixels of the smaller region (log)",
    "px_large": "pixels of the larger region (log)",
    "share_small": "the smaller region's share of the pair's pixels",
    "dE": "CIELAB distance between the two regions' median colours",
    "dL": "L* of the smaller region minus the larger's",
    "chroma_small": "CIELAB chroma of the smaller region's median colour",
    "chroma_large": "CIELAB chroma of the larger region's median colour",
    "dab": "CIELAB a*b* distance between the median colours (shading moves L* most)",
    "dhue": "hue angle between the regions (degrees; 0 where either is nearly grey)",
    "separation": "a*b* distance of the regions' means over their pooled spread",
    "border_contrast": "colour gradient along the shared border over the median gradient inside both (log)",
    "border_len": "pixels along the shared border over the square root of the smaller region's pixels",
    "solid_union": "solidity of the union (area over convex hull area)",
    "solid_small": "solidity of the smaller region",
    "solid_large": "solidity of the larger region",
    "cost_small": "outline-fit cost of the smaller region's best primitive",
    "cost_large": "outline-fit cost of the larger region's best primitive",
    "iou_small": "intersection over union of the smaller region and its fitted silhouette",
    "iou_large": "intersection over union of the larger region and its fitted silhouette",
    "small_in_large_fit": "share of the smaller region inside the larger one's fitted silhouette",
    "large_in_small_fit": "share of the larger region inside the smaller one's fitted silhouette",
    "row_gap": "smaller region's centroid row minus the larger's, over the union's height",
    "top_gap": "smaller region's top row minus the larger's, over the union's height",
    "bottom_gap": "smaller region's bottom row minus the larger's, over the union's height",
    "cols_overlap": "share of the smaller region's columns the larger one also spans",
    "metallic_small": "the smaller region's estimated metallic",
    "metallic_large": "the larger region's estimated metallic",
    "drawn_small": "share of the smaller region inside the objects' drawn cast shadows",
    "lum_small": "mean linear brightness of the smaller region over the lit ground's (log)",
    "lum_large": "mean linear brightness of the larger region over the lit ground's (log)",
    "cv_small": "linear brightness spread of the smaller region",
    "ground_dE_small": "CIELAB distance of the smaller region's median colour to the lit ground's",
}


@dataclass
class Pair:
    """Found objects ``small`` and ``large`` (indices into the estimate's objects), touching."""

    small: int
    large: int


def touching_pairs(masks: list[np.ndarray]) -> list[Pair]:
    """Every pair of regions that share a border (4-connected), the smaller first."""
    grown = [ndi.binary_dilation(m) for m in masks]
    pairs = []
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            if (grown[i] & masks[j]).any():
                a, b = (i, j) if masks[i].sum() <= masks[j].sum() else (j, i)
                pairs.append(Pair(a, b))
    return pairs


def pair_features(srgb: np.ndarray, est: SceneEstimate,
                  maps: EstimateMaps | None = None) -> tuple[list[Pair], np.ndarray]:
    """The touching pairs of ``est``'s regions (an estimate of the sRGB image ``srgb``) and one row of
    :data:`FEATURES` each; ``maps``: the image's maps under ``est`` when already at hand."""
    maps = maps_for(srgb, est, maps)
    srgb = maps.srgb
    h, w, _ = srgb.shape
    objects = est.objects
    masks = [o.region.mask for o in objects]
    pairs = touching_pairs(masks)
    if not pairs:
        return [], np.zeros((0, len(FEATURES)))
    bg = est.background
    empty = np.zeros((h, w), bool)
    ground = bg.ground_mask if bg.ground_mask is not None else empty
    shadow = bg.shadow_mask if bg.shadow_mask is not None else empty
    lit = ground & ~shadow
    lab = rgb2lab(ndi.median_filter(srgb, size=(3, 3, 1)))
    lum, grad = maps.lum, maps.grad
    ground_lum = float(np.median(lum[lit])) if lit.any() else float(np.median(lum))
    ground_lab = np.median(lab[lit], axis=0) if lit.any() else np.median(lab.reshape(-1, 3), axis=0)
    sils = maps.silhouettes(objects)
    drawn = np.any(maps.footprints(objects), axis=0)
    med = [np.median(lab[m], axis=0) for m in masks]
    solid = [_solidity(m) for m in masks]
    cost = [min((f.cost for f in o.fits.values()), default=1.0) for o in objects]
    iou = [float((s & m).sum()) / max(float((s | m).sum()), 1.0) for s, m in zip(sils, masks)]
    rows = []
    for p in pairs:
        a, b = masks[p.small], masks[p.large]
        la, lb = med[p.small], med[p.large]
        na, nb = float(a.sum()), float(b.sum())
        border = (a & ndi.binary_dilation(b)) | (b & ndi.binary_dilation(a))
        inner = ndi.binary_erosion(a) | ndi.binary_erosion(b)
        inside_grad = float(np.median(grad[inner])) if inner.any() else float(np.median(grad[a | b]))
        union = a | b
        ur = np.nonzero(union)[0]
        height = max(int(ur.max() - ur.min() + 1), 1)
        ra, rb = np.nonzero(a)[0], np.nonzero(b)[0]
        rows.append([
            float(np.log(na)), float(np.log(nb)), na / (na + nb),
            float(np.linalg.norm(la - lb)), float(la[0] - lb[0]), _chroma(la), _chroma(lb),
            float(np.hypot(la[1] - lb[1], la[2] - lb[2])), _hue_gap(la, lb),
            _separation(lab[a][:, 1:], lab[b][:, 1:]),
            float(np.log((float(grad[border].mean()) + 1e-3) / (inside_grad + 1e-3))),
            float((a & ndi.binary_dilation(b)).sum()) / np.sqrt(na),
            _solidity(union), solid[p.small], solid[p.large],
            cost[p.small], cost[p.large], iou[p.small], iou[p.large],
            float((a & sils[p.large]).sum()) / na, float((b & sils[p.small]).sum()) / nb,
            (ra.mean() - rb.mean()) / height, (ra.min() - rb.min()) / height, (ra.max() - rb.max()) / height,
            _columns_overlap(a, b),
            float(objects[p.small].appearance.metallic), float(objects[p.large].appearance.metallic),
            float(drawn[a].mean()),
            float(np.log((lum[a].mean() + 1e-4) / (ground_lum + 1e-4))),
            float(np.log((lum[b].mean() + 1e-4) / (ground_lum + 1e-4))),
            spread(lum[a]),
            float(np.linalg.norm(la - ground_lab)),
        ])
    return pairs, np.asarray(rows, float).reshape(len(pairs), len(FEATURES))


@functools.cache
def load_model(path: Path = MODEL_PATH) -> dict:
    return read_model(path, FEATURES)


def same_probability(features: np.ndarray, model: dict) -> np.ndarray:
    """The model's probability that each row's pair of regions is one object."""
    return forest_probability(features, model["trees"])


def best_join(srgb: np.ndarray, est: SceneEstimate, model: dict | None = None,
              maps: EstimateMaps | None = None, exclude: frozenset[frozenset[int]] = frozenset()) -> Pair | None:
    """The touching pair the model trusts most to be one object, above its threshold; None when there is none.
    ``exclude``: pairs (as sets of object indices) that another step has just decided are two objects."""
    model = model or load_model()
    pairs, X = pair_features(srgb, est, maps)
    if not pairs:
        return None
    p = same_probability(X, model)
    for i in np.argsort(-p, kind="stable"):
        if p[i] <= float(model["threshold"]):
            return None
        if frozenset((pairs[i].small, pairs[i].large)) not in exclude:
            return pairs[i]
    return None

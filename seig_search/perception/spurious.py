"""Found objects that are no object: a learned model over cues of the finished estimate.

Each rule before this one settles one kind of mistake with hand-set thresholds, and each was tuned on the
development scenes; what reaches the end are regions that no single cue gives away: a patch of shade with a
crisp edge, a reflection cut off a metal, a highlight segmented apart. Together the cues below separate them
well (cross-validated area under the ROC curve 0.987 on 4047 found regions of 930 development scenes), so a
forest of extremely randomised trees weighs them, and the object it calls spurious with probability above its
threshold is dropped (at most one per image, never the last one).

The model lives in ``spurious_model.json`` beside this module, written by
``benchmarks/train_spurious_filter.py`` from rendered scenes with known objects (a forest's trees, applied with
numpy through ``forest.py``, or a logistic model's weights); the file records the scenes and settings it came
from. The number of found objects is not a cue: the generated scenes hold three to six objects, and a model
would learn that cap rather than anything about images.

Every cue is computed from the estimate alone (regions, fitted primitives, camera, key light, ground and shadow
masks) and the image, so the model applies to any image the rest of perception handles.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from skimage.color import rgb2lab

from seig_search.perception.colorspace import chromaticity
from seig_search.perception.estimate_maps import EstimateMaps, maps_for
from seig_search.perception.forest import forest_probability
from seig_search.perception.model_file import read_model
from seig_search.perception.shadow_objects import spread
from seig_search.perception.types import SceneEstimate

MODEL_PATH = Path(__file__).with_name("spurious_model.json")

# name -> what it measures, for the training script and the docs
FEATURES: dict[str, str] = {
    "thick": "largest distance from the region's outline to its inside (pixels): real objects are solid",
    "cost": "outline-fit cost of the best primitive (fit.py)",
    "chroma_p90": "90th percentile of CIELAB chroma: most objects carry a colour, shade does not",
    "cv": "linear brightness, standard deviation over mean: shading and highlights vary, shade is even",
    "chroma_gap": "L1 distance of the mean linear chromaticity to the lit ground's",
    "b_obj": "share of the one-pixel ring around the region on other found regions",
    "b_ground": "share of that ring on lit ground",
    "nb_area": "area of the neighbour sharing most of the ring, over the region's",
    "in_drawn": "share of the region inside the other objects' drawn cast shadows",
    "own_match": "share of its own drawn cast shadow (off every silhouette) the shadow mask shows; -1 if none",
    "iou": "intersection over union of the region and its fitted primitive's silhouette",
    "crisp_in": "75th percentile of the colour gradient inside the region",
    "row": "centroid row over the image height",
    "aspect": "bounding-box height over width",
    "shadow_ratio": "shadowed over lit ground brightness (ambient share)",
}


def region_features(srgb: np.ndarray, est: SceneEstimate, maps: EstimateMaps | None = None) -> np.ndarray:
    """One row of :data:`FEATURES` per object of ``est`` (an estimate of the sRGB image ``srgb``); ``maps``:
    the image's maps under ``est`` when already at hand."""
    maps = maps_for(srgb, est, maps)
    srgb = maps.srgb
    h, w, _ = srgb.shape
    objects = est.objects
    n = len(objects)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    bg = est.background
    empty = np.zeros((h, w), bool)
    ground = bg.ground_mask if bg.ground_mask is not None else empty
    shadow = bg.shadow_mask if bg.shadow_mask is not None else empty
    lin, lum, grad = maps.lin, maps.lum, maps.grad
    chroma = np.hypot(*np.moveaxis(rgb2lab(srgb)[..., 1:], -1, 0))
    lit = ground & ~shadow
    ground_chroma = chromaticity(np.median(lin[lit], axis=0) if lit.any() else np.full(3, 0.1))
    drawn = maps.footprints(objects)
    sils = maps.silhouettes(objects)
    label = np.zeros((h, w), int)
    for k, o in enumerate(objects):
        label[o.region.mask] = k + 1
    covered = (label > 0) | np.any(sils, axis=0)
    areas = np.array([o.region.mask.sum() for o in objects], float)
    rows = []
    for i, o in enumerate(objects):
        m = o.region.mask
        area = max(float(areas[i]), 1.0)
        ring = ndi.binary_dilation(m) & ~m
        ring_n = max(float(ring.sum()), 1.0)
        near = label[ring]
        near = near[(near > 0) & (near != i + 1)]
        nb_area = float(areas[np.bincount(near).argmax() - 1]) / area if near.size else 0.0
        others = np.any([d for k, d in enumerate(drawn) if k != i], axis=0) if n > 1 else empty
        own = drawn[i] & ~covered & ~others
        r0, c0, r1, c1 = o.region.bbox
        rows.append([
            float(ndi.distance_transform_edt(np.pad(m, 1)).max()),
            min((f.cost for f in o.fits.values()), default=1.0),
            float(np.percentile(chroma[m], 90)),
            spread(lum[m]),
            float(np.abs(chromaticity(lin[m].mean(axis=0)) - ground_chroma).sum()),
            float((ring & (label > 0)).sum()) / ring_n,
            float((ring & lit).sum()) / ring_n,
            nb_area,
            float(others[m].mean()),
            float(shadow[own].mean()) if own.any() else -1.0,
            float((sils[i] & m).sum()) / max(float((sils[i] | m).sum()), 1.0),
            float(np.percentile(grad[m], 75)),
            o.region.centroid[0] / h,
            (r1 - r0) / max(c1 - c0, 1),
            float(bg.shadow_ratio or 0.0),
        ])
    return np.asarray(rows, float)


@functools.cache
def load_model(path: Path = MODEL_PATH) -> dict:
    return read_model(path, FEATURES)


def spurious_probability(features: np.ndarray, model: dict) -> np.ndarray:
    """The model's probability that each row's object is spurious: a forest's trees where the model file
    holds them (forest.py), else its logistic weights."""
    if "trees" in model:
        return forest_probability(features, model["trees"])
    z = (features - np.asarray(model["mean"])) / np.asarray(model["scale"])
    return 1.0 / (1.0 + np.exp(-(z @ np.asarray(model["coef"]) + float(model["intercept"]))))


def spurious_objects(srgb: np.ndarray, est: SceneEstimate, model: dict | None = None,
                     maps: EstimateMaps | None = None) -> list[int]:
    """Indices of the objects of ``est`` to drop as spurious, most likely first: those above the model's
    threshold, at most its ``max_drops`` (1 where the file names none), never the last object."""
    if len(est.objects) < 2:
        return []
    model = model or load_model()
    p = spurious_probability(region_features(srgb, est, maps), model)
    order = [int(i) for i in np.argsort(-p, kind="stable") if p[i] > float(model["threshold"])]
    return order[:min(int(model.get("max_drops", 1)), len(est.objects) - 1)]


"""A learned look at each pixel: object, or ground and its shadows?

The background analysis decides object pixels by hand-set tests (departure from the fitted ground colour, a
shadow's chromaticity and level, crisp inner edges). Where they go wrong the count goes wrong with them: a patch
of shade or lamp light kept as an object, a grey object or a dark face taken for shadow, a band of shadow
joining two objects into one region. With the true object pixels in place of the tests' foreground, count exact
on 160 generated scenes rises from 0.79 to 0.89, more than any step after it could add.

This step weighs the same kinds of cues per pixel at once, in the manner of the spurious-object check: its
colour and brightness against the fitted ground field, local contrast and edges, how deep it lies inside the
foreground or the shadow mask, and the size and colour of its foreground blob. A forest of randomised trees,
fitted on generated scenes with an index pass (``benchmarks/train_object_pixels.py``) and shipped as arrays
(``forest.py``), gives each pixel a probability of being an object; smoothed over its neighbours, foreground
pixels well below one half leave the foreground, shadow pixels well above it join.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.background import edged_shadow_blobs
from seig_search.perception.colorspace import srgb_to_linear, to_lab
from seig_search.perception.concavity import solidity
from seig_search.perception.forest import forest_probability
from seig_search.perception.model_file import read_model
from seig_search.perception.shadow_objects import MIN_PIECE_SHARE, outline_gradient, spread
from seig_search.perception.types import Background

MODEL_PATH = Path(__file__).with_name("object_pixels_model.json")

FEATURES = {
    "lightness": "CIELAB L* of the (denoised) pixel",
    "chroma": "CIELAB chroma",
    "lightness_over_ground": "L* minus the fitted ground field's L* there",
    "ab_from_ground": "a*b* distance to the ground field there",
    "log_ratio": "log of linear brightness over the ground field's",
    "log_ratio_over_shadow": "log ratio minus the log of the scene's shadow level",
    "gradient": "CIELAB colour gradient (Lab units per pixel)",
    "gradient_max_5": "largest colour gradient within 2 pixels",
    "lightness_std_5": "spread of L* over the 5x5 neighbourhood",
    "ab_from_ground_mean_7": "mean a*b* distance to the ground over the 7x7 neighbourhood",
    "log_ratio_mean_7": "mean log ratio over the 7x7 neighbourhood",
    "in_foreground": "1 where the hand-set tests call the pixel an object",
    "in_shadow": "1 where they call it cast shadow",
    "depth_in_foreground": "distance to the nearest pixel outside the foreground (0 outside it)",
    "depth_in_shadow": "distance to the nearest pixel outside the shadow mask (0 outside it)",
    "distance_to_lit_ground": "distance to the nearest lit ground pixel",
    "distance_to_foreground": "distance to the nearest foreground pixel (0 inside it)",
    "blob_log_size": "log pixel count of the pixel's foreground blob (0 outside the foreground)",
    "blob_chroma_90": "90th percentile chroma of that blob",
    "blob_log_ratio": "median log ratio of that blob",
    "foreground_share_11": "share of foreground over the 11x11 neighbourhood",
    "shadow_share_11": "share of shadow over the 11x11 neighbourhood",
    "row": "row over the image height",
}

# Cues that live at the noise level are floored there. In the generated scenes a grey object is exactly
# achromatic while the ground in shade takes a trace of the world's tint, so a model could learn to tell them
# by chroma differences under one CIELAB unit: a property of that generator, not of objects and shadows, and a
# noiseless image (a clean render, a drawing) would fall outside every training example. The floors sit at
# about the 25th percentile of the ground-shadow pixels' values in the 930 training scenes.
NOISE_FLOORS = {"chroma": 1.0, "ab_from_ground": 1.0, "ab_from_ground_mean_7": 1.0, "gradient": 1.0,
                "gradient_max_5": 2.0, "lightness_std_5": 1.0}

SMOOTH_PX = 3  # probabilities are averaged over this window: single pixels do not flip
DROP_BELOW = 0.5  # a foreground pixel whose smoothed probability is below this leaves the foreground
ADD_ABOVE = 0.5  # a shadow pixel above this joins it (chosen on 2 x 160 scenes the model was not fitted on)


@functools.cache
def load_model(path: Path = MODEL_PATH) -> dict | None:
    """The shipped model, None when the file is missing (the step is then skipped)."""
    if not Path(path).exists():
        return None
    return read_model(path, FEATURES)


def pixel_features(smooth: np.ndarray, bg: Background, fg: np.ndarray, lab: np.ndarray | None = None) -> np.ndarray:
    """HxWxF cues of every pixel (``FEATURES``, in order) of the denoised sRGB image ``smooth``, given the
    background analysis ``bg`` (its ground field) and the foreground ``fg`` it leads to."""
    h, w, _ = smooth.shape
    lab = to_lab(smooth) if lab is None else lab  # CIELAB of ``smooth``, when the caller has it
    field = bg.ground_field if bg.ground_field is not None else np.broadcast_to(
        np.median(lab.reshape(-1, 3), axis=0), lab.shape)
    from skimage.color import lab2rgb

    lum = srgb_to_linear(smooth).sum(axis=2)
    g_lum = srgb_to_linear(np.clip(lab2rgb(field), 0.0, 1.0)).sum(axis=2)
    log_ratio = np.log(np.maximum(lum, 1e-4) / np.maximum(g_lum, 1e-4))
    level = np.log(max(bg.shadow_ratio or 0.3, 1e-3))
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    ab_dist = np.hypot(lab[..., 1] - field[..., 1], lab[..., 2] - field[..., 2])
    grad = np.sqrt(sum(ndi.sobel(lab[..., k], 0) ** 2 + ndi.sobel(lab[..., k], 1) ** 2 for k in range(3))) / 8.0
    L = lab[..., 0]
    l_std = np.sqrt(np.maximum(ndi.uniform_filter(L * L, 5) - ndi.uniform_filter(L, 5) ** 2, 0.0))
    shadow = bg.shadow_mask if bg.shadow_mask is not None else np.zeros((h, w), bool)
    ground = bg.ground_mask if bg.ground_mask is not None else np.zeros((h, w), bool)
    lit = ground & ~shadow

    def dist_to(mask: np.ndarray) -> np.ndarray:
        return ndi.distance_transform_edt(~mask) if mask.any() else np.full((h, w), float(max(h, w)))

    labels, n = ndi.label(fg)
    blob_size = np.zeros(n + 1)
    blob_chroma = np.zeros(n + 1)
    blob_ratio = np.zeros(n + 1)
    if n:
        idx = np.arange(1, n + 1)
        blob_size[1:] = np.log(ndi.sum(np.ones((h, w)), labels, idx))
        blob_chroma[1:] = ndi.labeled_comprehension(chroma, labels, idx, lambda v: np.percentile(v, 90), float, 0.0)
        blob_ratio[1:] = ndi.labeled_comprehension(log_ratio, labels, idx, np.median, float, 0.0)
    cues = [
        L, chroma, L - field[..., 0], ab_dist, log_ratio, log_ratio - level, grad, ndi.maximum_filter(grad, 5),
        l_std, ndi.uniform_filter(ab_dist, 7), ndi.uniform_filter(log_ratio, 7), fg.astype(float),
        shadow.astype(float), ndi.distance_transform_edt(fg), ndi.distance_transform_edt(shadow), dist_to(lit),
        dist_to(fg), blob_size[labels], blob_chroma[labels], blob_ratio[labels],
        ndi.uniform_filter(fg.astype(float), 11), ndi.uniform_filter(shadow.astype(float), 11),
        np.broadcast_to((np.arange(h) / h)[:, None], (h, w)),
    ]
    X = np.stack([np.asarray(c, float) for c in cues], axis=-1)
    return floor_noise(X)


def floor_noise(X: np.ndarray) -> np.ndarray:
    """``X`` (..., F) with the noise-level cues raised to ``NOISE_FLOORS``."""
    names = list(FEATURES)
    for name, floor in NOISE_FLOORS.items():
        k = names.index(name)
        X[..., k] = np.maximum(X[..., k], floor)
    return X


def object_probability(smooth: np.ndarray, bg: Background, fg: np.ndarray, model: dict,
                       lab: np.ndarray | None = None) -> np.ndarray:
    """HxW probability that each pixel shows an object, smoothed over ``SMOOTH_PX``; exact on the foreground
    and the shadow mask (the pixels the step may move), 0 on the lit ground beyond their smoothing window."""
    X = pixel_features(smooth, bg, fg, lab)
    h, w, f = X.shape
    shadow = bg.shadow_mask if bg.shadow_mask is not None else np.zeros((h, w), bool)
    # the trees are the step's cost: only pixels that can move, and the neighbours their average reads
    rows = ndi.binary_dilation(fg | shadow, structure=np.ones((SMOOTH_PX, SMOOTH_PX)))
    p = np.zeros((h, w))
    if rows.any():
        p[rows] = forest_probability(X[rows], model["trees"])
    return ndi.uniform_filter(p, SMOOTH_PX)


KEEP_VARIED_BLOBS = True  # a blob the model would drop whole stays when it varies and is convex as objects are
BLOB_MIN_SPREAD = 0.6  # std over mean of linear brightness: shadows measured 0.02-0.5 (shadow_objects.py)
BLOB_MIN_SOLIDITY = 0.8  # area over convex hull area: a primitive's outline, not a ragged shadow
# and at least shadow_objects.MIN_PIECE_SHARE of the image: in cluttered photos smaller dark blobs with a bright
# pixel or two are common (three of 15-36 px in the YCB frames of ../shared/benchmarks at 128 px)


def varied_blobs_dropped(fg: np.ndarray, new_fg: np.ndarray, lum: np.ndarray) -> np.ndarray:
    """The blobs of ``fg`` that ``new_fg`` keeps no pixel of, yet large enough, whose brightness ``lum``
    (linear) varies as over an object's faces and highlight and whose outline is convex: a black metal sphere's
    highlight and dark body look like shadow to the per-pixel cues, one pixel at a time."""
    labels, n = ndi.label(fg)
    keep = np.zeros(fg.shape, bool)
    min_px = max(10, int(MIN_PIECE_SHARE * fg.size))
    for k in range(1, n + 1):
        blob = labels == k
        if blob.sum() < min_px or (blob & new_fg).any():
            continue
        if spread(lum[blob]) < BLOB_MIN_SPREAD or solidity(blob) < BLOB_MIN_SOLIDITY:
            continue
        keep |= blob
    return keep


FLAT_GREY_MIN_SHARE = 0.006  # of the image (98 px at 128 x 128): a dropped piece this large may be a grey object
FLAT_GREY_SOLIDITY = 0.8  # ... when its outline is convex,
FLAT_GREY_EDGE = 11.0  # ... crisp (75th percentile of the Lab gradient along it; shadow_objects.MIN_OUTLINE_GRADIENT
# is 8, where the piece also varies as a grey object's faces do; this one may be evenly lit),
FLAT_GREY_LEVELS = (0.25, 0.65)  # ... its median linear brightness this share of the lit ground's,
FLAT_GREY_MAX_CHROMA = 0.1  # ... colourless (CIELAB chroma, median) where the image's shadows are tinted
FLAT_GREY_SHADE_TINT = 0.5  # (median chroma of the shadow mask at least this): a shade takes the ambient
# light's tint, a surface the key light reaches does not; under a colourless ambient the two look alike,
FLAT_GREY_MAX_CONTACT = 0.2  # ... and it stands apart: this share of its outline at most on kept foreground
REKEEP_FLAT_GREY = True


def flat_grey_pieces(fg: np.ndarray, new_fg: np.ndarray, smooth: np.ndarray, lab: np.ndarray, lum: np.ndarray,
                     ground: np.ndarray, shadow: np.ndarray) -> np.ndarray:
    """The pieces of ``fg`` that ``new_fg`` leaves out and that look like an evenly lit grey object rather than
    shade: large, convex, crisply outlined, colourless where the shadows are tinted, mid-dark and standing
    apart. Such an object (a grey sphere or box under a soft key light) has a shadow's level and flatness, and
    the per-pixel cues take it for one; a cast shadow carries the ambient light's tint and meets its caster.
    ``lum``: linear r+g+b of ``smooth``."""
    from seig_search.perception.segment import colour_gradient

    keep = np.zeros(fg.shape, bool)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    if not ground.any() or not shadow.any() or float(np.median(chroma[shadow])) < FLAT_GREY_SHADE_TINT:
        return keep
    labels, n = ndi.label(fg & ~new_fg)
    large = np.flatnonzero(np.bincount(labels.ravel(), minlength=n + 1)[1:] >= FLAT_GREY_MIN_SHARE * fg.size) + 1
    if large.size == 0:
        return keep
    ground_level = max(float(np.median(lum[ground])), 1e-6)
    gradient = None
    for k in large:
        piece = labels == k
        level = float(np.median(lum[piece])) / ground_level
        if not FLAT_GREY_LEVELS[0] <= level <= FLAT_GREY_LEVELS[1]:
            continue
        if float(np.median(chroma[piece])) > FLAT_GREY_MAX_CHROMA:
            continue
        if solidity(piece) < FLAT_GREY_SOLIDITY:
            continue
        ring = ndi.binary_dilation(piece) & ~piece
        if (ring & new_fg).sum() > FLAT_GREY_MAX_CONTACT * ring.sum():
            continue
        gradient = colour_gradient(smooth) if gradient is None else gradient
        if outline_gradient(piece, gradient) >= FLAT_GREY_EDGE:
            keep |= piece
    return keep


def refine_foreground(smooth: np.ndarray, bg: Background, fg: np.ndarray, min_size: int,
                      model: dict | None = None) -> tuple[Background, np.ndarray]:
    """The foreground and background masks with the pixels the model disagrees on moved: foreground pixels
    unlikely to be objects become shadow (darker than the lit ground) or ground, shadow pixels likely to be
    objects join the foreground. Unchanged when no model is shipped or the image has no ground."""
    from seig_search.perception.segment import drop_small

    model = model if model is not None else load_model()
    if model is None or bg.ground_mask is None or not bg.ground_mask.any():
        return bg, fg
    lab = to_lab(smooth)
    p = object_probability(smooth, bg, fg, model, lab)
    shadow = bg.shadow_mask if bg.shadow_mask is not None else np.zeros(fg.shape, bool)
    drop = fg & (p < float(model.get("drop_below", DROP_BELOW)))
    # only shadow blobs with crisp edges inside may give pixels, whatever the model says of a flat one (a dark,
    # noiseless cast shadow lies outside what the model was fitted on)
    labels, n, edged = edged_shadow_blobs(lab[..., 0], shadow)
    add = shadow & (p > float(model.get("add_above", ADD_ABOVE))) & np.concatenate([[False], edged])[labels]
    if not drop.any() and not add.any():
        return bg, fg
    new_fg = drop_small((fg & ~drop) | add, min_size)
    lum = srgb_to_linear(smooth).sum(axis=2)
    if KEEP_VARIED_BLOBS:
        new_fg = new_fg | varied_blobs_dropped(fg, new_fg, lum)
    if REKEEP_FLAT_GREY:
        new_fg = new_fg | flat_grey_pieces(fg, new_fg, smooth, lab, lum, bg.ground_mask, shadow)
    left = fg & ~new_fg  # what leaves the foreground goes to the shadow or the ground by its brightness
    field = bg.ground_field if bg.ground_field is not None else lab
    darker = lab[..., 0] < field[..., 0] - 5.0
    new_shadow = (shadow & ~new_fg) | (left & darker)
    new_ground = (bg.ground_mask & ~new_fg) | (left & ~darker)
    return replace(bg, shadow_mask=new_shadow, ground_mask=new_ground & ~new_shadow), new_fg

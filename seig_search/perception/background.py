"""Background analysis: the ground plane's colour field, cast shadows on it, and the world above its edge.

The ground under a sun is close to a smooth colour field; a robust low-order polynomial fit in Lab captures
it, and whatever departs from it is an object, a shadow (same chromaticity, uniformly darker) or the world.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from seig_search.perception.colorspace import chromaticity, srgb_to_linear, to_lab
from seig_search.perception.types import Background


def _design(rows: np.ndarray, cols: np.ndarray, h: int, w: int) -> np.ndarray:
    y = rows / max(h - 1, 1) * 2.0 - 1.0
    x = cols / max(w - 1, 1) * 2.0 - 1.0
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


def fit_ground_field(lab: np.ndarray, seed_mask: np.ndarray, iterations: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Robust quadratic fit of each Lab channel over ``seed_mask``; returns (field HxWx3, inlier mask)."""
    h, w, _ = lab.shape
    rr, cc = np.mgrid[0:h, 0:w]
    a_all = _design(rr.ravel().astype(float), cc.ravel().astype(float), h, w)
    vals = lab.reshape(-1, 3).astype(float)
    use = seed_mask.ravel().copy()
    field = np.zeros_like(vals)
    for _ in range(iterations):
        if use.sum() < 12:
            break
        coef, *_ = np.linalg.lstsq(a_all[use], vals[use], rcond=None)
        field = a_all @ coef
        res = np.linalg.norm(vals - field, axis=1)
        sigma = 1.4826 * np.median(res[use]) + 1e-6
        use = seed_mask.ravel() & (res < max(3.0 * sigma, 4.0))
    return field.reshape(h, w, 3).astype(np.float32), use.reshape(h, w)


MAX_SHADOW_RATIO = 0.45  # shadowed over lit ground; brighter "shadows" are grey objects (or no key light)


def _dominant_colour_seed(lab: np.ndarray, h: int, radius: float = 10.0) -> np.ndarray:
    """Pixels within ``radius`` (Lab) of the most common colour of the image's lower two thirds."""
    lower = lab[h // 3 :].reshape(-1, 3)
    q = np.floor(lower / np.array([4.0, 4.0, 4.0])).astype(np.int32)
    keys, inv, counts = np.unique(q, axis=0, return_inverse=True, return_counts=True)
    # smooth the histogram over neighbouring bins by voting with a 3x3x3 neighbourhood
    table = {tuple(k): c for k, c in zip(keys.tolist(), counts.tolist())}
    best, best_votes = None, -1
    for k in keys[np.argsort(-counts)[:64]].tolist():
        votes = sum(table.get((k[0] + a, k[1] + b, k[2] + c), 0)
                    for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1))
        if votes > best_votes:
            best, best_votes = k, votes
    members = np.all(np.abs(q - np.array(best)) <= 1, axis=1)
    mode = np.median(lower[members], axis=0)
    return np.linalg.norm(lab - mode, axis=2) < radius


def denoise(srgb: np.ndarray) -> np.ndarray:
    """A 3x3 median per channel: removes render and sensor noise, keeps edges."""
    if min(srgb.shape[:2]) < 32:
        return srgb
    return ndi.median_filter(srgb, size=(3, 3, 1))


def _world_colour(lab: np.ndarray, field: np.ndarray, thr: float) -> np.ndarray | None:
    """Lab colour of the world when the top border shows something other than ground."""
    top = lab[0]
    off = np.linalg.norm(top - field[0], axis=1) > thr
    if off.mean() < 0.15:
        return None
    return np.median(top[off], axis=0)


def analyse_background(srgb: np.ndarray, ground_threshold: float = 7.0) -> Background:
    """Split an opaque image into ground, shadow and world pixels (the rest is foreground)."""
    h, w, _ = srgb.shape
    srgb = denoise(srgb)
    lab = to_lab(srgb)
    # Seed: pixels near the dominant colour of the lower two thirds (the ground covers most of any
    # table-top or CLEVR-like view); the robust fit then follows its gentle shading gradient.
    seed = _dominant_colour_seed(lab, h)
    field, _ = fit_ground_field(lab, seed)
    for _ in range(2):  # grow the seed along the fitted field, refit
        seed = np.linalg.norm(lab - field, axis=2) < ground_threshold * 1.3
        field, _ = fit_ground_field(lab, seed)
    diff = lab - field
    d_e = np.linalg.norm(diff, axis=2)
    ground = d_e < ground_threshold

    world_lab = _world_colour(lab, field, ground_threshold * 1.5)
    world = np.zeros((h, w), bool)
    horizon = None
    if world_lab is not None:
        near_world = (np.linalg.norm(lab - world_lab, axis=2) < ground_threshold * 1.5) & ~ground
        labels, _ = ndi.label(near_world)
        top_labels = np.unique(labels[0][labels[0] > 0])
        world = np.isin(labels, top_labels)
        rows_with_world = world.mean(axis=1)
        below = np.nonzero(rows_with_world > 0.5)[0]
        horizon = float(below.max() + 1) if below.size else None
        # Refit the ground below the world so the world's pixels never pull the field.
        field, _ = fit_ground_field(lab, seed & ~world)
        d_e = np.linalg.norm(lab - field, axis=2)
        ground = (d_e < ground_threshold) & ~world

    world_lin = srgb_to_linear(np.median(srgb[world], axis=0)) if world.any() else None
    shadow, ratio = _shadow_mask(srgb, ground, world, world_lin)
    ground_srgb = tuple(float(v) for v in np.median(srgb[ground], axis=0)) if ground.any() else None
    world_srgb = tuple(float(v) for v in np.median(srgb[world], axis=0)) if world.any() else (0.05, 0.05, 0.05)
    return Background(
        world_srgb=world_srgb,  # type: ignore[arg-type]
        ground_srgb=ground_srgb,  # type: ignore[arg-type]
        horizon_row=horizon,
        ground_mask=ground,
        shadow_mask=shadow,
        world_mask=world,
        shadow_ratio=ratio,
    )


def _shadow_mask(srgb, ground, world, world_lin) -> tuple[np.ndarray, float | None]:
    """Pixels darker than the ground with the ground's chromaticity and a common darkening ratio.

    Cast shadows under one key light darken the ground by one factor (ambient over ambient plus key), so their
    brightness ratios form a sharp peak; dark objects spread over many ratios and are kept as foreground.
    A shadow is lit by the world only, so its chromaticity may lean towards the world colour.
    """
    empty = np.zeros(ground.shape, bool)
    if not ground.any():
        return empty, None
    lin = srgb_to_linear(srgb)
    g_lin = np.median(lin[ground], axis=0)
    chrom = chromaticity(lin)
    ratio = lin.sum(axis=2) / max(float(g_lin.sum()), 1e-4)
    refs = [chromaticity(g_lin)]
    if world_lin is not None:
        refs.append(chromaticity(g_lin * np.maximum(world_lin, 1e-3)))
    dist = np.min([np.linalg.norm(chrom - r[None, None, :], axis=2) for r in refs], axis=0)
    # dark pixels carry quantisation noise in their chromaticity: widen the tolerance there
    tol = 0.035 + 0.004 / np.maximum(ratio, 0.02)
    cand = (dist < tol) & (ratio < 0.7) & ~ground & ~world
    if cand.sum() < 4:
        return empty, None
    hist, edges = np.histogram(ratio[cand], bins=56, range=(0.0, 0.7))
    hist = np.convolve(hist, [1, 2, 1], mode="same")
    peak = int(np.argmax(hist))
    centre = 0.5 * (edges[peak] + edges[peak + 1])
    if centre > MAX_SHADOW_RATIO:  # that dark mode is a grey object, not a shadow
        return empty, None
    # darker than the peak counts too: contact shadows under objects get less ambient light
    level = ratio < centre + 0.03 + 0.3 * centre
    shadow = cand & level
    # Hysteresis: shadow pixels tinted by light bounced off a coloured object next to them (looser
    # chromaticity) count when they connect to clear shadow.
    loose = (dist < tol + 0.1) & level & ~ground & ~world
    labels, n = ndi.label(loose)
    if n:
        hit = np.zeros(n + 1, bool)
        hit[np.unique(labels[shadow])] = True
        hit[0] = False
        shadow = shadow | hit[labels]
    # speckle inside a shadow (render noise, texture) is still shadow; object pixels stay outside
    shadow = shadow | (ndi.binary_closing(shadow, iterations=1) & loose)
    # A cast shadow always touches the object casting it; a dark, ground-coloured blob surrounded by lit
    # ground is a grey object instead.
    labels, n = ndi.label(shadow, structure=np.ones((3, 3)))
    if n:
        other = ~ground & ~world & ~shadow
        near_other = ndi.binary_dilation(other, iterations=2)
        touch = np.zeros(n + 1, bool)
        touch[np.unique(labels[near_other & shadow])] = True
        touch[0] = False
        shadow = touch[labels]
    return shadow, float(centre)

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
    """The ground's colour field: a robust quadratic plus a smooth residual (normalised convolution).

    The quadratic follows a sun's gentle gradient; the residual follows what it cannot, such as the pool of
    light a point lamp throws on the ground, interpolating smoothly under objects.
    """
    field, inliers = _fit_quadratic(lab, seed_mask, iterations)
    h, w, _ = lab.shape
    sigma = 0.06 * max(h, w)
    wgt = ndi.gaussian_filter(inliers.astype(np.float32), sigma)
    resid = np.where(inliers[..., None], lab - field, 0.0)
    smooth = np.stack([ndi.gaussian_filter(resid[..., k], sigma) for k in range(3)], axis=2)
    ok = wgt > 0.05
    field = field + np.where(ok[..., None], smooth / np.maximum(wgt, 1e-6)[..., None], 0.0)
    return field.astype(np.float32), inliers


def _fit_quadratic(lab: np.ndarray, seed_mask: np.ndarray, iterations: int = 4) -> tuple[np.ndarray, np.ndarray]:
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


MAX_SHADOW_RATIO = 0.6  # shadowed over lit ground; brighter "shadows" are grey objects (or no key light)


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
    for _ in range(3):  # grow the seed along the fitted field, refit
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

    ground = _grow_pools(lab, field, ground, world)
    world_lin = srgb_to_linear(np.median(srgb[world], axis=0)) if world.any() else None
    shadow, ratio = _shadow_mask(srgb, field, ground, world, world_lin)
    shadow, ratio = _grey_objects_in_shadow(srgb, lab, field, ground, shadow, ratio)
    shadow = _glossy_objects_in_shadow(srgb, lab, field, ground, world, shadow)
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
        ground_field=field,
    )


POOL_MAX_GRADIENT = 3.0  # Lab units per pixel: a pool of lamp light fades slower than this, outlines are crisper
POOL_MAX_CHROMA = 6.0  # Lab a*b* distance to the ground field within which a bright smooth patch is lit ground


def _grow_pools(lab: np.ndarray, field: np.ndarray, ground: np.ndarray, world: np.ndarray) -> np.ndarray:
    """Add pools of lamp light to the ground: brighter than the fitted field, its chromaticity, no crisp edge.

    The fitted field cannot follow a bright pool's peak, so its core departs from the field; but a pool fades
    smoothly into the ground around it, while an object is cut off from the ground by its outline. The
    bright, ground-coloured patches reached from the ground without crossing an edge are ground.
    """
    grad = np.sqrt(sum(ndi.sobel(lab[..., k], 0) ** 2 + ndi.sobel(lab[..., k], 1) ** 2 for k in range(3))) / 8.0
    d_l = lab[..., 0] - field[..., 0]
    d_ab = np.linalg.norm(lab[..., 1:] - field[..., 1:], axis=2)
    cand = ~ground & ~world & (d_l > 0.0) & (d_ab < POOL_MAX_CHROMA) & (grad < POOL_MAX_GRADIENT)
    if not cand.any():
        return ground
    labels, n = ndi.label(cand | ground, structure=np.ones((3, 3)))
    hit = np.zeros(n + 1, bool)
    hit[np.unique(labels[ground])] = True
    hit[0] = False
    return ground | (cand & hit[labels])


def _shadow_mask(srgb, field_lab, ground, world, world_lin) -> tuple[np.ndarray, float | None]:
    """Ground pixels in shadow: darker than the local ground, with its chromaticity, next to an object.

    Brightness is compared with the fitted ground field at the same pixel, so pools of lamp light and soft
    penumbrae are judged locally. A shadow is lit by the world and fill lights only, so its chromaticity may
    lean towards the world colour, and light bounced off a coloured object tints it (hysteresis below). The
    returned ratio is the typical shadowed/lit brightness (the ambient share), None when no shadow is seen.
    """
    empty = np.zeros(ground.shape, bool)
    if not ground.any():
        return empty, None
    from skimage.color import lab2rgb

    lin = srgb_to_linear(srgb)
    g_lin = srgb_to_linear(np.clip(lab2rgb(field_lab), 0.0, 1.0))
    chrom = chromaticity(lin)
    ratio = lin.sum(axis=2) / np.maximum(g_lin.sum(axis=2), 1e-4)
    g_chrom = chromaticity(g_lin)
    dist = np.linalg.norm(chrom - g_chrom, axis=2)
    if world_lin is not None:
        tinted = chromaticity(g_lin * np.maximum(world_lin, 1e-3)[None, None, :])
        dist = np.minimum(dist, np.linalg.norm(chrom - tinted, axis=2))
    # dark pixels carry quantisation noise in their chromaticity: widen the tolerance there
    tol = 0.035 + 0.004 / np.maximum(ratio, 0.02)
    darker = (ratio < 0.92) & ~ground & ~world
    shadow = (dist < tol) & darker
    if shadow.sum() < 4:
        return empty, None
    # Hysteresis: tinted shadow pixels count when they connect to clear shadow.
    loose = (dist < tol + 0.1) & darker
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
    core = shadow & (ratio < MAX_SHADOW_RATIO)
    if core.sum() < 4:
        return shadow, None
    hist, edges = np.histogram(ratio[core], bins=40, range=(0.0, MAX_SHADOW_RATIO))
    hist = np.convolve(hist, [1, 2, 1], mode="same")
    peak = int(np.argmax(hist))
    return shadow, float(0.5 * (edges[peak] + edges[peak + 1]))


HIGHLIGHT_MIN_RATIO = 1.3  # a highlight is this much brighter than the ground field there
HIGHLIGHT_MAX_CHROMA = 0.05  # ... and nearly white
HIGHLIGHT_MIN_DARK_SHARE = 0.3  # share of the highlight's rim on the dark blob


def _glossy_objects_in_shadow(srgb, lab, field_lab, ground, world, shadow):
    """Take dark glossy objects back out of the shadow mask: a shadow never shows a highlight.

    A dark metal or plastic object can be as dark and as flat as a cast shadow, but it mirrors the light
    source in a small white highlight. A cast shadow is lit by the ambient only and cannot hold one, so a
    shadow blob that touches a white spot brighter than the lit ground is an object.
    """
    from skimage.color import lab2rgb

    if not shadow.any():
        return shadow
    lin3 = srgb_to_linear(srgb)
    g_lin = srgb_to_linear(np.clip(lab2rgb(field_lab), 0.0, 1.0))
    ratio = lin3.sum(axis=2) / np.maximum(g_lin.sum(axis=2), 1e-4)
    white = np.linalg.norm(chromaticity(lin3) - chromaticity(np.ones(3))[None, None, :], axis=2) < HIGHLIGHT_MAX_CHROMA
    spot = white & (ratio > HIGHLIGHT_MIN_RATIO) & ~ground & ~world & ~shadow
    if not spot.any():
        return shadow
    labels, n = ndi.label(shadow, structure=np.ones((3, 3)))
    spots, m = ndi.label(spot, structure=np.ones((3, 3)))
    hit = np.zeros(n + 1, bool)
    for k in range(1, m + 1):
        sp = spots == k
        ring = ndi.binary_dilation(sp, structure=np.ones((3, 3))) & ~sp
        if (ring & shadow).sum() >= HIGHLIGHT_MIN_DARK_SHARE * ring.sum():  # set in the dark blob, not beside it
            hit[np.unique(labels[ring & shadow])] = True
    hit[0] = False
    return shadow & ~hit[labels]


SHADOW_LEVEL_TOL = 0.3  # |log(level / shadow level)| within which a flat piece of a shadow blob is shadow
# A piece lighter than the shadow level yet darker than this share of the lit ground is shadow too: with a key
# and a fill light, the darkest shadow (both blocked, near the contact) sets the level, and the lighter shadow
# where only the key is blocked still loses most of the light (set on development seeds).
KEY_SHADOW_MAX_RATIO = 0.3


def _at_shadow_level(r: float, level: float) -> bool:
    """Is a flat piece at median ratio ``r`` (to the lit ground) a shadow, given the clean shadows' level?"""
    lr = float(np.log(max(r, 1e-3) / max(level, 1e-3)))
    return -SHADOW_LEVEL_TOL <= lr <= SHADOW_LEVEL_TOL or level <= r <= KEY_SHADOW_MAX_RATIO


EDGED_MIN_PX, EDGED_MIN_SHARE = 4, 0.03  # inner edge pixels that make a shadow blob hold more than shadow


def edged_shadow_blobs(lightness: np.ndarray, shadow: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """The 8-connected blobs of ``shadow`` (labels, count) and, per blob, whether it has crisp edges inside
    (Canny on the denoised image's L*, off the blob's own two-pixel rim): a cast shadow is one flat darkening,
    an object in it shows face edges or its outline against the shadow."""
    from skimage.feature import canny

    edges = canny(lightness, sigma=1.0, low_threshold=3.0, high_threshold=6.0)
    rim = ndi.binary_dilation(~shadow, iterations=2)  # the blob's own outline is no inner edge
    inner = edges & shadow & ~rim
    labels, n = ndi.label(shadow, structure=np.ones((3, 3)))
    if n == 0:
        return labels, 0, np.zeros(0, bool)
    idx = np.arange(1, n + 1)
    n_inner = ndi.sum(inner, labels, idx)
    size = ndi.sum(shadow, labels, idx)
    return labels, n, n_inner >= np.maximum(EDGED_MIN_PX, EDGED_MIN_SHARE * size)


def _grey_objects_in_shadow(srgb, lab, field_lab, ground, shadow, ratio_peak):
    """Take grey objects back out of the shadow mask.

    A grey object on a grey ground has the ground's chromaticity and is darker than it, as a cast shadow is.
    But a cast shadow is one flat darkening (lit by the ambient only): it has no crisp edges inside, while an
    object shows face edges and its outline against its own shadow. Shadow blobs with crisp inner edges are
    cut along them; the pieces at the level of the clean shadows (those without inner edges) stay shadow,
    the others are objects.
    """
    from skimage.color import lab2rgb

    if not shadow.any():
        return shadow, ratio_peak
    lin = srgb_to_linear(srgb).sum(axis=2)
    g_lin = srgb_to_linear(np.clip(lab2rgb(field_lab), 0.0, 1.0)).sum(axis=2)
    ratio = lin / np.maximum(g_lin, 1e-4)
    lum = lab[..., 0]
    labels, n, impure = edged_shadow_blobs(lum, shadow)
    if n == 0:
        return shadow, ratio_peak
    clean = shadow & ~impure[labels - 1].astype(bool) & (labels > 0) if n else shadow
    grad = np.hypot(ndi.sobel(lum, 0), ndi.sobel(lum, 1)) / 8.0
    flat = grad < 4.0
    if (clean & flat).sum() >= 8:
        level = float(np.median(ratio[clean & flat]))
    elif ratio_peak is not None:
        level = ratio_peak
    else:
        return shadow, ratio_peak
    from skimage.segmentation import watershed

    out = shadow.copy()
    for k in np.nonzero(impure)[0]:
        blob = labels == k + 1
        # flat zones seed a watershed on the gradient: closed pieces even where the edges have gaps
        seeds, m = ndi.label(blob & (grad < 2.5))
        if m < 2:
            continue
        pieces = watershed(grad, seeds, mask=blob)
        for j in range(1, m + 1):
            pc = pieces == j
            if not pc.any():
                continue
            r = float(np.median(ratio[pc]))
            if not _at_shadow_level(r, level):
                out[pc] = False
    return out, (level if (clean & flat).sum() >= 8 else ratio_peak)


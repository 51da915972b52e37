"""Camera estimation: field of view and pitch from the ground's far edge (horizon) and the vertical vanishing
point of upright objects' side edges, combined with priors on both; height 1 until the scene is scaled.

A single image fixes the camera only up to scale; the scale is set afterwards from a prior on object size
(``scale_to_objects``), which leaves every image-space quantity unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seig_search.perception.geometry import SENSOR_WIDTH_MM, PinholeCamera, focal_px
from seig_search.perception.types import Background, CameraEstimate

PRIOR_LENS_MM = 50.0  # Blender's default lens, also NeRF-Synthetic's (0.69 rad horizontal field of view)
PRIOR_PITCH_DEG = 30.0  # a table-top or CLEVR-style view: looking down at the objects
PITCH_RANGE_DEG = (8.0, 75.0)
HORIZON_MARGIN_DEG = 3.0
UNIT_HEIGHT = 1.0  # working camera height before scaling


def pitch_from_horizon(horizon_row: float, lens_mm: float, width: int, height: int) -> float:
    """Downward pitch that puts the horizon at ``horizon_row`` (rows above the centre mean looking down)."""
    f = focal_px(lens_mm, width, height)
    return math.degrees(math.atan((height / 2.0 - horizon_row) / f))


def initial_camera(bg: Background, width: int, height: int, lens_mm: float = PRIOR_LENS_MM, regions=None,
                   occluders: np.ndarray | None = None) -> CameraEstimate:
    """Pitch and lens from the image where it shows them, else the priors; height 1 until the scene is scaled.

    Two cues, each tying pitch and focal length together: the ground's far edge (a finite ground's edge lies a
    little below the true horizon, so the edge's pitch is raised by a small margin) fixes f * tan(pitch); the
    vertical vanishing point of upright objects' side edges fixes f / tan(pitch). The estimate is the most
    probable (pitch, lens) under both and the priors: with both cues the lens is measured, with one cue the
    priors share the correction, with none they are the answer.
    """
    return camera_from_posterior(camera_posterior(bg, width, height, lens_mm, regions, occluders), lens_mm,
                                 width, height)


def camera_from_posterior(post: "PitchPosterior", lens_mm: float, width: int, height: int) -> CameraEstimate:
    """The most probable camera (the priors themselves when no cue was seen)."""
    if post.source == "prior":
        return camera_estimate(PRIOR_PITCH_DEG, UNIT_HEIGHT, lens_mm, "prior", width, height)
    i = int(np.argmin(post.nll))
    return camera_estimate(float(post.pitches[i]), UNIT_HEIGHT, float(post.lenses[i]), post.source, width, height)


@dataclass
class PitchPosterior:
    """The camera's negative log-posterior as a function of pitch, with the most probable lens at each pitch."""

    pitches: np.ndarray  # degrees, increasing
    nll: np.ndarray  # minimum over the lens at each pitch
    lenses: np.ndarray  # mm, the argmin lens at each pitch
    source: str  # "horizon", "cues" or "prior"

    def at(self, pitch: float) -> tuple[float, float]:
        """(nll, lens) at ``pitch`` (linear interpolation on the grid)."""
        return (float(np.interp(pitch, self.pitches, self.nll)), float(np.interp(pitch, self.pitches, self.lenses)))


def camera_posterior(bg: Background, width: int, height: int, lens_mm: float = PRIOR_LENS_MM, regions=None,
                     occluders: np.ndarray | None = None) -> PitchPosterior:
    """The pitch posterior under the horizon and vertical-edge cues (see ``initial_camera``)."""
    horizon_row = bg.horizon_row if bg.horizon_row is not None and bg.ground_srgb is not None else None
    vvp = None
    if regions:
        vvp = vertical_vanishing_nll(vertical_edges(regions, occluders, width, height), width, height)
    source = "horizon" if horizon_row is not None else ("cues" if vvp is not None else "prior")
    return _posterior(horizon_row, vvp, lens_mm, width, height, source)


PRIOR_PITCH_SIGMA_DEG = 10.0
PRIOR_LOG_LENS_SIGMA = 0.2  # about +-20 % in focal length
HORIZON_SIGMA_DEG = 2.0


def _posterior(horizon_row: float | None, vvp, lens_prior: float, width: int, height: int,
               source: str) -> PitchPosterior:
    pitches = np.linspace(PITCH_RANGE_DEG[0], PITCH_RANGE_DEG[1], 269)
    lenses = np.exp(np.linspace(math.log(14.0), math.log(200.0), 241))
    pp, ll = np.meshgrid(pitches, lenses, indexing="ij")
    f = ll / SENSOR_WIDTH_MM * max(width, height)
    nll = 0.5 * ((np.log(ll) - math.log(lens_prior)) / PRIOR_LOG_LENS_SIGMA) ** 2
    if horizon_row is not None:
        edge_pitch = np.degrees(np.arctan((height / 2.0 - horizon_row) / f)) + HORIZON_MARGIN_DEG
        nll = nll + 0.5 * ((pp - edge_pitch) / HORIZON_SIGMA_DEG) ** 2
    else:
        nll = nll + 0.5 * ((pp - PRIOR_PITCH_DEG) / PRIOR_PITCH_SIGMA_DEG) ** 2
    if vvp is not None:
        nll = nll + vvp(f / np.tan(np.radians(pp)))
    j = np.argmin(nll, axis=1)
    best = nll[np.arange(len(pitches)), j]
    return PitchPosterior(pitches, best - best.min(), lenses[j], source)


def camera_estimate(pitch: float, cam_height: float, lens: float, source: str, width: int, height: int) -> CameraEstimate:
    cam = PinholeCamera.from_pitch(pitch, cam_height, lens, width, height)
    return CameraEstimate(
        location=tuple(float(v) for v in cam.location),  # type: ignore[arg-type]
        look_at=(0.0, 0.0, 0.0),
        lens=float(lens),
        pitch_deg=float(pitch),
        height=float(cam_height),
        source=source,
    )


def pinhole(est: CameraEstimate, width: int, height: int) -> PinholeCamera:
    return PinholeCamera.look_at(est.location, est.look_at, est.lens, width, height)


def scaled(est: CameraEstimate, k: float) -> CameraEstimate:
    """The same view with every distance multiplied by ``k`` (about the world origin)."""
    return CameraEstimate(
        location=tuple(float(v) * k for v in est.location),  # type: ignore[arg-type]
        look_at=tuple(float(v) * k for v in est.look_at),  # type: ignore[arg-type]
        lens=est.lens,
        pitch_deg=est.pitch_deg,
        height=est.height * k,
        source=est.source,
    )


VERTICAL_MAX_TILT_DEG = 30.0  # outline edges this close to the image vertical may be images of vertical edges
MIN_EDGE_PX = 7.0
EDGE_SMOOTH = 1.0
EDGE_TOL = 0.6


def vertical_edges(regions, occluders: np.ndarray | None, width: int, height: int) -> np.ndarray:
    """Straight, nearly vertical outline edges of the regions as rows (row_mid, col_mid, dcol/drow, length).

    Upright objects on a ground (boxes, cylinders) show vertical edges at their sides; with no camera roll their
    images meet at the vertical vanishing point straight below (or above) the image centre. Edges along the
    image border or next to another object are left out (the frame or an occluder made them).
    """
    from scipy import ndimage as ndi
    from skimage import measure

    out = []
    for reg in regions:
        if reg.area < 60:
            continue
        others = np.zeros_like(reg.mask) if occluders is None else ndi.binary_dilation(occluders & ~reg.mask, iterations=2)
        soft = ndi.gaussian_filter(np.pad(reg.mask, 3).astype(float), EDGE_SMOOTH)
        for contour in measure.find_contours(soft, 0.5):
            poly = measure.approximate_polygon(contour - 3.0 + 0.5, tolerance=EDGE_TOL)
            for a, b in zip(poly[:-1], poly[1:]):
                d = b - a
                length = float(np.hypot(*d))
                if length < MIN_EDGE_PX or abs(d[0]) < 1e-6:
                    continue
                if math.degrees(math.atan2(abs(d[1]), abs(d[0]))) > VERTICAL_MAX_TILT_DEG:
                    continue
                ts = np.linspace(0.0, 1.0, max(3, int(length)))
                pts = a[None, :] + ts[:, None] * d[None, :]
                ri = np.clip(pts[:, 0].astype(int), 0, height - 1)
                ci = np.clip(pts[:, 1].astype(int), 0, width - 1)
                if others[ri, ci].mean() > 0.2:
                    continue
                if (pts[:, 0] < 1.5).any() or (pts[:, 0] > height - 1.5).any() or (pts[:, 1] < 1.5).any() \
                        or (pts[:, 1] > width - 1.5).any():
                    continue
                mid = (a + b) / 2.0
                out.append((float(mid[0]), float(mid[1]), float(d[1] / d[0]), length))
    return np.array(out, dtype=float).reshape(-1, 4)


EDGE_SLOPE_SCALE = 0.06  # Cauchy scale of an edge's slope (dcol/drow) error at 128 px
EDGE_UNIT_PX = 10.0  # an edge this long counts as one observation


def vertical_vanishing_nll(edges: np.ndarray, width: int, height: int):
    """Negative log-likelihood of the vertical vanishing point lying ``d`` pixels below the image centre
    (``d`` = f / tan(pitch) for a camera with no roll), as a function of ``d``; None when no edge is off-centre.

    An edge at (r_i, c_i) that is the image of a vertical line has slope dcol/drow = (c_i - cx) / (r_i - cy - d).
    Each edge is a Cauchy observation of its slope (so the odd slanted outline edge does not pull), weighted
    by its length; edges near the centre column say the same for every ``d`` and so carry nothing.
    """
    if len(edges) == 0:
        return None
    cy, cx = height / 2.0, width / 2.0
    r, c, slope, length = edges.T
    off = c - cx
    if (length * np.abs(off) / max(width, height)).sum() < 2.0:
        return None
    w = length / EDGE_UNIT_PX

    def nll(d):
        d = np.asarray(d, dtype=float)
        pred = off / (r - cy - d[..., None])
        return (w * np.log1p(((slope - pred) / EDGE_SLOPE_SCALE) ** 2)).sum(axis=-1)

    return nll

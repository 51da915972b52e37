"""Analysis by synthesis in numpy: fit each primitive's projected silhouette to a region's outline.

Every primitive except the torus is convex, so its silhouette is the convex hull of its projected points
(a torus's outer outline is too; its hole is judged separately). For each shape we fit ground position, width,
height/width and yaw by Nelder-Mead on a truncated symmetric chamfer distance between the predicted outline
and the observed one, ignoring outline parts that another object may hide. The fit gives shape scores, size,
placement and rotation together, with the perspective of the estimated camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage as ndi
from scipy.optimize import minimize
from scipy.spatial import ConvexHull, QhullError
from skimage import measure

from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.types import Region

try:  # the bare Qhull run that ConvexHull wraps: the same vertices, without the facet arrays it builds too
    from scipy.spatial._qhull import _Qhull
except ImportError:  # a scipy without it: the public class gives the same result, a little slower
    _Qhull = None

FIT_SHAPES: tuple[str, ...] = ("cube", "sphere", "cylinder", "cone", "torus", "plane")
ASPECT_PRIOR_WEIGHT = 0.15  # pull height/width towards 1 (in log space): CLEVR-like primitives are not squashed
FREE_ASPECT_PRIOR_WEIGHT = 0.01  # the same for parts of a cut-out object, which can be tall or flat
PLANE_THICKNESS = 0.01  # fraction of width


def _fib_sphere(n: int) -> np.ndarray:
    i = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * i / n)
    theta = math.pi * (1 + 5**0.5) * i
    return np.stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)], axis=1)


def _ring(n: int) -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.stack([np.cos(t), np.sin(t)], axis=1)


@lru_cache(maxsize=None)
def _torus_angles() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """cos/sin of the torus grid's ring (u) and tube (v) angles, raveled: they do not depend on the aspect."""
    u = np.linspace(0, 2 * math.pi, 32, endpoint=False)
    v = np.linspace(0, 2 * math.pi, 12, endpoint=False)
    uu, vv = np.meshgrid(u, v)
    return np.cos(uu).ravel(), np.sin(uu).ravel(), np.cos(vv).ravel(), np.sin(vv).ravel()


@lru_cache(maxsize=None)
def _cached_points(shape: str) -> np.ndarray:
    return _unit_points(shape, 1.0)


def unit_points(shape: str, aspect: float = 1.0) -> np.ndarray:
    """Points whose convex hull is the primitive inside the box [-0.5, 0.5]^2 x [0, 1] (bottom at z = 0)."""
    return _unit_points(shape, aspect) if shape == "torus" else _cached_points(shape)


def _unit_points(shape: str, aspect: float = 1.0) -> np.ndarray:
    """Points whose convex hull is the primitive inside the box [-0.5, 0.5]^2 x [0, 1] (bottom at z = 0)."""
    if shape in ("cube", "plane"):
        c = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (0.0, 1.0)])
        return c
    if shape == "sphere":
        p = _fib_sphere(96) * 0.5
        p[:, 2] += 0.5
        return p
    ring = _ring(40) * 0.5
    if shape == "cylinder":
        return np.concatenate([np.c_[ring, np.zeros(40)], np.c_[ring, np.ones(40)]])
    if shape == "cone":
        return np.concatenate([np.c_[ring, np.zeros(40)], [[0.0, 0.0, 1.0]]])
    if shape == "torus":
        # tube radius r and ring radius R with 2(R + r) = 1 (width) and 2r = aspect (height, relative)
        r = min(0.5 * aspect, 0.45)
        big = 0.5 - r
        cu, su, cv, sv = _torus_angles()
        x = (big + r * cv) * cu
        y = (big + r * cv) * su
        z = r * sv / max(2 * r, 1e-6) + 0.5  # normalised to [0, 1] in height
        return np.stack([x, y, z], axis=1)
    raise ValueError(f"unknown shape {shape!r}")


@dataclass
class Fit:
    shape: str
    cost: float  # truncated chamfer RMS in pixels, divided by the region's scale
    x: float
    y: float
    width: float
    height: float
    yaw_deg: float

    @property
    def dims(self) -> tuple[float, float, float]:
        h = self.width * PLANE_THICKNESS if self.shape == "plane" else self.height
        return (self.width, self.width, h)

    @property
    def location(self) -> tuple[float, float, float]:
        return (self.x, self.y, self.dims[2] / 2.0)


class OutlineTarget:
    """The observed outline of one region, with what may hide parts of it."""

    def __init__(self, region: Region, occluders: np.ndarray | None):
        mask = region.mask
        pad = np.pad(mask, 1)
        contours = measure.find_contours(pad.astype(float), 0.5)
        pts = np.concatenate(contours) - 1.0 + 0.5 if contours else np.zeros((0, 2))
        edge = mask & ~ndi.binary_erosion(mask)
        self.dist = ndi.distance_transform_edt(~edge).astype(np.float32)
        self.scale = math.sqrt(region.area)
        self.trunc = max(3.0, 0.35 * self.scale)
        self.hidden = np.zeros_like(mask) if occluders is None else ndi.binary_dilation(occluders & ~mask, iterations=2)
        if len(pts):
            ri = np.clip(pts[:, 0].astype(int), 0, mask.shape[0] - 1)
            ci = np.clip(pts[:, 1].astype(int), 0, mask.shape[1] - 1)
            visible = ~ndi.binary_dilation(self.hidden, iterations=1)[ri, ci]
            # outline along the image border is where the frame cuts the object, not its outline
            h, w = mask.shape
            inside = (pts[:, 0] > 1.0) & (pts[:, 0] < h - 1.0) & (pts[:, 1] > 1.0) & (pts[:, 1] < w - 1.0)
            pts = pts[visible & inside]
        self.points = pts[:: max(1, len(pts) // 120)] if len(pts) else pts
        self.shape = mask.shape

    def cost(self, poly: np.ndarray) -> float:
        """Truncated symmetric chamfer RMS (pixels) between a closed polygon (rows, cols) and the outline."""
        seg_vec = np.concatenate((poly[1:], poly[:1])) - poly  # edge i runs from vertex i to vertex i + 1
        samples = _sample_polygon(poly, seg_vec, step=0.75)
        h, w = self.shape
        ri, ci = samples[:, 0] - 0.5, samples[:, 1] - 0.5
        inb = (ri >= 0) & (ri <= h - 1) & (ci >= 0) & (ci <= w - 1)
        if inb.all():  # the usual case: no masked copies
            d = ndi.map_coordinates(self.dist, [ri, ci], order=1, mode="nearest")
            hid = self.hidden[ri.round().astype(int), ci.round().astype(int)]
            d_pred = np.where(hid, 0.0, np.minimum(d, self.trunc)).astype(float)
        else:
            d_pred = np.full(len(samples), self.trunc, dtype=float)
            if inb.any():
                d = ndi.map_coordinates(self.dist, [ri[inb], ci[inb]], order=1, mode="nearest")
                hid = self.hidden[ri[inb].round().astype(int), ci[inb].round().astype(int)]
                d_pred[inb] = np.where(hid, 0.0, np.minimum(d, self.trunc))
        sq = d_pred**2
        a = float(sq.sum() / sq.size)  # np.mean's arithmetic without its overhead
        if len(self.points):
            d_obs = np.minimum(_point_polygon_distance(self.points, poly, seg_vec), self.trunc) ** 2
            b = float(d_obs.sum() / d_obs.size)
        else:
            b = a
        return math.sqrt(0.5 * (a + b))


def _point_polygon_distance(points: np.ndarray, poly: np.ndarray, seg_vec: np.ndarray) -> np.ndarray:
    """Distance from each point to the closed polygon's outline (``seg_vec``: its edge vectors)."""
    # per coordinate rather than (N, M, 2) arrays summed over the last axis: the same arithmetic, fewer passes
    px, py = poly[:, 0], poly[:, 1]
    sx, sy = seg_vec[:, 0], seg_vec[:, 1]
    ax, ay = points[:, 0:1], points[:, 1:2]
    dx, dy = ax - px, ay - py
    t = np.clip((dx * sx + dy * sy) / np.maximum(sx * sx + sy * sy, 1e-12), 0.0, 1.0)
    ex, ey = ax - (px + t * sx), ay - (py + t * sy)
    return np.sqrt(ex * ex + ey * ey).min(axis=1)


def _sample_polygon(poly: np.ndarray, seg_vec: np.ndarray, step: float) -> np.ndarray:
    """Points every ~``step`` pixels along the closed polygon with edge vectors ``seg_vec``."""
    seg = np.sqrt(seg_vec[:, 0] * seg_vec[:, 0] + seg_vec[:, 1] * seg_vec[:, 1])
    k = np.maximum(1, np.ceil(seg / step).astype(int))
    edge = np.repeat(np.arange(len(poly)), k)
    offs = np.arange(len(edge)) - (np.cumsum(k) - k)[edge]
    t = (offs / k[edge])[:, None]
    return poly[edge] + seg_vec[edge] * t


def _project(cam: PinholeCamera, pts: np.ndarray) -> np.ndarray | None:
    """``cam.project`` for points that must all lie in front of the camera (None otherwise), without its overhead."""
    p = pts - cam.location
    z = p @ cam.forward
    if not (z > 1e-9).all():
        return None
    x = p @ cam.right
    y = p @ cam.up
    img = np.empty((len(p), 2))
    img[:, 0] = cam.height / 2.0 - cam.f * y / z
    img[:, 1] = cam.width / 2.0 + cam.f * x / z
    return img


def silhouette(cam: PinholeCamera, shape: str, x, y, width, height, yaw_deg) -> np.ndarray | None:
    """Outline polygon (rows, cols) of a primitive standing on the ground, or None if it cannot be seen."""
    aspect = height / max(width, 1e-6)
    pts = unit_points(shape, aspect)
    h = width * PLANE_THICKNESS if shape == "plane" else height
    pts = pts * np.array([width, width, h])
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    pts = pts @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]]) + np.array([x, y, 0.0])
    img = _project(cam, pts)
    if img is None:
        return None
    try:
        return img[_hull_vertices(img)]
    except (QhullError, ValueError):
        return None


def _hull_vertices(img: np.ndarray) -> np.ndarray:
    """Indices of the convex hull's vertices in counterclockwise order, as ``ConvexHull(img).vertices``."""
    if _Qhull is None:
        return ConvexHull(img).vertices
    qhull = _Qhull(b"i", img, b"", required_options=b"Qt")  # ConvexHull's own call for 2-D points
    try:
        qhull.triangulate()
        return qhull.get_extremes_2d()
    finally:
        qhull.close()


def initial_placement(cam: PinholeCamera, region: Region) -> tuple[float, float, float] | None:
    """(x, y, width) from the region's lowest point (the ground contact in front) and its pixel width."""
    rows, cols = np.nonzero(region.mask)
    bottom = float(rows.max()) + 1.0
    contact_col = float(np.median(cols[rows >= rows.max() - 1])) + 0.5
    p = cam.ground_point(bottom, contact_col)
    if p is None:
        return None
    depth = cam.depth_of(p)
    w = max(region.width * depth / cam.f, 1e-3)
    view = cam.forward.copy()
    view[2] = 0.0
    view /= max(np.linalg.norm(view), 1e-9)
    centre = p + view * (w / 2.0)
    return float(centre[0]), float(centre[1]), float(w)


def fit_shape(cam: PinholeCamera, target: OutlineTarget, shape: str, init: tuple[float, float, float],
              max_evals: int = 140, yaw_starts: tuple[float, ...] = (10.0, 55.0),
              aspect_prior: float = ASPECT_PRIOR_WEIGHT, aspect0: float = 1.0) -> Fit:
    """Best placement of one shape for one outline, starting from height/width ``aspect0``."""
    x0, y0, w0 = init
    has_yaw = shape in ("cube", "plane")
    has_aspect = shape in ("cube", "cylinder", "cone", "torus")
    starts = list(yaw_starts) if has_yaw else [0.0]
    best: Fit | None = None
    for yaw0 in starts:
        p0 = [x0 / w0, y0 / w0, 0.0] + ([math.log(aspect0)] if has_aspect else []) + ([yaw0 / 30.0] if has_yaw else [])

        def unpack(p):
            # min/max on floats: np.clip on scalars costs more than the rest of unpacking
            x, y, lw = p[0] * w0, p[1] * w0, w0 * math.exp(min(max(float(p[2]), -3.0), 3.0))
            i = 3
            aspect = 1.0
            if has_aspect:
                aspect = math.exp(min(max(float(p[i]), -2.5), 2.5))
                i += 1
            yaw = float(p[i]) * 30.0 if has_yaw else 0.0
            if shape == "torus":
                aspect = min(aspect, 0.9)
            return x, y, lw, lw * aspect, yaw

        def objective(p):
            x, y, lw, lh, yaw = unpack(p)
            poly = silhouette(cam, shape, x, y, lw, lh, yaw)
            if poly is None:
                return 1e3
            prior = aspect_prior * math.log(max(lh / lw, 1e-6)) ** 2 if has_aspect and shape != "torus" else 0.0
            return target.cost(poly) / target.scale + prior

        simplex = [np.array(p0, dtype=float)]
        steps = [0.15, 0.15, 0.15] + ([0.3] if has_aspect else []) + ([0.5] if has_yaw else [])
        for i, st in enumerate(steps):
            v = np.array(p0, dtype=float)
            v[i] += st
            simplex.append(v)
        res = minimize(objective, p0, method="Nelder-Mead",
                       options={"initial_simplex": np.array(simplex), "maxfev": max_evals, "xatol": 1e-3, "fatol": 1e-4})
        x, y, lw, lh, yaw = unpack(res.x)
        fit = Fit(shape, float(res.fun), x, y, lw, lh, yaw % 360.0)
        if best is None or fit.cost < best.cost:
            best = fit
    assert best is not None
    return best


def fit_region(cam: PinholeCamera, region: Region, occluders: np.ndarray | None,
               shapes: tuple[str, ...] = FIT_SHAPES, max_evals: int = 140,
               yaw_starts: tuple[float, ...] = (10.0, 55.0), free_aspect: bool = False) -> list[Fit]:
    """Fits of every shape to a region, best (lowest cost) first; empty if the region is off the ground.

    ``free_aspect``: parts of a cut-out object (a microphone's body, a lamp's pole) are often far from
    CLEVR's squat primitives, so the aspect prior is weak and the fit starts from the region's own aspect.
    """
    init = initial_placement(cam, region)
    if init is None:
        return []
    target = OutlineTarget(region, occluders)
    kwargs = {"aspect_prior": FREE_ASPECT_PRIOR_WEIGHT,
              "aspect0": float(np.clip(region.height / max(region.width, 1), 0.2, 5.0))} if free_aspect else {}
    fits = [fit_shape(cam, target, s, init, max_evals, yaw_starts, **kwargs) for s in shapes]
    fits.sort(key=lambda f: f.cost)
    return fits

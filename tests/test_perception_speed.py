"""The outline fit's fast paths give exactly what the plain numpy / scipy forms give."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import ConvexHull

from seig_search.perception import fit
from seig_search.perception.geometry import PinholeCamera


def _projected_primitives(n: int, seed: int = 0):
    """Image points of randomly placed primitives seen by random cameras."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        cam = PinholeCamera.from_pitch(rng.uniform(15, 60), rng.uniform(2, 8), rng.uniform(25, 60), 128, 128,
                                       rng.uniform(0, 360))
        shape = str(rng.choice(["cube", "sphere", "cylinder", "cone", "torus", "plane"]))
        w, aspect, yaw = rng.uniform(0.3, 2.0), math.exp(rng.uniform(-1, 1)), rng.uniform(0, 90)
        pts = fit.unit_points(shape, aspect) * np.array([w, w, w * aspect])
        c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
        pts = pts @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]]) + np.array([*rng.uniform(-3, 3, 2), 0.0])
        img = fit._project(cam, pts)
        if img is not None:
            yield cam, pts, img


def test_projection_and_hull_match_camera_project_and_convex_hull():
    n = 0
    for cam, pts, img in _projected_primitives(300):
        assert np.array_equal(img, cam.project(pts))
        assert np.array_equal(fit._hull_vertices(img), ConvexHull(img).vertices)
        n += 1
    assert n > 200


def test_projection_behind_camera_is_none():
    cam = PinholeCamera.from_pitch(30.0, 5.0, 35.0, 64, 64)
    assert fit._project(cam, np.array([cam.location - 3.0 * cam.forward])) is None


def test_polygon_distance_and_samples_match_the_plain_forms():
    rng = np.random.default_rng(1)
    for _, _, img in _projected_primitives(40, seed=2):
        poly = img[fit._hull_vertices(img)]
        seg_vec = np.roll(poly, -1, axis=0) - poly
        points = rng.uniform(0, 128, (50, 2))
        # the (N, M, 2) form the per-coordinate one replaces
        p, x = poly[None], points[:, None]
        t = np.clip(((x - p) * seg_vec).sum(-1) / np.maximum((seg_vec * seg_vec).sum(-1), 1e-12), 0.0, 1.0)
        plain = np.sqrt(((x - (p + t[..., None] * seg_vec)) ** 2).sum(-1)).min(axis=1)
        assert np.array_equal(fit._point_polygon_distance(points, poly, seg_vec), plain)
        samples = fit._sample_polygon(poly, seg_vec, step=0.75)
        k = np.maximum(1, np.ceil(np.linalg.norm(seg_vec, axis=1) / 0.75).astype(int))
        assert len(samples) == k.sum()
        assert np.array_equal(samples[np.cumsum(k) - k], poly)  # every edge starts at its vertex
        gaps = np.linalg.norm(np.diff(np.vstack([samples, samples[:1]]), axis=0), axis=1)
        assert gaps.max() <= 0.75 + 1e-9

"""Objects mostly hidden behind another (``hidden_objects.py``): the piece of a region its front object's fitted
outline leaves over, on a drawn case and on a Cycles render with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from seig_search.perception import analyse
from seig_search.perception.cast_shadows import silhouettes
from seig_search.perception.geometry import PinholeCamera
from seig_search.perception.hidden_objects import hidden_pieces, image_lab
from seig_search.perception.types import Appearance, ObjectEstimate, Region, ShapeGuess
from seig_search.program.spec import CameraSpec, GroundSpec, LightSpec, ObjectSpec, SceneSpec, WorldSpec, render_program

SIZE = 96


def _object(shape, x, y, size) -> ObjectEstimate:
    region = Region(mask=np.zeros((SIZE, SIZE), bool), bbox=(0, 0, 1, 1), area=1, centroid=(0.0, 0.0))
    return ObjectEstimate(region=region, shapes=[ShapeGuess(shape, 1.0)],
                          appearance=Appearance((0.5, 0.5, 0.5), 0.8, 0.0), dims=(size, size, size),
                          location=(x, y, size / 2), rotation_deg=(0.0, 0.0, 20.0))


def _drawn_case():
    """A yellow box in front, the top of a dark cylinder behind it showing above, on a grey ground: the two
    came out as one region."""
    cam = PinholeCamera.from_pitch(30.0, 5.0, 45.0, SIZE, SIZE)
    view = cam.forward[:2] / np.linalg.norm(cam.forward[:2])
    front = _object("cube", 0.0, 0.0, 1.2)
    behind = _object("cylinder", *(2.2 * view), 1.2)
    s_front = silhouettes(cam, [front], (SIZE, SIZE))
    s_behind = silhouettes(cam, [behind], (SIZE, SIZE)) & ~s_front
    srgb = np.full((SIZE, SIZE, 3), 0.55, np.float32)
    srgb[s_front] = (0.8, 0.7, 0.1)
    srgb[s_behind] = (0.12, 0.12, 0.13)
    return cam, front, s_front, s_behind, srgb


def test_the_top_of_an_object_behind_is_found():
    cam, front, s_front, s_behind, srgb = _drawn_case()
    assert s_behind.sum() > 30
    region = s_front | s_behind
    pieces = hidden_pieces(region, s_front, np.zeros_like(region), image_lab(srgb), image_lab(srgb)[0, 0])
    assert len(pieces) == 1
    assert (pieces[0] & s_behind).sum() > 0.7 * s_behind.sum() and not (pieces[0] & s_front).any()


def test_pieces_that_are_shadow_ground_coloured_or_the_objects_own_colour_are_not_objects():
    cam, front, s_front, s_behind, srgb = _drawn_case()
    region = s_front | s_behind
    lab = image_lab(srgb)
    # inside the drawn shadows
    assert hidden_pieces(region, s_front, s_behind, lab, lab[0, 0]) == []
    # the piece has the front object's colour (an outline the fit did not cover)
    same = srgb.copy()
    same[s_behind] = (0.8, 0.7, 0.1)
    assert hidden_pieces(region, s_front, np.zeros_like(region), image_lab(same), lab[0, 0]) == []
    # the piece has the ground's colour (lit ground the segmentation kept)
    ground = srgb.copy()
    ground[s_behind] = 0.55
    assert hidden_pieces(region, s_front, np.zeros_like(region), image_lab(ground), lab[0, 0]) == []


def test_a_white_highlight_on_top_is_not_an_object_but_a_pale_coloured_top_is():
    cam, front, s_front, s_behind, srgb = _drawn_case()
    region = s_front | s_behind
    ground_lab = image_lab(srgb)[0, 0]
    # a mirror's highlight: colourless and far brighter than the lit ground (L* 97 against 58)
    white = srgb.copy()
    white[s_behind] = (0.95, 0.95, 0.95)
    assert hidden_pieces(region, s_front, np.zeros_like(region), image_lab(white), ground_lab) == []
    # as bright, with a colour of its own: the top of a pale object behind
    pale = srgb.copy()
    pale[s_behind] = (0.95, 0.8, 0.95)
    assert len(hidden_pieces(region, s_front, np.zeros_like(region), image_lab(pale), ground_lab)) == 1
    # colourless and brighter than the ground (L* 82): the lit top of a light grey object behind
    grey = srgb.copy()
    grey[s_behind] = (0.8, 0.8, 0.8)
    assert len(hidden_pieces(region, s_front, np.zeros_like(region), image_lab(grey), ground_lab)) == 1


def test_a_small_top_behind_counts_and_a_thin_sliver_does_not():
    cam, front, s_front, s_behind, srgb = _drawn_case()
    top = int(np.nonzero(s_front.any(axis=1))[0].min())
    c = int(np.nonzero(s_front[top])[0].mean())

    def cap(rows: int) -> np.ndarray:  # a dark band 5 pixels wide just above the front outline (and its 1-px margin)
        m = np.zeros_like(s_front)
        m[top - 1 - rows:top - 1, c - 2:c + 3] = True
        return m

    for rows, found in ((4, 1), (3, 0)):  # 6 core pixels after a one-pixel erosion; 3
        piece = cap(rows)
        img = np.full_like(srgb, 0.55)
        img[s_front] = (0.8, 0.7, 0.1)
        img[piece] = (0.12, 0.12, 0.13)
        lab = image_lab(img)
        assert len(hidden_pieces(s_front | piece, s_front, np.zeros_like(piece), lab, lab[0, 0])) == found


def test_a_piece_of_the_front_colour_counts_for_a_coloured_region_but_not_a_grey_one():
    """Where no primitive outlines the whole region (``same_hue``), a large piece of the front object's own
    colour may be another object; not where both are grey, whose fits miss their shaded parts."""
    cam, front, s_front, s_behind, srgb = _drawn_case()
    region = s_front | s_behind
    ground_lab = image_lab(srgb)[0, 0]
    none = np.zeros_like(region)
    yellow = srgb.copy()
    yellow[s_behind] = (0.78, 0.68, 0.1)
    assert hidden_pieces(region, s_front, none, image_lab(yellow), ground_lab) == []
    assert len(hidden_pieces(region, s_front, none, image_lab(yellow), ground_lab, same_hue=True)) == 1
    grey = srgb.copy()
    grey[s_front] = 0.25
    grey[s_behind] = 0.22
    assert hidden_pieces(region, s_front, none, image_lab(grey), ground_lab, same_hue=True) == []
    # a grey piece far lighter than the grey front object is still another object, by the colour test
    grey[s_behind] = 0.85
    assert len(hidden_pieces(region, s_front, none, image_lab(grey), ground_lab, same_hue=True)) == 1


def _behind_spec() -> SceneSpec:
    objs = [ObjectSpec(name="box", shape="cube", dims=(1.4, 1.4, 1.4), location=(0.0, 0.0, 0.7),
                       rotation_deg=(0, 0, 25), color=(0.8, 0.6, 0.02), roughness=0.9),
            ObjectSpec(name="behind", shape="cylinder", dims=(1.4, 1.4, 1.4), location=(-0.3, 2.6, 0.7),
                       color=(0.12, 0.12, 0.12), roughness=0.9),
            ObjectSpec(name="side", shape="sphere", dims=(0.7, 0.7, 0.7), location=(1.8, -0.6, 0.35),
                       color=(0.05, 0.15, 0.7), roughness=0.9)]
    return SceneSpec(objects=objs, ground=GroundSpec(size=40.0, color=(0.3, 0.3, 0.3)),
                     camera=CameraSpec(location=(1.5, -7.5, 4.5), look_at=(0.0, 0.3, 0.5), lens=45.0),
                     lights=[LightSpec(name="key", kind="SUN", location=(4.0, -3.0, 7.0), look_at=(0.0, 0.0, 0.0),
                                       energy=3.0, size=2.0)],
                     world=WorldSpec(color=(0.05, 0.05, 0.05)))


@pytest.fixture(scope="module")
def behind_render(render_pool):
    """A dark grey cylinder standing mostly hidden behind a big yellow box (Cycles, 128 px): segmentation joins
    its grey top to the box, so only the outline fit can tell it apart."""
    from render_pool import RenderJob, RenderSettings

    spec = _behind_spec()
    settings = RenderSettings(engine="CYCLES", width=128, height=128, samples=32, passes=("color", "index"))
    res = render_pool.render([RenderJob(program=render_program(spec), settings=settings, job_id="behind")])[0]
    assert res.ok, res.failure
    return spec, res


def test_a_rendered_object_behind_another_is_counted(behind_render):
    spec, res = behind_render
    ids = spec.pass_indices()
    hidden_px = int((res.index == ids["behind"]).sum())
    assert 25 < hidden_px < 0.5 * int((res.index == ids["box"]).sum())  # mostly hidden, still visible
    est = analyse(res.srgb())
    assert len(est.objects) == 3
    centre = np.argwhere(res.index == ids["behind"]).mean(axis=0)
    nearest = min(est.objects, key=lambda o: np.hypot(*(np.array(o.region.centroid) - centre)))
    assert (res.index[nearest.region.mask] == ids["behind"]).mean() > 0.6

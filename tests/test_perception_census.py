"""benchmarks/perception_census.py: missed and spurious objects classified from the truth's index pass."""

from __future__ import annotations

import numpy as np
from bench_scripts import load

census = load("perception_census")

GROUND = 1


def _scene():
    """Ground (id 1) with four objects: a red box (2) with a red sphere (3) behind it and a blue cube (4)
    beside it, and a grey cylinder (5) off on its own."""
    index = np.full((40, 40), GROUND, int)
    index[20:30, 5:15] = 2
    index[16:20, 8:12] = 3
    index[22:28, 15:20] = 4
    index[5:12, 28:35] = 5
    return index, {2: "red", 3: "red", 4: "blue", 5: "gray"}


def test_each_missed_object_is_put_where_its_pixels_went():
    index, colours = _scene()
    front = np.isin(index, (2, 3, 4))  # one region: the red box, the sphere behind it and the blue cube beside
    shadow = index == 5  # the grey cylinder taken for shadow
    c = census.scene_census(index, [front], shadow, colours)
    assert (c.n_true, c.n_found) == (4, 1)
    where = {m["id"]: m["where"] for m in c.missed}
    assert where == {3: "joined, same colour", 4: "joined, other colour or ground", 5: "shadow mask"}
    assert {m["id"]: m["joined_to"] for m in c.missed} == {3: "red", 4: "red", 5: None}
    assert c.spurious == []
    # with the shadow mask empty the cylinder was dropped by a step
    assert census.scene_census(index, [front], None, colours).missed[-1]["where"] == "dropped"


def test_ground_regions_and_second_regions_of_one_object_are_spurious():
    index, colours = _scene()
    box_top, box_bottom = (index == 2) & (np.arange(40)[:, None] < 25), (index == 2) & (np.arange(40)[:, None] >= 25)
    shade = np.zeros_like(box_top)
    shade[32:36, 5:15] = True  # ground only
    regions = [box_top, box_bottom, index == 3, index == 4, index == 5, shade]
    c = census.scene_census(index, regions, None, colours)
    assert c.missed == []
    assert [(p["region"], p["kind"]) for p in c.spurious] == [(1, "duplicate"), (5, "ground")]
    text = census.tables([c])
    assert "1 scenes: count exact 0.000, 0 too few, 1 too many" in text
    assert "| ground | 1 |" in text and "| duplicate | 1 |" in text

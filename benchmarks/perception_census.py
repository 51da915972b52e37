"""Where perception's object count goes wrong: every missed and every spurious object of generated scenes, traced.

For each scene of ``bench_perception.py`` (same scenes, same render cache), each found region is owned by the
ground-truth object holding most of its pixels (the index pass). A true object that owns no region is *missed*,
and is put where most of its pixels went: into another found region (of its own colour or another), into the
shadow mask, or nowhere (a step dropped it). A region owned by the ground is *spurious ground*; a second region
of one object is a *duplicate*. The tables count objects, split at 40 visible pixels (what 128 px shows of an
object mostly hidden behind another).

    .venv/bin/python benchmarks/perception_census.py --n 80 --seed 1000 --json census.json
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

SMALL_PX = 40  # objects showing fewer pixels are counted apart: at 128 px little can be done for them
JOINED_SHARE = 0.5  # a missed object is "joined" when this share of its pixels lies in found regions
SHADOW_SHARE = 0.3  # ... else "in the shadow mask" when this share lies there


@dataclass
class SceneCensus:
    n_true: int
    n_found: int
    missed: list[dict] = field(default_factory=list)  # {"id", "px", "where", "colour", "joined_to"}
    spurious: list[dict] = field(default_factory=list)  # {"region", "px", "kind"}


def scene_census(index: np.ndarray, regions: list[np.ndarray], shadow_mask: np.ndarray | None,
                 colours: dict[int, str | None]) -> SceneCensus:
    """The census of one scene. ``index``: HxW ground-truth object ids; ``regions``: the found objects' masks;
    ``colours``: true object id -> colour name (None where unknown); ids not in it are ground or world."""
    ids_px = {i: int((index == i).sum()) for i in colours}
    ids_px = {i: n for i, n in ids_px.items() if n > 0}
    owners = []
    for m in regions:
        ids, cnt = np.unique(index[m], return_counts=True)
        top = int(ids[np.argmax(cnt)]) if len(ids) else -1
        owners.append(top if top in ids_px else None)
    out = SceneCensus(n_true=len(ids_px), n_found=len(regions))
    for i, px in ids_px.items():
        if i in owners:
            continue
        obj = index == i
        inside = [int((obj & m).sum()) for m in regions]
        in_regions = sum(inside)
        in_shadow = int((obj & shadow_mask).sum()) if shadow_mask is not None else 0
        joined_to = None
        if in_regions >= JOINED_SHARE * px:
            owner = owners[int(np.argmax(inside))]
            joined_to = colours.get(owner) if owner is not None else "ground"
            same = owner is not None and colours.get(owner) is not None and colours.get(owner) == colours[i]
            where = "joined, same colour" if same else "joined, other colour or ground"
        elif in_shadow >= SHADOW_SHARE * px:
            where = "shadow mask"
        else:
            where = "dropped"
        out.missed.append({"id": i, "px": px, "where": where, "colour": colours[i], "joined_to": joined_to})
    seen: set[int] = set()
    for j, owner in enumerate(owners):
        if owner is None:
            out.spurious.append({"region": j, "px": int(regions[j].sum()), "kind": "ground"})
        elif owner in seen:
            out.spurious.append({"region": j, "px": int(regions[j].sum()), "kind": "duplicate"})
        else:
            seen.add(owner)
    return out


def tables(scenes: list[SceneCensus]) -> str:
    """Markdown tables of the missed and spurious objects over ``scenes``."""
    miss, spur = Counter(), Counter()
    for s in scenes:
        for m in s.missed:
            miss[(m["where"], m["px"] < SMALL_PX)] += 1
        for p in s.spurious:
            spur[p["kind"]] += 1
    under = sum(s.n_found < s.n_true for s in scenes)
    over = sum(s.n_found > s.n_true for s in scenes)
    exact = sum(s.n_found == s.n_true for s in scenes)
    lines = [f"{len(scenes)} scenes: count exact {exact / max(len(scenes), 1):.3f}, {under} too few, {over} too many",
             "", "Over all scenes, those whose errors cancel included:", "",
             f"| missed object's pixels went | objects | of which under {SMALL_PX} px |", "|---|---|---|"]
    for where in ("joined, other colour or ground", "joined, same colour", "shadow mask", "dropped"):
        lines.append(f"| {where} | {miss[(where, False)] + miss[(where, True)]} | {miss[(where, True)]} |")
    lines += ["", "| spurious region | regions |", "|---|---|"]
    lines += [f"| {k} | {spur[k]} |" for k in ("ground", "duplicate")]
    return "\n".join(lines)


@functools.cache  # one copy of bench_perception.py for the options and the scenes
def _bench():
    path = Path(__file__).resolve().parent / "bench_perception.py"
    spec = importlib.util.spec_from_file_location("bench_perception", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def run(suite: str, n: int, seed: int, size: tuple[int, int], samples: int, cache: Path) -> list[dict]:
    from seig_search.dataset.suites import color_name
    from seig_search.perception import analyse

    bench = _bench()
    specs = [(f"{suite}_{seed + i}_{size[0]}x{size[1]}_{samples}", bench._sample(suite, seed + i)) for i in range(n)]
    rows = []
    for (key, spec), r in zip(specs, bench._render(specs, size, samples, cache)):
        names = {o.name: o for o in spec.objects}
        colours = {int(o["pass_index"]): color_name(tuple(names[o["name"]].color))
                   for o in r["summary"]["objects"] if o.get("type", "MESH") == "MESH" and o["name"] in names}
        est = analyse(r["srgb"])
        c = scene_census(r["index"], [o.region.mask for o in est.objects], est.background.shadow_mask, colours)
        rows.append({"key": key, **asdict(c)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench().add_scene_arguments(ap)
    ap.add_argument("--json", type=Path, default=None, help="write the per-scene census here")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    rows = run(args.suite, args.n, args.seed, (w, h), args.samples, args.cache)
    keys = ("n_true", "n_found", "missed", "spurious")
    print(tables([SceneCensus(**{k: r[k] for k in keys}) for r in rows]))
    for r in rows:
        if r["n_true"] != r["n_found"]:
            print(f"{r['key']}: {r['n_true']} true, {r['n_found']} found; missed "
                  + (", ".join(f"{m['colour']} {m['px']} px ({m['where']})" for m in r["missed"]) or "none")
                  + "; spurious " + (", ".join(f"{p['kind']} {p['px']} px" for p in r["spurious"]) or "none"))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

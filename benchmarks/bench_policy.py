"""Cost of the static policy check per candidate program, as ratios against parsing the same program.

The pool checks every candidate in the parent process before dispatch, so the check must stay a small
fraction of a render. Baselines measured in the same run: `ast.parse` of the same source and `compile()`
to bytecode (what the worker does before running it).

    .venv/bin/python benchmarks/bench_policy.py --objects 5 --repeat 200
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time


def _median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5, help="objects in the dialect program")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    from render_pool.policy import check_program
    from seig_search.program.spec import ObjectSpec, SceneSpec, render_program

    source = render_program(SceneSpec(objects=[ObjectSpec(name=f"obj{i}", shape="cube") for i in range(args.objects)]))
    check_program(source)  # warm the name cache once, as a long-running search would
    parse = _median_s(lambda: ast.parse(source), args.repeat)
    compiled = _median_s(lambda: compile(source, "<program>", "exec"), args.repeat)
    check = _median_s(lambda: check_program(source), args.repeat)
    lines = len(source.splitlines())
    print(f"dialect program: {lines} lines, {args.objects} objects; medians of {args.repeat} runs")
    print(f"check_program / ast.parse : {check / parse:.2f}x")
    print(f"check_program / compile   : {check / compiled:.2f}x")
    print(f"(absolute, this machine now: parse {parse * 1e3:.2f} ms, check {check * 1e3:.2f} ms)")


if __name__ == "__main__":
    main()

"""Faults cost only their own job: hangs, segfaults, memory bombs; the pool keeps serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import build_test_program
from render_pool import RenderJob, RenderPool, RenderSettings


@pytest.fixture(scope="module")
def unchecked_pool(render_pool):
    """One worker with the static policy off, so faults reach the sandbox (depends on the session pool so
    that Ray is already up and stays up)."""
    pool = RenderPool(num_workers=1, enforce_policy=False)
    yield pool
    pool.close()


def quick(timeout_s: float = 30.0) -> RenderSettings:
    return RenderSettings(engine="WORKBENCH", width=16, height=16, passes=("color",), timeout_s=timeout_s)


def assert_fault_then_recovery(pool, fault_program: str, timeout_s: float, kind: str):
    starts_before = pool.stats()[0]["starts"]
    fault, after = pool.render([RenderJob(fault_program, quick(timeout_s), "fault"),
                                RenderJob(build_test_program(), quick(), "after")])
    assert not fault.ok and fault.failure.kind == kind, fault.failure
    assert after.ok, after.failure
    assert after.color.shape == (16, 16, 4)
    assert pool.stats()[0]["starts"] == starts_before + 1  # the faulty process was replaced, once
    return fault


def test_infinite_loop_is_killed_at_its_deadline(unchecked_pool):
    fault = assert_fault_then_recovery(unchecked_pool, "while True:\n    pass\n", 1.5, "timeout")
    assert fault.timings["total_s"] < 10.0
    assert "1.5 s" in fault.failure.message


def test_segfault_costs_only_its_job(unchecked_pool):
    fault = assert_fault_then_recovery(unchecked_pool, "import ctypes\nctypes.string_at(0)\n", 30.0, "crash")
    assert "SIGSEGV" in fault.failure.message


def test_memory_bomb_hits_the_address_space_limit(unchecked_pool):
    bomb = "blocks = []\nwhile True:\n    blocks.append(bytes(256 * 1024 * 1024))\n"
    fault = assert_fault_then_recovery(unchecked_pool, bomb, 30.0, "memory")
    assert fault.failure.line == 3


def test_program_error_keeps_the_same_process(unchecked_pool):
    before = unchecked_pool.stats()[0]
    bad, good = unchecked_pool.render([RenderJob("import math\nmath.sqrt(-1)\n", quick(), "raises"),
                                       RenderJob(build_test_program(), quick(), "ok")])
    assert bad.failure.kind == "program" and bad.failure.line == 2 and "math domain error" in bad.failure.message
    assert good.ok
    after = unchecked_pool.stats()[0]
    assert (after["starts"], after["host_pid"]) == (before["starts"], before["host_pid"])


def test_policy_violation_never_reaches_a_worker(render_pool):
    [result] = render_pool.render([RenderJob("import os\nos.system('true')\n", quick(), "policy")])
    assert result.failure.kind == "policy" and result.failure.line == 1


def test_sandbox_has_no_network_and_sees_little_of_the_host(unchecked_pool, tmp_path):
    from render_pool.sandbox import detect

    if detect().mode != "bwrap":
        pytest.skip(f"bubblewrap is not usable here: {detect().detail}")
    host_file = tmp_path / "host-secret.txt"
    host_file.write_text("secret")
    hidden = [str(host_file), str(Path(__file__).resolve()), "/etc/shadow"]
    probe = build_test_program(extra=f"""
import socket, os
try:
    socket.create_connection(('1.1.1.1', 53), timeout=2)
    net = 'open'
except OSError:
    net = 'blocked'
try:
    open('/usr/seig-probe', 'w')
    ro = 'writable'
except OSError:
    ro = 'read-only'
seen = sum(os.path.exists(p) for p in {hidden!r})
scene.objects['obj0'].name = f'{{net}}-{{ro}}-{{seen}}'
""")
    [result] = unchecked_pool.render([RenderJob(probe, quick(), "probe")])
    assert result.ok, result.failure
    names = [o["name"] for o in result.summary["objects"]]
    assert "blocked-read-only-0" in names, names


def test_nothing_leaks_from_one_job_into_the_next(unchecked_pool):
    leaky = build_test_program(extra="""
scene.render.film_transparent = True
scene.cycles.samples = 1
bpy.app.handlers.render_pre.append(lambda *args: bpy.data.objects.new('ghost', None))
bpy.data.objects.new('stray', None)
""")
    first, second = unchecked_pool.render([RenderJob(leaky, quick(), "leaky"),
                                           RenderJob(build_test_program(), quick(), "clean")])
    assert first.ok and second.ok, (first.failure, second.failure)
    assert float(first.color[..., 3].min()) < 1.0  # the transparent film applied to its own job...
    assert float(second.color[..., 3].min()) == 1.0  # ...and not to the next one
    assert [o["name"] for o in second.summary["objects"]] == ["obj0", "obj1"]


def test_blender_runs_at_normal_priority(unchecked_pool):
    # Ray starts its workers at nice 15; renders inheriting that would starve under any other load
    probe = build_test_program(extra="import os\nscene.objects['obj0'].name = f'nice{os.nice(0)}'")
    [result] = unchecked_pool.render([RenderJob(probe, quick(), "nice")])
    assert result.ok, result.failure
    assert result.summary["objects"][0]["name"] == "nice0"


FORGE = '''
import sys
from render_pool.protocol import write_frame
fd = int(sys.argv[sys.argv.index("--result-fd") + 1])
frame = sys._getframe()
while frame is not None and not isinstance(frame.f_locals.get("job"), dict):
    frame = frame.f_back
seq = frame.f_locals["job"]["seq"] if {own_seq} else -1
write_frame(fd, {{"type": "result", "ok": False, "seq": seq, "timings": {{}}, "rss": 0,
                 "failure": {{"kind": "program", "message": "forged", "line": None}}}})
'''


@pytest.mark.parametrize("own_seq", [False, True], ids=["wrong-seq", "own-seq"])
def test_forged_result_frames_never_reach_another_job(unchecked_pool, own_seq):
    """A program that writes into the result channel can at most lie about its own job: the next job
    still gets its own result, never the forger's leftover frame."""
    forger = build_test_program(extra=FORGE.format(own_seq=own_seq))
    honest = build_test_program(objects=(("cube", (0.0, 0.0, 0.5), (0.2, 0.8, 0.2)),))
    results = unchecked_pool.render([RenderJob(forger, quick(), "forger"), RenderJob(honest, quick(), "honest"),
                                     RenderJob(honest, quick(), "honest-again")])
    forged, after, again = results
    assert not forged.ok
    assert forged.failure.kind == ("program" if own_seq else "sandbox")  # with its own seq, it may lie about itself
    for result in (after, again):
        assert result.ok, result.failure
        assert [o["name"] for o in result.summary["objects"]] == ["obj0"]
        assert result.job_id in ("honest", "honest-again")

"""The sandbox's weaker modes still run jobs, and say clearly that they are weaker."""

from __future__ import annotations

import warnings

import pytest

from conftest import build_test_program
from render_pool import RenderJob, RenderSettings, sandbox
from render_pool.process import WorkerProcess

PROBE = build_test_program(extra="""
import os, socket
try:
    socket.create_connection(('1.1.1.1', 53), timeout=2)
    net = 'open'
except OSError:
    net = 'blocked'
scene.objects['obj0'].name = f'pid{os.getpid()}-{net}'
""")


def run_probe_in(mode: str, monkeypatch) -> tuple[str, list[str]]:
    monkeypatch.setattr(sandbox, "detect", lambda: sandbox.SandboxSpec(mode, f"{mode} (forced by the test)"))
    sandbox.warn_if_weak.cache_clear()
    worker = WorkerProcess()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            worker.start()
            sandbox.warn_if_weak(mode)  # what a replacement process calls: no second warning
        settings = RenderSettings(engine="WORKBENCH", width=8, height=8, passes=("color",), timeout_s=60.0)
        result = worker.run(RenderJob(PROBE, settings, mode))
    finally:
        worker.close()
        sandbox.warn_if_weak.cache_clear()
    assert result.ok, result.failure
    return result.summary["objects"][0]["name"], [str(w.message) for w in caught]


@pytest.mark.parametrize("mode", ["unshare", "rlimits"])
def test_weaker_sandbox_renders_and_warns_once(mode, monkeypatch):
    if mode == "unshare" and not sandbox._probe(["unshare", *sandbox._UNSHARE_PID, "true"]):
        pytest.skip("this kernel does not allow unprivileged user namespaces")
    name, messages = run_probe_in(mode, monkeypatch)
    assert len(messages) == 1 and "NOT fully sandboxed" in messages[0] and mode in messages[0]
    if mode == "unshare":
        assert name == "pid1-blocked"  # its own PID namespace, no network


def test_detect_reports_what_this_machine_offers():
    spec = sandbox.detect()
    assert spec.mode in ("bwrap", "unshare", "unshare-net", "rlimits") and spec.detail


def test_a_worker_that_cannot_start_fails_its_job_as_sandbox(monkeypatch):
    import sys

    from render_pool import process

    broken = [sys.executable, "-c", "import sys; print('bwrap: setting up uid map: Permission denied'); sys.exit(1)"]
    monkeypatch.setattr(process, "worker_command", lambda args, gpu=False, limits=None: (broken, {}, sandbox.detect()))
    worker = WorkerProcess()
    try:
        result = worker.run(RenderJob(PROBE, RenderSettings(engine="WORKBENCH", width=8, height=8), "x"))
    finally:
        worker.close()
    assert result.failure.kind == "sandbox"
    assert "Permission denied" in result.failure.message  # the process's own words are quoted

"""`seig batch` on a real local Ray cluster (a head and a second node on 127.0.0.1): every image is
reconstructed, a worker node killed mid-batch costs no finished image, and running the batch again finishes
what is missing without redoing what was done."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

BIN = Path(sys.executable).parent
SEIG = [str(BIN / "seig")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _images(folder: Path, n: int) -> None:
    """Small synthetic targets: a coloured block on a grey floor under a light sky."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(5)
    for i in range(n):
        img = np.full((32, 32, 3), 215, np.uint8)
        img[18:] = 120
        x, y = rng.integers(6, 20, size=2)
        img[y:y + 9, x:x + 9] = rng.integers(20, 230, size=3)
        Image.fromarray(img).save(folder / f"img{i}.png")


def _node(args: list[str], log: Path) -> subprocess.Popen:
    """A Ray node in its own process session, so that it (and only it) can be killed as a group."""
    return subprocess.Popen([str(BIN / "ray"), "start", "--block", "--disable-usage-stats",
                             "--node-ip-address=127.0.0.1", *args], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, "RAY_AUTH_MODE": "disabled"})


def _kill(node: subprocess.Popen) -> None:
    try:
        os.killpg(node.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    node.wait(timeout=30)


def _wait_for_nodes(address: str, n: int, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    probe = ("import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
             "print(sum(1 for x in ray.nodes() if x['Alive']))")
    while time.time() < deadline:
        out = subprocess.run([sys.executable, "-c", probe, address], capture_output=True, text=True,
                             env={**os.environ, "RAY_AUTH_MODE": "disabled"})
        if out.returncode == 0 and out.stdout.strip().splitlines()[-1:] == [str(n)]:
            return
        time.sleep(1.0)
    raise AssertionError(f"Ray cluster at {address} did not reach {n} nodes")


@pytest.mark.slow
def test_batch_survives_a_killed_worker_node_and_resumes(tmp_path: Path) -> None:
    images, out = tmp_path / "images", tmp_path / "batch"
    _images(images, 3)
    port = _free_port()
    address = f"127.0.0.1:{port}"
    head = _node(["--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false"], tmp_path / "head.log")
    worker = None
    try:
        worker = _node([f"--address={address}", "--num-cpus=2"], tmp_path / "worker.log")
        _wait_for_nodes(address, 2)
        env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
        command = [*SEIG, "batch", str(images), "--out", str(out), "--preset", "fast", "--size", "32",
                   "--budget", "6", "--ray-address", address]
        batch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
        deadline = time.time() + 240
        while time.time() < deadline and not list(out.glob("*/status.json")) and batch.poll() is None:
            time.sleep(0.5)
        first_done = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/status.json")}
        assert first_done and batch.poll() is None, "the kill must come mid-batch, after a first image"
        _kill(worker)  # mid-batch: some images finished, others running or waiting
        worker = None
        try:
            first_log, _ = batch.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            batch.kill()
            first_log, _ = batch.communicate()
        assert batch.returncode in (0, 1), first_log  # 1: some images failed, a clear summary says which
        # Run again on the surviving cluster: finished images are skipped, the rest completed.
        again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        assert again.returncode == 0, again.stdout + again.stderr
        results = json.loads((out / "results.json").read_text())
        assert sorted(r["case"] for r in results["runs"]) == ["img0", "img1", "img2"]
        assert all(r["status"] == "done" for r in results["runs"])
        for case, mtime in first_done.items():  # not redone
            assert (out / case / "status.json").stat().st_mtime_ns == mtime
            assert next(r for r in results["runs"] if r["case"] == case)["skipped"] is True
        for case in ("img0", "img1", "img2"):
            assert (out / case / "scene.py").is_file() and (out / case / "render.png").is_file()
        assert "img2" in (out / "summary.md").read_text()
        assert (out / "report.html").is_file() and (out / "img0" / "report.html").is_file()
    finally:
        if worker is not None:
            _kill(worker)
        _kill(head)

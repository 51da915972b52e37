"""With the static policy switched OFF, the worst escape attempts run for real inside the pool's sandbox.

One probe program tries everything a hostile scene program would (write outside its folder, read a secret
the test planted, reach a listener on 127.0.0.1, reach an abstract unix socket, spawn a shell that does the
same, see or signal host processes) and reports what each attempt did. The assertions look at the HOST:
the files must not appear, the listeners must see no connection, the secret must not come back.

Which guarantees hold depends on the sandbox the pool found (render_pool.sandbox.detect()):
bubblewrap isolates files, network and processes; the unshare fallback isolates only the network; plain
resource limits isolate nothing. Tests of a guarantee the current sandbox does not give are skipped, saying
which sandbox ran.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from render_pool import RenderJob, RenderSettings
from render_pool.policy import check_program
from render_pool.sandbox import detect

REPO = Path(__file__).resolve().parent.parent
MODE = detect().mode
FILES_ISOLATED = MODE == "bwrap"
NETWORK_ISOLATED = MODE in ("bwrap", "unshare", "unshare-net")

PROBE = r'''
import json, os, socket, subprocess
T = json.loads(TARGETS)
report = {"hostname": socket.gethostname(), "uid": os.getuid()}

def attempt(name, fn):
    try:
        report[name] = "ok: " + str(fn())[:120]
    except BaseException as error:
        report[name] = "blocked: " + type(error).__name__ + ": " + str(error)[:100]

def write(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write("escaped")
    return path

def connect(host, port):
    with socket.create_connection((host, port), timeout=1.5) as conn:
        conn.sendall(b"escaped")
    return "connected"

def unix(name):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(1.5)
        conn.connect("\0" + name)
    return "connected"

def shell(command):
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, timeout=10)
    return done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")

attempt("write_own_folder", lambda: write(os.path.join(os.environ.get("TMPDIR", "/tmp"), "probe", "inside.txt")))
for key in ("host_tmp", "home", "repo", "venv", "dev_shm"):
    attempt("write_" + key, lambda: write(T["write"][key]))
attempt("read_secret", lambda: open(T["secret"]).read())
attempt("list_secret_dir", lambda: os.listdir(os.path.dirname(T["secret"])))
attempt("tcp_loopback", lambda: connect("127.0.0.1", T["port"]))
attempt("tcp_host_address", lambda: connect(T["host_ip"], T["port"]) if T["host_ip"] else "no host address")
attempt("abstract_unix", lambda: unix(T["unix"]))
attempt("subprocess", lambda: shell("echo alive; echo escaped > " + T["write"]["shell"] + "; cat " + T["secret"]))
attempt("see_host_pid", lambda: os.path.exists("/proc/%d" % T["test_pid"]) or "invisible")
attempt("signal_host_pid", lambda: os.kill(T["test_pid"], 0) or "signalled")
raise RuntimeError("PROBE " + json.dumps(report, sort_keys=True))
'''


class _Listener:
    """A TCP listener (all interfaces) and an abstract unix listener that record every connection."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("0.0.0.0", 0))
        self.port = self.tcp.getsockname()[1]
        self.unix_name = f"seig-escape-{secrets.token_hex(6)}"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind("\0" + self.unix_name)
        self.unix.listen()
        self.connections: list[str] = []
        self._threads = [threading.Thread(target=self._serve, args=(s, n), daemon=True)
                         for s, n in ((self.tcp, "tcp"), (self.unix, "unix"))]
        for thread in self._threads:
            thread.start()

    def _serve(self, server: socket.socket, name: str) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed
                return
            self.connections.append(name)
            conn.close()

    def close(self) -> None:
        for server in (self.tcp, self.unix):
            try:
                server.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            server.close()


def _host_ip() -> str:
    """A non-loopback address of this machine, or '' when it has none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing interface
            address = probe.getsockname()[0]
        return "" if address.startswith("127.") else address
    except OSError:
        return ""


@pytest.fixture(scope="module")
def escape(render_pool, tmp_path_factory) -> Iterator[dict]:
    """Run the probe once through the shared pool with the policy off; yield targets, report, listener."""
    token = secrets.token_hex(8)
    base = tmp_path_factory.mktemp("escape")
    secret = base / "secret" / "secret.txt"
    secret.parent.mkdir()
    secret_value = f"SECRET-{secrets.token_hex(8)}"  # its own token: file names above carry `token`
    secret.write_text(secret_value)
    write = {
        "host_tmp": str(base / "host_tmp" / "escaped.txt"),
        "home": str(Path.home() / f".seig-escape-{token}" / "escaped.txt"),
        "repo": str(REPO / "render_pool" / f".seig-escape-{token}"),
        "venv": str(Path(sys.prefix) / f".seig-escape-{token}"),
        "dev_shm": f"/dev/shm/seig-escape-{token}/escaped.txt",
        "shell": str(base / "shell_escaped.txt"),
    }
    listener = _Listener()
    targets = {"write": write, "secret": str(secret), "port": listener.port, "host_ip": _host_ip(),
               "unix": listener.unix_name, "test_pid": os.getpid()}
    program = f"TARGETS = {json.dumps(json.dumps(targets))}\n" + PROBE
    settings = RenderSettings(engine="WORKBENCH", width=8, height=8, passes=("color",), timeout_s=60.0)
    before, render_pool.enforce_policy = render_pool.enforce_policy, False
    try:
        [result] = render_pool.render([RenderJob(program, settings, "escape-probe")])
    finally:
        render_pool.enforce_policy = before
        listener.close()
    message = result.failure.message if result.failure else ""
    report = json.loads(message.split("PROBE ", 1)[1]) if "PROBE " in message else {}
    print(f"\nsandbox mode: {MODE} ({detect().detail})\nprobe report: {json.dumps(report, indent=1)}")
    yield {"program": program, "result": result, "report": report, "write": write, "secret": secret,
           "secret_value": secret_value, "listener": listener}
    for path in write.values():  # clean up anything that did escape, so a failure does not linger
        target = Path(path)
        top = next((p for p in (target, *target.parents) if "seig-escape-" in p.name), target)
        if top.is_dir():
            shutil.rmtree(top, ignore_errors=True)
        elif top.exists():
            top.unlink()


def test_sandbox_mode_is_reported_and_matches_bwrap_presence(escape) -> None:
    report = escape["report"]
    assert report, f"the probe did not run or did not report: {escape['result'].failure}"
    if FILES_ISOLATED:
        assert report["hostname"] == "seig-worker"  # the sandbox's own UTS namespace
    if os.path.exists("/usr/bin/bwrap") and MODE != "bwrap":
        pytest.fail(f"/usr/bin/bwrap is installed but the pool runs under {MODE!r}: {detect().detail}")


def test_the_policy_would_have_rejected_the_probe(escape) -> None:
    assert {v.rule for v in check_program(escape["program"])} >= {"import", "forbidden-builtin"}


def test_with_the_policy_on_the_probe_never_reaches_a_worker(render_pool, escape) -> None:
    settings = RenderSettings(engine="WORKBENCH", width=8, height=8, passes=("color",), timeout_s=60.0)
    assert render_pool.enforce_policy
    [result] = render_pool.render([RenderJob(escape["program"], settings, "escape-probe-checked")])
    assert not result.ok and result.failure.kind == "policy"
    assert "PROBE" not in result.failure.message


def test_the_probe_really_ran_and_can_write_its_own_folder(escape) -> None:
    assert escape["report"]["write_own_folder"].startswith("ok: "), escape["report"]
    assert "alive" in escape["report"]["subprocess"]  # a shell did start: containment, not luck


WHERE = ["host_tmp", "home", "repo", "venv", "dev_shm", "shell"]


@pytest.mark.parametrize("where", WHERE, ids=[f"{MODE}-{w}" for w in WHERE])  # ids say which sandbox ran
def test_cannot_write_outside_its_folder(escape, where: str) -> None:
    if not FILES_ISOLATED:
        pytest.skip(f"sandbox mode {MODE!r} does not isolate the file system (bubblewrap missing)")
    assert not Path(escape["write"][where]).exists(), escape["report"]


def test_cannot_read_a_secret_planted_on_the_host(escape) -> None:
    if not FILES_ISOLATED:
        pytest.skip(f"sandbox mode {MODE!r} does not isolate the file system (bubblewrap missing)")
    report = escape["report"]
    assert report["read_secret"].startswith("blocked: "), report
    assert report["list_secret_dir"].startswith("blocked: "), report
    assert escape["secret_value"] not in json.dumps(report)
    assert escape["secret_value"] not in str(escape["result"].failure)


ATTEMPTS = ["tcp_loopback", "tcp_host_address", "abstract_unix"]


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[f"{MODE}-{a}" for a in ATTEMPTS])
def test_cannot_reach_the_network(escape, attempt: str) -> None:
    if not NETWORK_ISOLATED:
        pytest.skip(f"sandbox mode {MODE!r} does not isolate the network")
    report = escape["report"]
    if attempt == "tcp_host_address" and report[attempt] == "ok: no host address":
        pytest.skip("this machine has no non-loopback address")
    assert report[attempt].startswith("blocked: "), report
    assert escape["listener"].connections == []


def test_cannot_see_or_signal_host_processes(escape) -> None:
    if not FILES_ISOLATED:
        pytest.skip(f"sandbox mode {MODE!r} has no PID namespace")
    report = escape["report"]
    assert report["see_host_pid"] == "ok: invisible", report
    assert report["signal_host_pid"].startswith("blocked: ProcessLookupError"), report

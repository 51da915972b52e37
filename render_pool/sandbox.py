"""The OS sandbox around each Blender worker process.

Layers, outermost first:
1. ``prlimit`` resource limits on the process tree: address space (RLIMIT_AS; not on GPU workers, where the
   driver maps huge virtual ranges), file size, open files, processes, no core dumps.
2. bubblewrap, where present: new user, network, PID, IPC, UTS and cgroup namespaces (no network at all), the
   system and the Python installation bound read-only, a private tmpfs /tmp (the only writable place, gone
   with the process), a minimal /dev and /proc, a cleared environment, all capabilities dropped, a new
   session (no terminal injection) and death with the supervising process.
3. Without bubblewrap: ``unshare`` of the user, network and PID namespaces (with a private /proc) where the
   kernel allows it, else of user and network only, else the resource limits alone. The pool says which,
   once, as a warning.
The static policy check (render_pool.policy) runs before this and catches honest mistakes early; this module
is the boundary.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

GIB = 1 << 30
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "glvnd", "passwd", "group", "nsswitch.conf",
              "localtime", "alternatives")
_UNSHARE_NET = ("--user", "--map-root-user", "--net")
_UNSHARE_PID = _UNSHARE_NET + ("--pid", "--fork", "--mount-proc", "--kill-child")
_GPU_DEVICES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", "/dev/dri")


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one worker process tree."""

    address_space_bytes: int = 4 * GIB  # >= 2 GiB is needed by Workbench; 4 GiB is safe for both engines
    file_size_bytes: int = 1 * GIB
    open_files: int = 1024
    processes: int = 4096  # counted per user across the machine, so this only stops fork bombs


@dataclass(frozen=True)
class SandboxSpec:
    """What the sandbox does on this machine: `mode` is 'bwrap', 'unshare', 'unshare-net' or 'rlimits'."""

    mode: str
    detail: str


@functools.lru_cache(maxsize=1)
def detect() -> SandboxSpec:
    """Find the strongest sandbox this machine supports (probed once per process)."""
    bwrap = shutil.which("bwrap")
    if bwrap and _probe([bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"]):
        return SandboxSpec("bwrap", f"bubblewrap ({bwrap}): no network, read-only system, private /tmp")
    unshare = shutil.which("unshare")
    if unshare and _probe([unshare, *_UNSHARE_PID, "true"]):
        return SandboxSpec("unshare", "no bubblewrap: unshare user, network and PID namespaces and resource "
                                      "limits only (files are not isolated)")
    if unshare and _probe([unshare, *_UNSHARE_NET, "true"]):
        return SandboxSpec("unshare-net", "no bubblewrap: unshare user and network namespaces and resource limits "
                                          "only (files and processes are not isolated)")
    return SandboxSpec("rlimits", "no bubblewrap and no namespaces: resource limits only, network not isolated")


def _probe(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=None)
def warn_if_weak(mode: str) -> None:
    """Say once per process, clearly, when workers run without bubblewrap."""
    if mode != "bwrap":
        warnings.warn(f"render workers are NOT fully sandboxed: {detect().detail}", RuntimeWarning, stacklevel=3)


def gpu_cache_dir() -> Path:
    """Persistent, writable cache for GPU kernels (the CUDA JIT of a new GPU takes minutes; keep it)."""
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "seig" / "gpu"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _prlimit(limits: SandboxLimits, gpu: bool) -> list[str]:
    argv = [shutil.which("prlimit") or "prlimit", f"--fsize={limits.file_size_bytes}",
            f"--nofile={limits.open_files}", f"--nproc={limits.processes}", "--core=0"]
    if not gpu:
        argv.append(f"--as={limits.address_space_bytes}")
    return argv + ["--"]


def worker_env(gpu: bool, pythonpath: str) -> dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "PYTHONPATH": pythonpath, "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONUNBUFFERED": "1"}
    if gpu:
        cache = gpu_cache_dir()
        env.update({"CUDA_CACHE_PATH": str(cache / "nv"), "CUDA_CACHE_MAXSIZE": str(4 * GIB),
                    "XDG_CACHE_HOME": str(cache)})
        for key in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"):
            if key in os.environ:
                env[key] = os.environ[key]
    return env


def _bwrap_args(gpu: bool, env: dict[str, str], read_only: list[str]) -> list[str]:
    args = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--hostname", "seig-worker", "--clearenv",
            "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in _ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path in dict.fromkeys(read_only):
        args += ["--ro-bind", path, path]
    if gpu:
        for dev in _GPU_DEVICES + tuple(str(p) for p in sorted(Path("/dev").glob("nvidia[0-9]*"))):
            args += ["--dev-bind-try", dev, dev]
        args += ["--ro-bind-try", "/sys", "/sys", "--ro-bind-try", "/proc/driver/nvidia", "/proc/driver/nvidia"]
        args += ["--bind", env["XDG_CACHE_HOME"], env["XDG_CACHE_HOME"]]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--"]


def worker_command(worker_args: list[str], *, gpu: bool = False,
                   limits: SandboxLimits = SandboxLimits()) -> tuple[list[str], dict[str, str], SandboxSpec]:
    """The argv and environment that start ``python -m render_pool.worker_main`` inside the sandbox."""
    spec = detect()
    package_root = str(Path(__file__).resolve().parent.parent)
    python = [sys.executable, "-m", "render_pool.worker_main", *worker_args]
    env = worker_env(gpu, package_root)
    if spec.mode == "bwrap":
        read_only = [os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix,
                     str(Path(__file__).resolve().parent)]
        return _prlimit(limits, gpu) + _bwrap_args(gpu, env, read_only) + python, {}, spec
    if spec.mode in ("unshare", "unshare-net"):
        flags = _UNSHARE_PID if spec.mode == "unshare" else _UNSHARE_NET
        return _prlimit(limits, gpu) + [shutil.which("unshare") or "unshare", *flags, "--"] + python, env, spec
    return _prlimit(limits, gpu) + python, env, spec

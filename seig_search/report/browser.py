"""Open a page in headless Chromium and check it: console errors, failed loads, decoded images, a screenshot.

Speaks the DevTools protocol over ``--remote-debugging-pipe`` (file descriptors 3 and 4, NUL-separated JSON),
so it needs no network port and no extra package.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seig_search.errors import BrowserError

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)

_IMAGES_JS = """JSON.stringify(Array.from(document.images).map(i => ({
  src: i.currentSrc.slice(0, 80), complete: i.complete, width: i.naturalWidth, height: i.naturalHeight,
  decoded: i.complete && i.naturalWidth > 0})))"""


@dataclass
class PageCheck:
    """What a headless browser saw when it opened a page."""

    url: str
    console_errors: list[str] = field(default_factory=list)  # console.error, uncaught exceptions, failed loads
    images: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""
    screenshot: bytes = b""  # PNG of the full page
    load_s: float = 0.0

    @property
    def broken_images(self) -> list[dict[str, Any]]:
        return [image for image in self.images if not image["decoded"]]


def find_chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _Pipe:
    def __init__(self, binary: str, profile: str) -> None:
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()

        def wire_fds() -> None:  # runs in the child: Chromium reads fd 3 and writes fd 4
            high_r, high_w = os.dup2(to_chrome_r, 200), os.dup2(from_chrome_w, 201)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=wire_fds,
            close_fds=False,  # dup2 leaves 3 and 4 inheritable; Python's own descriptors are non-inheritable (PEP 446)
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._out = os.fdopen(to_chrome_w, "wb", buffering=0)
        self._in = os.fdopen(from_chrome_r, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._in.read(1 << 16)
            if not chunk:
                raise BrowserError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> None:
        def seen() -> bool:
            return any(e.get("method") == method and e.get("sessionId") == session for e in self.events)

        while not seen():
            self.events.append(self._receive())

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (BrowserError, OSError):
            pass
        for stream in (self._out, self._in):
            stream.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _console_errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
    return errors


def _open(pipe: _Pipe, url: str, width: int) -> PageCheck:
    """Load one page in a new tab of the running browser and read what it shows."""
    start = time.monotonic()
    target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
        pipe.call(domain, session=session)
    pipe.call("Emulation.setDeviceMetricsOverride",
              {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
    pipe.call("Page.navigate", {"url": url}, session=session)
    pipe.wait_for("Page.loadEventFired", session)
    load_s = time.monotonic() - start
    value = pipe.call("Runtime.evaluate", {"expression": _IMAGES_JS, "returnByValue": True}, session=session)
    title = pipe.call("Runtime.evaluate", {"expression": "document.title", "returnByValue": True}, session=session)
    shot = pipe.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
    events = [e for e in pipe.events if e.get("sessionId") == session]
    pipe.call("Target.closeTarget", {"targetId": target})
    return PageCheck(url=url, console_errors=_console_errors(events), images=json.loads(value["result"]["value"]),
                     title=str(title["result"].get("value", "")), screenshot=base64.b64decode(shot["data"]),
                     load_s=load_s)


def check_pages(pages: list[Path], width: int = 1280, timeout_s: float = 60.0) -> list[PageCheck]:
    """Load local HTML files in one headless Chromium and report what it saw on each.

    Raises BrowserError when Chromium is missing, dies, or takes longer than ``timeout_s`` in all.
    """
    binary = find_chromium()
    if binary is None:
        raise BrowserError("chromium is not installed (apt install chromium)")
    urls = [Path(page).resolve().as_uri() for page in pages]
    with tempfile.TemporaryDirectory(prefix="seig-chromium-") as profile:
        pipe = _Pipe(binary, profile)
        start = time.monotonic()
        watchdog = threading.Timer(timeout_s, pipe.process.kill)  # a hung browser closes the pipe: reads end
        watchdog.start()
        try:
            return [_open(pipe, url, width) for url in urls]
        except BrowserError as exc:
            if time.monotonic() - start >= timeout_s:
                raise BrowserError(f"chromium did not finish within {timeout_s:.0f} s") from exc
            raise
        finally:
            watchdog.cancel()
            pipe.close()


def check_page(page: Path, width: int = 1280, timeout_s: float = 60.0) -> PageCheck:
    """``check_pages`` for one page."""
    return check_pages([page], width, timeout_s)[0]

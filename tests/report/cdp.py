"""Headless Chromium driven over the DevTools protocol on a pipe, and a pure-Python PNG reader.

Why the protocol rather than `chromium --screenshot`: it reports console messages, uncaught
exceptions, log entries (failed resource loads, blocked requests) and every network request the
page makes, and it can measure where the charts are, all in the same browser session. No
WebSocket or extra package is needed: `--remote-debugging-pipe` speaks NUL-separated JSON on
file descriptors 3 (commands in) and 4 (replies and events out).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe"]


def find_chromium() -> Optional[str]:
    """`$RUNSTEPS_CHROMIUM`, else chromium (or Chrome) on PATH, else None."""
    env = os.environ.get("RUNSTEPS_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CdpError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page attached, closed on exit."""

    def __init__(self, executable: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="runsteps-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # runs in the child: the pipes become fds 3 and 4
            # dup first: a pipe end may itself be fd 3 or 4. subprocess closes the other fds after
            # this hook, keeping those in pass_fds, hence pass_fds=(3, 4) below.
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(3, 4), preexec_fn=wire)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: List[Dict[str, Any]] = []
        self.session: Optional[str] = None

    # -- protocol ----------------------------------------------------------------------------------

    def send(self, method: str, params: Optional[Dict[str, Any]] = None, session: bool = True) -> Dict[str, Any]:
        """Sends a command and waits for its reply, keeping the events that arrive meanwhile."""
        self._next_id += 1
        message: Dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> Dict[str, Any]:
        """Waits for an event (or finds it among those already received)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self) -> Dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chrome], [], [], left)[0]:
                raise CdpError(f"no answer from Chromium within {self.timeout:.0f}s")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise CdpError("Chromium closed the DevTools pipe: " + self._stderr())
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _stderr(self) -> str:
        try:
            self.proc.kill()
            return (self.proc.communicate(timeout=5)[1] or b"").decode(errors="replace")[-2000:]
        except Exception:  # noqa: BLE001 - best effort for an error message
            return ""

    # -- page ----------------------------------------------------------------------------------------

    def open_page(self, width: int, height: int) -> None:
        """Creates a page, attaches to it, and turns on the domains whose events the test reads."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def navigate(self, url: str) -> None:
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CdpError(f"navigation to {url} failed: {result['errorText']}")
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise CdpError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, clip: Optional[Tuple[float, float, float, float]] = None) -> bytes:
        params: Dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if clip:
            x, y, w, h = clip
            params["clip"] = {"x": x, "y": y, "width": w, "height": h, "scale": 1}
        return base64.b64decode(self.send("Page.captureScreenshot", params)["data"])

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close", session=False)
                except CdpError:
                    pass
                self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        finally:
            if self.proc.stderr:
                self.proc.stderr.close()
            for fd in (self._to_chrome, self._from_chrome):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class PageVisit:
    """What a visit to the report showed.

    Attributes:
        errors: console errors, uncaught exceptions and error log entries, as text.
        requests: URLs of every request the page made (the document itself included).
        charts: the bounding boxes (x, y, width, height) of the page's `svg.chart` elements.
        chart_pngs: a PNG screenshot of each chart box.
        page_png: a screenshot of the whole page.
        title: the document title.
    """

    errors: List[str] = field(default_factory=list)
    requests: List[str] = field(default_factory=list)
    charts: List[Tuple[float, float, float, float]] = field(default_factory=list)
    chart_pngs: List[bytes] = field(default_factory=list)
    page_png: bytes = b""
    title: str = ""


def visit(executable: str, html_file: Path, width: int = 1280, height: int = 2400) -> PageVisit:
    """Opens the file in headless Chromium, and collects errors, requests, chart boxes and screenshots."""
    out = PageVisit()
    with Browser(executable) as browser:
        browser.open_page(width, height)
        browser.navigate(html_file.resolve().as_uri())
        out.title = browser.evaluate("document.title")
        boxes = browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('svg.chart')].map(e => {"
            " const r = e.getBoundingClientRect(); return [r.x, r.y + window.scrollY, r.width, r.height]; }))")
        out.charts = [tuple(b) for b in json.loads(boxes)]
        page_height = int(browser.evaluate("document.documentElement.scrollHeight"))
        browser.resize(width, max(height, page_height))
        out.page_png = browser.screenshot()
        out.chart_pngs = [browser.screenshot(box) for box in out.charts]
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                         for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                out.errors.append("uncaught: " + json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                out.errors.append(f"log {entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
            elif method == "Network.requestWillBeSent":
                out.requests.append(params.get("request", {}).get("url", ""))
    return out


# --- PNG ------------------------------------------------------------------------------------------


def read_png(data: bytes) -> Tuple[int, int, List[bytes], int]:
    """Decodes an 8-bit RGB or RGBA PNG: (width, height, rows of raw pixels, bytes per pixel)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, [], 0
    height = depth = colour = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat.append(chunk)
        pos += 12 + length
    if depth != 8 or colour not in (2, 6):
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows: List[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def colour_counts(png: bytes) -> Dict[Tuple[int, int, int], int]:
    """How many pixels of each RGB colour the image has."""
    width, _, rows, bpp = read_png(png)
    counts: Dict[Tuple[int, int, int], int] = {}
    for row in rows:
        for i in range(0, width * bpp, bpp):
            key = (row[i], row[i + 1], row[i + 2])
            counts[key] = counts.get(key, 0) + 1
    return counts


def hex_rgb(colour: str) -> Tuple[int, int, int]:
    """`#4269d0` as (66, 105, 208)."""
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)

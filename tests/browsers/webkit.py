"""What the WebKit smoke walk needs around Selenium: a private X display, a MiniBrowser
session through WebKitWebDriver, and a server of the built site that traps page errors.

WebKitWebDriver speaks classic WebDriver only (asking it for WebDriver BiDi fails to create a
session), so there is no page-error event to listen to: the server puts one same-origin
script first in every page's <head> that records uncaught errors, unhandled rejections and
console.error calls in `window.__pageErrors`, before any of the page's own scripts run."""
from __future__ import annotations

import contextlib
import functools
import glob
import http.server
import os
import subprocess
import threading
from pathlib import Path

# Debian ships MiniBrowser (libwebkit2gtk-4.1-0) under the machine's multiarch directory.
MINIBROWSER = next(iter(glob.glob("/usr/lib/*/webkit2gtk-4.1/MiniBrowser")),
                   "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
XVFB = "/usr/bin/Xvfb"

TRAP_PATH = "/__page_error_trap__.js"
TRAP_JS = b"""(() => {
  const errors = (window.__pageErrors = []);
  addEventListener("error", (e) => {
    if (e instanceof ErrorEvent) errors.push(`page error: ${e.message} @ ${e.filename}:${e.lineno}`);
  }, true);
  addEventListener("unhandledrejection", (e) => errors.push(`unhandled rejection: ${e.reason}`));
  const consoleError = console.error.bind(console);
  console.error = (...args) => { errors.push(`console error: ${args.map(String).join(" ")}`); consoleError(...args); };
})();
"""
TRAP_TAG = f'<script src="{TRAP_PATH}"></script>'.encode()


class _TrapHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == TRAP_PATH:
            return self._send(TRAP_JS, "text/javascript")
        file = Path(self.translate_path(path))
        if file.is_dir():
            file = file / "index.html"
        if file.suffix == ".html" and file.is_file():
            html = file.read_bytes()
            head = html.find(b"<head>")
            assert head >= 0, f"{file} has no <head>"
            at = head + len(b"<head>")
            return self._send(html[:at] + TRAP_TAG + html[at:], "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, content_type: str):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a page that navigates mid-download drops its connection


@contextlib.contextmanager
def trapping_server(directory: Path):
    """The built site at http://127.0.0.1:PORT/, every page with the error trap first."""
    server = _Server(("127.0.0.1", 0), functools.partial(_TrapHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@contextlib.contextmanager
def x_display():
    """A private Xvfb display (":N"); Xvfb picks a free N and tells it through -displayfd."""
    read, write = os.pipe()
    xvfb = subprocess.Popen([XVFB, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            pass_fds=[write], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as pipe:
            number = pipe.readline().decode().strip()
        assert number, f"Xvfb exited ({xvfb.poll()}) before it opened a display"
        yield f":{number}"
    finally:
        xvfb.terminate()
        try:
            xvfb.wait(timeout=10)
        except subprocess.TimeoutExpired:
            xvfb.kill()


@contextlib.contextmanager
def minibrowser(display: str):
    """A WebDriver session in WebKitGTK's MiniBrowser. `--automation`, not `--headless` (a
    headless MiniBrowser never opens a session); the driver's path is given so Selenium never
    tries to download one."""
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    options = Options()
    options.binary_location = MINIBROWSER
    options.add_argument("--automation")
    service = Service(executable_path=WEBKIT_DRIVER, env={**os.environ, "DISPLAY": display},
                      log_output=subprocess.DEVNULL)
    driver = webdriver.WebKitGTK(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()

"""Fixtures for the browser tests: the built site served over HTTP (at the origin root and
under /book/), Debian chromium through Playwright, and a page that records every console
error, page error and request so tests can assert on them."""
from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
# E2E_BOOK: run the browser tests against another build (e.g. an older runtime, to show a
# fault-injection case reproduces the bug it guards against).
BOOK = Path(os.environ.get("E2E_BOOK", ROOT / "_book"))
# Cold Pyodide boot is 3-4 s here; leave room for a loaded 2-core CI machine.
READY_TIMEOUT_MS = 60_000


def _lab_pages() -> dict[str, str]:
    """Every lab in the catalog -> the page of its chapter (labs/vol1/lab_02_ml_systems.py is
    embedded in book/vol1/ml_systems.qmd -> vol1/ml_systems.html)."""
    from labkit import catalog
    return {lab_id: f"{lab_id.split('/')[0]}/{catalog.load(lab_id).chapter}.html"
            for lab_id in catalog.all_ids()}


LAB_PAGES = _lab_pages()


def build_site() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "labs_wasm")}
    subprocess.run([sys.executable, "-m", "sitebuild"], cwd=ROOT, env=env, check=True)


@pytest.fixture(scope="session")
def book_dir() -> Path:
    """The built site; built here when missing (never skipped)."""
    if not (BOOK / "vol1" / "introduction.html").is_file() or os.environ.get("E2E_REBUILD"):
        build_site()
    assert (BOOK / "assets" / "runtime" / "boot.js").is_file(), f"{BOOK} has no runtime: the site build did not copy labs_wasm/runtime"
    return BOOK


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    prefix = ""  # URL path prefix the site is mounted under ("" or "/book")

    def log_message(self, *args):  # keep pytest output readable
        pass

    def translate_path(self, path):
        parts = urlsplit(path).path
        if self.prefix:
            if not (parts == self.prefix or parts.startswith(self.prefix + "/")):
                return str(Path(self.directory) / "__outside_the_mount__")
            path = parts[len(self.prefix):] or "/"
        return super().translate_path(path)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A page that navigates or closes mid-download drops its connection: not an error.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def _serve(directory: Path, prefix: str = ""):
    handler = type("Handler", (_QuietHandler,), {"prefix": prefix})
    server = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{prefix}/"


@pytest.fixture(scope="session")
def site_url(book_dir):
    server, url = _serve(book_dir)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def subpath_url(book_dir):
    server, url = _serve(book_dir, prefix="/book")
    yield url
    server.shutdown()


@dataclass
class Recorder:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def on_console(self, msg):
        if msg.type != "error":
            return
        # Chromium asks for /favicon.ico at the origin root by itself; not the site's doing.
        if (msg.location or {}).get("url", "").endswith("/favicon.ico"):
            return
        self.console_errors.append(f"{msg.text} @ {msg.location}")

    def foreign_requests(self, base: str) -> list[str]:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        return [u for u in self.requests if not (u.startswith(origin + "/") or u.startswith(("data:", "blob:")))]


@pytest.fixture
def context(browser):
    # Under the site's own Content-Security-Policy: it forbids eval, so Playwright predicates
    # are written as functions ("() => ..."), never as bare expressions. The book's service
    # worker is blocked here: page.route never sees a request a service worker answers, and
    # the tests that inject faults must see every one (test_offline.py uses sw_context).
    ctx = browser.new_context(service_workers="block")
    yield ctx
    ctx.close()


@pytest.fixture
def sw_context(browser):
    """A context in which the book's service worker registers and serves (test_offline.py)."""
    ctx = browser.new_context(service_workers="allow")
    yield ctx
    ctx.close()


@pytest.fixture
def recorder(context):
    rec = Recorder()
    context.on("request", lambda r: rec.requests.append(r.url))
    context.on("page", lambda pg: (pg.on("console", rec.on_console), pg.on("pageerror", lambda e: rec.page_errors.append(str(e)))))
    return rec


@pytest.fixture
def page(context, recorder):
    return context.new_page()

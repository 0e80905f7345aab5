"""The built book in Debian chromium, served under /book/ (a sub-path): a chapter page loads
with no console errors, renders math with the self-hosted KaTeX, fetches only from its own
origin and sub-path, and the search box works from the keyboard."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.browser



class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(built_site, tmp_path_factory):
    srv_root = tmp_path_factory.mktemp("srv")
    (srv_root / "book").symlink_to(built_site.out_dir, target_is_directory=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(srv_root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_site_browser_chapter_under_subpath_math_and_search(served, browser):
    page = browser.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{served}/book/vol2/introduction.html")
    page.wait_for_load_state("networkidle")

    assert page.locator(".katex").count() > 0, "KaTeX did not render the page's math"
    assert page.locator('.sidebar a[aria-current="page"]').inner_text().startswith("17")
    assert page.locator("h1.title").inner_text().replace("\u2002", " ") == "Chapter 17 " + \
        page.locator("h1.title .chapter-title").inner_text()

    search = page.locator("#search-input")
    search.fill("iron law")
    results = page.locator("#search-results a")
    results.first.wait_for(timeout=5000)
    assert results.count() >= 1
    assert "iron law" in results.first.inner_text().lower()
    search.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('#search-results') !== null")
    page.keyboard.press("Escape")
    assert page.locator("#search-results").is_hidden()
    assert page.evaluate("document.activeElement.id") == "search-input"

    search.fill("iron law")
    results.first.wait_for(timeout=5000)
    target = results.first.evaluate("a => a.href")      # absolute, resolved against the page
    assert target.startswith(f"{served}/book/")
    search.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(target)

    assert errors == []
    outside = [u for u in requests if not u.startswith(f"{served}/book/") and not u.startswith(("data:", "blob:"))]
    assert outside == []
    page.close()

"""The book's offline copy in Chromium (sitebuild/offline.py, templates/sw.js,
assets/offline.js): after one visit every chapter and lab works with the server gone, under a
sub-path too; a new build is announced in an open page, kept apart from the old one until
the reader reloads, then served alone."""
from __future__ import annotations

import os
import re
import shutil

import pytest

from sitebuild import offline

from . import axe
from .conftest import LAB_PAGES, _serve
from .labpage import LabPage

pytestmark = pytest.mark.browser
FIRST, OTHER = "vol1/01", "vol2/01"   # two chapters' labs, one per volume
CHANGED = LAB_PAGES["vol1/02"]         # the page a new build rewrites
PHONE = {"width": 390, "height": 844}


def wait_offline_ready(page) -> None:
    """offline.js: an activated build (its cache complete) controls the page."""
    page.wait_for_function("() => document.documentElement.dataset.offline === 'ready'", timeout=60_000)


def offline_state(page) -> dict:
    return page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        const names = await caches.keys();
        const counts = await Promise.all(names.map(async (n) => (await (await caches.open(n)).keys()).length));
        return { scope: registration?.scope, script: registration?.active?.scriptURL,
                 controlled: Boolean(navigator.serviceWorker.controller),
                 caches: Object.fromEntries(names.map((n, i) => [n, counts[i]])) };
    }""")


def runtime_path(book, name: str) -> str:
    """An asset path from the built runtime's config.js (paths.<name>)."""
    m = re.search(rf'\b{name}: "([^"]+)"', (book / "assets" / "runtime" / "config.js").read_text(encoding="utf-8"))
    assert m, f"config.js has no paths.{name}"
    return m.group(1)


def stop(server) -> None:
    server.shutdown()
    server.server_close()


def test_after_one_visit_every_chapter_and_lab_works_offline_under_a_sub_path(book_dir, sw_context):
    server, url = _serve(book_dir, prefix="/book")
    try:
        expected = offline.precache(book_dir)
        page = sw_context.new_page()
        held = []   # the Python files, held back: the lab cannot reach ready meanwhile
        bundle = "**/" + runtime_path(book_dir, "bundle")
        page.route(bundle, lambda route: held.append(route))
        page.goto(url + LAB_PAGES[FIRST])
        for _ in range(600):
            if held:
                break
            page.wait_for_timeout(50)
        assert held, f"the lab never asked for {bundle}"
        assert page.evaluate("() => navigator.serviceWorker.getRegistration()") is None, \
            "the service worker registers only once the lab is ready (its precache must not compete with the boot)"
        assert page.evaluate("() => document.documentElement.dataset.offline") == "waiting"
        held[0].continue_()
        page.unroute(bundle)
        LabPage(page, FIRST).wait_ready()
        wait_offline_ready(page)
        state = offline_state(page)
        assert state["scope"] == url and state["script"] == url + "sw.js", state
        assert state["controlled"]
        assert state["caches"] == {expected.cache_name: len(expected.files) + len(expected.unpacked)}, \
            "the cache holds exactly this build"
    finally:
        stop(server)
    sw_context.set_offline(True)
    # The browser's HTTP cache also holds what the precache downloaded: empty it, so that
    # only the service worker can answer.
    sw_context.new_cdp_session(page).send("Network.clearBrowserCache")

    requested = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.reload()
    assert response.from_service_worker
    lab = LabPage(page, FIRST)
    lab.wait_ready()
    assert lab.section.get_attribute("data-boot") == "snapshot"
    # The worker, told the offline copy answers, compiles the wasm and reads the snapshot the
    # service worker stored decompressed (so V8 reuses its compiled wasm), not their .gz.
    unpacked = [url + path for path in expected.unpacked]
    assert len(unpacked) == 2 and set(unpacked) <= set(requested), (unpacked, requested)
    assert not [u for u in requested if u.endswith((".wasm.gz", ".bin.gz"))], requested

    # A chapter never opened before, by its link in the contents, as a reader would.
    page.locator(f'#book-contents a[href$="{LAB_PAGES[OTHER]}"]').click()
    page.wait_for_url(url + LAB_PAGES[OTHER])
    LabPage(page, OTHER).wait_ready()
    assert page.evaluate("() => performance.getEntriesByName('nav:shown').length") == 1, \
        "navigate.js swapped the page in from the offline copy (no fall-back to a page load)"
    page.goto(url + LAB_PAGES[OTHER])      # and loaded afresh
    LabPage(page, OTHER).wait_ready()

    page.goto(url + "?from=contents")      # the front page by its directory URL
    assert page.locator("main h1").count() == 1

    response = page.goto(url + "vol1/no-such-chapter.html")
    assert response.status == 503
    assert "You are offline" in page.locator("h1").inner_text()
    assert page.locator("a", has_text="the front page").get_attribute("href") == url + "index.html"


def _link_or_copy(src, dest):
    try:
        os.link(src, dest)
    except OSError:   # another file system
        shutil.copy2(src, dest)


@pytest.fixture
def book_copy(book_dir, tmp_path):
    """A copy of the built book a test may change: hard links, so a changed file must be
    replaced (unlinked and written), never written in place."""
    dest = tmp_path / "book"
    shutil.copytree(book_dir, dest, copy_function=_link_or_copy)
    return dest


def rewrite(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.unlink()
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def focus_by_tab(page, selector: str, most: int = 5) -> None:
    page.evaluate("() => document.activeElement?.blur()")
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not among the first {most} Tab stops")


def test_a_new_build_is_announced_kept_apart_and_served_after_reload(book_copy, sw_context):
    server, url = _serve(book_copy)
    try:
        first = sw_context.new_page()
        first.goto(url + LAB_PAGES[FIRST])
        LabPage(first, FIRST).wait_ready()
        wait_offline_ready(first)
        old = offline.precache(book_copy)
        assert list(offline_state(first)["caches"]) == [old.cache_name]

        # A new build at the same URL: one chapter changed, sw.js written again.
        rewrite(book_copy / CHANGED, "</main>", '<p id="new-build">Rewritten in the new build.</p>\n</main>')
        new = offline.write_service_worker(book_copy, log=lambda _: None)
        assert new.version != old.version

        # Opening another tab makes the browser look at sw.js; that tab still gets the old build.
        second = sw_context.new_page()
        response = second.goto(url + CHANGED)
        assert response.from_service_worker
        assert second.locator("#new-build").count() == 0

        notice = first.locator(".update-notice[role=status]")
        notice.locator("button", has_text="Reload").wait_for(timeout=60_000)
        assert "A new version of this book is available" in notice.inner_text()
        assert "saved" in notice.inner_text()
        assert first.evaluate("() => document.documentElement.dataset.offline") == "update"
        assert axe.run(first, include=".update-notice") == []
        first.set_viewport_size(PHONE)
        assert axe.sideways_pan(first) == []
        stale = first.evaluate("(u) => fetch(u).then((r) => r.text())", url + CHANGED)
        assert "new-build" not in stale, "the open page must keep its own build until it reloads"

        focus_by_tab(first, ".update-notice button")
        with first.expect_navigation():
            first.keyboard.press("Enter")
        second.locator("#new-build").wait_for()   # every tab of the old build reloads, never mixed
        LabPage(first, FIRST).wait_ready()
        wait_offline_ready(first)
        assert offline_state(first)["caches"] == {new.cache_name: len(new.files) + len(new.unpacked)}, \
            "the old cache is gone"
        response = first.goto(url + CHANGED)
        assert response.from_service_worker
        assert first.locator("#new-build").count() == 1
    finally:
        stop(server)

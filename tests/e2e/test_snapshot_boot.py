"""Fast start from the gzipped Pyodide memory snapshot, and the fallback when it is missing,
corrupt (the SHA-256 of the downloaded bytes is checked) or stalled: the lab must reach `ready`
either way, with no page error and no console error (the fallback says what happened with a
console warning only). Also: a server that sends the .gz files with its own
Content-Encoding, and a missing pyodide.asm.wasm.gz (the plain file is used)."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import json
import re
import threading

import pytest

from .conftest import LAB_PAGES
from .labpage import LabPage

pytestmark = pytest.mark.browser
LAB = "vol1/01"


def boot_mode(page) -> str:
    return page.get_attribute(f'section.lab[data-lab="{LAB}"]', "data-boot")


def answer_and_see_instruments(lab: LabPage) -> None:
    lab.lock_first_prediction()
    lab.wait_settled()
    lab.section.locator(".lab-overlay").first.wait_for()


# Files the worker must not download before `ready`: the compressed twins and the one
# Python-files archive replace them, the lock file is not read, charts come later.
NOT_BEFORE_READY = re.compile(r"/pyodide\.asm\.(wasm|mjs)$|pyodide-lock\.json|\.whl$|labs_bundle\.zip|plotly")


def test_snapshot_boot_is_used_when_present_and_only_compressed_files_are_fetched(page, recorder, site_url):
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    before_ready = list(recorder.requests)
    assert boot_mode(page) == "snapshot"
    for needed in (".bin.gz", "pyodide.asm.wasm.gz", "pyodide.asm.mjs.gz", "python-files.tar.gz", "python_stdlib.zip"):
        assert any(needed in url for url in before_ready), f"{needed} was never requested"
    assert [u for u in before_ready if NOT_BEFORE_READY.search(u)] == []
    answer_and_see_instruments(lab)
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_missing_snapshot_falls_back_to_standard_boot(page, recorder, site_url):
    page.route("**/pyodide-snapshot-*.bin.gz", lambda route: route.abort())
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "standard"
    answer_and_see_instruments(lab)
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_corrupt_snapshot_falls_back_to_standard_boot(page, recorder, site_url, book_dir):
    # Point the manifest at a real gzip file that is not a snapshot, with its true sizes and
    # hashes: Pyodide itself must reject it, and the worker must boot normally.
    manifest = json.loads((book_dir / "assets" / "pyodide-snapshot.json").read_text())
    packed = (book_dir / "assets" / "python-files.tar.gz").read_bytes()
    raw = gzip.decompress(packed)
    manifest.update(file="python-files.tar.gz", bytes=len(raw), sha256=hashlib.sha256(raw).hexdigest(),
                    gzipBytes=len(packed), gzipSha256=hashlib.sha256(packed).hexdigest())
    warnings = boots_normally_with(page, site_url, manifest)
    assert any("fast start from the snapshot failed" in w for w in warnings), warnings
    assert recorder.page_errors == [] and recorder.console_errors == []


def boots_normally_with(page, site_url, manifest) -> list[str]:
    """Serve `manifest` as the snapshot's; the lab must boot the standard way and work.
    Returns the console warnings."""
    page.route("**/pyodide-snapshot.json", lambda route: route.fulfill(json=manifest))
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "standard"
    answer_and_see_instruments(lab)
    return warnings


def shrink_config(page, **values) -> None:
    """Serve runtime/config.js with some limits changed (the documented place for them)."""
    def fulfill(route):
        body = route.fetch().text()
        for name, value in values.items():
            body, n = re.subn(rf"\b{name}: \d+", f"{name}: {value}", body)
            assert n == 1, f"config.js has no {name}"
        route.fulfill(content_type="text/javascript", body=body)
    page.route("**/assets/runtime/config.js", fulfill)


@pytest.mark.fault
def test_snapshot_whose_bytes_differ_from_its_sha256_is_not_used(page, recorder, site_url, book_dir):
    # Right file, right length, downloaded bytes that do not hash to the manifest's SHA-256
    # (here the manifest's hash is changed: serving the file altered through the router is slow).
    manifest = json.loads((book_dir / "assets" / "pyodide-snapshot.json").read_text())
    flipped = manifest["gzipSha256"][:-1] + ("0" if manifest["gzipSha256"][-1] != "0" else "1")
    warnings = boots_normally_with(page, site_url, {**manifest, "gzipSha256": flipped})
    assert any("fast start from the snapshot failed" in w and "SHA-256" in w for w in warnings), warnings
    assert recorder.page_errors == [] and recorder.console_errors == []


@pytest.mark.fault
def test_stalled_snapshot_falls_back_at_the_stall_limit_not_the_boot_deadline(page, recorder, site_url):
    page.route("**/pyodide-snapshot-*.bin.gz", lambda route: None)  # never answers
    shrink_config(page, downloadStallMs=1500)  # the boot deadline stays at its 30 s
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready(timeout=20_000)
    assert boot_mode(page) == "standard"
    answer_and_see_instruments(lab)
    assert recorder.page_errors == [] and recorder.console_errors == []


@pytest.mark.fault
def test_slow_but_moving_snapshot_is_not_killed_and_shows_its_progress(page, context, recorder, site_url, book_dir):
    # ~14 MB at 2 MB/s takes ~7 s, twice the (shrunk) deadline: only progress keeps it alive.
    shrink_config(page, bootTimeoutMs=3000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": 2e6, "uploadThroughput": -1})
    page.add_init_script("""
      window.__labStatus = [];
      new MutationObserver(() => {
        const s = document.querySelector('section.lab .lab-status');
        if (s && s.textContent !== window.__labStatus.at(-1)) window.__labStatus.push(s.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    """)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "snapshot"
    seen = page.evaluate("() => window.__labStatus")
    on_the_wire = json.loads((book_dir / "assets" / "pyodide-snapshot.json").read_text())["gzipBytes"]
    downloading = [t for t in seen if re.fullmatch(rf"Downloading Python: \d+ of {round(on_the_wire / 1e6)} MB", t)]
    assert len(downloading) >= 3, seen
    assert recorder.page_errors == [] and recorder.console_errors == []


class _ContentEncodingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves X.gz as X with `Content-Encoding: gzip`, as Apache's AddEncoding does: the
    browser then hands the worker plain bytes."""
    def log_message(self, *args):
        pass

    def guess_type(self, path):
        return super().guess_type(path[:-3] if str(path).endswith(".gz") else path)

    def end_headers(self):
        if self.path.split("?")[0].endswith(".gz"):
            self.send_header("Content-Encoding", "gzip")
        super().end_headers()


def test_a_server_that_sends_its_own_content_encoding_still_boots_from_the_snapshot(page, recorder, book_dir):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_ContentEncodingHandler, directory=str(book_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/{LAB_PAGES[LAB]}")
        lab = LabPage(page, LAB)
        lab.wait_ready()
        assert boot_mode(page) == "snapshot"
        answer_and_see_instruments(lab)
    finally:
        server.shutdown()
    assert recorder.page_errors == [] and recorder.console_errors == []


@pytest.mark.fault
def test_a_missing_compressed_wasm_falls_back_to_the_plain_file(page, recorder, site_url):
    page.route("**/pyodide/pyodide.asm.wasm.gz", lambda route: route.fulfill(status=404, body="not found"))
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "snapshot"
    assert any(u.endswith("/pyodide/pyodide.asm.wasm") for u in recorder.requests)
    answer_and_see_instruments(lab)
    assert recorder.page_errors == [] and recorder.console_errors == []

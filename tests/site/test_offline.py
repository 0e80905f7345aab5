"""The service worker's precache list and version (sitebuild/offline.py): every file a page
can request, one version per build content, written into sw.js."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sitebuild import offline
from sitebuild.errors import BuildError

REPO = Path(__file__).resolve().parents[2]
PRECACHE_LINE = re.compile(r"^const PRECACHE = (.*);$", re.M)


def make_site(root: Path, files: dict[str, bytes | str]) -> Path:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
    return root


def precache_in(sw_js: Path) -> dict:
    m = PRECACHE_LINE.search(sw_js.read_text(encoding="utf-8"))
    assert m, f"{sw_js}: no `const PRECACHE = ...;` line"
    return json.loads(m.group(1))


SITE = {
    "index.html": "<h1>Book</h1>",
    "vol1/a.html": "<h1>A</h1>",
    "search.json": "[]",
    "assets/pyodide-snapshot-abc.bin.gz": b"\x1f\x8b compressed",
    "assets/pyodide-snapshot-abc.bin": b"raw",                  # its .gz is what is fetched
    "assets/vendor/pyodide/pyodide.asm.wasm": b"\0asm",
    "assets/vendor/pyodide/pyodide.asm.wasm.gz": b"\x1f\x8b wasm",
    "assets/vendor/pyodide/pyodide.asm.mjs": "export default 1;",   # imported when a blob: URL is refused
    "assets/vendor/pyodide/pyodide.asm.mjs.gz": b"\x1f\x8b mjs",
    "assets/vendor/katex/fonts/KaTeX_Main-Regular.woff2": b"w2",
    "assets/vendor/katex/fonts/KaTeX_Main-Regular.woff": b"w1",
    "assets/vendor/katex/fonts/KaTeX_Main-Regular.ttf": b"t",
    "assets/vendor/katex/fonts/Other.ttf": b"only a ttf",       # no .woff2 twin: kept
    "assets/wheels/pint-0.25-py3-none-any.whl": b"PK",        # for tools and tests, not pages
    "assets/wheels.json": "[]",
    "assets/labs_bundle.zip": b"PK",
    "assets/vendor/pyodide/pyodide-lock.json": "{}",
    "sw.js": "old service worker",
    ".nojekyll": "",
}


def test_precache_lists_every_requestable_file_and_skips_unreachable_twins(tmp_path):
    site = make_site(tmp_path, SITE)
    assert offline.precache_paths(site) == [
        "assets/pyodide-snapshot-abc.bin.gz",
        "assets/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
        "assets/vendor/katex/fonts/Other.ttf",
        "assets/vendor/pyodide/pyodide.asm.mjs",
        "assets/vendor/pyodide/pyodide.asm.mjs.gz",
        "assets/vendor/pyodide/pyodide.asm.wasm.gz",
        "index.html",
        "search.json",
        "vol1/a.html",
    ]


def test_version_follows_every_byte_and_every_name_and_nothing_else(tmp_path):
    one = offline.precache(make_site(tmp_path / "one", SITE))
    again = offline.precache(make_site(tmp_path / "again", SITE))
    assert one == again, "the same files give the same version"
    assert one.bytes == sum(len(SITE[p].encode() if isinstance(SITE[p], str) else SITE[p]) for p in one.files)
    assert one.cache_name == "mlsysbook-" + one.version

    changed = make_site(tmp_path / "changed", {**SITE, "vol1/a.html": "<h1>B</h1>"})
    assert offline.precache(changed).version != one.version
    renamed = {k.replace("vol1/a.html", "vol1/b.html"): v for k, v in SITE.items()}
    assert offline.precache(make_site(tmp_path / "renamed", renamed)).version != one.version
    unreachable = make_site(tmp_path / "unreachable", {**SITE, "assets/pyodide-snapshot-abc.bin": b"other"})
    assert offline.precache(unreachable).version == one.version, "a file no page requests does not make a new build"


def test_wasm_and_snapshot_are_stored_decompressed_scripts_are_not(tmp_path):
    """The service worker stores these decompressed from their .gz under the plain name (the
    worker compiles and reads them from there when it controls the page): whether or not
    the plain file is in the build."""
    site = make_site(tmp_path, {k: v for k, v in SITE.items() if k != "assets/pyodide-snapshot-abc.bin"})
    assert offline.precache(site).unpacked == ("assets/pyodide-snapshot-abc.bin", "assets/vendor/pyodide/pyodide.asm.wasm")


def test_service_worker_carries_the_list_and_version(tmp_path):
    site = make_site(tmp_path, SITE)
    logged = []
    entry = offline.write_service_worker(site, log=logged.append)
    data = precache_in(site / "sw.js")
    assert data == {"version": entry.version, "files": list(entry.files), "bytes": entry.bytes,
                    "unpacked": list(entry.unpacked)}
    assert "sw.js" not in data["files"]
    assert f'const PREFIX = "{offline.CACHE_PREFIX}";' in (site / "sw.js").read_text(), \
        "the worker's cache prefix is the one offline.py documents"
    assert logged and f"{len(entry.files)} files" in logged[0] and "MB precached" in logged[0]


def test_service_worker_is_replaced_not_written_through(tmp_path):
    """A copy of an older build made with hard links keeps its own sw.js."""
    site = make_site(tmp_path / "site", SITE)
    older = tmp_path / "older-sw.js"
    older.write_text("older build's worker")
    (site / "sw.js").unlink()
    (site / "sw.js").hardlink_to(older)
    offline.write_service_worker(site, log=lambda _: None)
    assert older.read_text() == "older build's worker"
    assert "const PRECACHE = " in (site / "sw.js").read_text()
    assert not list(site.glob(".sw.js*")), "no temporary file left behind"


def test_a_template_without_the_placeholder_is_a_build_error_naming_it(tmp_path):
    template = tmp_path / "sw.js"
    template.write_text("const PRECACHE = null;")
    entry = offline.Precache("0" * 16, ("index.html",), 1)
    with pytest.raises(BuildError, match=re.escape(str(template))):
        offline.service_worker_source(entry, template)


CONFIG_FILES = re.compile(r'^\s*\w+: "(assets/[^"]*[^/"])",', re.M)   # runtime/config.js paths that name a file


def test_the_built_book_precaches_its_pages_runtime_and_snapshot(built_site):
    out = built_site.out_dir
    data = precache_in(out / "sw.js")
    assert data["version"] == offline.precache(out).version, "sw.js was written after every other file"
    files = set(data["files"])
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    assert pages and pages <= files
    runtime = {p.relative_to(out).as_posix() for p in (out / "assets" / "runtime").rglob("*") if p.is_file()}
    assert runtime and runtime <= files
    config = CONFIG_FILES.findall((REPO / "labs_wasm" / "runtime" / "config.js").read_text())
    assert "assets/pyodide-snapshot.json" in config
    manifest = json.loads((out / "assets" / "pyodide-snapshot.json").read_text())
    assert {"search.json", "assets/offline.js", "assets/book.css", f"assets/{manifest['file']}",
            "assets/vendor/pyodide/pyodide.mjs", "assets/vendor/pyodide/python_stdlib.zip", *config} <= files
    wasm = "assets/vendor/pyodide/pyodide.asm.wasm"
    assert (wasm in files) != (wasm + ".gz" in files), "the wasm the runtime fetches, once"

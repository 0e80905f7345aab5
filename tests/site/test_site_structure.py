"""The built site (real book, clean build into a temp folder): pages, navigation, links,
self-hosted assets, wheels, search index, build time."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urldefrag

import pytest

from sitebuild.project import load_project

REPO = Path(__file__).resolve().parents[2]
PROJECT = load_project(REPO)
CDN_HOSTS = re.compile(r"(cdn\.jsdelivr|unpkg\.com|cdnjs|googleapis|gstatic|cdn\.plot\.ly|mathjax\.org)", re.I)
PYODIDE_CORE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]


class Links(HTMLParser):
    """Collects (tag, attribute, url) for every URL-bearing attribute, and every id."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()
        self.current: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for name in ("href", "src"):
            if a.get(name) is not None:
                self.urls.append((tag, name, a[name]))
        if a.get("aria-current") == "page":
            self.current.append(a.get("href"))


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    return built_site.out_dir


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_site_build_time_under_60_seconds(built_site):
    assert built_site.seconds < 60, f"clean build took {built_site.seconds:.1f}s"


def test_site_every_chapter_has_a_page(site, built_site):
    expected = [ch.out for ch in PROJECT.chapters]
    assert built_site.pages == expected
    for rel in expected:
        assert (site / rel).is_file(), rel
    assert "vol1/introduction.html" in expected and "ledger.html" in expected and expected[0] == "index.html"


def test_site_sidebar_lists_chapters_in_order_and_marks_current(site):
    expected = [ch.out for ch in PROJECT.chapters]
    for ch in PROJECT.chapters:
        html = (site / ch.out).read_text(encoding="utf-8")
        sidebar = re.search(r'<nav class="sidebar".*?</nav>', html, re.S).group(0)
        root = ch.site_root
        hrefs = [h.removeprefix(root) for h in re.findall(r'<a href="([^"]+)"', sidebar)]
        assert hrefs == expected, ch.out
        current = re.findall(r'<a href="([^"]+)" aria-current="page"', sidebar)
        assert current == [root + ch.out], ch.out
        # parts appear once each, in _quarto.yml order
        assert re.findall(r'<span class="part-title">([^<]+)</span>', sidebar) == PROJECT.parts


def test_site_prev_next_chain(site):
    chapters = PROJECT.chapters
    for i, ch in enumerate(chapters):
        html = (site / ch.out).read_text(encoding="utf-8")
        prev = re.search(r'<a class="page-nav-prev" rel="prev" href="([^"]+)"', html)
        nxt = re.search(r'<a class="page-nav-next" rel="next" href="([^"]+)"', html)
        if i == 0:
            assert prev is None
        else:
            assert prev.group(1) == ch.site_root + chapters[i - 1].out
        if i == len(chapters) - 1:
            assert nxt is None
        else:
            assert nxt.group(1) == ch.site_root + chapters[i + 1].out


def test_site_chapter_numbers_quarto_style(built_site):
    index = json.loads((built_site.out_dir.parent / "_build" / "crossref.json").read_text())
    numbers = {c["src"]: c["number"] for c in index["chapters"]}
    assert numbers["book/index.qmd"] is None
    assert numbers["book/vol1/orientation.qmd"] is None
    assert numbers["book/ledger.qmd"] is None
    assert numbers["book/vol1/introduction.qmd"] == 1
    assert numbers["book/vol1/data_selection.qmd"] == 9
    assert numbers["book/vol2/introduction.qmd"] == 17     # chapters count on across volumes
    numbered = [n for n in numbers.values() if n is not None]
    assert numbered == list(range(1, len(numbered) + 1))
    html = (built_site.out_dir / "vol1/data_selection.html").read_text()
    assert '<span class="chapter-number">Chapter 9</span>&ensp;<span class="chapter-title">Data Selection</span>' in html


def test_site_all_internal_links_resolve(site):
    """Every relative href/src points at a file in the site, and every #anchor exists there."""
    ids_cache: dict[Path, set[str]] = {}
    problems = []
    for page in html_pages(site):
        links = parse(page)
        ids_cache.setdefault(page, links.ids)
        for tag, attr, url in links.urls:
            if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):     # http:, mailto: ... (checked below)
                continue
            path, frag = urldefrag(url)
            target = page if path == "" else (page.parent / path).resolve()
            if not target.is_file():
                problems.append(f"{page.relative_to(site)}: <{tag} {attr}={url!r}> -> missing file")
                continue
            if frag and target.suffix == ".html":
                ids = ids_cache.setdefault(target, parse(target).ids)
                if frag not in ids:
                    problems.append(f"{page.relative_to(site)}: {url!r} -> no id #{frag}")
    assert problems == []


def test_site_no_absolute_or_cdn_urls_in_what_we_wrote(site):
    problems = []
    for page in html_pages(site):
        text = page.read_text(encoding="utf-8")
        for tag, attr, url in parse(page).urls:
            external = re.match(r"^(https?:)?//", url) is not None
            # prose may link out (<a href="https://...">); nothing loaded by the page may
            if url.startswith("/") and not url.startswith("//") or (external and tag != "a"):
                problems.append(f"{page.relative_to(site)}: <{tag} {attr}={url}>")
        if CDN_HOSTS.search(text):
            problems.append(f"{page.relative_to(site)}: mentions a CDN host")
    ours = [p for p in (site / "assets").rglob("*") if p.suffix in {".js", ".mjs", ".css"}
            and "vendor" not in p.relative_to(site).parts]
    assert any(p.name == "search.js" for p in ours) and any(p.name == "book.css" for p in ours)
    for path in ours:
        text = path.read_text(encoding="utf-8")
        if CDN_HOSTS.search(text) or re.search(r"""(?:import|from|src=|href=|url\()\s*["']?(?:https?:)?//""", text):
            problems.append(f"{path.relative_to(site)}: absolute or CDN URL")
    assert problems == []


def test_site_vendored_runtime_assets_present(site):
    vendor = site / "assets" / "vendor"
    for name in PYODIDE_CORE:
        assert (vendor / "pyodide" / name).stat().st_size > 0, name
    assert (vendor / "pyodide" / "pyodide.asm.wasm").stat().st_size > 1_000_000
    for name in ["plotly-basic.min.js", "purify.es.mjs", "purify.min.js", "marked.esm.js",
                 "katex/katex.min.css"]:
        assert (vendor / name).stat().st_size > 0, name
    assert any((vendor / "katex" / "fonts").glob("*.woff2"))
    assert "code.sourceCode" in (site / "assets" / "highlight.css").read_text()


def test_site_runtime_copied_from_labs_wasm(site):
    runtime = REPO / "labs_wasm" / "runtime"
    sources = [p for p in runtime.rglob("*.js") if not {"test", "tests"} & set(p.relative_to(runtime).parts)
               and not p.name.endswith(".test.js")]
    for src in sources:
        copied = site / "assets" / "runtime" / src.relative_to(runtime)
        assert copied.read_bytes() == src.read_bytes(), src.name


def test_site_wheels_json_lists_existing_pure_wheels_dependencies_first(site):
    names = json.loads((site / "assets" / "wheels.json").read_text())
    assert isinstance(names, list) and names
    wheels = site / "assets" / "wheels"
    assert sorted(names) == sorted(p.name for p in wheels.glob("*.whl"))
    for name in names:
        assert name.endswith("-none-any.whl"), name
        with zipfile.ZipFile(wheels / name) as zf:
            assert any(n.endswith(".dist-info/METADATA") for n in zf.namelist()), name
    assert re.fullmatch(r"mlsysim-[\w.]+-py3-none-any\.whl", names[-1])
    dists = [n.split("-")[0].lower() for n in names]
    assert dists.index("pint") < dists.index("mlsysim")
    for dep in ("flexcache", "flexparser", "platformdirs", "typing_extensions"):
        assert dists.index(dep) < dists.index("pint"), dep
    with zipfile.ZipFile(wheels / names[-1]) as zf:
        assert "mlsysim/__init__.py" in zf.namelist()


def test_site_labs_bundle_holds_only_python_sources(site):
    with zipfile.ZipFile(site / "assets" / "labs_bundle.zip") as zf:
        names = zf.namelist()
    assert names and all(n.endswith(".py") for n in names)
    assert all(n.split("/")[0] in {"labkit", "labs"} for n in names)
    assert not any("__pycache__" in n for n in names)
    expected = {str(PurePosixPath(p.relative_to(REPO / "labs_wasm")))
                for pkg in ("labkit", "labs") for p in (REPO / "labs_wasm" / pkg).rglob("*.py")
                if "__pycache__" not in p.parts}
    assert set(names) == expected


def test_site_search_index_has_sections_with_working_hrefs(site):
    records = json.loads((site / "search.json").read_text())
    assert {"title", "section", "href", "text"} <= set(records[0])
    hrefs = {r["href"] for r in records}
    for ch in PROJECT.chapters:
        assert ch.out in hrefs, ch.out
    curriculum = [r for r in records if r["href"] == "vol1/data_selection.html#sec-data-selection-curriculum"]
    assert len(curriculum) == 1
    assert curriculum[0]["title"] == "9  Data Selection" and curriculum[0]["section"].startswith("9.2  ")
    assert "curriculum" in curriculum[0]["text"].lower()
    for r in records:
        path, frag = urldefrag(r["href"])
        assert (site / path).is_file()
        if frag:
            assert f'id="{frag}"' in (site / path).read_text(encoding="utf-8"), r["href"]


def test_site_pages_load_katex_and_search_relatively(site):
    html = (site / "vol1" / "data_selection.html").read_text()
    assert '<html lang="en" data-site-root="../">' in html
    for ref in ('href="../assets/vendor/katex/katex.min.css"',
                'src="../assets/search.js"', 'href="../assets/book.css"'):
        assert ref in html, ref
    assert 'class="math display"' in html
    assert '<input id="search-input" type="search"' in html


def test_site_snapshot_manifest_matches_its_file_and_the_runtime(site):
    manifest = json.loads((site / "assets" / "pyodide-snapshot.json").read_text())
    packed = (site / "assets" / manifest["file"]).read_bytes()
    assert len(packed) == manifest["gzipBytes"] and hashlib.sha256(packed).hexdigest() == manifest["gzipSha256"]
    assert manifest["file"] == f"pyodide-snapshot-{manifest['gzipSha256'][:16]}.bin.gz"
    snap = gzip.decompress(packed)
    assert len(snap) == manifest["bytes"] > 10_000_000
    assert hashlib.sha256(snap).hexdigest() == manifest["sha256"]
    assert len(packed) < len(snap) / 4   # what a plain static server sends
    # The XOR-coded start of the heap (snapshot.mjs) lies inside the snapshot.
    assert 0 < manifest["heapOffset"] and manifest["heapOffset"] + manifest["base"]["bytes"] <= len(snap)
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["base"]["sha256"])
    config = (REPO / "labs_wasm" / "runtime" / "config.js").read_text()
    assert re.search(r'pyodideVersion: "([^"]+)"', config).group(1) == manifest["pyodide"]
    assert re.search(r'bundleDir: "([^"]+)"', config).group(1) == manifest["bundleDir"]
    assert json.loads((REPO / "node_modules" / "pyodide" / "package.json").read_text())["version"] == manifest["pyodide"]


def test_site_serves_pyodide_wasm_and_loader_gzipped_beside_the_plain_files(site):
    pyodide = site / "assets" / "vendor" / "pyodide"
    for name in ("pyodide.asm.wasm", "pyodide.asm.mjs"):
        assert gzip.decompress((pyodide / f"{name}.gz").read_bytes()) == (pyodide / name).read_bytes(), name


def test_runtime_pyodide_abi_matches_the_vendored_lock_file():
    # The worker hands Pyodide a lock file with no packages and this ABI instead of the real one.
    lock = json.loads((REPO / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())
    config = (REPO / "labs_wasm" / "runtime" / "config.js").read_text()
    assert re.search(r'pyodideAbi: "([^"]+)"', config).group(1) == lock["info"]["abi_version"]
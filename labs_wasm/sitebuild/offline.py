"""The service worker that keeps the book readable offline: ``sw.js`` at the site root,
filled from ``templates/sw.js`` with this build's precache list and version.

It runs last in the build, over the output folder itself: whatever the other steps wrote (a
compressed snapshot, a new vendor file, a page) is precached without a second list to keep in
step. Everything is precached except:

- ``sw.js`` itself (the browser fetches and compares it on its own);
- an uncompressed twin ``X`` when ``X.gz`` is also there (Pyodide's 9.6 MB wasm): the
  runtime fetches the compressed file and reads ``X`` only when ``X.gz`` cannot be
  downloaded, which cannot happen once ``X.gz`` is in the cache. A script keeps its plain
  twin: the worker runs a decompressed script from a blob: URL, and imports the plain file
  when a server's Content-Security-Policy forbids that, or when this service worker answers
  (V8 caches the compiled code of a real URL, never of a blob:). A WebAssembly module is
  *unpacked*: the service worker downloads ``X.gz`` and stores it decompressed under ``X``,
  which the worker compiles when this service worker controls the page (so V8 caches the
  compiled module too, and a warm start neither decompresses nor recompiles 9.6 MB);
- a font's ``.woff``/``.ttf`` when its ``.woff2`` is there: every browser with service
  workers takes the ``.woff2`` (the first format in KaTeX's ``@font-face`` lists);
- files the build keeps for tools and tests that install the engine in Pyodide, which no page
  requests (the wheels, their list, the labs bundle as a zip, Pyodide's lock file: the worker
  reads one tar of Python files and passes Pyodide the lock's ABI itself).

The version is a hash over the sorted (path, SHA-256 of content) list and is written into
``sw.js``, so any change to any precached file changes ``sw.js``'s bytes, which is what makes
a browser install the new build (in its own cache, ``mlsysbook-<version>``).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "templates" / "sw.js"
SW_NAME = "sw.js"
CACHE_PREFIX = "mlsysbook-"
PLACEHOLDER = "{{precache}}"
# Font formats no browser with service workers asks for when the .woff2 is there.
FONT_FALLBACKS = (".woff", ".ttf")
# Built for tools and tests, never requested by a page (see above).
NOT_FOR_PAGES = ("assets/wheels/", "assets/wheels.json", "assets/labs_bundle.zip",
                 "assets/vendor/pyodide/pyodide-lock.json")
# Plain twins that stay reachable beside their .gz (see above).
SCRIPTS = (".js", ".mjs")
# Plain twins stored decompressed from their .gz (see above).
UNPACKED = (".wasm", ".bin")


@dataclass(frozen=True)
class Precache:
    version: str
    files: tuple[str, ...]   # paths relative to the site root, sorted
    bytes: int
    unpacked: tuple[str, ...] = ()  # plain twins stored decompressed from their .gz

    @property
    def cache_name(self) -> str:
        return CACHE_PREFIX + self.version


def precache_paths(out_dir: Path) -> list[str]:
    """Every file under ``out_dir`` a page can request, as sorted site-relative paths."""
    present = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
    return sorted(path for path in present if _requestable(path, present))


def unpacked_paths(out_dir: Path) -> list[str]:
    """The plain twins the service worker stores decompressed from their ``.gz``."""
    present = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.gz") if p.is_file()}
    return sorted(path[:-3] for path in present if path[:-3].endswith(UNPACKED))


def _requestable(path: str, present: set[str]) -> bool:
    if path == SW_NAME or path.startswith(NOT_FOR_PAGES) or any(part.startswith(".") for part in path.split("/")):
        return False
    if path + ".gz" in present and not path.endswith(SCRIPTS):
        return False
    stem, dot, suffix = path.rpartition(".")
    return not (dot and "." + suffix in FONT_FALLBACKS and f"{stem}.woff2" in present)


def precache(out_dir: Path) -> Precache:
    paths = precache_paths(out_dir)
    listing = hashlib.sha256()
    size = 0
    for path in paths:
        data = (out_dir / path).read_bytes()
        size += len(data)
        listing.update(f"{path}\0{hashlib.sha256(data).hexdigest()}\n".encode())
    # An unpacked twin's bytes are its .gz's, already in the listing.
    return Precache(listing.hexdigest()[:16], tuple(paths), size, tuple(unpacked_paths(out_dir)))


def service_worker_source(entry: Precache, template: Path = TEMPLATE) -> str:
    source = template.read_text(encoding="utf-8")
    if source.count(PLACEHOLDER) != 1:
        raise BuildError(f"{template}: needs exactly one {PLACEHOLDER} (where the precache list goes)")
    data = json.dumps({"version": entry.version, "files": list(entry.files), "bytes": entry.bytes,
                       "unpacked": list(entry.unpacked)},
                      separators=(",", ":"))
    return source.replace(PLACEHOLDER, data)


def write_service_worker(out_dir: Path, log=print) -> Precache:
    """Write ``out_dir/sw.js`` for the files now in ``out_dir``; call after every other file
    is written. Written to a temporary name and renamed, so a server never hands out half a
    service worker (and a hard-linked copy of an older build keeps its own)."""
    entry = precache(out_dir)
    target = out_dir / SW_NAME
    tmp = target.with_name(f".{SW_NAME}.tmp")
    tmp.write_text(service_worker_source(entry), encoding="utf-8")
    os.replace(tmp, target)
    log(f"offline copy: {len(entry.files)} files, {entry.bytes / 1e6:.1f} MB precached by {SW_NAME} "
        f"(cache {entry.cache_name})")
    return entry

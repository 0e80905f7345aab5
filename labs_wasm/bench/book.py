"""Facts read from a built book's files (no browser): which page holds which lab, how big the
memory snapshot is raw and on the wire, whether the build has a service worker, and how long
a clean build takes."""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

MB = 1e6
_LAB_SECTION = re.compile(r'<section class="lab\b[^>]*\bdata-lab="([^"]+)"')


def lab_pages(book: Path) -> dict[str, str]:
    """lab id -> page path relative to the book (the first page embedding it)."""
    pages: dict[str, str] = {}
    for html in sorted(book.rglob("*.html")):
        for lab in _LAB_SECTION.findall(html.read_text(encoding="utf-8", errors="replace")):
            pages.setdefault(lab, html.relative_to(book).as_posix())
    return pages


def has_service_worker(book: Path) -> bool:
    return (book / "sw.js").is_file()


def snapshot_sizes(book: Path) -> dict:
    """The snapshot the manifest names: bytes on the wire from a plain static server (the
    file as stored) and raw (after the browser decompresses it, if it is stored compressed).
    Every snapshot file present is listed too, so a stale or second copy shows."""
    assets = book / "assets"
    manifest_path = assets / "pyodide-snapshot.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{manifest_path}: no snapshot manifest in the built book")
    manifest = json.loads(manifest_path.read_text())
    named = [assets / v for v in manifest.values() if isinstance(v, str) and "/" not in v and (assets / v).is_file()]
    if not named:
        raise FileNotFoundError(f"{manifest_path}: names no snapshot file present in {assets} ({manifest})")
    # A build that ships a compressed copy beside the raw one serves the smaller to browsers.
    shipped = min(named, key=lambda p: p.stat().st_size)
    raw, encoding = _raw_size(shipped)
    return {"file": shipped.name, "encoding": encoding, "wire_mb": shipped.stat().st_size / MB, "raw_mb": raw / MB,
            "files": {p.name: p.stat().st_size for p in sorted(assets.glob("pyodide-snapshot-*"))}}


def _raw_size(path: Path) -> tuple[int, str]:
    with path.open("rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            return _count(f.read), "gzip"
    if len(head) == 2 and (head[0] & 0x0F) == 8 and int.from_bytes(head, "big") % 31 == 0:  # zlib header
        d = zlib.decompressobj()
        with path.open("rb") as f:
            return sum(len(d.decompress(block)) for block in iter(lambda: f.read(1 << 20), b"")) + len(d.flush()), "deflate"
    return path.stat().st_size, "none"


def _count(read, chunk: int = 1 << 20) -> int:
    return sum(len(block) for block in iter(lambda: read(chunk), b""))


def time_clean_build(root: Path) -> dict:
    """Seconds for `python -m sitebuild` into a fresh output and build directory."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "labs_wasm"), str(root / "engine")])}
    try:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "sitebuild", "--out", str(tmp / "book"), "--build-dir", str(tmp / "build")],
                              cwd=root, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"clean build into {tmp} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        return {"seconds": seconds, "summary": done.stdout.strip().splitlines()[-1:]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

"""python-files.tar.gz: every Python file the browser worker puts in Pyodide's file system, in
one gzip stream (runtime/pyfiles.js unpacks it in JavaScript in a few milliseconds; unpacking
six wheels and a zip with pyodide.unpackArchive took ~150 ms, and one solid stream is smaller
than per-file deflate).

Members live under two roots, which the worker maps to Pyodide's directories:
``site-packages/``: the contents of every wheel, minus STRIPPED (never imported: test suites,
a software bill of materials); ``lab_bundle/``: the lab toolkit and the labs (bundle.py).
Same inputs, same bytes: fixed order, times, owners and gzip header.
"""
from __future__ import annotations

import fnmatch
import gzip
import io
import tarfile
import zipfile
from pathlib import Path

FILE = "python-files.tar.gz"
ROOTS = ("site-packages", "lab_bundle")
# Wheel members the labs never read. tests/site/test_python_files.py proves no shipped module
# imports anything under them.
STRIPPED = ("*/testsuite/*", "*.dist-info/sboms/*")


def stripped(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in STRIPPED)


def wheel_members(wheel: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(wheel) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()
                if not info.is_dir() and not stripped(info.filename)]


def write_python_files(dest: Path, wheels: list[Path], lab_sources: list[tuple[str, bytes]]) -> list[str]:
    """Write ``dest`` (a .tar.gz) from the wheels and the lab sources; return member names."""
    members = [(f"site-packages/{name}", data) for wheel in wheels for name, data in wheel_members(wheel)]
    members += [(f"lab_bundle/{name}", data) for name, data in lab_sources]
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 315532800   # 1980-01-01, like the zip
            tar.addfile(info, io.BytesIO(data))
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(gzip.compress(tar_bytes.getvalue(), compresslevel=9, mtime=0))
    return [name for name, _ in members]

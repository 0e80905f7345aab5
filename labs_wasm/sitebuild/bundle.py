"""The lab toolkit and lab sources (.py only): in python-files.tar.gz for the worker
(pyfiles.py), and as labs_bundle.zip for pages that load them with pyodide.unpackArchive
(the bench's naive baseline)."""

from __future__ import annotations

import zipfile
from pathlib import Path

PACKAGES = ("labkit", "labs")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)   # fixed timestamps: same sources, same bytes


def lab_sources(root: Path) -> list[tuple[str, bytes]]:
    """(path under labs_wasm, bytes) of every lab toolkit and lab source, sorted."""
    base = root / "labs_wasm"
    sources = []
    for pkg in PACKAGES:
        if not (base / pkg).is_dir():
            continue
        for src in sorted((base / pkg).rglob("*.py")):
            if "__pycache__" not in src.parts:
                sources.append((src.relative_to(base).as_posix(), src.read_bytes()))
    return sources


def write_bundle(root: Path, dest: Path) -> list[str]:
    names = []
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in lab_sources(root):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
            names.append(name)
    return names

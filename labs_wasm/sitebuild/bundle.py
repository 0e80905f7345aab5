"""labs_bundle.zip: the lab toolkit and lab sources (.py only) for pyodide.unpackArchive."""

from __future__ import annotations

import zipfile
from pathlib import Path

PACKAGES = ("labkit", "labs")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)   # fixed timestamps: same sources, same bytes


def write_bundle(root: Path, dest: Path) -> list[str]:
    base = root / "labs_wasm"
    names = []
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for pkg in PACKAGES:
            if not (base / pkg).is_dir():
                continue
            for src in sorted((base / pkg).rglob("*.py")):
                if "__pycache__" in src.parts:
                    continue
                name = src.relative_to(base).as_posix()
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, src.read_bytes())
                names.append(name)
    return names

"""Build the Pyodide memory snapshot (snapshot.mjs), gzip it, and write its manifest.

The manifest ``assets/pyodide-snapshot.json`` names the gzipped snapshot by content hash, so a
browser never pairs a cached old snapshot with new lab code, and records:
``bytes``/``sha256`` of the snapshot as Pyodide reads it, ``gzipBytes``/``gzipSha256`` of the
file (the worker checks the SHA-256 of the bytes it downloaded; when a server adds its own
Content-Encoding the browser hands over plain bytes and it checks ``sha256`` instead),
``heapOffset`` and ``base`` (the XOR-coded start of the heap, see snapshot.mjs), the Pyodide
version and the bundle directory the snapshot has on ``sys.path``. Without Node or on any
failure the build says why and ships no manifest: the worker then boots Pyodide the standard way.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from .pyfiles import FILE as PYTHON_FILES

HERE = Path(__file__).resolve().parent
MANIFEST = "pyodide-snapshot.json"
# Where the worker unpacks the labs bundle; baked into the snapshot's sys.path.
BUNDLE_DIR = "/lab_bundle"


def pyodide_version(root: Path) -> str:
    return json.loads((root / "node_modules" / "pyodide" / "package.json").read_text())["version"]


def write_snapshot(root: Path, assets: Path, log=print) -> str | None:
    """Write the gzipped snapshot and the manifest into ``assets``; return the file name."""
    node = shutil.which("node")
    if not node:
        log("warning: node not found: no Pyodide snapshot (labs boot the standard way, ~4 s slower)")
        return None
    tmp = assets / "pyodide-snapshot.tmp"
    proc = subprocess.run([node, str(HERE / "snapshot.mjs"), str(assets / PYTHON_FILES), BUNDLE_DIR, str(tmp)],
                          cwd=root, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        log(f"warning: Pyodide snapshot failed (labs boot the standard way): {proc.stderr.strip()[-1500:]}")
        return None
    layout = json.loads(proc.stdout.strip().splitlines()[-1])
    data = tmp.read_bytes()
    tmp.unlink()
    packed = gzip.compress(data, compresslevel=6, mtime=0)   # level 9: 1.6% smaller, 3x slower
    digest = hashlib.sha256(packed).hexdigest()
    name = f"pyodide-snapshot-{digest[:16]}.bin.gz"
    (assets / name).write_bytes(packed)
    (assets / MANIFEST).write_text(json.dumps({
        "file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "gzipBytes": len(packed), "gzipSha256": digest, **layout,
        "pyodide": pyodide_version(root), "bundleDir": BUNDLE_DIR,
    }, indent=1))
    return name

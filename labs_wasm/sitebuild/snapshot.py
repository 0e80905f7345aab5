"""Build the Pyodide memory snapshot (snapshot.mjs) and its manifest.

The manifest ``assets/pyodide-snapshot.json`` names the snapshot by content hash, so a
browser never pairs a cached old snapshot with new lab code, and records the Pyodide version
and the bundle directory the snapshot has on ``sys.path``. Without Node or on any failure the
build says why and ships no manifest: the worker then boots Pyodide the standard way.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = "pyodide-snapshot.json"
# Where the worker unpacks the labs bundle; baked into the snapshot's sys.path.
BUNDLE_DIR = "/lab_bundle"


def pyodide_version(root: Path) -> str:
    return json.loads((root / "node_modules" / "pyodide" / "package.json").read_text())["version"]


def write_snapshot(root: Path, assets: Path, log=print) -> str | None:
    """Write the snapshot and manifest into ``assets``; return the snapshot file name."""
    node = shutil.which("node")
    if not node:
        log("warning: node not found: no Pyodide snapshot (labs boot the standard way, ~4 s slower)")
        return None
    tmp = assets / "pyodide-snapshot.tmp"
    proc = subprocess.run([node, str(HERE / "snapshot.mjs"), str(assets), BUNDLE_DIR, str(tmp)],
                          cwd=root, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        log(f"warning: Pyodide snapshot failed (labs boot the standard way): {proc.stderr.strip()[-1500:]}")
        return None
    data = tmp.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    name = f"pyodide-snapshot-{digest[:16]}.bin"
    tmp.rename(assets / name)
    (assets / MANIFEST).write_text(json.dumps({
        "file": name, "bytes": len(data), "sha256": digest,
        "pyodide": pyodide_version(root), "bundleDir": BUNDLE_DIR,
    }, indent=1))
    return name

"""Copy browser assets into the site: npm vendor files, our runtime, the book's CSS/JS.

Everything is served from the site itself (no CDN); versions are the ones the npm lockfile
installed into node_modules.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path

from .errors import BuildError
from .pandoc import run_pandoc

HERE = Path(__file__).resolve().parent

# (source under node_modules, destination under assets/vendor); a tuple of sources means
# "the first one that exists" (package layouts differ between releases).
VENDOR_FILES: list[tuple[tuple[str, ...], str]] = [
    (("pyodide/pyodide.mjs",), "pyodide/pyodide.mjs"),
    (("pyodide/pyodide.asm.mjs", "pyodide/pyodide.asm.js"), "pyodide/pyodide.asm.mjs"),
    (("pyodide/pyodide.asm.wasm",), "pyodide/pyodide.asm.wasm"),
    (("pyodide/python_stdlib.zip",), "pyodide/python_stdlib.zip"),
    (("pyodide/pyodide-lock.json",), "pyodide/pyodide-lock.json"),
    # The partial bundle: the labs draw only scatter and bar traces (labkit/plot.py);
    # tests/site/test_plotly_traces.py fails if a lab emits a trace type it lacks.
    (("plotly.js-basic-dist-min/plotly-basic.min.js",), "plotly-basic.min.js"),
    (("dompurify/dist/purify.es.mjs", "dompurify/dist/purify.es.js"), "purify.es.mjs"),
    (("dompurify/dist/purify.min.js",), "purify.min.js"),
    (("marked/lib/marked.esm.js",), "marked.esm.js"),
]
# Book pages are typeset at build time (mathrender.py) and need the CSS and fonts only; the
# script is for lab text, loaded by runtime/math.js only when a lab text holds math.
KATEX_FILES = ["katex.min.css", "katex.min.js"]
RUNTIME_SKIP_DIRS = {"test", "tests", "__tests__", "node_modules"}
# Served gzipped as well (a plain static server compresses nothing): the worker fetches the
# .gz and decompresses it with DecompressionStream, falling back to the plain file.
GZIPPED = ["pyodide/pyodide.asm.wasm", "pyodide/pyodide.asm.mjs"]


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)


def _gzipped(src: Path, cache: Path) -> Path:
    """``src`` gzipped (level 9, no timestamp), made once per content (2 s for the wasm)."""
    data = src.read_bytes()
    out = cache / f"{src.name}-{hashlib.sha256(data).hexdigest()[:16]}.gz"
    if not out.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + f".{os.getpid()}.partial")   # a concurrent build never reads half a file
        partial.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        partial.replace(out)
    return out


def vendor_npm(root: Path, assets: Path) -> list[str]:
    nm = root / "node_modules"
    if not nm.is_dir():
        raise BuildError(f"{nm}: missing; run `make setup` (npm ci) to install the browser assets")
    copied = []
    for sources, dest in VENDOR_FILES:
        src = next((nm / s for s in sources if (nm / s).is_file()), None)
        if src is None:
            raise BuildError(f"{nm}: none of {', '.join(sources)} exists; run `npm ci` (package.json pins it)")
        _copy(src, assets / "vendor" / dest)
        copied.append(dest)
        if dest in GZIPPED:
            _copy(_gzipped(src, root / ".cache" / "gzip"), assets / "vendor" / (dest + ".gz"))
            copied.append(dest + ".gz")
    katex = nm / "katex" / "dist"
    for name in KATEX_FILES:
        if not (katex / name).is_file():
            raise BuildError(f"{katex / name}: missing; run `npm ci`")
        _copy(katex / name, assets / "vendor" / "katex" / name)
    shutil.copytree(katex / "fonts", assets / "vendor" / "katex" / "fonts", dirs_exist_ok=True)
    return copied


def copy_runtime(root: Path, assets: Path) -> list[str]:
    """Copy labs_wasm/runtime/* (whatever exists, minus tests) to assets/runtime/."""
    runtime = root / "labs_wasm" / "runtime"
    copied = []
    if not runtime.is_dir():
        return copied
    for src in sorted(runtime.rglob("*")):
        rel = src.relative_to(runtime)
        if not src.is_file() or RUNTIME_SKIP_DIRS & set(rel.parts[:-1]):
            continue
        if src.name.endswith((".test.js", ".test.mjs", ".spec.js")) or src.suffix not in {".js", ".mjs", ".css", ".json", ".svg"}:
            continue
        _copy(src, assets / "runtime" / rel)
        copied.append(rel.as_posix())
    return copied


def copy_book_assets(assets: Path) -> None:
    for src in sorted((HERE / "assets").iterdir()):
        if src.is_file():
            _copy(src, assets / src.name)


def write_highlight_css(assets: Path, style: str) -> None:
    """Pandoc's highlighting CSS for ``style`` (printed via a one-line template)."""
    out = run_pandoc(["--from", "markdown", "--to", "html5", "--standalone",
                      f"--syntax-highlighting={style}", "--template", str(HERE / "templates" / "highlight.css"),
                      "--metadata", "pagetitle=x"],
                     stdin="```python\nx = 1\n```\n", what="highlight.css")
    (assets / "highlight.css").write_text(out, encoding="utf-8")

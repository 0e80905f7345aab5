"""Locate and run the pandoc binary from the pypandoc-binary wheel."""

from __future__ import annotations

import functools
import subprocess
import sys

from .errors import BuildError

MIN_VERSION = (3, 1, 1)   # pandoc.json (used by the Lua filters) arrived in 3.1.1


@functools.cache
def pandoc_path() -> str:
    try:
        import pypandoc
    except ImportError:
        raise BuildError("pypandoc is not installed: run `make setup` (pip install pypandoc-binary)") from None
    path = pypandoc.get_pandoc_path()
    version = tuple(int(p) for p in pypandoc.get_pandoc_version().split(".")[:3] if p.isdigit())
    if version < MIN_VERSION:
        raise BuildError(f"pandoc {version} at {path} is too old; need >= {'.'.join(map(str, MIN_VERSION))}")
    return path


def run_pandoc(args: list[str], *, what: str, stdin: str | None = None, cwd=None) -> str:
    """Run pandoc with ``args``; return stdout or raise BuildError naming ``what`` (a file)."""
    proc = subprocess.run([pandoc_path(), *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd)
    if proc.returncode != 0:
        raise BuildError(f"{what}: pandoc failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    if proc.stderr.strip():   # filter warnings (e.g. a missing lab pre-render) reach the author
        print(proc.stderr.rstrip(), file=sys.stderr)
    return proc.stdout

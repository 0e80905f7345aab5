"""Locate and run the pandoc binary from the pypandoc-binary wheel."""

from __future__ import annotations

import functools
import re
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


def run_pandoc(args: list[str], *, what: str, stdin: str | None = None, cwd=None,
               source: tuple[str, str, list[int] | None] | None = None) -> str:
    """Run pandoc with ``args``; return stdout or raise BuildError naming ``what`` (a file).

    ``source`` = (input path, name to show, line map): Pandoc's messages about the input (an
    expanded copy of a chapter) are rewritten to name the .qmd and its own line numbers."""
    proc = subprocess.run([pandoc_path(), *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd)
    stderr = proc.stderr.strip()
    if source and stderr:
        stderr = source_positions(stderr, *source)
    if proc.returncode != 0:
        raise BuildError(f"{what}: pandoc failed (exit {proc.returncode}):\n{stderr}")
    if stderr:   # filter warnings (e.g. a missing lab pre-render) reach the author
        print(stderr, file=sys.stderr)
    return proc.stdout


def source_positions(text: str, input_path: str, name: str, line_map: list[int] | None) -> str:
    """Pandoc says "at <input> line N column M"; name the source and its line instead."""
    def line(m: re.Match) -> str:
        n = int(m.group(1))
        if line_map and 0 < n <= len(line_map):
            n = line_map[n - 1]
        return f"{name} line {n}"
    text = re.sub(re.escape(input_path) + r" line (\d+)", line, text)
    return text.replace(input_path, name)

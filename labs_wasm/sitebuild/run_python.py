"""Chapter python during the build: expanded copies of the chapters that have some.

For each chapter with ```{python} cells or inline `{python}` code, ``execute.expand_chapter``
writes <build>/expanded/<src> (what Quarto's Jupyter engine would hand to Pandoc) and
<src>.lines.json (expanded line -> source line); scan, render, crossrefs and search then read
the copy. Chapters without python are never copied or rewritten.

It runs in a child process, like a Jupyter kernel under Quarto, because chapter code imports
the *project's* modules (its labs_wasm, its engine) by the PYTHONPATH of the project's
`_environment`: the build process may belong to another checkout and builds several projects
in one life (the tests do), so importing them here would reuse whichever `labs` or `mlsysim`
it met first, and chapter code could change the build's own state. One child runs every
chapter, each in a fresh namespace, so the engine is imported once per build. As under Quarto
with `execute-dir: project`, the child's working directory is the project root and
_environment's relative PYTHONPATH entries are resolved against it.

Runnable alone: python -m sitebuild.run_python --root . --out _build/expanded book/vol1/x.qmd
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

SITEBUILD_PARENT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Expanded:
    path: Path               # the expanded copy Pandoc reads
    line_map: list[int]      # expanded line index -> 1-based line of the source .qmd


def environment_pythonpath(root: Path) -> list[Path]:
    """PYTHONPATH from the project's `_environment` (Quarto's dotenv file), made absolute
    against the project root; [] when the file or the variable is absent."""
    env_file = root / "_environment"
    if not env_file.is_file():
        return []
    value = None
    for raw in env_file.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, val = line.partition("=")
        if line.startswith("#") or not sep or key.strip() != "PYTHONPATH":
            continue
        value = os.path.expandvars(val.strip().strip("'\""))
    if not value:
        return []
    return [(root / p).resolve() for p in value.split(os.pathsep) if p]


def check_execute_dir(root: Path, execute_dir: str | None, chapters: list[str]) -> None:
    if execute_dir != "project":
        raise BuildError(f"{root / '_quarto.yml'}: {chapters[0]} runs python, which needs "
                         "`project: execute-dir: project` (Quarto's default runs code in the "
                         "chapter's folder, where _environment's PYTHONPATH would not resolve)")


def expand_chapters(root: Path, build_dir: Path, chapters: list[str], defaults: dict,
                    execute_dir: str | None) -> dict[str, Expanded]:
    """Expand ``chapters`` (paths relative to root) in one child process; return src -> copy."""
    if not chapters:
        return {}
    check_execute_dir(root, execute_dir, chapters)
    out_dir = build_dir / "expanded"
    shutil.rmtree(out_dir, ignore_errors=True)     # no stale copy of a chapter that lost its python
    env = dict(os.environ)
    paths = [*map(str, environment_pythonpath(root)), str(SITEBUILD_PARENT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    proc = subprocess.run([sys.executable, "-m", "sitebuild.run_python", "--root", str(root),
                           "--out", str(out_dir), "--defaults", json.dumps(defaults), *chapters],
                          cwd=root, env=env, capture_output=True, text=True, encoding="utf-8")
    if proc.returncode != 0:
        raise BuildError(proc.stderr.strip().removeprefix("error: ") or "chapter python failed")
    result = {}
    for src in chapters:
        path = out_dir / src
        line_map = json.loads(path.with_name(path.name + ".lines.json").read_text(encoding="utf-8"))
        result[src] = Expanded(path, line_map)
    return result


def write_expanded(root: Path, out_dir: Path, src: str, defaults: dict) -> None:
    from .execute import expand_chapter
    text = (root / src).read_text(encoding="utf-8")
    expansion = expand_chapter(text, src, defaults)
    dest = out_dir / src
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(expansion.text, encoding="utf-8")
    dest.with_name(dest.name + ".lines.json").write_text(json.dumps(expansion.line_map), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sitebuild.run_python", description=__doc__.split("\n")[0])
    p.add_argument("--root", type=Path, default=Path.cwd())
    p.add_argument("--out", type=Path, required=True, help="folder for the expanded copies")
    p.add_argument("--defaults", default="{}", help="_quarto.yml execute: options, as JSON")
    p.add_argument("chapters", nargs="+", help="chapter sources relative to --root")
    args = p.parse_args(argv)
    try:
        for src in args.chapters:
            write_expanded(args.root.resolve(), args.out.resolve(), src, json.loads(args.defaults))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python -m sitebuild: build the book into _book/.

With `quarto` on PATH the project is rendered by Quarto (`quarto render`, which runs the
prerender hook from _quarto.yml) and the browser assets are added to its output; that path
is deliberately thin and is not exercised on CI, where Quarto cannot be installed. Otherwise
the Pandoc renderer in this package builds the same project.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .build import build, default_jobs
from .errors import BuildError


def quarto_build(root: Path, out_dir: Path) -> int:
    from . import bundle, pyfiles, vendor, wheels
    proc = subprocess.run(["quarto", "render"], cwd=root)
    if proc.returncode != 0:
        return proc.returncode
    assets = out_dir / "assets"
    vendor.copy_book_assets(assets)
    vendor.vendor_npm(root, assets)
    vendor.copy_runtime(root, assets)
    bundle.write_bundle(root, assets / "labs_bundle.zip")
    names = wheels.write_wheels(root, assets, root / ".cache" / "wheels")
    pyfiles.write_python_files(assets / pyfiles.FILE, [assets / "wheels" / n for n in names], bundle.lab_sources(root))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sitebuild", description="Build the book site.")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="project root holding _quarto.yml (default: cwd)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: <root>/_book)")
    p.add_argument("--build-dir", type=Path, default=None, help="intermediate files (default: <root>/_build)")
    p.add_argument("--jobs", type=int, default=default_jobs(), help="parallel pandoc processes")
    p.add_argument("--skip-assets", action="store_true",
                   help="pages, crossrefs and search only: no npm vendoring, wheels or lab bundle")
    p.add_argument("--pandoc", action="store_true", help="use the Pandoc renderer even if quarto is installed")
    args = p.parse_args(argv)
    root = args.root.resolve()
    start = time.perf_counter()
    try:
        if shutil.which("quarto") and not args.pandoc:
            print("sitebuild: quarto found on PATH; running `quarto render`", file=sys.stderr)
            return quarto_build(root, (args.out or root / "_book").resolve())
        result = build(root, args.out, args.build_dir, jobs=args.jobs, assets=not args.skip_assets,
                       log=lambda m: print(m, file=sys.stderr))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("sitebuild: build failed; the previous site (if any) was left untouched", file=sys.stderr)
        return 1
    took = time.perf_counter() - start
    print(f"sitebuild: {len(result.pages)} pages, {len(result.labs)} lab(s), {len(result.wheels)} wheel(s) "
          f"-> {result.out_dir} in {took:.1f}s {result.timings}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

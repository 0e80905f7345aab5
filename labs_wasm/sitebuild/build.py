"""The whole build, in order. Writes into a staging folder and swaps it in at the end, so a
failed build never leaves a half-written site that looks finished."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import bundle, crossref, mathrender, offline, pyfiles, run_python, search, snapshot, vendor, wheels
from .errors import BuildError
from .pandoc import pandoc_path
from .project import Project, load_project
from .qmdcells import has_python
from .render import highlight_style, render_chapter
from .scan import ChapterInfo, scan_chapter

SITEBUILD_PARENT = Path(__file__).resolve().parent.parent


@dataclass
class BuildResult:
    out_dir: Path
    pages: list[str]
    labs: list[str] = field(default_factory=list)
    wheels: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def default_jobs() -> int:
    return max(2, (os.cpu_count() or 2))


def scan_project(project: Project, pool: ThreadPoolExecutor, build_dir: Path) -> list[ChapterInfo]:
    """Scan every chapter; chapters with python are scanned from their expanded copy, made in
    a child process while the others are scanned."""
    python = [ch.src for ch in project.chapters if _has_python(project.root / ch.src)]
    expanding = pool.submit(run_python.expand_chapters, project.root, build_dir, python,
                            project.execute, project.execute_dir) if python else None
    plain = {ch.src: pool.submit(scan_chapter, project, ch)
             for ch in project.chapters if ch.src not in python}
    expanded = expanding.result() if expanding else {}
    later = {ch.src: pool.submit(scan_chapter, project, ch, expanded[ch.src])
             for ch in project.chapters if ch.src in expanded}
    infos = [(plain.get(ch.src) or later[ch.src]).result() for ch in project.chapters]
    crossref.number_chapters(infos)
    return infos


def _has_python(path: Path) -> bool:
    try:
        return has_python(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False    # scan_chapter reports the missing chapter


def crossref_index(root: Path, build_dir: Path, jobs: int | None = None) -> dict:
    """Scan, number, check and write <build>/crossref.json (used by the prerender hook)."""
    project = load_project(root)
    with ThreadPoolExecutor(jobs or default_jobs()) as pool:
        infos = scan_project(project, pool, build_dir)
    index = crossref.build_index(infos)
    crossref.check_references(root, infos, index)
    crossref.write_index(index, build_dir / "crossref.json")
    return index


def run_prerender(root: Path, build_dir: Path) -> list[str]:
    """Run sitebuild.prerender in its own process (imports the project's own labkit)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root / "labs_wasm"), str(SITEBUILD_PARENT),
                                         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run([sys.executable, "-m", "sitebuild.prerender", "--root", str(root),
                           "--build-dir", str(build_dir)], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(proc.stderr.strip().removeprefix("error: ") or "prerender failed")
    prerender_dir = build_dir / "prerender"
    return sorted(p.name[:-5] for p in prerender_dir.glob("*.json") if not p.name.endswith(".xref.json"))


def _swap_in(staging: Path, out_dir: Path) -> None:
    old = out_dir.with_name(f".{out_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def build(root: Path, out_dir: Path | None = None, build_dir: Path | None = None, *,
          jobs: int | None = None, assets: bool = True, log=print) -> BuildResult:
    root = root.resolve()
    out_dir = (out_dir or root / "_book").resolve()
    build_dir = (build_dir or root / "_build").resolve()
    cache = root / ".cache" / "wheels"
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        timings[name] = round(time.perf_counter() - t0 - sum(timings.values()), 3)

    project = load_project(root)
    pandoc_path()   # fail early if pandoc is missing or too old
    pandoc_version = _pandoc_version()
    staging = out_dir.with_name(f".{out_dir.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    build_dir.mkdir(parents=True, exist_ok=True)
    try:
        with ThreadPoolExecutor(jobs or default_jobs()) as pool:
            # pip runs in its own process: start it now, collect it at the end.
            wheel_job = pool.submit(wheels.write_wheels, root, staging / "assets", cache) if assets else None
            infos = scan_project(project, pool, build_dir)
            index = crossref.build_index(infos)
            crossref.check_references(root, infos, index)
            crossref.write_index(index, build_dir / "crossref.json")
            lap("crossref")
            labs = run_prerender(root, build_dir)
            _warn_unknown_labs(infos, labs, log)
            lap("prerender")
            extra_head = _runtime_css(root)
            lab_head = _runtime_preloads(root)
            rendered = list(pool.map(
                lambda i: render_chapter(project, infos, i, build_dir, staging, pandoc_version,
                                         extra_head + (lab_head if infos[i].labs else "")),
                range(len(infos))))
            search.write_search_index(staging, [(infos[i], body) for i, (_, body) in enumerate(rendered)])
            lap("render")
            mathrender.typeset_pages([staging / page for page, _ in rendered], root)
            lap("math")
            assets_dir = staging / "assets"
            vendor.copy_book_assets(assets_dir)
            vendor.write_highlight_css(assets_dir, highlight_style(project.highlight_style))
            if assets:
                vendor.vendor_npm(root, assets_dir)
                vendor.copy_runtime(root, assets_dir)
                bundle.write_bundle(root, assets_dir / "labs_bundle.zip")
            wheel_names = wheel_job.result() if wheel_job else []
            if assets:
                pyfiles.write_python_files(assets_dir / pyfiles.FILE, [assets_dir / "wheels" / n for n in wheel_names],
                                           bundle.lab_sources(root))
            lap("assets")
            if assets:
                snapshot.write_snapshot(root, assets_dir, log)
                lap("snapshot")
            offline.write_service_worker(staging, log)   # last: it lists every file written above
            lap("offline")
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(out_dir, [p for p, _ in rendered], labs, wheel_names, timings)


def _pandoc_version() -> str:
    import pypandoc
    return pypandoc.get_pandoc_version()


def _runtime_css(root: Path) -> str:
    runtime = root / "labs_wasm" / "runtime"
    css = sorted(p.name for p in runtime.glob("*.css")) if runtime.is_dir() else []
    return "".join(f'<link rel="stylesheet" href="{{{{root}}}}assets/runtime/{name}">\n' for name in css)


_MODULES = re.compile(r"export const MODULES = \[(.*?)\];", re.S)


def _runtime_preloads(root: Path) -> str:
    """<link rel=modulepreload> for every module a lab page needs, taken from the one list in
    runtime/boot.js, so the browser fetches the runtime while it parses the chapter."""
    boot = root / "labs_wasm" / "runtime" / "boot.js"
    if not boot.is_file():
        return ""
    m = _MODULES.search(boot.read_text(encoding="utf-8"))
    if not m:
        raise BuildError(f"{boot}: no `export const MODULES = [...]` list to preload")
    names = re.findall(r'"([^"]+)"', m.group(1))
    return "".join(f'<link rel="modulepreload" href="{{{{root}}}}assets/runtime/{n}">\n' for n in names)


def _warn_unknown_labs(infos: list[ChapterInfo], labs: list[str], log) -> None:
    known = set(labs)
    for info in infos:
        for lab_id in info.labs:
            if lab_id.replace("/", "-") not in known:
                log(f"warning: {info.chapter.src}: lab {lab_id} is not in the lab catalog; "
                    "the page shows a notice instead of the lab")

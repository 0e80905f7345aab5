"""boot.js's MODULES list is the one source for what a lab page preloads (boot.js itself and
the build's <link rel=modulepreload>): it must name every module start.js reaches, or the
browser discovers the missing ones one round trip at a time."""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "labs_wasm" / "runtime"
# import x from "m"; export {y} from "m"; import "m" (side effect); import("m")
IMPORT = re.compile(r'''(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']'''
                    r'''|(?:^|\n)\s*import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)''')


def static_graph(entry: str) -> set[str]:
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        if name in seen or name.startswith("../vendor/"):
            seen.add(name)
            continue
        seen.add(name)
        text = (RUNTIME / name).read_text(encoding="utf-8")
        for m in IMPORT.finditer(text):
            spec = m.group(1) or m.group(2) or m.group(3)
            if spec.startswith("."):
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(name), spec)))
    return seen


def test_runtime_modules_list_covers_the_import_graph():
    boot = (RUNTIME / "boot.js").read_text(encoding="utf-8")
    listed = set(re.findall(r'"([^"]+)"', re.search(r"export const MODULES = \[(.*?)\];", boot, re.S).group(1)))
    reached = static_graph("start.js")
    assert reached - listed == set(), "modules start.js reaches but boot.js does not preload"
    assert listed - reached == set(), "modules boot.js preloads that no page uses"


def test_runtime_lab_pages_preload_the_modules(built_site):
    intro = (built_site.out_dir / "vol1" / "introduction.html").read_text()
    assert '<link rel="modulepreload" href="../assets/runtime/start.js">' in intro
    assert '<link rel="modulepreload" href="../assets/runtime/../vendor/marked.esm.js">' in intro
    # A page without a lab (every chapter has one now; the front page has none) loads no runtime.
    front = (built_site.out_dir / "index.html").read_text()
    assert 'class="lab"' not in front and "data-lab=" not in front
    assert "modulepreload" not in front


def test_worker_modules_list_covers_the_worker_import_graph():
    """worker-client.js probes WORKER_MODULES to name the file when the worker fails to load:
    a module the worker imports but the list misses would be reported as "failed to load"."""
    client = (RUNTIME / "worker-client.js").read_text(encoding="utf-8")
    listed = set(re.findall(r'"([^"]+)"', re.search(r"export const WORKER_MODULES = \[(.*?)\];", client, re.S).group(1)))
    assert listed == static_graph("worker.js")

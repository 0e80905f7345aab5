"""Pre-render every lab's initial view (the empty state) under CPython.

Writes, for each id in labkit.catalog.all_ids():
  <build>/prerender/vol1-01.json       the view tree for {"answers": {}, "values": {}}
  <build>/prerender/vol1-01.xref.json  {sec-id: {label, short, number, title, href}} for every
                                       @sec id the lab's source or tree mentions; href is
                                       relative to the site root (the filter rebases it)
  <build>/prerender/vol1-01.html       that view as HTML, drawn by the runtime's own renderers
                                       in Node (prerender_html.mjs): the filter puts it in the
                                       page, so the first prediction shows before any script
and once:
  <build>/prerender/catalog/labs.json  labkit.catalog.manifest() (each lab's title and
                                       contexts; context names) plus each lab's chapter
                                       {number, title, href} and page href: the filter puts
                                       the chapter on the lab's section and the whole catalog
                                       on the Ledger page

Runnable alone (Quarto's pre-render hook names it):
  python -m sitebuild.prerender [--root .] [--build-dir _build]
It runs in its own process during `python -m sitebuild`, so the labkit it imports is the
project's own (root/labs_wasm), never another checkout's.

A project without labkit yet prerenders nothing; a labkit that fails to import, or a lab that
fails to render, fails the build.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

from .crossref import SEC_REF, lab_source_refs
from .errors import BuildError

HERE = Path(__file__).resolve().parent
EMPTY_STATE = {"answers": {}, "values": {}, "ledger": {}}  # a student with no ledger yet


def file_stem(lab_id: str) -> str:
    return lab_id.replace("/", "-")


def load_catalog(root: Path):
    """Return labkit.catalog, or None when the project has no labkit package yet."""
    labs_wasm = root / "labs_wasm"
    if not (labs_wasm / "labkit").is_dir():
        return None
    if str(labs_wasm) not in sys.path:
        sys.path.insert(0, str(labs_wasm))
    try:
        return importlib.import_module("labkit.catalog")
    except Exception as exc:
        raise BuildError(f"{labs_wasm / 'labkit'}: cannot import labkit.catalog: "
                         f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}") from None


def lab_source_files(root: Path, lab_id: str) -> list[Path]:
    """labs/vol1/lab_01_<slug>.py for id "vol1/01" (PROTOCOL.md section 1)."""
    vol, _, num = lab_id.partition("/")
    return sorted((root / "labs_wasm" / "labs" / vol).glob(f"lab_{num}_*.py"))


def lab_xref(root: Path, lab_id: str, tree_json: str, sections: dict) -> dict:
    refs: dict[str, str] = {}
    for path in lab_source_files(root, lab_id):
        for lineno, sec_id in lab_source_refs(path):
            refs.setdefault(sec_id, f"{path.relative_to(root)}:{lineno}")
    for m in SEC_REF.finditer(tree_json):
        refs.setdefault(m.group(1), f"lab {lab_id} (rendered view)")
    unknown = [f"{where}: unknown cross-reference @{sec_id}" for sec_id, where in refs.items()
               if sec_id not in sections]
    if unknown:
        raise BuildError("\n".join(unknown))
    keep = ("label", "short", "number", "title", "href")
    return {sec_id: {k: sections[sec_id][k] for k in keep} for sec_id in sorted(refs)}


def labs_catalog(catalog, chapters: list[dict]) -> dict | None:
    """The labs catalog: labkit's manifest plus where each lab lives in the book (its
    chapter's number, title and page, from the crossref index). None when this labkit
    has no manifest (an older or stand-in toolkit)."""
    manifest = getattr(catalog, "manifest", None)
    if manifest is None:
        return None
    out = manifest()
    by_src = {c.get("src"): c for c in chapters}
    for lab in out.get("labs", {}).values():
        chapter = by_src.get(f"book/vol{lab['volume']}/{lab['chapter']}.qmd")
        if chapter is None:
            continue
        lab["chapter"] = {"slug": lab["chapter"], "number": chapter.get("number"),
                          "title": chapter.get("title"), "href": chapter.get("href")}
        lab["href"] = f"{chapter.get('href')}#lab-{file_stem(lab['id'])}"
    return out


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def prerender(root: Path, build_dir: Path, sections: dict,
              chapters: list[dict] | None = None) -> list[str]:
    """Write the pre-render files; return the lab ids rendered."""
    out_dir = build_dir / "prerender"
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog(root)
    if catalog is None:
        print(f"prerender: no labkit under {root / 'labs_wasm'}; no labs to pre-render", file=sys.stderr)
        return []
    try:
        ids = list(catalog.all_ids())
    except Exception as exc:
        raise BuildError(f"labkit.catalog.all_ids() failed: {type(exc).__name__}: {exc}") from None
    for lab_id in ids:
        try:
            tree = catalog.load(lab_id).render(json.loads(json.dumps(EMPTY_STATE)))
            tree_json = json.dumps(tree, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except Exception:
            raise BuildError(f"lab {lab_id}: rendering the empty state failed:\n{traceback.format_exc()}") from None
        xref = lab_xref(root, lab_id, tree_json, sections)
        stem = out_dir / file_stem(lab_id)
        for suffix, text in ((".json", tree_json), (".xref.json", json.dumps(xref, ensure_ascii=False, sort_keys=True))):
            _write(stem.with_name(stem.name + suffix), text)
    try:
        labs = labs_catalog(catalog, chapters or [])
    except Exception:
        raise BuildError(f"labkit.catalog.manifest() failed:\n{traceback.format_exc()}") from None
    if labs is not None:
        (out_dir / "catalog").mkdir(exist_ok=True)
        _write(out_dir / "catalog" / "labs.json", json.dumps(labs, ensure_ascii=False, sort_keys=True))
    if ids:
        render_html(root, out_dir)
    return ids


def render_html(root: Path, out_dir: Path) -> None:
    """Each lab's view as HTML (prerender_html.mjs), next to its JSON, drawn by the project's
    own runtime. A project without one gets none (its pages then draw the view from the JSON)."""
    for stale in out_dir.glob("*.html"):
        stale.unlink()
    if not (root / "labs_wasm" / "runtime" / "render.js").is_file():
        print(f"prerender: no runtime under {root / 'labs_wasm'}; the labs' first views are not written as HTML", file=sys.stderr)
        return
    for package in ("jsdom", "dompurify", "marked", "katex"):
        if not (root / "node_modules" / package).is_dir():
            raise BuildError(f"{root / 'node_modules' / package}: missing; run `npm ci` (the labs' first views are drawn in Node with it)")
    node = shutil.which("node")
    if not node:
        raise BuildError("node is not on PATH: the build draws each lab's first view as HTML in Node (install Node 20)")
    # The runtime's modules are ES modules in a folder without package.json "type": Node
    # says so once per module; that is expected here.
    proc = subprocess.run([node, "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", str(HERE / "prerender_html.mjs"),
                           str(out_dir), str(root)], cwd=root, capture_output=True, text=True, encoding="utf-8")
    if proc.returncode != 0:
        raise BuildError(f"{HERE / 'prerender_html.mjs'}: drawing the labs' first views as HTML failed:\n{proc.stderr.strip()[-3000:]}")
    for line in proc.stderr.splitlines():
        if line.startswith("lab text:"):   # a formula KaTeX cannot set, say: the runtime warns the same
            raise BuildError(f"pre-rendering the labs' HTML: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitebuild.prerender", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: cwd)")
    parser.add_argument("--build-dir", type=Path, default=None, help="default: <root>/_build")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    build_dir = (args.build_dir or root / "_build").resolve()
    try:
        index_path = build_dir / "crossref.json"
        if index_path.is_file():
            index = json.loads(index_path.read_text(encoding="utf-8"))
        else:   # standalone run (Quarto's pre-render hook): build the index first
            from .build import crossref_index
            index = crossref_index(root, build_dir)
        ids = prerender(root, build_dir, index["sections"], index.get("chapters", []))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"prerender: {len(ids)} lab(s) -> {build_dir / 'prerender'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Typeset math at build time: Pandoc's ``--katex`` output leaves TeX in
``<span class="math inline|display">``; we replace it with KaTeX's HTML (+ MathML for screen
readers) in one Node process for the whole book. Readers get typeset math at first paint,
with no KaTeX script to run (it used to block the page, and the lab, for ~0.4 s)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

from .errors import BuildError

HERE = Path(__file__).resolve().parent
# Pandoc 3.9 writes bare TeX in the span; older versions wrap it in \( \) or \[ \].
_MATH = re.compile(r'<span\s+class="math (inline|display)">(?:\\[(\[])?(.*?)(?:\\[)\]])?</span>', re.S)


def _node() -> str:
    node = shutil.which("node")
    if not node:
        raise BuildError("node is not on PATH: the build typesets math with KaTeX in Node (install Node 20)")
    return node


def typeset_pages(pages: list[Path], root: Path) -> int:
    """Rewrite every page's math spans in place; return how many formulas were typeset.

    A TeX error fails the build naming the page and the formula.
    """
    texts = {p: p.read_text(encoding="utf-8") for p in pages}
    found = [(p, m) for p, text in texts.items() for m in _MATH.finditer(text)]
    if not found:
        return 0
    items = [{"tex": html.unescape(m.group(2)), "display": m.group(1) == "display"} for _, m in found]
    proc = subprocess.run([_node(), str(HERE / "katex_render.mjs")], input=json.dumps(items),
                          capture_output=True, text=True, encoding="utf-8", cwd=root)
    if proc.returncode != 0:
        raise BuildError(f"KaTeX (node) failed: {proc.stderr.strip()[-2000:]}")
    rendered = json.loads(proc.stdout)
    by_page: dict[Path, list[str]] = {p: [] for p in texts}
    for (page, m), item, result in zip(found, items, rendered):
        if "error" in result:
            raise BuildError(f"{page}: cannot typeset math {item['tex']!r}: {result['error']}")
        by_page[page].append(f'<span class="math {m.group(1)}">{result["html"]}</span>')
    for page, replacements in by_page.items():
        if replacements:
            it = iter(replacements)
            page.write_text(_MATH.sub(lambda _m: next(it), texts[page]), encoding="utf-8")
    return len(found)

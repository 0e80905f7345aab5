"""The @sec crossref index: Quarto book numbering plus the checks that fail the build.

Numbering (as Quarto books do): numbered chapters count 1, 2, ... in book order across both
volumes; unnumbered pages (the front page, pages whose heading has .unnumbered) take none.
Inside chapter N, Pandoc numbers sections N.M, N.M.K (the chapter heading is lifted out and
--number-offset=N is passed, so the numbers here are Pandoc's own). References read
"Chapter N" for a chapter heading, "Section N.M" otherwise, and a page's title when the
target carries no number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import BuildError
from .scan import SCAN_OFFSET, ChapterInfo

# Pandoc's citation key rule (letters, digits, _, internal punctuation), kept to the
# punctuation Quarto ids use so that "see @sec-x." does not swallow the full stop.
SEC_REF = re.compile(r"(?<![\w@])-?@(sec-[A-Za-z0-9_]+(?:[-:.][A-Za-z0-9_]+)*)")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_COMMENT = re.compile(r"<!--.*?-->")


def number_chapters(infos: list[ChapterInfo]) -> None:
    """Give every numbered chapter its number and shift its section numbers to N.M."""
    n = 0
    for info in infos:
        if info.unnumbered:
            info.number = None
            for sec in info.sections:
                sec.number = None
            continue
        n += 1
        info.number = n
        for sec in info.sections:
            if sec.number:
                first, *rest = sec.number.split(".")
                sec.number = ".".join([str(int(first) - SCAN_OFFSET + n), *rest])


def build_index(infos: list[ChapterInfo]) -> dict:
    """Return {"chapters": [...], "sections": {id: entry}}; duplicate ids are an error."""
    sections: dict[str, dict] = {}
    where: dict[str, str] = {}

    def add(sec_id: str, entry: dict, src: str) -> None:
        if sec_id in sections:
            raise BuildError(f"{src}: duplicate section id #{sec_id} (also in {where[sec_id]}); ids must be unique across the book")
        sections[sec_id] = entry
        where[sec_id] = src

    chapters = []
    for info in infos:
        ch = info.chapter
        chapters.append({"src": ch.src, "href": ch.out, "number": info.number,
                         "title": info.title_text, "id": info.chapter_id, "part": ch.part})
        if info.chapter_id.startswith("sec-"):
            num = str(info.number) if info.number else None
            add(info.chapter_id, {
                "label": f"Chapter {num}" if num else info.title_text,
                "short": num or info.title_text, "number": num, "title": info.title_text,
                "href": f"{ch.out}#{info.chapter_id}", "chapter": True}, ch.src)
        for sec in info.sections:
            if not sec.id.startswith("sec-"):
                continue
            add(sec.id, {
                "label": f"Section {sec.number}" if sec.number else sec.title,
                "short": sec.number or sec.title, "number": sec.number, "title": sec.title,
                "href": f"{ch.out}#{sec.id}", "chapter": False}, ch.src)
    return {"chapters": chapters, "sections": sections}


def _prose_lines(text: str):
    """Yield (line number, line) for Markdown lines outside front matter and fenced code,
    with inline code spans and HTML comments blanked out."""
    lines = text.splitlines()
    i = 0
    if lines and lines[0].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j].strip() in ("---", "..."):
                i = j + 1
                break
    fence: str | None = None
    for lineno in range(i, len(lines)):
        line = lines[lineno]
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            continue
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
                fence = None
            continue
        yield lineno + 1, _COMMENT.sub("", _INLINE_CODE.sub("", line))


def locate(path: Path, sec_id: str) -> int:
    """Line of the first reference to ``sec_id`` in ``path`` (1 if it cannot be found)."""
    for lineno, line in _prose_lines(path.read_text(encoding="utf-8")):
        if any(m.group(1) == sec_id for m in SEC_REF.finditer(line)):
            return lineno
    return 1


def check_chapter_refs(root: Path, infos: list[ChapterInfo], index: dict) -> list[str]:
    errors = []
    known = index["sections"]
    for info in infos:
        for sec_id in dict.fromkeys(info.cites):
            if sec_id not in known:
                src = info.chapter.src
                errors.append(f"{src}:{locate(root / src, sec_id)}: unknown cross-reference @{sec_id}")
    return errors


def lab_source_refs(path: Path) -> list[tuple[int, str]]:
    """Every (line, id) @sec reference in a lab's Python source."""
    found = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        found.extend((lineno, m.group(1)) for m in SEC_REF.finditer(line))
    return found


def lab_sources(root: Path) -> list[Path]:
    labs = root / "labs_wasm" / "labs"
    return sorted(labs.rglob("*.py")) if labs.is_dir() else []


def check_lab_refs(root: Path, index: dict) -> list[str]:
    errors = []
    for path in lab_sources(root):
        for lineno, sec_id in lab_source_refs(path):
            if sec_id not in index["sections"]:
                errors.append(f"{path.relative_to(root)}:{lineno}: unknown cross-reference @{sec_id}")
    return errors


def check_references(root: Path, infos: list[ChapterInfo], index: dict) -> None:
    errors = check_chapter_refs(root, infos, index) + check_lab_refs(root, index)
    if errors:
        raise BuildError("\n".join(errors + [
            f"{len(errors)} unknown cross-reference(s): fix the id or add a heading with {{#sec-...}}"]))


def write_index(index: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(index, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)

"""First pass over each chapter: Pandoc reads it with the same filters the render uses and
tells us its title, its sections with Pandoc's own numbering, and the @sec ids and labs it
cites. Reading Pandoc's output (rather than regexes over Markdown) means headings inside code
blocks, callout titles and attribute syntax are handled exactly as the render will."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError
from .htmlsections import Section, parse_sections
from .pandoc import run_pandoc
from .project import Chapter, Project

HERE = Path(__file__).resolve().parent
FILTERS = HERE / "filters"
# Pandoc numbers relative to the shallowest heading when every offset is 0, and absolutely
# (H2 -> "offset.M") otherwise; the render passes the chapter number, so the scan passes a
# sentinel and crossref.number_chapters swaps it for the chapter number.
SCAN_OFFSET = 1000
PARTS_TEMPLATE = HERE / "templates" / "pandoc-parts.html"
TOC_MARK = "<!--sitebuild:toc-->"
BODY_MARK = "<!--sitebuild:body-->"


@dataclass
class ChapterInfo:
    chapter: Chapter
    title_text: str
    title_html: str
    chapter_id: str
    unnumbered: bool
    sections: list[Section]
    cites: list[str]
    labs: list[str]
    number: int | None = None     # assigned by crossref.number_chapters
    meta: dict = field(default_factory=dict)
    input_path: Path | None = None   # what Pandoc reads: the source, or its expanded copy
    line_map: list[int] | None = None   # expanded copy's line -> source line (None: the source)


def split_parts(output: str, what: str) -> tuple[dict, str, str]:
    """Split the pandoc-parts template output into (metadata, toc html, body html)."""
    try:
        head, rest = output.split(TOC_MARK, 1)
        toc, body = rest.split(BODY_MARK, 1)
        meta = json.loads(head)
    except ValueError as exc:
        raise BuildError(f"{what}: unexpected pandoc output ({exc})") from None
    return meta, toc.strip(), body.strip()


def base_filters() -> list[str]:
    return ["--lua-filter", str(FILTERS / "callouts.lua"), "--lua-filter", str(FILTERS / "chapter.lua")]


def scan_chapter(project: Project, chapter: Chapter, expanded=None) -> ChapterInfo:
    """Scan the chapter's source, or ``expanded`` (a run_python.Expanded) when it has python."""
    src = project.root / chapter.src
    if not src.is_file():
        raise BuildError(f"{project.root / '_quarto.yml'}: chapter {chapter.src} does not exist")
    input_path = expanded.path if expanded else src
    line_map = expanded.line_map if expanded else None
    out = run_pandoc([str(input_path), "--from", "markdown", "--to", "html5", "--section-divs",
                      "--number-sections", f"--number-offset={SCAN_OFFSET}", "--katex", "--template", str(PARTS_TEMPLATE), *base_filters()],
                     what=chapter.src, source=(str(input_path), str(src), line_map) if expanded else None)
    meta, _toc, body = split_parts(out, chapter.src)
    sections, _ = parse_sections(body)
    title_text = str(meta.get("chapter-title-text") or Path(chapter.src).stem.replace("_", " ").title())
    unnumbered = (bool(meta.get("chapter-unnumbered"))
                  or Path(chapter.src).name == "index.qmd"
                  or meta.get("number-sections") is False
                  or not project.number_sections)
    return ChapterInfo(
        chapter=chapter,
        title_text=title_text,
        title_html=str(meta.get("chapter-title") or title_text),
        chapter_id=str(meta.get("chapter-id") or ""),
        unnumbered=unnumbered,
        sections=sections,
        cites=[str(c) for c in meta.get("sec-cites") or []],
        labs=[str(c) for c in meta.get("lab-ids") or []],
        meta=meta,
        input_path=input_path,
        line_map=line_map,
    )

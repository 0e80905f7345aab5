"""search.json: one record per page and per section, for the client-side search box."""

from __future__ import annotations

import json
from pathlib import Path

from .htmlsections import parse_sections
from .scan import ChapterInfo

MAX_TEXT = 1500   # characters of section text kept per record (enough to match and to quote)


def page_records(info: ChapterInfo, body_html: str) -> list[dict]:
    page = info.chapter.out
    chapter = f"{info.number}  {info.title_text}" if info.number else info.title_text
    sections, preamble = parse_sections(body_html)
    records = [{"title": chapter, "section": "", "href": page, "text": preamble[:MAX_TEXT]}]
    for sec in sections:
        label = f"{sec.number}  {sec.title}" if sec.number else sec.title
        records.append({"title": chapter, "section": label, "href": f"{page}#{sec.id}",
                        "text": sec.text[:MAX_TEXT]})
    return records


def write_search_index(out_dir: Path, pages: list[tuple[ChapterInfo, str]]) -> int:
    records = [r for info, body in pages for r in page_records(info, body)]
    (out_dir / "search.json").write_text(json.dumps(records, ensure_ascii=False, separators=(",", ":")),
                                         encoding="utf-8")
    return len(records)

"""Read Pandoc's --section-divs HTML back into (id, number, level, title, text) records.

Pandoc writes ``<section id=".." class="levelN [unnumbered]" data-number="9.2">`` followed
by the ``<hN>`` heading; the heading's number sits in ``<span class="header-section-number">``.
Used for the crossref index (numbers exactly as Pandoc printed them) and for search.json.
Math (``<span class="math inline|display">`` holding TeX, before KaTeX typesets it) is read
as plain text a reader understands (plainmath), never as TeX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from .plainmath import tex_to_text

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP_TEXT = {"script", "style"}
# Status lines of embedded labs ("Loading Python…") and a lab's pre-rendered view (its
# questions and buttons, .lab-root) are UI, not book text: keep them out of search.
_SKIP_CLASSES = {"lab-status", "ledger-status", "lab-root"}


@dataclass
class Section:
    id: str
    level: int
    number: str | None
    title: str = ""
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self.stack: list[Section | None] = []      # one entry per open <section>
        self.in_heading: Section | None = None
        self.in_number = 0
        self.skip = 0
        self.skip_tags: list[str] = []            # open elements whose text is skipped
        self.preamble: list[str] = []             # text before the first section
        self.math: list[str] | None = None        # TeX of the open math span

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span" and "math" in (a.get("class") or "").split():
            self.math = []
            return
        if tag == "section":
            level_cls = [c for c in (a.get("class") or "").split() if c.startswith("level")]
            if "id" in a and level_cls:
                sec = Section(a["id"], int(level_cls[0][5:] or 0), a.get("data-number"))
                self.sections.append(sec)
                self.stack.append(sec)
            else:
                self.stack.append(None)
        elif tag in _HEADINGS and self.stack and self.stack[-1] is not None and not self.stack[-1].title:
            self.in_heading = self.stack[-1]
        elif tag == "span" and self.in_heading is not None and "header-section-number" in (a.get("class") or ""):
            self.in_number += 1
        elif self.in_number and tag == "span":
            self.in_number += 1
        if self.skip and tag == self.skip_tags[-1]:   # nested in a skipped element of its tag (div in div)
            self.skip += 1
            self.skip_tags.append(tag)
        elif tag in _SKIP_TEXT or _SKIP_CLASSES & set((a.get("class") or "").split()):
            self.skip += 1
            self.skip_tags.append(tag)

    def handle_endtag(self, tag):
        if self.math is not None and tag == "span":    # a math span holds only text
            tex = "".join(self.math).strip()
            if tex.startswith(("\\(", "\\[")) and tex.endswith(("\\)", "\\]")):   # older Pandoc
                tex = tex[2:-2]
            self.math = None
            self.handle_data(tex_to_text(tex))
            return
        if tag == "section" and self.stack:
            self.stack.pop()
        elif tag in _HEADINGS and self.in_heading is not None:
            self.in_heading.title = " ".join(self.in_heading.title.split())
            self.in_heading = None
        elif tag == "span" and self.in_number:
            self.in_number -= 1
        if self.skip_tags and self.skip_tags[-1] == tag:
            self.skip_tags.pop()
            self.skip -= 1

    def handle_data(self, data):
        if self.math is not None:
            self.math.append(data)
            return
        if self.skip:
            return
        if self.in_heading is not None:
            if not self.in_number:
                self.in_heading.title += data
            return
        current = next((s for s in reversed(self.stack) if s is not None), None)
        (current.text_parts if current else self.preamble).append(data)


def parse_sections(html: str) -> tuple[list[Section], str]:
    """Return the sections in document order and the text before the first one."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.sections, " ".join(" ".join(parser.preamble).split())

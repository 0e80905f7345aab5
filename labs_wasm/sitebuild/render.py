"""Second pass: render each chapter with Pandoc and wrap it in the book's page template."""

from __future__ import annotations

import html
import re
from pathlib import Path

from .errors import BuildError
from .pandoc import run_pandoc
from .project import Project
from .scan import FILTERS, PARTS_TEMPLATE, ChapterInfo, base_filters, split_parts

HERE = Path(__file__).resolve().parent
PAGE_TEMPLATE = HERE / "templates" / "page.html"
LAB_FILTER_NAME = "lab.lua"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

# Quarto's highlight styles that Pandoc lacks, mapped to the nearest Pandoc style.
HIGHLIGHT_FALLBACK = {"github": "pygments", "arrow": "pygments", "a11y": "pygments",
                      "atom-one": "pygments", "dracula": "breezedark", "nord": "breezedark"}
PANDOC_STYLES = {"pygments", "tango", "espresso", "zenburn", "kate", "monochrome", "breezedark", "haddock"}


def highlight_style(name: str) -> str:
    return name if name in PANDOC_STYLES else HIGHLIGHT_FALLBACK.get(name, "pygments")


def fill(template: str, values: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        if m.group(1) not in values:
            raise BuildError(f"{PAGE_TEMPLATE}: no value for {{{{{m.group(1)}}}}}")
        return values[m.group(1)]
    return _PLACEHOLDER.sub(sub, template)


def chapter_label_html(info: ChapterInfo) -> str:
    """Sidebar/nav label: "<span class=chapter-number>9</span> Data Selection"."""
    title = info.title_html
    if info.number is None:
        return f'<span class="chapter-title">{title}</span>'
    return f'<span class="chapter-number">{info.number}</span>&ensp;<span class="chapter-title">{title}</span>'


def sidebar_html(infos: list[ChapterInfo], current: ChapterInfo, root: str) -> str:
    lines = ['<ul class="sidebar-list">']
    open_part: str | None = None
    for info in infos:
        part = info.chapter.part
        if part != open_part:
            if open_part is not None:
                lines.append("</ul></li>")
            if part is not None:
                lines.append(f'<li class="sidebar-part"><span class="part-title">{html.escape(part)}</span><ul>')
            open_part = part
        current_attr = ' aria-current="page" class="active"' if info is current else ""
        lines.append(f'<li><a href="{root}{info.chapter.out}"{current_attr}>{chapter_label_html(info)}</a></li>')
    if open_part is not None:
        lines.append("</ul></li>")
    lines.append("</ul>")
    return "\n".join(lines)


def nav_link(info: ChapterInfo | None, root: str, rel: str) -> str:
    if info is None:
        return f'<span class="page-nav-{rel} page-nav-empty"></span>'
    word = "Previous" if rel == "prev" else "Next"
    return (f'<a class="page-nav-{rel}" rel="{rel}" href="{root}{info.chapter.out}">'
            f'<span class="page-nav-dir">{word}</span> {chapter_label_html(info)}</a>')


def pandoc_args(project: Project, info: ChapterInfo, build_dir: Path) -> list[str]:
    ch = info.chapter
    root = ch.site_root
    args = [str(info.input_path or project.root / ch.src), "--from", "markdown", "--to", "html5",
            "--section-divs", "--template", str(PARTS_TEMPLATE),
            f"--katex={root}assets/vendor/katex/",
            f"--syntax-highlighting={highlight_style(project.highlight_style)}",
            *base_filters(), "--lua-filter", str(FILTERS / "crossref.lua"),
            "--lua-filter", str(FILTERS / "tables.lua"),
            "--metadata", f"crossref-index={build_dir / 'crossref.json'}",
            "--metadata", f"site-root={root}",
            "--metadata", f"page-path={ch.out}",
            "--metadata", f"lab-prerender-dir={build_dir / 'prerender'}"]
    if project.toc:
        args += ["--toc", "--toc-depth=3"]
    if info.number is not None:
        args += ["--number-sections", f"--number-offset={info.number}"]
    for flt in project.filters:    # the project's own filters from _quarto.yml (lab.lua)
        path = project.root / flt
        if not path.is_file():
            raise BuildError(f"{project.root / '_quarto.yml'}: filter {flt} does not exist")
        args += ["--lua-filter", str(path)]
    return args


_LAB_SECTION = re.compile(r'<section class="lab" id="([^"]+)"')


def lab_skip_link(body: str) -> str:
    """A second skip link, to the page's lab: a keyboard reaches its first prediction in a
    few Tabs instead of crossing the whole chapter."""
    match = _LAB_SECTION.search(body)
    return f'\n<a class="skip-link" href="#{match.group(1)}">Skip to the lab</a>' if match else ""


def render_chapter(project: Project, infos: list[ChapterInfo], i: int, build_dir: Path,
                   out_dir: Path, pandoc_version: str, extra_head: str) -> tuple[str, str]:
    """Render chapter ``i`` into out_dir; return (page path, body html) for the search index."""
    info = infos[i]
    ch = info.chapter
    root = ch.site_root
    output = run_pandoc(pandoc_args(project, info, build_dir), what=ch.src,
                        source=(str(info.input_path), str(project.root / ch.src), info.line_map)
                        if info.line_map else None)
    _meta, toc, body = split_parts(output, ch.src)
    if info.number is not None:
        heading = (f'<span class="chapter-number">Chapter {info.number}</span>&ensp;'
                   f'<span class="chapter-title">{info.title_html}</span>')
        page_title = f"{info.number}  {info.title_text} – {project.title}"
    else:
        heading = f'<span class="chapter-title">{info.title_html}</span>'
        page_title = project.title if Path(ch.src).name == "index.qmd" else f"{info.title_text} – {project.title}"
    toc_block = ""
    if toc:
        toc_block = ('<aside class="page-toc"><nav aria-labelledby="toc-title">'
                     f'<h2 id="toc-title">On this page</h2>\n{toc}\n</nav></aside>')
    part_label = f'<p class="part-label">{html.escape(ch.part)}</p>\n' if ch.part else ""
    page = fill(PAGE_TEMPLATE.read_text(encoding="utf-8"), {
        "root": root,
        "pandoc_version": pandoc_version,
        "page_title": html.escape(page_title),
        "book_title": html.escape(project.title),
        "extra_head": extra_head.replace("{{root}}", root),
        "sidebar": sidebar_html(infos, info, root),
        "part_label": part_label,
        "chapter_id_attr": f' id="{html.escape(info.chapter_id)}"' if info.chapter_id else "",
        "chapter_heading": heading,
        "body": body,
        "prev_link": nav_link(infos[i - 1] if i > 0 else None, root, "prev"),
        "next_link": nav_link(infos[i + 1] if i + 1 < len(infos) else None, root, "next"),
        "toc_block": toc_block,
        "lab_skip_link": lab_skip_link(body),
    })
    dest = out_dir / ch.out
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(page, encoding="utf-8")
    return ch.out, body

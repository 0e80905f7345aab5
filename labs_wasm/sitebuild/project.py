"""Read the Quarto book configuration (_quarto.yml) into plain dataclasses.

Only the parts the Pandoc renderer needs: title, parts, chapter order, HTML format options.
Output paths drop the leading ``book/`` folder: book/vol1/x.qmd -> vol1/x.html.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from .errors import BuildError

SOURCE_PREFIX = "book/"


@dataclass(frozen=True)
class Chapter:
    src: str            # path relative to the project root, e.g. "book/vol1/introduction.qmd"
    part: str | None    # title of the part (volume) it belongs to, None for front/back matter
    index: int          # position in book order (0-based)

    @property
    def out(self) -> str:
        """Output path relative to the site root, e.g. "vol1/introduction.html"."""
        rel = self.src[len(SOURCE_PREFIX):] if self.src.startswith(SOURCE_PREFIX) else self.src
        return str(PurePosixPath(rel).with_suffix(".html"))

    @property
    def site_root(self) -> str:
        """Relative path from this chapter's page to the site root ("" or "../")."""
        depth = len(PurePosixPath(self.out).parts) - 1
        return "../" * depth


@dataclass(frozen=True)
class Project:
    root: Path
    title: str
    subtitle: str
    chapters: list[Chapter]
    parts: list[str]
    number_sections: bool = True
    toc: bool = True
    highlight_style: str = "pygments"
    filters: list[str] = field(default_factory=list)
    execute: dict = field(default_factory=dict)      # _quarto.yml execute: (chapter python)
    execute_dir: str | None = None                   # project: execute-dir:


def load_project(root: Path) -> Project:
    """Parse ``root/_quarto.yml``; raise BuildError naming the file and the problem."""
    cfg_path = root / "_quarto.yml"
    try:
        cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise BuildError(f"{cfg_path}: not found (the project root must hold _quarto.yml)") from None
    except yaml.YAMLError as exc:
        raise BuildError(f"{cfg_path}: invalid YAML: {exc}") from None
    book = cfg.get("book") or {}
    if not book.get("chapters"):
        raise BuildError(f"{cfg_path}: book.chapters is empty; list the chapter .qmd files")

    chapters: list[Chapter] = []
    parts: list[str] = []
    for entry in book["chapters"]:
        if isinstance(entry, str):
            chapters.append(Chapter(entry, None, len(chapters)))
        elif isinstance(entry, dict) and "part" in entry:
            part = str(entry["part"])
            parts.append(part)
            for src in entry.get("chapters") or []:
                if not isinstance(src, str):
                    raise BuildError(f"{cfg_path}: chapter entry {src!r} in part {part!r} must be a path")
                chapters.append(Chapter(src, part, len(chapters)))
        else:
            raise BuildError(f"{cfg_path}: unsupported chapters entry {entry!r} (use a path or a part)")

    seen: set[str] = set()
    for ch in chapters:
        if ch.out in seen:
            raise BuildError(f"{cfg_path}: two chapters map to the same page {ch.out}")
        seen.add(ch.out)

    if cfg.get("execute") is not None and not isinstance(cfg.get("execute"), dict):
        raise BuildError(f"{cfg_path}: execute: {cfg['execute']!r} is not supported; use a mapping "
                         "of execution options")
    html = ((cfg.get("format") or {}).get("html") or {})
    return Project(
        root=root,
        title=str(book.get("title", "Book")),
        subtitle=str(book.get("subtitle", "")),
        chapters=chapters,
        parts=parts,
        number_sections=bool(html.get("number-sections", False)),
        toc=bool(html.get("toc", True)),
        highlight_style=str(html.get("highlight-style", "pygments")),
        filters=[f for f in html.get("filters", []) if isinstance(f, str)],
        execute=cfg.get("execute") or {},
        execute_dir=(cfg.get("project") or {}).get("execute-dir"),
    )

"""Split a chapter's .qmd into what Quarto's Jupyter engine sees: front matter, Markdown, and
executable ```{python} cells (with their `#|` options), plus the inline `{python} expr` spans.

The patterns are Quarto's own (src/core/jupyter/jupyter.ts `quartoMdToJupyter`, and the inline
handler in src/core/execute-inline.ts), so a cell or an expression is found here exactly when
Quarto would execute it: a cell opens on a line ```{python} (any indent, 3+ backticks, optional
`label`/options after the language) and closes on a line with the same indent and the same
number of backticks; an inline expression is `{python}`, one space or tab, then no backtick.
Parsing only: nothing here runs code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from .errors import BuildError

CELL_START = re.compile(r"^(\s*)(```+)\s*\{python( *[ ,].*)?\}\s*$")
# Quarto's inline pattern: the character before the opening tick (or line start) must not be a
# tick, so ``{python} x`` (the documented escape) is left alone.
INLINE = re.compile(r"(^|[^`])`\{python\}[ \t]([^`]+)`", re.M)
OPTION_LINE = re.compile(r"^#\s*\| ?")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
YAML_RULE = re.compile(r"^---\s*$")


@dataclass
class Cell:
    start: int                 # 1-based line of the ```{python} fence
    end: int                   # 1-based line of the closing fence
    indent: str                # the fence's indent, stripped from every line (list items)
    options: dict              # the `#|` options, parsed as YAML
    code: str                  # the cell's source without the option lines
    code_line: int             # 1-based .qmd line of the first line of ``code``
    shown_code: list[str] = field(default_factory=list)   # what echo: true prints


@dataclass
class Chapter:
    lines: list[str]           # the source split on "\n" (so "\n".join(lines) == text)
    front_matter: dict
    front_end: int             # 0 without front matter, else the 1-based line of its closing ---
    cells: list[Cell]


def has_python(text: str) -> bool:
    """True when Quarto's Jupyter engine would execute something in ``text``."""
    return bool(INLINE.search(text)) or any(CELL_START.match(l) for l in text.split("\n"))


def parse(text: str, path: str) -> Chapter:
    lines = text.split("\n")
    front, front_end = _front_matter(lines, path)
    cells: list[Cell] = []
    i = front_end
    fence: str | None = None          # a plain (non-executable) fenced block we are inside
    while i < len(lines):
        line = lines[i].rstrip("\r")
        m = CELL_START.match(line)
        if m:   # as in Quarto: a ```{python} line opens a cell even inside another fence
            cells.append(_cell(lines, i, m, path))
            i = cells[-1].end
            continue
        f = FENCE.match(line)
        if f and fence is None:
            fence = f.group(1)
        elif f and fence and f.group(1)[0] == fence[0] and len(f.group(1)) >= len(fence) \
                and not line.strip()[len(f.group(1)):].strip():
            fence = None
        elif fence is None and YAML_RULE.match(line):
            raise BuildError(f"{path}:{i + 1}: a `---` line after the front matter: in a chapter with "
                             "python, Quarto's Jupyter engine reads the text up to the next `---` as "
                             "YAML and evaluates no inline code there; write a rule as `***`")
        i += 1
    return Chapter(lines, front, front_end, cells)


def _front_matter(lines: list[str], path: str) -> tuple[dict, int]:
    first = next((i for i, l in enumerate(lines) if l.strip()), None)
    if first is None or not YAML_RULE.match(lines[first].rstrip("\r")):
        return {}, 0
    for j in range(first + 1, len(lines)):
        if YAML_RULE.match(lines[j].rstrip("\r")):
            try:
                meta = yaml.safe_load("\n".join(lines[first + 1:j])) or {}
            except yaml.YAMLError as exc:
                raise BuildError(f"{path}:{first + 1}: invalid YAML front matter: {exc}") from None
            if not isinstance(meta, dict):
                raise BuildError(f"{path}:{first + 1}: the front matter must be a YAML mapping")
            return meta, j + 1
    raise BuildError(f"{path}:{first + 1}: front matter opened with `---` is never closed")


def _cell(lines: list[str], i: int, m: re.Match, path: str) -> Cell:
    indent, ticks, extra = m.group(1), m.group(2), m.group(3)
    if extra and extra.strip(" ,"):
        raise BuildError(f"{path}:{i + 1}: `{lines[i].strip()}`: options on the fence line are not "
                         "supported; write them as `#| key: value` lines at the top of the cell")
    end = re.compile("^" + re.escape(indent) + "`" * len(ticks) + r"\s*$")
    for j in range(i + 1, len(lines)):
        line = lines[j].rstrip("\r")
        if end.match(line):
            break
        if CELL_START.match(line):
            raise BuildError(f"{path}:{j + 1}: a ```{{python}} fence inside the python cell opened "
                             f"at line {i + 1}; close that cell first")
    else:
        raise BuildError(f"{path}:{i + 1}: the python cell opened here is never closed "
                         f"(expected a line `{indent}{ticks}`)")
    body = [l.rstrip("\r") for l in lines[i + 1:j]]
    body = [l.replace(indent, "", 1) for l in body] if indent else body   # Quarto's own rule
    n_opts = 0
    while n_opts < len(body) and OPTION_LINE.match(body[n_opts]):
        n_opts += 1
    options = _options([OPTION_LINE.sub("", l, count=1) for l in body[:n_opts]], path, i + 2)
    code = body[n_opts:]
    return Cell(start=i + 1, end=j + 1, indent=indent, options=options, code="\n".join(code),
                code_line=i + 2 + n_opts, shown_code=_trim_blank(code))


def _options(option_lines: list[str], path: str, line: int) -> dict:
    if not option_lines:
        return {}
    try:
        opts = yaml.safe_load("\n".join(option_lines)) or {}
    except yaml.YAMLError as exc:
        raise BuildError(f"{path}:{line}: invalid `#|` cell options: {exc}") from None
    if not isinstance(opts, dict):
        raise BuildError(f"{path}:{line}: `#|` cell options must be `key: value` lines")
    return opts


def _trim_blank(code: list[str]) -> list[str]:
    """Quarto drops blank lines at both ends of a cell's source before echoing it."""
    start, stop = 0, len(code)
    while start < stop and not code[start].strip():
        start += 1
    while stop > start and not code[stop - 1].strip():
        stop -= 1
    return code[start:stop]


def inline_spans(line: str) -> list[tuple[int, int, str]]:
    """(start, end, expression) of each inline expression in one line, as Quarto replaces them
    (its replacement runs line by line)."""
    return [(m.start(0) + len(m.group(1)), m.end(0), m.group(2)) for m in INLINE.finditer(line)]


def multiline_inline(text: str) -> list[tuple[int, str]]:
    """(line, expression) of inline expressions that span a line break: Quarto evaluates them
    but, replacing line by line, never puts their value in the page."""
    found = []
    for m in INLINE.finditer(text):
        if "\n" in m.group(2):
            found.append((text.count("\n", 0, m.start(2)) + 1, m.group(2)))
    return found

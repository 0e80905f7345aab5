"""Run a chapter's python as Quarto's Jupyter engine would and return the Markdown Quarto would
hand to Pandoc: ``expand(text, path) -> str``.

One fresh namespace per chapter (a Jupyter kernel's ``__main__``), in document order: each
```{python} cell runs when it is reached, and the inline `{python} expr` of the Markdown before
the next cell are evaluated against what has run so far. Cells are replaced by what Quarto
emits for them (see ``cell_markdown``), inline expressions by their value (``inline.py``).

Supported, with Quarto's defaults (echo, eval, output, warning, include: true; error: false),
set in `_quarto.yml` ``execute:``, the chapter's front matter ``execute:``, or `#|` lines:
``include``, ``echo`` (true/false), ``eval``, ``output`` (true/false/asis), ``warning``,
``error: false``, ``label`` (on cells that show nothing). Anything else is a BuildError, so the
Pandoc path never renders a chapter differently from Quarto without saying so.

Line numbers survive: the expanded text keeps every source line where it was (a cell becomes
its output padded with blank lines; only output longer than its cell shifts what follows), and
``Expansion.line_map`` maps each expanded line back to its .qmd line for Pandoc's warnings.
Chapter code is compiled with the .qmd as its file name and its real line numbers, so a
traceback frame reads "book/vol1/x.qmd", line 42.
"""

from __future__ import annotations

import ast
import builtins
import io
import linecache
import re
import sys
import tokenize
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

from . import inline
from .errors import BuildError
from .qmdcells import Cell, has_python, inline_spans, multiline_inline, parse

DEFAULTS = {"echo": True, "eval": True, "output": True, "warning": True, "error": False,
            "include": True}
DOCUMENT_KEYS = set(DEFAULTS) | {"freeze"}
CELL_KEYS = set(DEFAULTS) | {"label"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Expansion:
    text: str
    line_map: list[int]          # expanded line index -> 1-based source line


def expand(text: str, path: str, defaults: dict | None = None) -> str:
    """The Markdown Quarto would render for ``text`` (the .qmd at ``path``, named in errors).

    ``defaults`` are the project's ``execute:`` options from _quarto.yml. Text without python
    comes back unchanged. Code runs in this process, with its sys.path and working directory
    (the build runs it at the project root with _environment's PYTHONPATH: ``run_python``)."""
    return expand_chapter(text, path, defaults).text


def expand_chapter(text: str, path: str, defaults: dict | None = None) -> Expansion:
    n_lines = text.count("\n") + 1
    if not has_python(text):
        return Expansion(text, list(range(1, n_lines + 1)))
    chapter = parse(text, path)
    options = document_options(chapter, defaults or {}, path)
    markdown = _blank_cells(text, chapter.cells)
    broken = multiline_inline(markdown)
    if broken:
        lineno, expr = broken[0]
        raise BuildError(f"{path}:{lineno}: inline expression `{expr.strip()}` spans a line break: "
                         "Quarto evaluates it but never puts its value in the page; keep it on one line")
    runner = Runner(path, text)
    math = inline.math_spans(_mask_inline(markdown))
    offsets = _line_offsets(chapter.lines)
    out = _Output()
    for i in range(chapter.front_end):
        if inline_spans(chapter.lines[i]):
            raise BuildError(f"{path}:{i + 1}: inline code in the YAML front matter: Quarto does not "
                             "evaluate it there")
        out.add(chapter.lines[i], i + 1)
    pos = chapter.front_end
    for cell in chapter.cells:
        for i in range(pos, cell.start - 1):
            out.add(runner.substitute(chapter.lines[i], i + 1, offsets[i], math), i + 1)
        out.add_block(cell_output(runner, cell, {**options, **cell_options(cell, path)}, path),
                      cell.start, cell.end, cell.indent)
        pos = cell.end
    for i in range(pos, len(chapter.lines)):
        out.add(runner.substitute(chapter.lines[i], i + 1, offsets[i], math), i + 1)
    return Expansion("\n".join(out.lines), out.line_map)


def document_options(chapter, project_defaults: dict, path: str) -> dict:
    meta = chapter.front_matter
    stray = sorted(set(meta) & set(DEFAULTS))
    if stray:
        raise BuildError(f"{path}:1: front matter key(s) {', '.join(stray)}: put execution options "
                         "under `execute:` (the only place the Pandoc path reads them)")
    engine = meta.get("engine")
    if engine not in (None, "jupyter"):
        raise BuildError(f"{path}:1: engine: {engine}: chapter python runs only with the Jupyter engine")
    if meta.get("jupyter") not in (None, "python3"):
        raise BuildError(f"{path}:1: jupyter: {meta['jupyter']!r}: only the python3 kernel is supported")
    if not chapter.cells and engine is None and "jupyter" not in meta:
        raise BuildError(f"{path}:1: inline `{{python}}` code but no python cell: Quarto binds the "
                         "Jupyter engine from cells only, so add `engine: jupyter` to the front matter")
    merged = dict(DEFAULTS)
    for where, opts in (("_quarto.yml execute", project_defaults), ("front matter execute",
                                                                      meta.get("execute") or {})):
        if not isinstance(opts, dict):
            raise BuildError(f"{path}: {where}: {opts!r} is not supported; use a mapping of options")
        merged.update(_checked(opts, DOCUMENT_KEYS, f"{path}:1: {where}"))
    if merged.pop("freeze", False) is not False:
        raise BuildError(f"{path}:1: execute freeze: Quarto would keep stale numbers when the engine "
                         "changes; the book always re-runs chapter python (freeze: false)")
    return merged


def cell_options(cell: Cell, path: str) -> dict:
    return _checked(cell.options, CELL_KEYS, f"{path}:{cell.start}: `#|` option")


def _checked(opts: dict, allowed: set[str], where: str) -> dict:
    for key, value in opts.items():
        if key not in allowed:
            raise BuildError(f"{where} `{key}` is not supported by the Pandoc path (supported: "
                             f"{', '.join(sorted(allowed))})")
        if key == "output" and value not in (True, False, "asis"):
            raise BuildError(f"{where} output: {value!r}: use true, false or asis")
        if key == "error" and value is not False:
            raise BuildError(f"{where} error: {value!r}: showing errors instead of failing is not "
                             "supported; fix the code")
        if key in ("echo", "eval", "warning", "include") and not isinstance(value, bool):
            raise BuildError(f"{where} {key}: {value!r}: use true or false")
    return opts


class Runner:
    """One chapter's namespace; runs cells and evaluates inline expressions in it."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.ns: dict = {"__name__": "__main__", "__builtins__": builtins}
        # tracebacks show the chapter's own lines
        linecache.cache[path] = (len(text), None, text.splitlines(True), path)

    def run_cell(self, cell: Cell) -> tuple[str, str, object]:
        """Execute a cell; return (stdout, stderr, displayed value or None)."""
        where = f"the python cell at lines {cell.start}-{cell.end}"
        try:
            tree = ast.parse("\n" * (cell.code_line - 1) + cell.code, self.path, "exec")
        except SyntaxError as exc:
            raise BuildError(f"{self.path}:{exc.lineno}: SyntaxError in {where}: {exc.msg}\n"
                             f"    {(exc.text or '').strip()}") from None
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not _quiet(cell.code):
            last = ast.Expression(tree.body.pop().value)   # IPython displays the last expression
        out, err = io.StringIO(), io.StringIO()
        value = None
        try:
            with redirect_stdout(out), redirect_stderr(err), warnings.catch_warnings():
                warnings.showwarning = _show_warning     # to the cell's stderr, as in a kernel
                exec(compile(tree, self.path, "exec"), self.ns)
                if last is not None:
                    value = eval(compile(last, self.path, "eval"), self.ns)
        except (Exception, SystemExit) as exc:
            raise self.failure(where, exc, cell.start) from None
        return out.getvalue(), err.getvalue(), value

    def evaluate(self, expr: str, line: int):
        where = f"inline expression `{expr}`"
        try:
            tree = ast.parse(expr, self.path, "eval")
        except SyntaxError as exc:
            raise BuildError(f"{self.path}:{line}: SyntaxError in {where}: {exc.msg}") from None
        ast.increment_lineno(tree, line - 1)
        try:
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()), warnings.catch_warnings():
                return eval(compile(tree, self.path, "eval"), self.ns)
        except (Exception, SystemExit) as exc:
            raise self.failure(where, exc, line) from None

    def substitute(self, line: str, lineno: int, offset: int, math: list[tuple[int, int]]) -> str:
        """``line`` with each inline expression replaced by its value's Markdown."""
        spans = inline_spans(line)
        if not spans:
            return line
        parts, prev = [], 0
        for start, end, expr in spans:
            if expr != expr.strip():
                raise BuildError(f"{self.path}:{lineno}: inline expression `{expr}` has extra spaces "
                                 "around it: Quarto would not find its value and leave the code in "
                                 "the page; write `{python} expr` with one space")
            try:
                md, escaped = inline.markdown_of(self.evaluate(expr, lineno))
            except inline.InlineValueError as exc:
                raise BuildError(f"{self.path}:{lineno}: inline expression `{expr}`: {exc}") from None
            if escaped and md != _unescape(md) and _inside(offset + start, math):
                raise BuildError(
                    f"{self.path}:{lineno}: inline expression `{expr}` is a string inside math: Quarto "
                    f"escapes its punctuation ({_unescape(md)} becomes {md}), which breaks the TeX "
                    "(quarto-cli#10595); give a number, or wrap the text in Markdown(...)")
            parts += [line[prev:start], md]
            prev = end
        return "".join(parts) + line[prev:]

    def failure(self, where: str, exc: BaseException, default_line: int) -> BuildError:
        frames = traceback.extract_tb(exc.__traceback__)
        mine = [f for f in frames if f.filename == self.path]
        line = mine[-1].lineno if mine else default_line
        msg = f"{self.path}:{line}: {where} raised {type(exc).__name__}: {exc}"
        if mine:
            msg += f"\n  chapter line {mine[-1].lineno}: {(mine[-1].line or '').strip()}"
        if frames and (not mine or frames[-1] is not mine[-1]):
            f = frames[-1]
            msg += f"\n  raised at {f.filename}:{f.lineno} in {f.name}: {(f.line or '').strip()}"
        return BuildError(msg)


def cell_output(runner: Runner, cell: Cell, o: dict, path: str) -> str:
    """Run the cell (unless eval: false) and return the Markdown Quarto emits for it."""
    stdout, stderr, value = runner.run_cell(cell) if o["eval"] else ("", "", None)
    shown = o["include"] and o["output"] is not False
    if shown and stderr and o["warning"]:
        raise BuildError(f"{path}:{cell.start}: the python cell wrote to stderr (a warning?), which "
                         f"Quarto would show in the page:\n{stderr.strip()}\nfix it, or add "
                         "`#| warning: false`")
    display = None
    if shown and value is not None:
        try:
            display = inline.rich_markdown(value)
        except inline.InlineValueError:
            display = None
        if display is None:
            raise BuildError(f"{path}:{cell.start}: the python cell ends with an expression whose "
                             f"{type(value).__name__} value Quarto would show as an output block; end "
                             "the line with `;`, assign it, print it, or make it Markdown(...)")
    md = cell_markdown(cell, o, stdout if shown else "", display)
    if md and "label" in o and o["output"] != "asis":
        raise BuildError(f"{path}:{cell.start}: `#| label` on a cell that shows code or output: "
                         "labelled (cross-referenced) cells are not supported by the Pandoc path")
    return md


def cell_markdown(cell: Cell, o: dict, stdout: str, display: str | None) -> str:
    """Quarto's mdFromCodeCell (src/core/jupyter/jupyter.ts) for the supported options: the code
    (echo) in a ``.cell-code`` block, stdout in a ``.cell-output-stdout`` block, a Markdown
    display raw in ``.cell-output-display``, all in a ``.cell`` div; ``output: asis`` drops the
    enclosures and pastes stdout raw. Cell ids and execution counts are left out."""
    if not o["include"]:
        return ""
    outputs: list[tuple[str, str]] = []
    if o["output"] is not False:
        if stdout:
            outputs.append(("stdout", _ANSI.sub("", stdout)))
        if display is not None:
            outputs.append(("display", display))
    if not cell.shown_code and not outputs:
        return ""
    asis = o["output"] == "asis"
    md: list[str] = []
    if o["echo"]:
        ticks = _ticks(cell.shown_code)
        md.append(f"{ticks} {{.python .cell-code}}\n" + "\n".join(cell.shown_code) + f"\n{ticks}\n")
    for kind, text in outputs:
        if not asis:
            md.append(f"\n::: {{.cell-output .cell-output-{kind}}}\n")
        if kind == "stdout" and not asis:      # Quarto's mdCodeOutput
            ticks = _ticks(text.split("\n"))
            md.append(f"{ticks}\n{text}{'' if text.endswith(chr(10)) else chr(10)}{ticks}\n")
        else:
            md.append(text if kind == "stdout" else text + "\n")
        if not asis:
            md.append(":::\n")
    if md and not asis:
        md = ["::: {.cell}\n", *md, ":::\n"]
    return "".join(md)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _ticks(lines: list[str]) -> str:
    longest = max((len(l) - len(l.lstrip("`")) for l in lines), default=0)
    return "`" * max(3, longest + 1)


def _quiet(code: str) -> bool:
    """IPython shows no result when the cell's last token is a semicolon."""
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT,
                                  tokenize.ENDMARKER, tokenize.DEDENT, tokenize.INDENT)]
    except (tokenize.TokenError, SyntaxError):
        return False
    return bool(toks) and toks[-1].string == ";"


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < pos < b for a, b in spans)


def _unescape(md: str) -> str:
    return re.sub(r"\\(.)", r"\1", md)


def _line_offsets(lines: list[str]) -> list[int]:
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    return offsets


def _blank_cells(text: str, cells: list[Cell]) -> str:
    """``text`` with every cell's lines blanked (same offsets), so only Markdown remains."""
    lines = text.split("\n")
    for cell in cells:
        for i in range(cell.start - 1, cell.end):
            lines[i] = " " * len(lines[i])
    return "\n".join(lines)


def _mask_inline(text: str) -> str:
    """Inline expressions replaced by same-length filler, so the math scan sees no code span."""
    return "\n".join("".join(_fill(line)) for line in text.split("\n"))


def _fill(line: str):
    prev = 0
    for start, end, _expr in inline_spans(line):
        yield line[prev:start]
        yield "x" * (end - start)
        prev = end
    yield line[prev:]


class _Output:
    def __init__(self):
        self.lines: list[str] = []
        self.line_map: list[int] = []

    def add(self, text: str, source_line: int) -> None:
        for piece in text.split("\n"):     # a Markdown value may span lines
            self.lines.append(piece)
            self.line_map.append(source_line)

    def add_block(self, md: str, start: int, end: int, indent: str = "") -> None:
        """A cell's output in place of its lines start..end, blank-padded to keep later lines put."""
        block = ["", *md.rstrip("\n").split("\n"), ""] if md else []
        span = end - start + 1
        block += [""] * (span - len(block))
        for k, line in enumerate(block):
            self.lines.append(indent + line if line else line)
            self.line_map.append(start + min(k, span - 1))

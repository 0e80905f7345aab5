"""What an inline `{python} expr` becomes in the Markdown, as Quarto 1.4+ (Jupyter engine) does it.

Quarto evaluates the expression as a Jupyter "user expression": IPython formats the value into
a MIME bundle, Quarto picks one type (for HTML: text/html first, then text/markdown, images,
text/plain; src/core/jupyter/display-data.ts) and pastes it into the line before Pandoc reads
it (src/core/jupyter/jupyter-inline.ts):

- text/markdown (``IPython.display.Markdown``, ``sitebuild.display.Markdown``, anything with
  ``_repr_markdown_``): inserted as is, so it may carry Markdown or TeX;
- text/plain: IPython's repr. When the repr is quoted (a ``str``), the quotes are stripped and
  Markdown punctuation \\`*_{}[]()>#+,-.! is backslash-escaped, so the text reads literally
  ("3.35" becomes "3\\.35"); any other repr (int, float, bool) is inserted as is.

Values whose rendering would surprise (a pint Quantity's HTML repr, a list's repr, a numpy
scalar's "np.float64(3.3)", a string whose repr has escapes, an empty result that Quarto
leaves unevaluated) are refused with the reason, instead of being rendered differently.
"""

from __future__ import annotations

import re

# Quarto's asEscapedMarkdown character class /[\\`*_{}\[\]()>#+-.!]/: "+-." is a range, so
# the comma is escaped too.
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()>#+,\-.!])")
_BLANK_LINE = re.compile(r"\n[ \t]*(\n|$)")
_HTML_FIRST = ("_repr_html_", "_repr_javascript_", "_repr_mimebundle_", "_ipython_display_")
_IMAGES = ("_repr_svg_", "_repr_png_", "_repr_jpeg_")
FORMAT_HINT = 'format it as a string in Python, e.g. f"{x:.2f}" or f"{q.m_as(\'TB/s\'):.2f}"'


class InlineValueError(ValueError):
    """The value has no faithful inline rendering; ``str(err)`` says why and what to write."""


def _has(value, name: str) -> bool:
    # IPython looks the method up on the object; looking on the type skips __getattr__ magic.
    return callable(getattr(type(value), name, None))


def escape_markdown(text: str) -> str:
    """Quarto's escaping of a string value (backslashes doubled, then escaped again)."""
    return _MD_PUNCT.sub(r"\\\1", text.replace("\\", "\\\\"))


def rich_markdown(value) -> str | None:
    """The text/markdown Quarto would pick for ``value``, or None when it has none; raises
    InlineValueError when Quarto would pick a richer type (HTML, JavaScript...) instead."""
    kind = type(value).__name__
    if any(_has(value, m) for m in _HTML_FIRST):
        raise InlineValueError(f"a {kind} value: Quarto would insert its rich (HTML) display, not "
                               f"text; {FORMAT_HINT}")
    if not _has(value, "_repr_markdown_"):
        return None
    md = value._repr_markdown_()
    if isinstance(md, tuple):       # IPython allows (data, metadata)
        md = md[0]
    if md is None:
        return None
    if not isinstance(md, str) or not md:
        raise InlineValueError(f"{kind}._repr_markdown_() returned {md!r}: Quarto would leave the "
                               "expression unevaluated in the page")
    return md


def markdown_of(value) -> tuple[str, bool]:
    """Return (markdown, is_escaped_text) for an inline value, or raise InlineValueError."""
    kind = type(value).__name__
    md = rich_markdown(value)
    if md is not None:
        return md, False
    if any(_has(value, m) for m in _IMAGES):
        raise InlineValueError(f"a {kind} value: Quarto would insert an image; not supported inline")
    if value is None:
        raise InlineValueError("the expression evaluated to None (Quarto would print `None`)")
    if type(value) is str:
        if not value:
            raise InlineValueError("an empty string: Quarto would leave the expression's source "
                                   "in the page")
        if repr(value)[1:-1] != value:
            raise InlineValueError(f"the string {value!r} has characters its repr escapes "
                                   "(backslash, newline, both quote kinds...), which Quarto would "
                                   "print escaped; build it with Markdown(...) instead")
        return escape_markdown(value), True
    if type(value) in (int, float, bool):
        return repr(value), False
    raise InlineValueError(f"a {kind} value: Quarto would print IPython's repr of it "
                           f"({value!r:.60}); {FORMAT_HINT}")


def math_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of $...$ and $$...$$ math in Markdown text, following Pandoc's
    tex_math_dollars rules closely enough to tell whether an offset is inside a formula
    (code spans skipped; inline ``$`` must hug its content and not close before a digit)."""
    spans, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            close = re.compile(r"(?<!`)" + "`" * run + r"(?!`)").search(text, i + run)
            i = close.end() if close else i + run
            continue
        if c == "$" and text.startswith("$$", i):
            end = text.find("$$", i + 2)
            if end != -1:
                spans.append((i, end + 2))
                i = end + 2
                continue
        elif c == "$" and i + 1 < n and not text[i + 1].isspace():
            j = i + 1
            while j < n:
                if text[j] == "\\":
                    j += 2
                    continue
                if _BLANK_LINE.match(text, j):     # math never crosses a paragraph break
                    break
                if text[j] == "$" and not text[j - 1].isspace() and not (j + 1 < n and text[j + 1].isdigit()):
                    spans.append((i, j + 1))
                    break
                j += 1
            if spans and spans[-1][0] == i:
                i = spans[-1][1]
                continue
        i += 1
    return spans

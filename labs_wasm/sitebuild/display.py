"""``Markdown`` for chapter code: text that goes into the page as Markdown (or TeX), unescaped.

Quarto documents ``IPython.display.Markdown`` for this; IPython is not installed on the Pandoc
path, so chapters import this class instead. Both paths treat it the same way, because Quarto's
kernel (IPython) renders any object with ``_repr_markdown_`` as text/markdown:

    from sitebuild.display import Markdown
    `{python} Markdown(f"{t_us:.1f}\\ \\mu\\text{{s}}")`      (inside $...$: TeX)
"""

from __future__ import annotations


class Markdown:
    """Raw Markdown for an inline expression or a cell's last line (like IPython's class)."""

    def __init__(self, data: str):
        if not isinstance(data, str):
            raise TypeError(f"Markdown(...) takes a str, not {type(data).__name__}: format the "
                            "value first, e.g. Markdown(f\"{x:.2f}\")")
        self.data = data

    def _repr_markdown_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return f"Markdown({self.data!r})"

"""Site build for the book: renders the Quarto project with Pandoc when Quarto is absent.

Entry point: ``python -m sitebuild`` (see ``__main__``). The pieces, in build order:
``project`` (read _quarto.yml), ``run_python`` (chapter python, run as Quarto's Jupyter engine
would: ``qmdcells``, ``execute``, ``inline``; ``display.Markdown`` for chapter code),
``scan`` + ``crossref`` (the @sec index), ``prerender``
(lab initial views), ``render`` (chapter pages), ``search`` (search.json), ``vendor``,
``wheels`` and ``bundle`` (browser assets).
"""

__all__ = ["BuildError"]

from .errors import BuildError

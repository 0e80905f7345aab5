"""The smoke walks in Firefox and WebKit reuse the e2e tests' built site and server, and
print the browser versions they walked in at the end of the run (tests/conftest.py, from
each walk's `walk` property: the summary must work when the tests run in worker processes)."""
from __future__ import annotations

from e2e.conftest import LAB_PAGES, book_dir, site_url  # noqa: F401  (fixtures re-used here)

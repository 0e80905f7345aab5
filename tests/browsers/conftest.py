"""The smoke walks in Firefox and WebKit reuse the e2e tests' built site and server, and
print the browser versions they walked in at the end of the run."""
from __future__ import annotations

from e2e.conftest import LAB_PAGES, book_dir, site_url  # noqa: F401  (fixtures re-used here)

# (engine, "name version", "vol1/01 vol2/01", outcome) for each walk in this run.
WALKS: list[tuple[str, str, str, str]] = []


def pytest_terminal_summary(terminalreporter):
    if not WALKS:
        return
    terminalreporter.write_sep("-", "other browsers")
    for engine, version, labs, outcome in WALKS:
        terminalreporter.write_line(f"{engine}: {version}: {labs}: {outcome}")

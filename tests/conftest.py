"""Fixtures shared across test folders.

One Playwright driver per test session: Playwright's sync API refuses to start a second one
while the first is running, so every browser test (tests/site, tests/e2e) uses this one.
"""
from __future__ import annotations

import pytest

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium; Playwright's own download is not used
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# ---- the fault-injection figure (issue 13): every test marked `fault` is one case; a case
# that fails is one where a student's work was lost, corrupted or misreported.
_FAULT_CASES: dict[str, str] = {}


# The Firefox and WebKit smoke walks record ("engine", "name version", "labs") as the property
# "walk"; the run ends with which browsers and versions were walked, and how it went.
_WALKS: list[tuple[str, str, str, str]] = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        for name, value in report.user_properties:
            if name == "walk":
                _WALKS.append((*value, report.outcome))
    if "fault" not in report.keywords:
        return
    if report.when == "call" or report.outcome != "passed":
        # setup/teardown failures count too: the case did not show that nothing is lost
        _FAULT_CASES[report.nodeid] = "lost" if report.outcome == "failed" else (
            _FAULT_CASES.get(report.nodeid, report.outcome))


def pytest_terminal_summary(terminalreporter):
    if _WALKS:
        terminalreporter.write_sep("-", "other browsers")
        for engine, version, labs, outcome in sorted(_WALKS):
            terminalreporter.write_line(f"{engine}: {version}: {labs}: {outcome}")
    if not _FAULT_CASES:
        return
    lost = sorted(n for n, o in _FAULT_CASES.items() if o == "lost")
    terminalreporter.write_sep("-", "fault injection")
    terminalreporter.write_line(f"fault injection: {len(_FAULT_CASES)} cases tried, {len(lost)} with "
                                f"anything lost (target 0)")
    for nodeid in lost:
        terminalreporter.write_line(f"  lost: {nodeid}")

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

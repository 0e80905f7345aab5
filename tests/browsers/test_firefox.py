"""Smoke walk in Firefox: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi
(firefox_walk.mjs, run here as a subprocess against the test server). Lab 01 and the first
lab of Volume II: `ready`, the first prediction locks and unlocks the instruments, a reload
keeps the answer, no page error."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import LAB_PAGES, WALKS

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIREFOX = "/usr/bin/firefox-esr"
LABS = ["vol1/01", "vol2/01"]


def firefox_version() -> str:
    out = subprocess.run([FIREFOX, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() or out.stderr.strip()


def test_firefox_smoke_walk(site_url):
    assert Path(FIREFOX).is_file(), f"{FIREFOX} is missing: `make test` installs Debian's firefox-esr"
    assert (ROOT / "node_modules" / "puppeteer-core").is_dir(), "puppeteer-core is missing: run `npm ci`"
    version = firefox_version()
    run = subprocess.run(
        [shutil.which("node") or "node", str(HERE / "firefox_walk.mjs"), site_url,
         *(f"{lab}={LAB_PAGES[lab]}" for lab in LABS)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    output = (run.stdout + run.stderr).strip()
    WALKS.append(("Firefox", version, " ".join(LABS), "passed" if run.returncode == 0 else "FAILED"))
    print(f"{version}\n{output}")
    assert run.returncode == 0, f"the Firefox walk failed ({version}):\n{output}"

"""Smoke walk in Firefox: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi
(firefox_walk.mjs, run here as a subprocess against the test server). Lab 01 and the first
lab of Volume II: `ready`, the first prediction locks and unlocks the instruments, a reload
keeps the answer, no page error."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from .conftest import LAB_PAGES

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIREFOX = "/usr/bin/firefox-esr"
LABS = ["vol1/01", "vol2/01"]


def firefox_version() -> str:
    out = subprocess.run([FIREFOX, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() or out.stderr.strip()


def test_firefox_smoke_walk(site_url, record_property):
    assert Path(FIREFOX).is_file(), f"{FIREFOX} is missing: `make test` installs Debian's firefox-esr"
    assert (ROOT / "node_modules" / "puppeteer-core").is_dir(), "puppeteer-core is missing: run `npm ci`"
    version = firefox_version()
    returncode, output = run_walk([shutil.which("node") or "node", str(HERE / "firefox_walk.mjs"), site_url,
                                   *(f"{lab}={LAB_PAGES[lab]}" for lab in LABS)])
    record_property("walk", ["Firefox", version, " ".join(LABS)])
    print(f"{version}\n{output}")
    assert returncode == 0, f"the Firefox walk failed ({version}):\n{output}"


def run_walk(command: list[str], timeout: float = 300) -> tuple[int | None, str]:
    """Run the walk in its own process group, so that a walk stuck past `timeout` is ended
    together with the Firefox it launched; returns (exit code, or None when it was stopped,
    and everything it printed)."""
    walk = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        output, _ = walk.communicate(timeout=timeout)
        return walk.returncode, output.strip()
    except subprocess.TimeoutExpired:
        os.killpg(walk.pid, signal.SIGTERM)      # puppeteer closes its Firefox on SIGTERM
        try:
            output, _ = walk.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(walk.pid, signal.SIGKILL)
            output, _ = walk.communicate()
        return None, f"{output.strip()}\nstopped: the walk was still running after {timeout:.0f} s"

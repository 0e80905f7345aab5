"""Smoke walk in WebKit (Safari's engine): Debian's WebKitGTK MiniBrowser driven by Selenium
through WebKitWebDriver on a private Xvfb display, one browser session for Lab 01 and the
first lab of Volume II: `ready`, the first prediction locks and unlocks the instruments and
the overlay, a reload keeps the answer, no page error."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import LAB_PAGES
from .webkit import MINIBROWSER, WEBKIT_DRIVER, XVFB, minibrowser, trapping_server, x_display

pytestmark = [pytest.mark.browser,
              # raised inside selenium's own WebKitGTK driver class, not by this test
              pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning")]

LABS = ["vol1/01", "vol2/01"]
READY_S = 120   # WebKit boots Pyodide far slower than Chromium under Xvfb; leave room on CI
STEP_S = 60
OPEN_PREDICTION = "fieldset.lab-choice:has(button.lab-commit), .lab-number:has(button.lab-commit)"
INSTRUMENT_KINDS = {"figure", "slider", "select", "toggle", "tabs", "choice", "number_input"}


class WebKitLab:
    """One lab section, driven through Selenium the way tests/e2e/labpage.py drives Chromium."""

    def __init__(self, driver, lab_id: str):
        self.driver, self.lab_id = driver, lab_id
        self.section = f'section.lab[data-lab="{lab_id}"]'

    def js(self, body: str, *args):
        return self.driver.execute_script(body, *args)

    def wait_for(self, body: str, *args, timeout: float = STEP_S, what: str):
        """Poll a JS function body until it returns something truthy; returns that."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := self.js(body, *args):
                return value
            time.sleep(0.1)
        raise AssertionError(f"{self.lab_id}: gave up after {timeout:.0f} s waiting for {what}; "
                             f"page errors: {self.page_errors()}")

    def page_errors(self) -> list[str]:
        return self.js("return window.__pageErrors || ['the page error trap did not run']")

    def wait_ready(self) -> None:
        state = self.wait_for("const s = document.querySelector(arguments[0])?.dataset.state;"
                              "return ['ready', 'error'].includes(s) && s", self.section,
                              timeout=READY_S, what="the lab to leave 'loading'")
        text = self.js("return document.querySelector(arguments[0]).innerText.slice(0, 300)", self.section)
        assert state == "ready", f"{self.lab_id} ended in state {state!r}: {text}"

    def wait_settled(self) -> None:
        self.wait_for("const s = document.querySelector(arguments[0]); return s && !s.hasAttribute('data-busy')",
                      self.section, what="the worker to answer every queued render")

    def node(self, key: str) -> str:
        return f'{self.section} [data-key="{key}"]'

    def kinds_after(self, key: str) -> list[str]:
        return self.js("""let el = document.querySelector(arguments[0]); const kinds = [];
                          while ((el = el.nextElementSibling)) kinds.push(el.dataset.kind);
                          return kinds;""", self.node(key))

    def wait_locked(self, key: str) -> None:
        self.wait_for("return document.querySelector(arguments[0])",
                      f"{self.node(key)} .lab-locked-note, {self.node(key)} input[type=number][disabled]",
                      what=f"{key} to show as locked")

    def lock_first_prediction(self) -> tuple[str, int | None]:
        """Click an option (or type a number) in the first open prediction, then "Lock in";
        returns its data-key and the option clicked."""
        from selenium.webdriver.common.by import By

        target = self.driver.find_element(By.CSS_SELECTOR, f"{self.section} :is({OPEN_PREDICTION})")
        key = target.get_attribute("data-key")
        radios = target.find_elements(By.CSS_SELECTOR, "input[type=radio]")
        option = min(1, len(radios) - 1) if radios else None
        if radios:
            radios[option].click()
        else:
            box = target.find_element(By.CSS_SELECTOR, "input[type=number]")
            box.clear()
            box.send_keys(str((float(box.get_attribute("min")) + float(box.get_attribute("max"))) / 2))
        target.find_element(By.CSS_SELECTOR, "button.lab-commit").click()
        self.wait_locked(key)
        return key, option

    def answer_kept(self, key: str, option: int | None) -> dict:
        return self.js("""const el = document.querySelector(arguments[0]);
                          return {commit: el.querySelectorAll('button.lab-commit').length,
                                  checked: arguments[1] === null || !!el.querySelectorAll('input[type=radio]')[arguments[1]]?.checked};""",
                       self.node(key), option)


@pytest.fixture(scope="module")
def driver():
    for path in (MINIBROWSER, WEBKIT_DRIVER, XVFB):
        assert Path(path).is_file(), f"{path} is missing: `make test` installs Debian's webkit2gtk-driver and xvfb"
    with x_display() as display, minibrowser(display) as driver:
        yield driver


@pytest.fixture(scope="module")
def trapped_url(book_dir):
    with trapping_server(book_dir) as url:
        yield url


@pytest.mark.parametrize("lab_id", LABS)
def test_webkit_smoke_walk(driver, trapped_url, lab_id, record_property):
    version = f"WebKitGTK {driver.capabilities.get('browserVersion', '?')} (MiniBrowser)"
    record_property("walk", ["WebKit", version, lab_id])
    lab = WebKitLab(driver, lab_id)
    t0 = time.monotonic()
    driver.get(trapped_url + LAB_PAGES[lab_id])
    lab.wait_ready()
    ready_s = time.monotonic() - t0
    boot = lab.js("return document.querySelector(arguments[0]).dataset.boot", lab.section)  # snapshot or standard

    key, option = lab.lock_first_prediction()
    lab.wait_settled()
    after = lab.kinds_after(key)
    assert after[:1] != ["gate"], f"locking {key} did not open its gate: {after}"
    assert "overlay" in after, f"no prediction-vs-reality overlay after locking {key}: {after}"
    assert INSTRUMENT_KINDS & set(after), f"no instrument unlocked after {key}: {after}"
    assert not (errors := lab.page_errors()), "\n".join(errors)

    driver.refresh()
    lab.wait_locked(key)                 # before Python is back, the answer shows as locked
    lab.wait_ready()
    lab.wait_settled()
    kept = lab.answer_kept(key, option)
    assert kept == {"commit": 0, "checked": True}, f"the reload lost the locked answer to {key}: {kept}"
    assert lab.kinds_after(key)[:1] != ["gate"], f"after the reload {key} is locked but its gate is closed again"
    assert not (errors := lab.page_errors()), "\n".join(errors)
    print(f"{version}: {lab_id} ready in {ready_s:.1f} s ({boot} boot), locked {key}, overlay and instruments shown, "
          f"reload kept the answer")

"""Smoke walk in WebKit (Safari's engine): Debian's WebKitGTK MiniBrowser driven by Selenium
through WebKitWebDriver on a private Xvfb display. Lab 01 only (WebKit under Xvfb's software
rendering takes ~10 s to `ready`): `ready`, the first prediction locks and unlocks the
instruments and the overlay, a reload keeps the answer, no page error."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import LAB_PAGES, WALKS
from .webkit import MINIBROWSER, WEBKIT_DRIVER, XVFB, minibrowser, trapping_server, x_display

pytestmark = [pytest.mark.browser,
              # raised inside selenium's own WebKitGTK driver class, not by this test
              pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning")]

LAB = "vol1/01"
READY_S = 120   # WebKit boots Pyodide far slower than Chromium under Xvfb; leave room on CI
STEP_S = 60
SECTION = f'section.lab[data-lab="{LAB}"]'
OPEN_PREDICTION = "fieldset.lab-choice:has(button.lab-commit), .lab-number:has(button.lab-commit)"
INSTRUMENT_KINDS = {"figure", "slider", "select", "toggle", "tabs", "choice", "number_input"}


def wait_for(driver, script: str, *args, timeout: float = STEP_S, what: str):
    """Poll a JS expression (a `return ...` body) until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}; page errors: {page_errors(driver)}")


def page_errors(driver) -> list[str]:
    return driver.execute_script("return window.__pageErrors || ['the error trap did not run']")


def wait_ready(driver) -> None:
    state = wait_for(driver, "const s = document.querySelector(arguments[0])?.dataset.state;"
                             "return ['ready', 'error'].includes(s) && s", SECTION,
                     timeout=READY_S, what=f"{LAB} to leave 'loading'")
    text = driver.execute_script("return document.querySelector(arguments[0]).innerText.slice(0, 300)", SECTION)
    assert state == "ready", f"{LAB} ended in state {state!r}: {text}"


def wait_settled(driver) -> None:
    wait_for(driver, "const s = document.querySelector(arguments[0]); return s && !s.hasAttribute('data-busy')",
             SECTION, what="the worker to answer every queued render")


def kinds_after(driver, key: str) -> list[str]:
    return driver.execute_script(
        """let el = document.querySelector(arguments[0]); const kinds = [];
           while ((el = el.nextElementSibling)) kinds.push(el.dataset.kind);
           return kinds;""", f'{SECTION} [data-key="{key}"]')


def lock_first_prediction(driver) -> tuple[str, int | None]:
    """Click an option (or type a number) in the first open prediction, then "Lock in"."""
    from selenium.webdriver.common.by import By

    target = driver.find_element(By.CSS_SELECTOR, f"{SECTION} :is({OPEN_PREDICTION})")
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
    locked(driver, key)
    return key, option


def locked(driver, key: str) -> None:
    node = f'{SECTION} [data-key="{key}"]'
    wait_for(driver, "return document.querySelector(arguments[0])", f"{node} .lab-locked-note, {node} input[type=number][disabled]",
             what=f"{key} to show as locked")


def webkit_version(driver) -> str:
    return f"WebKitGTK {driver.capabilities.get('browserVersion', '?')} (MiniBrowser)"


@pytest.fixture(scope="module")
def driver():
    for path in (MINIBROWSER, WEBKIT_DRIVER, XVFB):
        assert Path(path).is_file(), f"{path} is missing: `make test` installs Debian's webkit2gtk-driver and xvfb"
    with x_display() as display, minibrowser(display) as driver:
        yield driver


def test_webkit_smoke_walk(driver, book_dir):
    version = webkit_version(driver)
    WALKS.append(("WebKit", version, LAB, "FAILED"))
    with trapping_server(book_dir) as base:
        t0 = time.monotonic()
        driver.get(base + LAB_PAGES[LAB])
        wait_ready(driver)
        ready_s = time.monotonic() - t0
        key, option = lock_first_prediction(driver)
        wait_settled(driver)
        after = kinds_after(driver, key)
        assert after[:1] != ["gate"], f"locking {key} did not open its gate: {after}"
        assert "overlay" in after, f"no prediction-vs-reality overlay after locking {key}: {after}"
        assert INSTRUMENT_KINDS & set(after), f"no instrument unlocked after {key}: {after}"
        assert page_errors(driver) == []

        driver.refresh()
        locked(driver, key)                   # before Python is back, the answer shows locked
        wait_ready(driver)
        wait_settled(driver)
        node = f'{SECTION} [data-key="{key}"]'
        kept = driver.execute_script(
            """const el = document.querySelector(arguments[0]);
               return {commit: el.querySelectorAll('button.lab-commit').length,
                       checked: arguments[1] === null || !!el.querySelectorAll('input[type=radio]')[arguments[1]]?.checked};""",
            node, option)
        assert kept == {"commit": 0, "checked": True}, f"the reload lost the locked answer to {key}: {kept}"
        assert kinds_after(driver, key)[:1] != ["gate"], f"after the reload {key} is locked but its gate is closed again"
        assert page_errors(driver) == []
    WALKS[-1] = ("WebKit", version, LAB, "passed")
    print(f"{version}: {LAB} ready in {ready_s:.1f} s, locked {key}, overlay and instruments shown, reload kept the answer")

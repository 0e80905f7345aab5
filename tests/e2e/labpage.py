"""Helpers that drive one lab section through the DOM the runtime renders (PROTOCOL.md)."""
from __future__ import annotations

import json

from .conftest import READY_TIMEOUT_MS

STORE_KEY = "mlsysbook:v1"
# Value controls (not predictions): sliders, selects, toggles, tabs, non-locking choices.
INSTRUMENTS = ":is(input[type=range], select, fieldset.lab-toggle, [role=tablist], fieldset.lab-choice:not(:has(.lab-commit, .lab-locked-note)))"


class LabPage:
    def __init__(self, page, lab_id: str):
        self.page = page
        self.lab_id = lab_id
        self.section = page.locator(f'section.lab[data-lab="{lab_id}"]')

    def wait_ready(self, timeout: int = READY_TIMEOUT_MS) -> None:
        self.page.wait_for_function(
            "id => ['ready', 'error'].includes(document.querySelector(`section.lab[data-lab=\"${id}\"]`)?.dataset.state)",
            arg=self.lab_id, timeout=timeout)
        state = self.state()
        assert state == "ready", f"lab {self.lab_id} ended in state {state!r}: {self.section.inner_text()[:600]}"

    def state(self) -> str:
        return self.section.get_attribute("data-state")

    def open_predictions(self):
        """Prediction fieldsets that still offer a 'Lock in' button."""
        return self.section.locator("fieldset.lab-choice:has(button.lab-commit), .lab-number:has(button.lab-commit)")

    def lock_first_prediction(self, option_index: int = 0) -> str:
        """Answer the first open prediction; returns its data-key."""
        target = self.open_predictions().first
        key = target.get_attribute("data-key")
        if target.locator("input[type=radio]").count():
            target.locator("input[type=radio]").nth(option_index).check()
        else:
            box = target.locator("input[type=number]")
            lo, hi = float(box.get_attribute("min")), float(box.get_attribute("max"))
            box.fill(str((lo + hi) / 2))
        target.locator("button.lab-commit").click()
        self.page.locator(f'section.lab[data-lab="{self.lab_id}"] [data-key="{key}"] .lab-locked-note, '
                          f'section.lab[data-lab="{self.lab_id}"] [data-key="{key}"] input[type=number][disabled]').first.wait_for()
        return key

    def finish(self) -> None:
        """Lock every prediction in turn until the lab shows its saved ledger entry."""
        for _ in range(6):
            self.wait_settled()
            if self.open_predictions().count() == 0:
                break
            self.lock_first_prediction()
        self.section.locator(".lab-ledger").wait_for()
        self.wait_settled()

    def after(self, key: str):
        """Kinds of the nodes that follow node `key` in its container, in order."""
        return self.page.evaluate(
            """([id, key]) => {
                let el = document.querySelector(`section.lab[data-lab="${id}"] [data-key="${key}"]`);
                const kinds = [];
                while ((el = el.nextElementSibling)) kinds.push(el.dataset.kind);
                return kinds; }""", [self.lab_id, key])

    def set_control(self, key: str, value) -> None:
        """Set one instrument (slider, select, toggle or choice) the way a student would, and
        wait for the lab to re-render."""
        el = self.section.locator(f'[data-key="{key}"]')
        if el.locator("input[type=number]").count():          # a slider's exact-value box
            box = el.locator("input[type=number]")
            box.fill(str(value))
            box.press("Tab")
        elif el.locator("select").count():
            el.locator("select").select_option(str(value))
        else:
            el.locator(f'input[type=radio][value="{value}"]').check()
        self.wait_settled()

    def instruments(self):
        return self.section.locator(INSTRUMENTS)

    def stored(self) -> dict | None:
        raw = self.page.evaluate(f"() => localStorage.getItem({json.dumps(STORE_KEY)})")
        return None if raw is None else json.loads(raw)

    def wait_settled(self) -> None:
        """Wait until the worker has answered every queued render (state -> DOM)."""
        self.page.wait_for_function(
            "id => { const s = document.querySelector(`section.lab[data-lab=\"${id}\"]`); return s && !s.hasAttribute('data-busy'); }",
            arg=self.lab_id)

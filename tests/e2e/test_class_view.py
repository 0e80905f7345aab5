"""The class view (class.html): 30 students' exported ledgers and one bad file go in through
the real file input (tests/fixtures/ledgers/class, made by make_fixtures.py); the bad file is
named with its reason and left out, a duplicate is counted once, the 30 are aggregated per
lab as counted here from the files, the CSV downloads and parses back row for row, nothing
is written to localStorage, and printing hides the controls. The drop zone takes a real drop
and opens the file picker from the keyboard."""
from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CLASS = Path(__file__).resolve().parents[1] / "fixtures" / "ledgers" / "class"
STUDENTS = sorted(CLASS.glob("student-*.json"))


def payload(name: str, path: Path) -> dict:
    """A file for set_input_files (paths and named buffers cannot be mixed in one call)."""
    return {"name": name, "mimeType": "application/json", "buffer": path.read_bytes()}


def storage(page) -> dict:
    return page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")


def test_thirty_students_and_a_bad_file_are_summarised_per_lab_and_exported_as_csv(page, recorder, site_url):
    assert len(STUDENTS) == 30
    docs = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in STUDENTS}
    page.goto(site_url + "class.html")
    page.locator(".class-drop").wait_for()
    before = storage(page)
    files = [payload(p.name, p) for p in [*STUDENTS, CLASS / "broken.json"]]
    page.set_input_files("#class-files", [*files, payload("student-07 again.json", CLASS / "student-07.json")])
    page.locator(".class-table").wait_for()

    assert page.locator(".class-message").inner_text().startswith("Read 32 files: 30 added, 1 left out, 1 duplicate.")
    refused = page.locator(".class-refused li")
    assert refused.count() == 1 and refused.get_attribute("data-file") == "broken.json"
    assert 'lab must equal its key "vol1.ch02"' in refused.inner_text()
    duplicate = page.locator(".class-duplicates li")
    assert duplicate.count() == 1 and "student-07 again.json is the same as student-07.json" in duplicate.inner_text()

    # Per lab, counted here from the 30 files.
    per_lab: dict[str, list] = {}
    for doc in docs.values():
        for key, entry in doc["ledger"].items():
            per_lab.setdefault(key, []).append(entry)
    rows = page.locator(".class-table tbody tr")
    assert rows.count() == len(per_lab)
    for key in ("vol1.ch01", "vol2.ch10"):
        entries = per_lab[key]
        row = page.locator(f'.class-table tr[data-lab="{key}"]')
        assert row.locator(".class-count").inner_text() == str(len(entries))
        hit = sum(e["constraint_hit"] for e in entries)
        assert row.locator(".class-hit").inner_text() == f"{hit} of {len(entries)}"
        act1 = Counter(e["act1"]["label"] for e in entries)
        shown = row.locator("td").nth(1).locator("li").all_inner_texts()
        assert sorted((t.split(":")[0].replace(" (correct)", ""), int(t.rsplit(": ", 1)[1])) for t in shown) == sorted(act1.items())
        gaps = [abs(math.log10(e["act1"]["predicted_value"] / e["act1"]["actual_value"])) for e in entries]
        gaps.sort()
        mid = len(gaps) // 2
        median = gaps[mid] if len(gaps) % 2 else (gaps[mid - 1] + gaps[mid]) / 2
        assert float(row.locator(".class-typical").get_attribute("data-median-abs")) == pytest.approx(median)
        assert sum(int(n) for n in row.locator("td").nth(3).locator("li").evaluate_all("l => l.map((x) => x.dataset.count)")) == len(entries)
    capstone = page.locator('.class-table tr[data-lab="vol2.ch17"] td').nth(3)
    assert capstone.inner_text() == "no numeric estimate"

    with page.expect_download() as info:
        page.click("button.class-export")
    table = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"), newline="")))
    assert len(table) == sum(len(d["ledger"]) for d in docs.values())
    assert {r["student"] for r in table} == set(docs)
    student = next(n for n, d in sorted(docs.items()) if "vol1.ch01" in d["ledger"])
    row = next(r for r in table if r["student"] == student and r["lab"] == "vol1.ch01")
    entry = docs[student]["ledger"]["vol1.ch01"]
    assert row["decision"] == entry["act2"]["decision"]                  # commas and quotes survive
    assert float(row["act1_predicted"]) == entry["act1"]["predicted_value"]
    assert float(row["act1_log10_ratio"]) == pytest.approx(
        math.log10(entry["act1"]["predicted_value"] / entry["act1"]["actual_value"]), abs=1e-6)
    assert row["constraint_hit"] == str(entry["constraint_hit"]).lower() and row["lab_title"] == "Lab 01 · The magnitude gap"

    assert storage(page) == before                                       # students' work stays in this tab
    page.emulate_media(media="print")
    for control in (".class-drop", "#class-files", ".class-export", ".class-print", ".class-clear"):
        assert not page.locator(control).is_visible(), control
    assert page.locator(".class-table").is_visible() and page.locator(".class-refused").is_visible()
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_the_drop_zone_takes_a_drop_and_opens_the_picker_from_the_keyboard(page, site_url):
    page.goto(site_url + "class.html")
    zone = page.locator(".class-drop")
    zone.focus()
    assert page.evaluate("() => document.activeElement.classList.contains('class-drop')")
    # Enter clicks the (multiple) file input, which is what opens the picker. The picker itself
    # is not awaited: under a loaded 2-core run Chromium's file-chooser event came too late.
    page.evaluate("() => { window.__picks = 0; document.getElementById('class-files').addEventListener('click', (e) => { window.__picks++; e.preventDefault(); }); }")
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.__picks === 1")
    assert page.locator("#class-files").evaluate("el => el.multiple")
    page.locator("#class-files").set_input_files(STUDENTS[:2])
    page.wait_for_function("() => document.querySelectorAll('.class-table tbody tr').length > 0")
    text = (CLASS / "student-05.json").read_text(encoding="utf-8")
    drop = page.evaluate_handle("""(text) => { const dt = new DataTransfer();
        dt.items.add(new File([text], 'student-05.json', {type: 'application/json'}));
        dt.items.add(new File(['{"version": 2}'], 'old.json', {type: 'application/json'})); return dt; }""", text)
    zone.dispatch_event("drop", {"dataTransfer": drop})
    page.wait_for_function("() => document.querySelector('.class-message').textContent.includes('3 student files')")
    assert "version must be 1" in page.locator('.class-refused li[data-file="old.json"]').inner_text()

"""The Ledger page's dashboard, on real ledgers (tests/fixtures/ledgers, made from the labs
catalog by make_fixtures.py): an empty ledger gets an encouraging word and no chart; one lab
and every lab get progress per volume, the log-ratio chart with the same numbers in a table,
and a calibration summary whose numbers are recomputed here from the file and agree with the
capstone labs' Python (labs/vol1 and vol2 conclusion_cases.py). It prints without controls."""
from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from labkit import catalog
from labkit.ledger import parse_ledger

from .labpage import STORE_KEY

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ledgers"
CLOSE = math.log10(2)


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def open_ledger(page, site_url, doc):
    page.goto(site_url + "index.html")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, json.dumps(doc)])
    page.goto(site_url + "ledger.html")
    page.locator(".ledger-dashboard").wait_for()


def ratios(ledger: dict) -> dict[str, float]:
    """log10(predicted / actual) of every entry with both numbers, computed here."""
    out = {}
    for key, e in ledger.items():
        p, a = e["act1"]["predicted_value"], e["act1"]["actual_value"]
        if isinstance(p, (int, float)) and isinstance(a, (int, float)) and p > 0 and a > 0:
            out[key] = math.log10(p / a)
    return out


def stat(page, name: str) -> float:
    return float(page.locator(f'.dashboard-summary dd[data-stat="{name}"]').get_attribute("data-value"))


def test_an_empty_ledger_gets_an_encouraging_word_and_no_chart(page, recorder, site_url):
    open_ledger(page, site_url, load("empty.json"))
    empty = page.locator(".dashboard-empty")
    assert "Nothing here yet" in empty.inner_text()
    assert empty.locator("a").get_attribute("href") == "vol1/orientation.html#lab-vol1-00"
    assert page.locator(".ledger-dashboard svg, .ledger-dashboard progress").count() == 0
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_one_lab_shows_progress_one_bar_and_says_it_is_too_early_for_a_lean(context, page, site_url):
    doc = load("one.json")
    open_ledger(page, site_url, doc)
    vol1 = page.locator('.dashboard-progress li[data-volume="1"]')
    assert vol1.locator("span").inner_text() == "Volume I: 1 of 17 labs done"
    assert vol1.locator("progress").evaluate("p => [p.value, p.max]") == [1, 17]
    assert page.locator('.dashboard-progress li[data-volume="2"] span').inner_text() == "Volume II: 0 of 17 labs done"
    bars = page.locator(".ratio-chart .ratio-row")
    assert bars.count() == 1
    expected = ratios(doc["ledger"])["vol1.ch01"]
    assert float(bars.get_attribute("data-log-ratio")) == pytest.approx(expected, abs=1e-6)
    lean = page.locator('dd[data-stat="lean"]').inner_text()
    assert "too few to tell" in lean and "at least 5" in lean
    # Another tab finishes a lab: the dashboard redraws from the stored record.
    other = context.new_page()
    other.goto(site_url + "index.html")
    other.evaluate("""([k, e]) => { const d = JSON.parse(localStorage.getItem(k));
        d.ledger['vol1.ch02'] = e; localStorage.setItem(k, JSON.stringify(d)); }""",
                   [STORE_KEY, {**doc["ledger"]["vol1.ch01"], "lab": "vol1.ch02"}])
    page.wait_for_function("() => document.querySelector('.dashboard-progress li span').textContent.includes('2 of 17')")
    assert page.locator(".ratio-chart .ratio-row").count() == 2


def test_every_lab_the_chart_its_table_and_the_summary_match_the_ledger_and_print(page, recorder, site_url):
    doc = load("all.json")
    newer = {**doc["ledger"]["vol1.ch05"], "schema": 9}       # a newer edition's entry: skipped, counted
    doc["ledger"]["vol1.ch05"] = newer
    ledger = {k: v for k, v in doc["ledger"].items() if k != "vol1.ch05"}
    open_ledger(page, site_url, doc)

    bars = page.locator(".dashboard-progress progress").evaluate_all("ps => ps.map((p) => [p.value, p.max])")
    assert bars == [[16, 17], [17, 17]]
    assert page.locator('.dashboard-progress li[data-volume="1"] span').inner_text() == "Volume I: 16 of 17 labs done"
    assert page.locator('.dashboard-progress li[data-volume="2"] span').inner_text() == "Volume II: 17 of 17 labs done"
    assert page.locator(".dashboard-skipped").get_attribute("data-skipped") == "1"

    expected = ratios(ledger)
    chart = page.locator("svg.ratio-chart")
    assert chart.get_attribute("role") == "img"
    name = chart.evaluate("s => s.getAttribute('aria-labelledby').split(' ').map((id) => document.getElementById(id).textContent).join(' ')")
    assert f"{len(expected)} labs" in name and "too low" in name
    shown = dict(zip(chart.locator(".ratio-row").evaluate_all("rows => rows.map((r) => r.dataset.ledgerKey)"),
                     map(float, chart.locator(".ratio-row").evaluate_all("rows => rows.map((r) => r.dataset.logRatio)"))))
    assert shown.keys() == expected.keys()                    # capstones (no number) and the skipped entry left out
    assert all(shown[k] == pytest.approx(v, abs=1e-6) for k, v in expected.items())
    ticks = chart.locator(".ratio-tick").all_text_contents()
    assert "exact" in ticks and any("too low" in t for t in ticks) and any("too high" in t for t in ticks)
    table = page.locator(".dashboard-table tbody tr")
    assert table.count() == len(expected)
    assert float(page.locator('.dashboard-table tr[data-lab="vol2.ch03"] td[data-log-ratio]')
                 .get_attribute("data-log-ratio")) == pytest.approx(expected["vol2.ch03"])

    # The summary, recomputed here from the file.
    values = list(expected.values())
    assert stat(page, "typical") == pytest.approx(10 ** statistics.median(abs(x) for x in values))
    assert stat(page, "within") == pytest.approx(sum(abs(x) <= CLOSE + 1e-12 for x in values) / len(values))
    assert stat(page, "lean") == pytest.approx(statistics.fmean(values))
    assert stat(page, "act1") == pytest.approx(sum(e["act1"]["correct"] for e in ledger.values()) / len(ledger))
    assert stat(page, "act2") == pytest.approx(sum(e["act2"]["correct"] for e in ledger.values()) / len(ledger))
    typical = page.locator('dd[data-stat="typical"]').inner_text()
    assert "typically within" in typical and "median" in typical
    biggest = page.locator('dd[data-stat="biggest"]').inner_text()
    worst = max(expected, key=lambda k: abs(expected[k]))
    title = catalog.load(worst.replace(".ch", "/")).title
    assert biggest.index(title) < biggest.index("By volume") and "Volume I (" in biggest and "Volume II (" in biggest

    # Printed: no buttons or file input; the chart, the tables and the summary stay whole.
    page.emulate_media(media="print")
    for control in (".ledger-actions", ".ledger-export", "#ledger-import", ".ledger-print"):
        assert not page.locator(control).is_visible(), control
    assert chart.is_visible() and page.locator(".dashboard-table").is_visible() and page.locator(".ledger-table").is_visible()
    assert chart.evaluate("s => s.getBoundingClientRect().width <= s.closest('figure').getBoundingClientRect().width + 1")
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_the_pages_arithmetic_agrees_with_the_capstone_labs_python(page, site_url):
    """calibration.js and labs/vol2/conclusion_cases.py (which reuses Volume I's definitions)
    on the same entries: the labs the capstone reads (no Lab 00, no Volume II capstone)."""
    from labs.vol1 import conclusion_cases as vol1
    from labs.vol2 import conclusion_cases as vol2

    ledger = load("all.json")["ledger"]
    read = {f"vol{v}.ch{n:02d}" for v, n in vol2.LABS}
    entries = [[k, e] for k, e in ledger.items() if k in read]
    page.goto(site_url + "ledger.html")
    js = page.evaluate("""async (entries) => {
        const m = await import(new URL('assets/runtime/calibration.js', document.baseURI).href);
        const c = m.calibration(entries);
        const six = m.calibration([1, 2, 3, 4, 5, 6].map((n) => [`vol1.ch0${n}`, {...entries[0][1],
            act1: {...entries[0][1].act1, predicted_value: 1, actual_value: n === 6 ? 0.5 : 10 * n}}]));
        return {within: c.within, shareWithin: c.shareWithin, medianAbs: c.medianAbs, meanSigned: c.meanSigned,
                act1: c.act1Share, act2: c.act2Share, numeric: c.numeric.length, done: c.done.length,
                words: c.numeric.map((r) => m.estimateText(r.logRatio)), sixLean: six.lean.direction};
    }""", entries)
    py = vol2.calibration(parse_ledger(ledger).values())
    assert (js["done"], js["numeric"], js["within"]) == (len(py.done), len(py.numeric), py.within)
    assert js["shareWithin"] == pytest.approx(py.share_within)
    assert js["medianAbs"] == pytest.approx(py.median_abs)
    assert js["meanSigned"] == pytest.approx(py.mean_signed)
    assert js["act1"] == pytest.approx(py.share("act1_correct")) and js["act2"] == pytest.approx(py.share("act2_correct"))
    assert js["words"] == [vol1.estimate_text(r.log_ratio) for r in py.numeric]
    # Five of six estimates too low by 10x or more, one 2x too high: a lean, and it is "under".
    assert js["sixLean"] == "under"


def test_an_entry_that_fails_the_schema_is_counted_and_never_breaks_the_page(page, recorder, site_url):
    doc = load("one.json")
    doc["ledger"]["vol1.ch02"] = {"lab": "vol1.ch02", "schema": 1}     # missing every field
    open_ledger(page, site_url, doc)
    assert page.locator(".dashboard-skipped").get_attribute("data-skipped") == "1"
    assert page.locator(".ratio-chart .ratio-row").count() == 1
    assert page.locator('tr.ledger-unreadable[data-ledger-key="vol1.ch02"]').count() == 1
    assert recorder.page_errors == []

"""The bench's table and report, without a browser: verdicts against issue 12's targets,
ratios, medians over runs, pages that never got ready, the next-chapter outcome, and the
snapshot sizes read from a built book (raw or compressed)."""
from __future__ import annotations

import gzip
import json
import zlib

import pytest

from bench import report
from bench.book import lab_pages, snapshot_sizes
from bench.table import MET, MISSED, NO_TARGET, UNMEASURED, NotReady, Outcome, Row, Target, render


def test_a_bound_is_met_at_the_bound_and_missed_above():
    t = Target(at_most=300)
    assert t.verdict(300, None) == MET
    assert t.verdict(301, None) == MISSED
    assert t.describe("ms") == "<= 300 ms"


def test_ready_cold_needs_the_bound_and_the_ratio():
    t = Target(at_most=1000, ratio_at_least=8)
    assert t.verdict(900, 7200) == MET
    assert t.verdict(900, 7000) == MISSED          # under 1 s but only 7.8x faster
    assert t.verdict(1100, 20000) == MISSED        # 18x faster but over 1 s
    assert t.verdict(900, None) == UNMEASURED      # the ratio needs the naive page
    assert t.verdict(900, NotReady(120)) == MET    # naive never got ready: slower than any ratio
    assert t.describe("ms") == "<= 1000 ms and >= 8x naive"


def test_update_p95_must_also_not_exceed_the_naive_page():
    t = Target(at_most=30, not_above_naive=True)
    assert t.verdict(25, 40) == MET
    assert t.verdict(25, 20) == MISSED
    assert t.verdict(35, 80) == MISSED


def test_a_page_that_never_got_ready_misses_and_is_shown_as_such():
    row = Row("ready", "ms", NotReady(90), 6000, Target(at_most=8000))
    assert row.verdict == MISSED
    assert row.cells()[1] == "not ready after 90 s"
    assert Row("x", "ms", None, None, Target(at_most=1)).verdict == UNMEASURED


def test_ratio_is_naive_over_ours_and_a_lower_bound_when_naive_never_finished():
    assert Row("r", "ms", 500, 6000).ratio_text() == "12.0x"
    assert Row("r", "ms", 8000, NotReady(120)).ratio_text() == "> 15.0x"
    assert Row("r", "MB", 10, None).ratio_text() == ""


def test_an_outcome_carries_its_own_verdict():
    row = Row("next chapter", "ms", Outcome("full navigation, ready 900 ms"), target=Target(at_most=300))
    assert row.verdict == MISSED and row.cells()[1] == "full navigation, ready 900 ms"
    assert Row("no target", "MB", 37.7).verdict == NO_TARGET


def test_rows_need_a_known_unit():
    with pytest.raises(ValueError, match="unit"):
        Row("x", "kB", 1)


def test_the_table_is_one_markdown_table_with_every_column():
    text = render([Row("ready, cold", "ms", 812.4, 6500, Target(at_most=1000, ratio_at_least=8), notes=["why"])])
    lines = text.splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == ["metric", "ours", "naive", "ratio", "target", "met/missed"]
    assert set(lines[1]) <= {"|", "-"}
    assert [c.strip() for c in lines[2].strip("|").split("|")] == ["ready, cold", "812 ms", "6500 ms", "8.0x",
                                                                   "<= 1000 ms and >= 8x naive", "met"]
    assert "ready, cold: why" in text


def _run(**kw):
    return {"first_prediction_ms": 200, "ready_cold_ms": 900, "ready_warm_ms": 400, **kw}


def test_summary_takes_medians_over_runs_and_pools_update_times():
    s = report.summarize([_run(ready_cold_ms=900, update_ms=[10, 20]), _run(ready_cold_ms=1500, update_ms=[30]),
                          _run(ready_cold_ms=1000, update_ms=[40, 50])])
    assert s["ready_cold_ms"] == 1000
    assert s["update_median_ms"] == 30
    assert s["update_p95_ms"] == pytest.approx(48)


def test_one_run_that_never_got_ready_makes_the_page_not_ready():
    s = report.summarize([_run(), {"not_ready_after_s": 120}])
    assert isinstance(s["not_ready"], NotReady)
    row = [r for r in report.rows({"slow": {"ours": report.summarize([_run(traffic={"bytes_before_ready_mb": 9})]),
                                            "naive": s}}) if "ready, cold" in r.metric][0]
    assert str(row.naive) == "not ready after 120 s" and row.verdict == MET


def _local(nav):
    ours = report.summarize([_run(update_ms=[20, 25], next_chapter=nav,
                                  service_worker={"in_build": True, "controlled_warm_reload": True})])
    naive = report.summarize([_run(ready_cold_ms=9000, update_ms=[30, 40])])
    return {"local": {"ours": ours, "naive": naive, "next_chapter": [r["next_chapter"] for r in ours["runs"]]}}


def test_local_rows_against_issue_12_targets():
    rows = {r.metric: r for r in report.rows(_local({"from": "vol1/01", "to": "vol1/02", "soft": True,
                                                    "live_after_shown_ms": 120, "worker_kept": True}))}
    assert rows["ready, cold"].verdict == MET                       # 900 ms, 10x
    assert rows["ready, warm reload (service worker controlled 1/1)"].verdict == MET
    assert rows["update, p95"].verdict == MET
    nav = rows["next chapter vol1/01 -> vol1/02: lab live after page shown"]
    assert nav.ours == 120 and nav.verdict == MET and "worker kept in 1/1" in nav.notes[0]


def test_a_full_navigation_is_reported_with_its_ready_time_not_against_the_target():
    rows = report.rows(_local({"from": "vol1/01", "to": "vol1/02", "soft": False, "ready_ms": 950}))
    nav = [r for r in rows if r.metric.startswith("next chapter")][0]
    assert str(nav.ours) == "full navigation, ready 950 ms" and nav.verdict == MISSED


def test_build_rows_name_the_wire_encoding():
    rows = report.rows({"build": {"snapshot": {"raw_mb": 37.7, "wire_mb": 10.8, "encoding": "gzip"}, "seconds": 61}})
    assert [r.metric for r in rows] == ["snapshot, raw", "snapshot, on the wire (gzip)", "site build, clean"]
    assert rows[-1].verdict == MISSED


def _book(tmp_path, name: str, payload: bytes, extra: dict | None = None):
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / name).write_bytes(payload)
    (assets / "pyodide-snapshot.json").write_text(json.dumps({"file": name, "sha256": "0" * 64, "bundleDir": "/lab_bundle", **(extra or {})}))
    return tmp_path


def test_snapshot_sizes_of_a_raw_snapshot(tmp_path):
    sizes = snapshot_sizes(_book(tmp_path, "pyodide-snapshot-a.bin", b"\0" * 5_000_000))
    assert sizes["encoding"] == "none" and sizes["raw_mb"] == sizes["wire_mb"] == 5.0


@pytest.mark.parametrize("encoding, compress", [("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_snapshot_sizes_of_a_compressed_snapshot(tmp_path, encoding, compress):
    raw = bytes(range(256)) * 20_000
    sizes = snapshot_sizes(_book(tmp_path, "pyodide-snapshot-a.bin.gz", compress(raw)))
    assert sizes["encoding"] == encoding
    assert sizes["raw_mb"] == len(raw) / 1e6 and sizes["wire_mb"] < sizes["raw_mb"] / 10


def test_with_both_copies_the_wire_size_is_the_compressed_one(tmp_path):
    raw = b"\1" * 3_000_000
    book = _book(tmp_path, "pyodide-snapshot-a.bin", raw, {"compressed": "pyodide-snapshot-a.bin.gz"})
    (book / "assets" / "pyodide-snapshot-a.bin.gz").write_bytes(gzip.compress(raw))
    sizes = snapshot_sizes(book)
    assert sizes["file"] == "pyodide-snapshot-a.bin.gz" and sizes["raw_mb"] == 3.0
    assert set(sizes["files"]) == {"pyodide-snapshot-a.bin", "pyodide-snapshot-a.bin.gz"}


def test_a_manifest_naming_no_present_file_is_an_error_naming_it(tmp_path):
    book = _book(tmp_path, "pyodide-snapshot-a.bin", b"x")
    (book / "assets" / "pyodide-snapshot-a.bin").unlink()
    with pytest.raises(FileNotFoundError, match="pyodide-snapshot.json"):
        snapshot_sizes(book)


def test_lab_pages_are_found_in_the_built_html(tmp_path):
    (tmp_path / "vol1").mkdir()
    (tmp_path / "vol1" / "intro.html").write_text('<section class="lab" id="lab-vol1-01" data-lab="vol1/01" data-state="loading">')
    (tmp_path / "index.html").write_text("<p>no lab</p>")
    assert lab_pages(tmp_path) == {"vol1/01": "vol1/intro.html"}


def test_a_failed_attempt_that_was_run_again_is_told_in_the_table():
    results = _local({"from": "vol1/01", "to": "vol1/02", "soft": True, "live_after_shown_ms": 100})
    results["local"]["ours"]["failed_attempts"] = ["http://x/vol1/introduction.html: lab ended in state 'error': stalled\nmore"]
    first = report.rows(results)[0]
    assert first.section == "local"
    assert first.notes == ["ours: one attempt failed and was run again: http://x/vol1/introduction.html: lab ended in state 'error': stalled"]

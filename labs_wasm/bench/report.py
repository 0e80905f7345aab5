"""From runs to the report: medians over runs, the table's rows (targets from issue 12) and
the machine it ran on. Pure Python, unit-tested with made-up runs."""
from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path

from .table import NotReady, Outcome, Row, Target

MS_KEYS = ("first_prediction_ms", "first_contentful_paint_ms", "ready_cold_ms", "ready_warm_ms")
TARGETS = {
    "first_prediction": Target(at_most=300),
    "ready_cold": Target(at_most=1000, ratio_at_least=8),
    "ready_warm": Target(at_most=500),
    "update_p95": Target(at_most=30, not_above_naive=True),
    "slow_ready": Target(at_most=8000),
    "slow_bytes": Target(at_most=15),
    "next_chapter": Target(at_most=300),
    "build": Target(at_most=60),
}


def percentile(values, q):
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarize(runs: list[dict]) -> dict:
    """Medians over runs; update latency pooled over every change of every run. A run that
    never got ready makes the page "not ready" (NotReady) rather than a median of the rest."""
    out: dict = {"runs": runs}
    stalled = [r["not_ready_after_s"] for r in runs if "not_ready_after_s" in r]
    if stalled:
        out["not_ready"] = NotReady(max(stalled))
        return out
    for key in MS_KEYS:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = statistics.median(values)
    updates = [t for r in runs for t in r.get("update_ms", [])]
    if updates:
        out["update_median_ms"] = statistics.median(updates)
        out["update_p95_ms"] = percentile(updates, 0.95)
    traffic = [r["traffic"] for r in runs if "traffic" in r]
    if traffic:
        out["bytes_before_ready_mb"] = statistics.median(t["bytes_before_ready_mb"] for t in traffic)
    return out


def _get(summary: dict | None, key: str):
    """A metric of a summary: its number, NotReady, or None when not measured."""
    if not summary:
        return None
    return summary.get("not_ready") or summary.get(key)


def rows(results: dict) -> list[Row]:
    """The table's rows, section by section, for the sections that ran."""
    table: list[Row] = []
    for section, make in SECTION_ROWS.items():
        if not results.get(section):
            continue
        made = make(results[section])
        for row in made:
            row.section = section
        # A page that failed once and was run again is told on the section's first row.
        for who in ("ours", "naive"):
            for failure in (results[section].get(who) or {}).get("failed_attempts", []):
                made[0].notes.append(f"{who}: one attempt failed and was run again: {failure.splitlines()[0][:200]}")
        table += made
    return table


def _local_rows(local: dict) -> list[Row]:
    ours, naive = local["ours"], local["naive"]
    made = [
        Row("first prediction visible, cold", "ms", _get(ours, "first_prediction_ms"), _get(naive, "first_prediction_ms"), TARGETS["first_prediction"]),
        Row("ready, cold", "ms", _get(ours, "ready_cold_ms"), _get(naive, "ready_cold_ms"), TARGETS["ready_cold"]),
        Row(f"ready, warm reload ({_served_by(ours)})", "ms", _get(ours, "ready_warm_ms"), _get(naive, "ready_warm_ms"), TARGETS["ready_warm"]),
        Row("update, median", "ms", _get(ours, "update_median_ms"), _get(naive, "update_median_ms")),
        Row("update, p95", "ms", _get(ours, "update_p95_ms"), _get(naive, "update_p95_ms"), TARGETS["update_p95"]),
    ]
    if local.get("next_chapter"):
        made.append(_next_chapter_row(local["next_chapter"]))
    return made


def _slow_rows(slow: dict) -> list[Row]:
    ours, naive = slow["ours"], slow.get("naive")
    return [
        Row("20 Mbit/s 40 ms: first prediction", "ms", _get(ours, "first_prediction_ms"), _get(naive, "first_prediction_ms")),
        Row("20 Mbit/s 40 ms: ready, cold", "ms", _get(ours, "ready_cold_ms"), _get(naive, "ready_cold_ms"), TARGETS["slow_ready"],
            notes=[_run_counts(ours, naive)]),
        Row("20 Mbit/s 40 ms: bytes before ready", "MB", _get(ours, "bytes_before_ready_mb"), _get(naive, "bytes_before_ready_mb"), TARGETS["slow_bytes"]),
    ]


def _cpu_rows(cpu: dict) -> list[Row]:
    ours, naive = cpu["ours"], cpu["naive"]
    slowed = "slowed: " + "; ".join(f"{k} {v}" for k, v in cpu.get("slowed", {}).items())
    return [
        Row("CPU 4x: ready, cold", "ms", _get(ours, "ready_cold_ms"), _get(naive, "ready_cold_ms"), notes=[slowed, _run_counts(ours, naive)]),
        Row("CPU 4x: update, median", "ms", _get(ours, "update_median_ms"), _get(naive, "update_median_ms")),
        Row("CPU 4x: update, p95", "ms", _get(ours, "update_p95_ms"), _get(naive, "update_p95_ms")),
    ]


def _heavy_rows(heavy: dict) -> list[Row]:
    ours = heavy["ours"]
    return [
        Row(f"heaviest lab {heavy['lab']}, every act open: ready, cold", "ms", _get(ours, "ready_cold_ms"), notes=[heavy["why"]]),
        Row(f"heaviest lab {heavy['lab']}: update, p95", "ms", _get(ours, "update_p95_ms")),
    ]


def _build_rows(build: dict) -> list[Row]:
    snap = build["snapshot"]
    made = [
        Row("snapshot, raw", "MB", snap["raw_mb"]),
        Row(f"snapshot, on the wire ({'as stored' if snap['encoding'] == 'none' else snap['encoding']})", "MB", snap["wire_mb"]),
    ]
    if "seconds" in build:
        made.append(Row("site build, clean", "s", build["seconds"], target=TARGETS["build"]))
    return made


SECTION_ROWS = {"local": _local_rows, "slow": _slow_rows, "cpu": _cpu_rows, "heavy": _heavy_rows, "build": _build_rows}


def _run_counts(ours: dict, naive: dict | None) -> str:
    return f"ours: median of {len(ours['runs'])} run(s); naive: {len(naive['runs']) if naive else 0} run(s)"


def _served_by(summary: dict) -> str:
    states = [r.get("service_worker", {}) for r in summary.get("runs", [])]
    if not states or not any(s.get("in_build") for s in states):
        return "no service worker in the build"
    controlled = sum(bool(s.get("controlled_warm_reload")) for s in states)
    return f"service worker controlled {controlled}/{len(states)}"


def _next_chapter_row(navs: list[dict]) -> Row:
    metric = f"next chapter {navs[0]['from']} -> {navs[0]['to']}: lab live after page shown"
    if not all(n["soft"] for n in navs):
        ready = [n["ready_ms"] for n in navs if not n["soft"] and n.get("ready_ms") is not None]
        text = "full navigation" + (f", ready {statistics.median(ready):.0f} ms" if ready else "")
        return Row(metric, "ms", Outcome(text), target=TARGETS["next_chapter"])
    live = [n["live_after_shown_ms"] for n in navs]
    if None in live:
        return Row(metric, "ms", Outcome("soft navigation without a nav:shown or lab:ready mark"), target=TARGETS["next_chapter"])
    kept = sum(bool(n.get("worker_kept")) for n in navs)
    return Row(metric, "ms", statistics.median(live), target=TARGETS["next_chapter"],
               notes=[f"soft navigation; worker kept in {kept}/{len(navs)} runs"])


def machine() -> dict:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu_model": model or platform.processor() or None, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}

"""Run the bench: `PYTHONPATH=labs_wasm:engine python -m bench [--book PATH] [--quick] [--only local,slow]`.
Prints one table and writes bench-results/bench.json. Exits 0 when targets are missed (the
table says "missed"), non-zero only when something could not be measured."""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

from . import report
from .baseline import write_baseline
from .book import has_service_worker, lab_pages, snapshot_sizes, time_clean_build
from .conditions import LOCALHOST, SLOW_CPU, SLOW_NETWORK, WorkerCpuLimit
from .heaviest import heaviest_lab
from .measure import Plan, visit
from .scenario import Scenario, choose, walk
from .serve import serve
from .table import render

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SECTIONS = ("local", "slow", "cpu", "heavy", "build")


class Bench:
    """What every section needs: the browser, the served book and baseline, the scenario."""

    def __init__(self, args, browser, base: str, scenario: Scenario, pages: dict):
        self.args, self.browser, self.base, self.scenario, self.pages = args, browser, base, scenario, pages
        self.ours_url = base + pages[scenario.lab]
        self.naive_url = base + "baseline/index.html"
        self.sw = has_service_worker(args.book)
        self.worker_limit: WorkerCpuLimit | None = None

    def runs(self, name: str, url: str, plan: Plan, conditions, count: int, scenario: Scenario | None = None) -> dict:
        """`count` runs; a run whose page fails (a lab that ends in error, a figure that does
        not draw) is tried once more, and the failure is kept in the report."""
        runs, failed = [], []
        for i in range(count):
            for attempt in (1, 2):
                try:
                    r = visit(self.browser, url, scenario or self.scenario, plan, conditions,
                              worker_limit=self.worker_limit, service_worker_in_build=self.sw)
                    break
                except RuntimeError as exc:
                    failed.append(str(exc))
                    print(f"  {conditions.name}, {name} {i + 1}/{count}: failed ({str(exc)[:300]})", flush=True)
                    if attempt == 2:
                        raise
            runs.append(r)
            print(f"  {conditions.name}, {name} {i + 1}/{count}: {_line(r)}", flush=True)
        return {**report.summarize(runs), "failed_attempts": failed}

    def local(self) -> dict:
        n = self.args.runs
        ours = self.runs("ours", self.ours_url, Plan(warm=True, sweep=True, next_chapter=True), LOCALHOST, n)
        naive = self.runs("naive", self.naive_url, Plan(warm=True, sweep=True, seed="never"), LOCALHOST, n)
        return {"ours": ours, "naive": naive, "next_chapter": [r["next_chapter"] for r in ours["runs"] if "next_chapter" in r]}

    def slow(self) -> dict:
        ours = self.runs("ours", self.ours_url, Plan(count_bytes=True, seed="never"), SLOW_NETWORK, self.args.runs)
        naive = self.runs("naive", self.naive_url, Plan(count_bytes=True, seed="never", ready_timeout_s=self.args.naive_timeout),
                          SLOW_NETWORK, 1)
        return {"conditions": SLOW_NETWORK.describe(), "ours": ours, "naive": naive}

    def cpu(self) -> dict:
        self.worker_limit = WorkerCpuLimit(SLOW_CPU.cpu_rate)
        try:
            ours = self.runs("ours", self.ours_url, Plan(sweep=True), SLOW_CPU, self.args.runs)
            # The naive page once: slowed 4x it takes about a minute per run.
            naive = self.runs("naive", self.naive_url, Plan(sweep=True, seed="never", ready_timeout_s=self.args.naive_timeout),
                              SLOW_CPU, 1)
        finally:
            self.worker_limit.close()
            self.worker_limit = None
        return {"conditions": SLOW_CPU.describe(), "ours": ours, "naive": naive,
                "slowed": {**_slowdowns("ours", ours), **_slowdowns("naive", naive)}}

    def heavy(self) -> dict:
        pick = heaviest_lab(ROOT)
        scenario = choose(pick["lab"], self.args.changes)
        print(f"  heaviest lab: {pick['lab']} ({pick['why']}); sweeping {scenario.control_key} -> {scenario.figure_key}")
        ours = self.runs("ours", self.base + self.pages[pick["lab"]], Plan(sweep=True, seed="before"), LOCALHOST,
                         self.args.runs, scenario)
        return {"lab": pick["lab"], "why": pick["why"], "ranking": pick["ranking"], "control": scenario.control_key,
                "figure": scenario.figure_key, "ours": ours}

    def build(self) -> dict:
        out = {"snapshot": snapshot_sizes(self.args.book)}
        if not self.args.quick:
            print("  timing a clean site build ...", flush=True)
            out.update(time_clean_build(ROOT))
        return out


def _line(r: dict) -> str:
    if "not_ready_after_s" in r:
        return f"not ready after {r['not_ready_after_s']:g} s"
    parts = [f"first prediction {_ms(r.get('first_prediction_ms'))}", f"ready {_ms(r['ready_cold_ms'])}"]
    if "ready_warm_ms" in r:
        parts.append(f"warm {_ms(r['ready_warm_ms'])}")
    if r.get("update_ms"):
        parts.append(f"update median {statistics.median(r['update_ms']):.1f} ms")
    if "traffic" in r:
        parts.append(f"{r['traffic']['bytes_before_ready_mb']:.1f} MB before ready")
    if "next_chapter" in r:
        n = r["next_chapter"]
        parts.append(f"next chapter {'soft, live ' + _ms(n['live_after_shown_ms']) + ' after shown' if n['soft'] else 'full navigation, ready ' + _ms(n['ready_ms'])}")
    return ", ".join(parts)


def _ms(v) -> str:
    return "?" if v is None else f"{v:.0f} ms"


def _slowdowns(name: str, summary: dict) -> dict:
    """What was slowed, as set up and as measured (median over runs)."""
    runs = [r for r in summary["runs"] if "measured_slowdown" in r]
    if not runs:
        return {}
    out = {}
    for thread, how in runs[0]["slowed"].items():
        if how is None:
            continue
        factors = [r["measured_slowdown"][thread]["slowdown"] for r in runs if thread in r["measured_slowdown"]]
        if factors:  # the naive page has no worker
            out[f"{name} {thread}"] = f"{how}, measured {statistics.median(factors):.1f}x"
    return out


def _ensure_book(args) -> None:
    if args.book.is_dir():
        return
    if args.book != ROOT / "_book":
        raise SystemExit(f"bench: {args.book} is not a built book (build one with python -m sitebuild --out {args.book})")
    subprocess.run([sys.executable, "-m", "sitebuild"], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "labs_wasm"), str(ROOT / "engine")])})


def parse(argv):
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--book", type=Path, default=ROOT / "_book", help="the built book to measure (default: _book, built if absent)")
    ap.add_argument("--lab", default="vol1/01", help="the lab whose page is timed (default vol1/01)")
    ap.add_argument("--runs", type=int, default=3, help="runs per page and condition (medians reported)")
    ap.add_argument("--changes", type=int, default=30, help="control changes per update sweep")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    ap.add_argument("--quick", action="store_true", help="1 run, 10 changes, no clean build")
    ap.add_argument("--naive-timeout", type=float, default=120, help="seconds to wait for the naive page under slow conditions")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "bench.json")
    args = ap.parse_args(argv)
    args.book = args.book.resolve()
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        ap.error(f"--only: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.quick:
        args.runs, args.changes = 1, min(args.changes, 10)
    return args


def main(argv=None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    _ensure_book(args)
    pages = lab_pages(args.book)
    if args.lab not in pages:
        raise SystemExit(f"bench: no page of {args.book} embeds lab {args.lab!r}")
    scenario = choose(args.lab, args.changes)
    from labkit.runtime import render as render_lab
    slider = next(n for n in walk(render_lab(args.lab, scenario.state)["nodes"]) if n["key"] == scenario.control_key)
    baseline_dir = ROOT / ".cache" / "bench-baseline"
    write_baseline(baseline_dir, ROOT, scenario, {k: slider[k] for k in ("min", "max", "step")},
                   ROOT / ".cache" / "bench-wheels", ROOT / "node_modules")
    server, base = serve(args.book, baseline_dir)
    print(f"bench: {args.book}, lab {args.lab} ({pages[args.lab]}); sweeping {scenario.control_key} "
          f"({len(scenario.values)} changes) -> figure {scenario.figure_key}; {args.runs} run(s); sections {', '.join(args.sections)}",
          flush=True)

    from playwright.sync_api import sync_playwright
    results, errors, section_seconds = {}, {}, {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            chromium_version = browser.version
            bench = Bench(args, browser, base, scenario, pages)
            for section in args.sections:
                print(f"{section}:", flush=True)
                t0 = time.perf_counter()
                try:
                    results[section] = getattr(bench, section)()
                except Exception as exc:  # the other sections still run; the exit code says it failed
                    traceback.print_exc()
                    errors[section] = f"{type(exc).__name__}: {exc}"
                section_seconds[section] = round(time.perf_counter() - t0, 1)
            browser.close()
    finally:
        server.shutdown()

    rows = report.rows(results)
    print()
    print(render(rows))
    for section, error in errors.items():
        print(f"\n{section}: could not measure: {error}")
    doc = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "machine": report.machine(), "chromium": chromium_version, "book": str(args.book),
           "lab": args.lab, "page": pages[args.lab], "control": scenario.control_key, "figure": scenario.figure_key,
           "changes": len(scenario.values), "runs": args.runs, "sections": args.sections,
           "seconds": round(time.perf_counter() - started, 1), "section_seconds": section_seconds,
           "table": [r.as_json() for r in rows], "errors": errors, "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, default=str))
    print(f"\nwrote {args.out} ({doc['seconds']:.0f} s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the bench: `PYTHONPATH=labs_wasm python -m bench [--lab vol1/01] [--runs 3] [--changes 30]`."""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from .baseline import write_baseline
from .measure import time_page
from .scenario import choose, walk
from .serve import serve

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "_book"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAGES = {"vol1/01": "vol1/introduction.html", "vol1/09": "vol1/data_selection.html"}
TARGETS = {"first_prediction_ms": 500, "ready_cold_ms": 4000, "update_p95_ms": 100}


def percentile(values, q):
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarize(runs: list[dict]) -> dict:
    med = lambda key: statistics.median(r[key] for r in runs)
    updates = [t for r in runs for t in r["update_ms"]]
    return {"first_prediction_ms": med("first_prediction_ms"), "ready_cold_ms": med("ready_cold_ms"),
            "ready_warm_ms": med("ready_warm_ms"), "update_median_ms": statistics.median(updates),
            "update_p95_ms": percentile(updates, 0.95), "runs": runs}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--lab", default="vol1/01", choices=sorted(PAGES))
    ap.add_argument("--runs", type=int, default=3, help="cold+warm+sweep repetitions per page (medians reported)")
    ap.add_argument("--changes", type=int, default=30, help="control changes per sweep")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "bench.json")
    args = ap.parse_args(argv)

    if not (BOOK / PAGES[args.lab]).is_file():
        subprocess.run([sys.executable, "-m", "sitebuild"], cwd=ROOT, check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "labs_wasm")})
    scenario = choose(args.lab, args.changes)
    from labkit.runtime import render
    slider = next(n for n in walk(render(args.lab, scenario.state)["nodes"]) if n["key"] == scenario.control_key)
    baseline_dir = ROOT / ".cache" / "bench-baseline"
    write_baseline(baseline_dir, BOOK, scenario, {k: slider[k] for k in ("min", "max", "step")},
                   ROOT / ".cache" / "bench-wheels")
    server, base = serve(BOOK, baseline_dir)
    print(f"bench: {args.lab}, sweeping {scenario.control_key} ({len(scenario.values)} changes) -> figure {scenario.figure_key}; {args.runs} runs")

    from playwright.sync_api import sync_playwright
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, url, seed in (("runtime", base + PAGES[args.lab], True), ("baseline", base + "baseline/index.html", False)):
                runs = []
                for i in range(args.runs):
                    runs.append(time_page(browser, url, scenario, seed_state=seed))
                    r = runs[-1]
                    print(f"  {name} run {i + 1}: first {r['first_prediction_ms']:.0f} ms, ready cold {r['ready_cold_ms']:.0f} ms, "
                          f"warm {r['ready_warm_ms']:.0f} ms, update median {statistics.median(r['update_ms']):.1f} ms")
                results[name] = summarize(runs)
            chromium_version = browser.version
            browser.close()
    finally:
        server.shutdown()

    rt, bl = results["runtime"], results["baseline"]
    keys = ["first_prediction_ms", "ready_cold_ms", "ready_warm_ms", "update_median_ms", "update_p95_ms"]
    ratios = {k: bl[k] / rt[k] for k in keys}
    print(f"\n{'metric':<22}{'runtime':>12}{'baseline':>12}{'baseline/runtime':>18}  target")
    for k in keys:
        target = TARGETS.get(k)
        verdict = "" if target is None else (f"<= {target} ms " + ("met" if rt[k] <= target else "MISSED"))
        print(f"{k:<22}{rt[k]:>12.1f}{bl[k]:>12.1f}{ratios[k]:>17.1f}x  {verdict}")
    report = {"lab": args.lab, "page": PAGES[args.lab], "control": scenario.control_key, "figure": scenario.figure_key,
              "changes": len(scenario.values), "runs": args.runs, "chromium": chromium_version,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              "targets_ms": TARGETS, "runtime": rt, "baseline": bl, "ratios_baseline_over_runtime": ratios,
              "targets_met": {k: rt[k] <= v for k, v in TARGETS.items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bench`: a lab page against a naive Pyodide page (bench/baseline.py) in the same
run, under the conditions issue 12 sets targets for. One table (metric, ours, naive, ratio
naive/ours, target, met/missed) on stdout; every run in bench-results/bench.json.

Sections (--only):
- local: cold load (fresh context) -> first prediction painted, `ready`; a warm reload (after
  the service worker, when the build has one, is active); control change -> figure redrawn,
  median and p95; the next-chapter link (soft navigation: `lab:ready` - `nav:shown`).
- slow: 20 Mbit/s, 40 ms (DevTools emulation, reaching the worker): first prediction,
  `ready`, bytes transferred before `ready` with the biggest files; the naive page once.
- cpu: the CPU slowed 4x (main thread by DevTools, worker thread by a cgroup quota; the report
  says what was slowed and by how much, measured): `ready` cold, update median and p95.
- heavy: the heaviest lab (bench/heaviest.py says which and why), every act open: `ready`
  cold and update p95.
- build: the snapshot's size raw and on the wire, and a clean site build's time.
"""

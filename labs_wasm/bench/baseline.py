"""The naive page the runtime is compared with, generated fresh for each bench run: Pyodide
on the main thread, micropip installing every wheel (plus the Python `plotly` package and
its deps, from local files fetched from PyPI with pip), the lab rendered by Python and its
figure rebuilt with plotly.graph_objects before Plotly.js draws it.

It loads Pyodide and Plotly.js as npm ships them (node_modules: the full `plotly.js-dist-min`
bundle, the uncompressed wasm), not the book's vendored copies, so the book's own
optimisations (a partial Plotly bundle, compressed files) never change the baseline."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

BASELINE_PACKAGES = ["micropip", "packaging", "plotly", "narwhals"]
PINS = {"micropip": "micropip==0.11.1"}  # the version pyodide-lock.json of Pyodide 314.0.7 names


def fetch_wheels(cache: Path) -> dict[str, str]:
    """pip-download the baseline's extra wheels once into `cache`; returns {project: file name}."""
    cache.mkdir(parents=True, exist_ok=True)
    found = {p: next(iter(sorted(cache.glob(f"{p}-*.whl"))), None) for p in BASELINE_PACKAGES}
    missing = [p for p, f in found.items() if f is None]
    if missing:
        # Pyodide 314 runs Python 3.14 and needs micropip >= 0.11, which declares Python >= 3.12:
        # ask pip for wheels for that interpreter, not for the CPython running the bench.
        pins = [PINS.get(p, p) for p in missing]
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--no-deps",
                        "--python-version", "3.13", "-d", str(cache), *pins], check=True)
        found = {p: next(iter(sorted(cache.glob(f"{p}-*.whl")))) for p in BASELINE_PACKAGES}
    return {p: f.name for p, f in found.items()}


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Naive baseline</title>
<script src="vendor/plotly.min.js"></script>
</head><body>
<section class="lab" data-lab="{lab}" data-state="loading"><p class="lab-status">Loading…</p><div class="lab-root"></div></section>
<script type="application/json" id="cfg">{cfg}</script>
<script type="module">
import {{ loadPyodide }} from "./vendor/pyodide/pyodide.mjs";
const cfg = JSON.parse(document.getElementById("cfg").textContent);
const abs = (p) => new URL(p, document.baseURI).href;
const section = document.querySelector("section.lab"), root = section.querySelector(".lab-root");
const py = await loadPyodide({{ indexURL: abs("vendor/pyodide/") }});
await py.loadPackage([abs("wheels/" + cfg.extra.packaging), abs("wheels/" + cfg.extra.micropip)]);
const micropip = py.pyimport("micropip");
const wheels = [...cfg.book_wheels.map((n) => abs("wheels/" + n)),
                abs("wheels/" + cfg.extra.narwhals), abs("wheels/" + cfg.extra.plotly)];
await micropip.install.callKwargs(wheels, {{ deps: false }});
const zip = await (await fetch(abs("labs_bundle.zip"))).arrayBuffer();
py.unpackArchive(zip, "zip", {{ extractDir: "/lab_bundle" }});
py.runPython(`
import sys, json
sys.path.insert(0, "/lab_bundle")
import plotly.graph_objects as go
from labkit.runtime import render

def walk(nodes):
    for n in nodes:
        yield n
        yield from walk(n.get("children", []))

def page(lab, state_json, figure_key):
    tree = render(lab, json.loads(state_json))
    nodes = list(walk(tree["nodes"]))
    first = next(n for n in nodes if n["kind"] == "choice")
    fig = next(n for n in nodes if n["key"] == figure_key)["figure"]
    return json.dumps({{"choice": first, "figure": go.Figure(fig).to_json()}})
`);
const page = py.globals.get("page");
const state = cfg.state;
const draw = async (out) => {{
  await Plotly.react(plot, JSON.parse(out.figure).data, JSON.parse(out.figure).layout);
  plot.dispatchEvent(new CustomEvent("lab:plotted", {{ bubbles: true }}));
}};
const first = JSON.parse(page(cfg.lab, JSON.stringify(state), cfg.figure_key));
const fs = document.createElement("fieldset");
fs.className = "lab-choice";
fs.innerHTML = "<legend></legend>";
fs.querySelector("legend").textContent = first.choice.label;
for (const o of first.choice.options) {{
  const l = document.createElement("label");
  l.innerHTML = '<input type="radio" name="p">';
  l.append(o.label);
  fs.append(l);
}}
const control = document.createElement("div");
control.dataset.key = cfg.control_key;
control.innerHTML = '<input type="range">';
const range = control.querySelector("input");
Object.assign(range, {{ min: cfg.slider.min, max: cfg.slider.max, step: cfg.slider.step }});
const plot = document.createElement("div");
const figure = document.createElement("div");
figure.dataset.key = cfg.figure_key;
figure.append(plot);
root.append(fs, control, figure);
range.addEventListener("input", () => {{
  state.values[cfg.control_name] = range.valueAsNumber;
  draw(JSON.parse(page(cfg.lab, JSON.stringify(state), cfg.figure_key)));
}});
await draw(first);
section.dataset.state = "ready";
performance.mark("lab:ready:" + cfg.lab);
</script></body></html>
"""


def vendor(out: Path, node_modules: Path) -> None:
    """Pyodide and Plotly.js from npm's packages, linked into `out/vendor`."""
    sources = {"pyodide": node_modules / "pyodide", "plotly.min.js": node_modules / "plotly.js-dist-min" / "plotly.min.js"}
    missing = [str(p) for p in sources.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"the naive baseline needs {', '.join(missing)} (npm ci installs them)")
    (out / "vendor").mkdir(parents=True)
    for name, source in sources.items():
        (out / "vendor" / name).symlink_to(source.resolve())


def write_baseline(out: Path, root: Path, scenario, slider: dict, cache: Path, node_modules: Path) -> str:
    """Write the page, its vendored files, the book's wheels and lab sources (made by the
    site build's own functions, so the baseline needs nothing from a built book) and the
    extra wheels into `out` (served at /baseline/); returns the page name."""
    from sitebuild import bundle, wheels
    if scenario.control_kind != "slider":
        raise ValueError(f"the baseline drives a slider; the scenario picked a {scenario.control_kind}")
    extra = fetch_wheels(cache)
    shutil.rmtree(out, ignore_errors=True)
    (out / "wheels").mkdir(parents=True)
    vendor(out, node_modules)
    for name in extra.values():
        shutil.copy2(cache / name, out / "wheels" / name)
    book_wheels = wheels.write_wheels(root, out, root / ".cache" / "wheels")
    bundle.write_bundle(root, out / "labs_bundle.zip")
    cfg = {"lab": scenario.lab, "state": scenario.state, "control_key": scenario.control_key,
           "control_name": scenario.control_name, "figure_key": scenario.figure_key, "slider": slider,
           "extra": extra, "book_wheels": book_wheels}
    (out / "index.html").write_text(PAGE.format(lab=scenario.lab, cfg=json.dumps(cfg).replace("</", "<\\/")))
    return "index.html"

"""The engine wheel the site ships imports in Pyodide (in Debian chromium, loaded with
loadPackage, no micropip) and its resolvers give the same numbers as under CPython."""
from __future__ import annotations

import json

import pytest
from mlsysim import Hardware, Models
from mlsysim.core.solver import IronLawModel, MemoryFootprintModel

pytestmark = pytest.mark.browser

PYTHON = """
import json
import mlsysim
from mlsysim import Hardware, Models
from mlsysim.core.solver import IronLawModel, MemoryFootprintModel
r = IronLawModel().solve(hardware=Hardware.Cloud.H100, model=Models.Vision.ResNet50, precision="fp16")
fit = MemoryFootprintModel().solve(model=Models.Vision.ResNet50, hardware=Hardware.Tiny.STM32H743, precision="int8")
json.dumps({"version": mlsysim.__version__, "binding": r.binding,
            "total_us": r.total.to("us").magnitude, "t_compute_us": r.t_compute.to("us").magnitude,
            "fits": fit.feasible})
"""

BOOT = """async ([root, code]) => {
  const { loadPyodide } = await import(root + "assets/vendor/pyodide/pyodide.mjs");
  const py = await loadPyodide({ indexURL: root + "assets/vendor/pyodide/" });
  const wheels = await (await fetch(root + "assets/wheels.json")).json();
  await py.loadPackage(wheels.map((w) => root + "assets/wheels/" + w));
  return py.runPython(code);
}"""


def test_engine_wheel_runs_a_resolver_in_pyodide(browser, site_url):
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site_url + "index.html")
    got = json.loads(page.evaluate(BOOT, [site_url, PYTHON]))
    page.close()

    here = IronLawModel().solve(hardware=Hardware.Cloud.H100, model=Models.Vision.ResNet50, precision="fp16")
    assert got["binding"] == here.binding
    assert got["total_us"] == pytest.approx(here.total.to("us").magnitude, rel=1e-12)
    # ResNet-50's ~8.2 GFLOP at 989 TFLOP/s (H100 SXM FP16 dense): about 8.3 us.
    assert got["t_compute_us"] == pytest.approx(8.3, rel=0.02)
    assert got["fits"] is False  # 25.6 MB of INT8 weights do not fit a 2 MB-flash MCU
    assert not any("micropip" in u for u in requests)
    assert all(u.startswith(site_url) for u in requests if u.startswith("http"))

"""Plugin discovery for real: build and pip-install small plugin packages into a temporary
directory, then ask ResolverFactory in a fresh interpreter with that directory on sys.path."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GOOD = '''
from mlsysim.core.solver import BaseModel
from mlsysim.core.results import SolverResult
from mlsysim.core.types import Quantity

class PowerEfficiencyResult(SolverResult):
    flops_per_watt: Quantity

class PowerEfficiencyModel(BaseModel):
    requires = ("hardware",)
    produces = PowerEfficiencyResult

    def solve(self, hardware):
        return PowerEfficiencyResult(
            flops_per_watt=(hardware.compute.peak_flops / hardware.tdp).to("TFLOP/s/W"))

NOT_A_RESOLVER = 42
'''


def _write_plugin(root: Path, name: str, module_src: str, entry_points: dict) -> Path:
    pkg = root / name
    (pkg / name).mkdir(parents=True)
    (pkg / name / "__init__.py").write_text(module_src)
    eps = "\n".join(f'{k} = "{v}"' for k, v in entry_points.items())
    (pkg / "pyproject.toml").write_text(textwrap.dedent(f'''
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "{name.replace("_", "-")}"
        version = "0.0.1"
        [tool.setuptools]
        packages = ["{name}"]
        [project.entry-points."mlsysim.solvers"]
        ''') + eps + "\n")
    return pkg


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugins")
    target = root / "site"
    good = _write_plugin(root, "mlsysim_demo_plugin", GOOD, {
        "power_efficiency": "mlsysim_demo_plugin:PowerEfficiencyModel",
        "not_a_resolver": "mlsysim_demo_plugin:NOT_A_RESOLVER"})
    broken = _write_plugin(root, "mlsysim_broken_plugin", "raise ImportError('boom: missing dep')\n",
                           {"broken": "mlsysim_broken_plugin:Whatever"})
    for pkg in (good, broken):
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--no-build-isolation", "--no-index", "--target", str(target), str(pkg)],
                       check=True, capture_output=True, text=True, timeout=300)
    return target


def _discover(site: Path) -> dict:
    code = textwrap.dedent('''
        import json, warnings
        import mlsysim
        from mlsysim.core.resolver_factory import ResolverFactory
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            available = ResolverFactory.list_available()
        cls = available.get("PowerEfficiencyModel")
        result = cls().solve(hardware=mlsysim.Hardware.H100) if cls else None
        print(json.dumps({"names": sorted(available),
                          "warnings": [str(w.message) for w in caught],
                          "fpw": result.flops_per_watt.magnitude if result else None}))
    ''')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_installed_plugin_is_discovered_and_runs(site):
    found = _discover(site)
    assert "PowerEfficiencyModel" in found["names"]
    assert "IronLawModel" in found["names"]            # built-ins are still there
    assert found["fpw"] == pytest.approx(989 / 700)


def test_broken_plugins_warn_by_name_without_crashing(site):
    found = _discover(site)
    joined = "\n".join(found["warnings"])
    assert "broken = mlsysim_broken_plugin:Whatever" in joined and "boom" in joined
    assert "not_a_resolver" in joined
    assert "NOT_A_RESOLVER" not in found["names"]


def test_no_plugins_without_the_site():
    from mlsysim.core.resolver_factory import ResolverFactory

    assert "PowerEfficiencyModel" not in ResolverFactory.list_available()

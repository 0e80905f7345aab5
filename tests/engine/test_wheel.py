"""The engine builds as a pure-Python wheel that carries its data files and works installed."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_is_pure_python_with_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(tmp_path)],
                   check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = tmp_path.glob("mlsysim-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ["mlsysim/core/units.txt", "mlsysim/hardware/data/cloud.toml",
                 "mlsysim/models/data/language.toml", "mlsysim/systems/data/grids.toml"]:
        assert data in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, text=True,
                   timeout=300)
    code = ("import json, mlsysim; print(json.dumps([mlsysim.__file__, "
            "str(mlsysim.Hardware.H100.compute.peak_flops), len(mlsysim.Models)]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(target)), cwd=tmp_path)
    path, peak, n_models = json.loads(out.stdout)
    assert path.startswith(str(target))
    assert peak == "989.0 TFLOPs/s" and n_models >= 8

"""The command line, run for real: the installed ``mlsysim`` script and ``python -m mlsysim``."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = shutil.which("mlsysim") or str(Path(sys.executable).with_name("mlsysim"))


def run(*args, module=False):
    cmd = [sys.executable, "-m", "mlsysim", *args] if module else [SCRIPT, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_console_script_is_installed():
    assert Path(SCRIPT).exists(), "pip install -e . should create the mlsysim console script"


def test_zoo_table_and_json():
    table = run("zoo")
    assert table.returncode == 0, table.stderr
    assert "H100" in table.stdout and "Llama3_8B" in table.stdout and "Frontier_8K" in table.stdout
    data = json.loads(run("zoo", "--json", module=True).stdout)
    h100 = next(r for r in data if r["key"] == "H100")
    assert h100["peak"] == "989 TFLOPs/s" and h100["registry"] == "Hardware"
    only_models = json.loads(run("zoo", "models", "--json").stdout)
    assert {r["registry"] for r in only_models} == {"Models"}


def test_audit_lists_estimates_only():
    out = run("audit")
    assert out.returncode == 0, out.stderr
    assert "STM32H743" in out.stdout and "estimate" in out.stdout
    rows = json.loads(run("audit", "--json").stdout)
    assert rows and {r["kind"] for r in rows} <= {"estimate", "illustrative"}
    everything = json.loads(run("audit", "--all", "--json").stdout)
    assert len(everything) > len(rows) and "datasheet" in {r["kind"] for r in everything}


def test_eval_json_scenario(tmp_path):
    scenario = tmp_path / "roofline.json"
    scenario.write_text(json.dumps({"resolver": "RooflineModel", "inputs": {
        "hardware": "H100", "arithmetic_intensity": "100 FLOP/B"}}))
    out = run("eval", str(scenario))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    # attainable = min(989 TFLOP/s, 100 FLOP/B x 3.35 TB/s) = 335 TFLOP/s
    assert result["attainable_flops"]["value"] == pytest.approx(335e12)
    assert result["attainable_flops"]["unit"] == "FLOPs/s"


def test_eval_toml_pipeline(tmp_path):
    scenario = tmp_path / "train.toml"
    scenario.write_text('pipeline = ["DistributedModel", "EconomicsModel"]\n'
                        '[inputs]\nmodel = "Llama3_8B"\nfleet = "Frontier_8K"\n'
                        'duration = "30 day"\n')
    out = run("eval", str(scenario), module=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) == {"DistributedModel", "EconomicsModel"}


@pytest.mark.parametrize("content, suffix, message", [
    (None, ".json", "not found"),
    ("{not json", ".json", "not valid JSON"),
    ("resolver = [", ".toml", "not valid TOML"),
    ('{"resolver": "NoSuchModel", "inputs": {}}', ".json", "No resolver named 'NoSuchModel'"),
    ('{"resolver": "RooflineModel", "inputs": {"hardware": "H1000", '
     '"arithmetic_intensity": "1 FLOP/B"}}', ".json", "H1000"),
    ('{"resolver": "RooflineModel", "inputs": {"hardware": "H100", '
     '"arithmetic_intensity": "10 furlongs"}}', ".json", "arithmetic_intensity"),
    ('{"resolver": "RooflineModel", "inputs": {"hardware": "H100", "bogus": 1}}', ".json",
     "unknown input"),
    ('{"resolver": "RooflineModel", "inputs": {"hardware": "H100", '
     '"arithmetic_intensity": "-5 FLOP/B"}}', ".json", "arithmetic_intensity"),
    ("a,b", ".csv", ".json or .toml"),
])
def test_bad_input_exits_2_with_one_message(tmp_path, content, suffix, message):
    path = tmp_path / f"scenario{suffix}"
    if content is not None:
        path.write_text(content)
    out = run("eval", str(path))
    assert out.returncode == 2
    assert out.stdout == ""
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_bad_command_exits_2():
    out = run("frobnicate")
    assert out.returncode == 2 and "Traceback" not in out.stderr

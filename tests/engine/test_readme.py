"""The Python examples in engine/README.md run, in order, in one namespace."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "engine" / "README.md"


def test_readme_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3
    ns: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), ns)
    assert ns["results"]["PowerEfficiencyModel"].flops_per_watt.magnitude == pytest.approx(989 / 700)

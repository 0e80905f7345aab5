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


def test_readme_names_table_is_the_engines():
    """The README prints the names table of core/names.py (regenerate it with
    `python -m mlsysim names` between the names-table markers)."""
    from mlsysim.cli import names_markdown

    text = README.read_text(encoding="utf-8")
    table = re.search(r"<!-- names-table:[^\n]*-->\n(.*?)\n<!-- /names-table -->", text, re.S)
    assert table, "engine/README.md lost its names-table markers"
    assert table.group(1).strip() == names_markdown().strip(), \
        "engine/README.md's names table is stale: paste `python -m mlsysim names` in it"


def test_readme_lists_every_builtin_resolver():
    from mlsysim.core.resolver_factory import ResolverFactory

    text = README.read_text(encoding="utf-8")
    missing = [name for name in ResolverFactory.builtins() if not re.search(rf"\b{name}\b", text)]
    assert not missing, f"engine/README.md's resolver table lacks {missing}"

"""Chapter python in the built site: hidden cells and inline `{python}` values computed with the
engine at build time (sitebuild/execute.py, run by sitebuild/run_python.py), seen by the render,
the crossrefs and the search index; errors name the .qmd line; the numbers follow the engine."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from mlsysim import Hardware, Models

from sitebuild.build import build
from sitebuild.execute import expand

REPO = Path(__file__).resolve().parents[2]
# conftest's TINY_QUARTO (same chapters) plus what a project with chapter python needs
PY_QUARTO = """\
project:
  type: book
  output-dir: _book
  execute-dir: project
book:
  title: "Tiny Book"
  chapters:
    - book/index.qmd
    - part: "Volume I: Foundations"
      chapters:
        - book/vol1/orientation.qmd
        - book/vol1/alpha.qmd
        - book/vol1/beta.qmd
    - part: "Volume II: Scale"
      chapters:
        - book/vol2/gamma.qmd
    - book/ledger.qmd
execute:
  freeze: false
format:
  html:
    toc: true
    number-sections: true
    filters:
      - labs_wasm/filter/lab.lua
"""
ENVIRONMENT = "# as the real project: labs_wasm and the engine importable from chapter code\nPYTHONPATH=labs_wasm:engine\n"
CASES = '''"""Shared by a lab and its chapter: the worked example's names and sizes."""
CASE = {"name": "ResNet-50", "precision": "fp16"}
'''

# A chapter the way a real one computes its numbers: a hidden setup cell with the engine and a
# case module shared with the labs, then values in prose before any heading, in a formula, a
# table, a callout and a heading.
GAMMA = '''\
# Gamma {#sec-gamma}

```{python}
#| include: false
from mlsysim import Hardware, Models
from labs.cases_gamma import CASE
h100 = Hardware.Cloud.H100
bw = h100.memory.bandwidth.m_as("TB/s")
weights = Models.Vision.ResNet50.size_in_bytes(CASE["precision"])
t_mem_us = (weights / h100.memory.bandwidth).m_as("us")
```

Before any heading, `{python} CASE["name"]` reads its weights at `{python} f"{bw:.2f}"` TB/s.

## Scale {#sec-gamma-scale}

Back to @sec-alpha-one-a. Loading the weights takes $t = `{python} round(t_mem_us, 2)`\\ \\mu\\text{s}$.

| device | bandwidth |
|---|---|
| `{python} h100.name` | `{python} f"{bw:.2f}"` TB/s |

::: {.callout-note}
## Worked number
The memory term is `{python} f"{t_mem_us:.1f}"` µs.
:::

## Peak of the `{python} h100.name` {#sec-gamma-peak}

See @sec-gamma-scale.
'''


def python_project(tiny_project, gamma: str = GAMMA, extra: dict | None = None) -> Path:
    files = {"book/vol2/gamma.qmd": gamma, "_environment": ENVIRONMENT,
             "labs_wasm/labs/__init__.py": "", "labs_wasm/labs/cases_gamma.py": CASES, **(extra or {})}
    return tiny_project(files, quarto=PY_QUARTO)


def expected(bandwidth=None) -> dict:
    h100 = Hardware.Cloud.H100
    bw = bandwidth if bandwidth is not None else h100.memory.bandwidth
    t = (Models.Vision.ResNet50.size_in_bytes("fp16") / bw).m_as("us")
    return {"bw": f"{bw.m_as('TB/s'):.2f}", "t2": f"{round(t, 2)!r}", "t1": f"{t:.1f}", "name": h100.name}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_chapter_python_values_in_prose_formula_table_callout_and_heading(tiny_project, tmp_path):
    root = python_project(tiny_project)
    result = build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    page = (result.out_dir / "vol2/gamma.html").read_text(encoding="utf-8")
    want, body = expected(), text_of(page)
    assert f"Before any heading, ResNet-50 reads its weights at {want['bw']} TB/s." in body
    assert f"<td>{want['bw']} TB/s</td>" in page and f"<td>{want['name']}</td>" in page
    assert f"The memory term is {want['t1']} µs." in body
    assert f"t = {want['t2']}\\ \\mu\\text{{s}}</annotation>" in page        # typeset by KaTeX
    assert "{python}" not in page and "cell-code" not in page             # the setup cell is hidden
    # the heading, its TOC entry, the crossref index and the search index saw the value too
    assert body.count(f"Peak of the {want['name']}") == 2                  # heading and TOC
    index = json.loads((tmp_path / "bld/crossref.json").read_text())
    assert index["sections"]["sec-gamma-peak"]["title"] == f"Peak of the {want['name']}"
    search = json.loads((result.out_dir / "search.json").read_text())
    assert any(want["t1"] in r["text"] for r in search if r["href"].startswith("vol2/gamma.html"))


def test_chapter_python_follows_the_engine_data(tiny_project, tmp_path):
    """The issue's acceptance test: change a number in the engine's registry data (a copy of the
    engine, which _environment puts first on the chapter's PYTHONPATH, as Quarto would) and the
    chapter's rendered numbers follow, including the ones computed from it."""
    root = python_project(tiny_project)
    shutil.copytree(REPO / "engine" / "mlsysim", root / "engine" / "mlsysim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cloud = root / "engine/mlsysim/hardware/data/cloud.toml"
    before = cloud.read_text(encoding="utf-8")
    h100_memory = re.compile(r'(\[H100\.memory\][^\[]*?bandwidth = \{ value = ")([^"]+)(")', re.S)
    assert h100_memory.search(before), "the H100 memory bandwidth line moved; update this test"
    cloud.write_text(h100_memory.sub(r"\g<1>4.8 TB/s\g<3>", before, count=1), encoding="utf-8")

    result = build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    body = text_of((result.out_dir / "vol2/gamma.html").read_text(encoding="utf-8"))
    bw = Hardware.Cloud.H100.memory.bandwidth
    want, old = expected(bw * (4.8 / bw.m_as("TB/s"))), expected()
    assert want["bw"] == "4.80" and want["t1"] != old["t1"]
    assert f"reads its weights at 4.80 TB/s." in body
    assert f"The memory term is {want['t1']} µs." in body
    assert f"{old['bw']} TB/s" not in body


def test_chapter_python_expand_follows_a_patched_engine_constant(monkeypatch):
    """In process: patch the H100 in the loaded registry and re-run the same chapter text."""
    import dataclasses
    text = GAMMA.replace("from labs.cases_gamma import CASE", 'CASE = {"name": "ResNet-50", "precision": "fp16"}')
    assert f"at {expected()['bw'].replace('.', chr(92) + '.')} TB/s" in expand(text, "book/vol2/gamma.qmd")
    h100 = Hardware.Cloud.H100
    faster = dataclasses.replace(h100, memory=dataclasses.replace(h100.memory, bandwidth=h100.memory.bandwidth * 2))
    flat, by_namespace, _aliases = Hardware._load()
    monkeypatch.setitem(flat, "H100", faster)
    monkeypatch.setitem(by_namespace["Cloud"], "H100", faster)
    doubled = f"{2 * h100.memory.bandwidth.m_as('TB/s'):.2f}".replace(".", "\\.")
    out = expand(text, "book/vol2/gamma.qmd")
    assert f"at {doubled} TB/s" in out
    assert f"takes $t = {round((Models.Vision.ResNet50.size_in_bytes('fp16') / faster.memory.bandwidth).m_as('us'), 2)!r}" in out


def test_chapter_python_inline_error_names_file_line_and_expression(tiny_project, tmp_path, cli):
    gamma = GAMMA.replace("See @sec-gamma-scale.", "See @sec-gamma-scale, `{python} h100.memory.nope`.")
    root = python_project(tiny_project, gamma)
    out = tmp_path / "out"
    proc = cli(root, "--out", str(out), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0
    line = gamma.splitlines().index("See @sec-gamma-scale, `{python} h100.memory.nope`.") + 1
    assert (f"book/vol2/gamma.qmd:{line}: inline expression `h100.memory.nope` raised "
            "AttributeError:") in proc.stderr
    assert "'nope'" in proc.stderr
    assert not out.exists(), "a failed build must not leave an output folder behind"


def test_chapter_python_cell_error_names_the_failing_line_and_keeps_previous_site(tiny_project, tmp_path, cli):
    root = python_project(tiny_project)
    out = tmp_path / "out"
    assert cli(root, "--out", str(out), "--build-dir", str(tmp_path / "bld")).returncode == 0
    before = (out / "vol2/gamma.html").read_text()
    broken = GAMMA.replace('bw = h100.memory.bandwidth.m_as("TB/s")', 'bw = h100.memory.bandwidth.m_as("TB/s")\n'
                                                                      'ratio = bw / (bw - bw)')
    (root / "book/vol2/gamma.qmd").write_text(broken, encoding="utf-8")
    proc = cli(root, "--out", str(out), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0
    line = broken.splitlines().index("ratio = bw / (bw - bw)") + 1
    assert (f"book/vol2/gamma.qmd:{line}: the python cell at lines 3-12 raised ZeroDivisionError: "
            "float division by zero") in proc.stderr
    assert f"chapter line {line}: ratio = bw / (bw - bw)" in proc.stderr
    assert (out / "vol2/gamma.html").read_text() == before


def test_chapter_python_error_deep_in_the_engine_names_the_chapter_line(tiny_project, tmp_path, cli):
    gamma = GAMMA.replace('t_mem_us = (', 'peak = h100.compute.peak("fp99")\nt_mem_us = (')
    root = python_project(tiny_project, gamma)
    proc = cli(root, "--out", str(tmp_path / "out"), "--build-dir", str(tmp_path / "bld"))
    line = gamma.splitlines().index('peak = h100.compute.peak("fp99")') + 1
    assert proc.returncode != 0
    assert f"book/vol2/gamma.qmd:{line}: the python cell at lines 3-12 raised " in proc.stderr
    assert "fp99" in proc.stderr and "raised at " in proc.stderr and "mlsysim" in proc.stderr


def test_chapter_python_chapters_without_python_are_read_untouched(tiny_project, tmp_path):
    root = python_project(tiny_project)
    build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    expanded = sorted(p.relative_to(tmp_path / "bld/expanded").as_posix()
                      for p in (tmp_path / "bld/expanded").rglob("*.qmd"))
    assert expanded == ["book/vol2/gamma.qmd"], "only the chapter with python gets a copy"
    # and a project without python runs no child process and writes no copy at all
    plain = tiny_project()
    build(plain, tmp_path / "out2", tmp_path / "bld2", assets=False, log=lambda m: None)
    assert not (tmp_path / "bld2/expanded").exists()
    # a chapter without python renders to the same bytes whether or not a sibling has python
    for page in ("vol1/alpha.html", "vol1/beta.html", "index.html"):
        assert (tmp_path / "out" / page).read_bytes() == (tmp_path / "out2" / page).read_bytes(), page


@pytest.mark.parametrize("text", [
    "# A\n\nNo python here, `code`, ``{python} x``, `{{python}} x`, {python} x.\n\n```python\nx = 1\n```\n",
    "---\ntitle: T\n---\n\n# A\n\n```{.python}\nx\n```\n\n* * *\n\n---\n\nCRLF\r\nline\r\n",
    "",
])
def test_chapter_python_text_without_python_comes_back_byte_identical(text):
    assert expand(text, "book/x.qmd") == text


def test_chapter_python_expanded_copy_keeps_every_source_line_in_place(tiny_project, tmp_path):
    root = python_project(tiny_project)
    build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    src = GAMMA.split("\n")
    copy = (tmp_path / "bld/expanded/book/vol2/gamma.qmd").read_text(encoding="utf-8").split("\n")
    assert len(copy) == len(src)
    for s, c in zip(src, copy):
        assert c == s or "{python}" in s or s.startswith(("```", "#|", "from ", "h100", "bw", "weights", "t_mem")), (s, c)

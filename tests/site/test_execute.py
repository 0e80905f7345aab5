"""Quarto semantics of chapter python (sitebuild/execute.py, inline.py, qmdcells.py), in process:
how a value is written into the Markdown, what each cell option emits, and the constructs the
Pandoc path refuses rather than render differently from Quarto."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from sitebuild.errors import BuildError
from sitebuild.execute import expand, expand_chapter
from sitebuild.inline import escape_markdown, math_spans
from sitebuild.pandoc import source_positions
from sitebuild.run_python import environment_pythonpath

SETUP = "```{python}\n#| include: false\nbw = 3.35\nname = 'H100'\n```\n\n"


def md(body: str, setup: str = SETUP, defaults: dict | None = None) -> str:
    return expand(setup + textwrap.dedent(body), "book/x.qmd", defaults)


def fails(body: str, setup: str = SETUP, defaults: dict | None = None) -> str:
    with pytest.raises(BuildError) as err:
        md(body, setup, defaults)
    return str(err.value)


# -- inline values ------------------------------------------------------------------------------

def test_execute_inline_string_is_written_without_quotes_and_escaped_like_quarto():
    # Quarto strips a str repr's quotes and backslash-escapes Markdown punctuation (comma too)
    assert md('A `{python} f"{bw:,.2f}"` B `{python} "**x** (1-2)!"`').endswith(
        "A 3\\.35 B \\*\\*x\\*\\* \\(1\\-2\\)\\!")
    assert escape_markdown("a,b") == "a\\,b"


def test_execute_inline_numbers_are_their_repr_unescaped():
    assert md("`{python} bw` `{python} 2**10` `{python} bw > 1` `{python} round(bw * 3, 1)`").endswith(
        "3.35 1024 True 10.1")


def test_execute_inline_markdown_value_is_inserted_raw():
    out = md("$t = `{python} Markdown(f'{bw:.1f}' + r'\\ \\mu\\text{s}')`$ and `{python} Markdown('**b**')`",
             SETUP.replace("bw = 3.35", "bw = 3.35\nfrom sitebuild.display import Markdown"))
    assert out.endswith("$t = 3.4\\ \\mu\\text{s}$ and **b**")


def test_execute_inline_string_inside_math_is_refused_with_the_reason():
    err = fails("Math $x = `{python} f'{bw:.2f}'`$ here.")
    assert "book/x.qmd:7: inline expression `f'{bw:.2f}'` is a string inside math" in err
    assert "3.35 becomes 3\\.35" in err
    # a number, or a string Quarto would not change, is fine in math
    assert md("$x = `{python} bw`$ and $`{python} name`$").endswith("$x = 3.35$ and $H100$")


def test_execute_math_spans_follow_pandoc_dollar_rules():
    text = "a $x$ b $ 5 and 6$ c `$y$` d $$z$$ e $20 and $30"
    assert [text[a:b] for a, b in math_spans(text)] == ["$x$", "$$z$$"]


@pytest.mark.parametrize("expr, reason", [
    ("[1, 2]", "a list value: Quarto would print IPython's repr"),
    ("None", "evaluated to None"),
    ('""', "an empty string: Quarto would leave the expression's source in the page"),
    ('"a\\\\b"', "characters its repr escapes"),
    ("float", "a type value"),
])
def test_execute_inline_values_without_a_faithful_rendering_are_refused(expr, reason):
    assert reason in fails(f"V `{{python}} {expr}`.")


def test_execute_inline_quantity_is_refused_because_quarto_would_insert_its_html():
    err = fails("`{python} bw_q`", SETUP.replace("bw = 3.35", "from mlsysim import Hardware\n"
                                                  "bw_q = Hardware.Cloud.H100.memory.bandwidth"))
    assert "a Quantity value: Quarto would insert its rich (HTML) display" in err
    assert "m_as(" in err


def test_execute_inline_with_extra_space_or_line_break_is_refused():
    assert "extra spaces" in fails("A `{python}  bw` B")
    assert "book/x.qmd:7: inline expression `(bw +\n 1)` spans a line break" in fails("A `{python} (bw +\n 1)` B")


def test_execute_inline_escapes_are_left_alone_like_quarto():
    assert md("``{python} bw`` and `{{python}} bw`").endswith("``{python} bw`` and `{{python}} bw`")


def test_execute_inline_only_chapter_needs_the_jupyter_engine():
    err = fails("`{python} 1 + 1`", setup="")
    assert "add `engine: jupyter`" in err
    assert md("`{python} 1 + 1`", setup="---\nengine: jupyter\n---\n").endswith("2")


def test_execute_names_defined_later_are_not_visible_earlier():
    err = fails("Early `{python} late`.\n\n```{python}\n#| include: false\nlate = 1\n```\n")
    assert "book/x.qmd:7: inline expression `late` raised NameError" in err


# -- cells --------------------------------------------------------------------------------------

def test_execute_hidden_cell_becomes_blank_lines():
    out = md("Text.\n")
    assert out == "\n" * 6 + "Text.\n"


def test_execute_echo_false_shows_printed_output_in_quartos_cell_divs():
    out = md("```{python}\n#| echo: false\nprint(f'bw {bw}')\n```\n")
    assert "::: {.cell}\n\n::: {.cell-output .cell-output-stdout}\n```\nbw 3.35\n```\n:::\n:::" in out


def test_execute_output_asis_pastes_printed_markdown_raw():
    out = md("```{python}\n#| echo: false\n#| output: asis\nprint('| a |\\n|---|\\n| 1 |')\n```\n")
    assert "\n| a |\n|---|\n| 1 |\n" in out and ".cell" not in out


def test_execute_echo_true_shows_the_code_without_its_options():
    out = md("```{python}\n#| output: false\n\nx = bw * 2\nprint(x)\n```\n")
    assert "::: {.cell}\n``` {.python .cell-code}\nx = bw * 2\nprint(x)\n```\n:::" in out
    assert "6.7" not in out


def test_execute_eval_false_shows_code_and_runs_nothing():
    out = md("```{python}\n#| eval: false\n1 / 0\n```\n")
    assert "``` {.python .cell-code}\n1 / 0\n```" in out


def test_execute_project_and_front_matter_defaults_apply():
    cell = "```{python}\nprint('hi')\n```\n"
    assert "cell-code" not in md(cell, defaults={"echo": False})
    assert "cell-code" not in md(cell, setup="---\nexecute:\n  echo: false\n---\n")
    assert "cell-code" in md(cell.replace("print", "#| echo: true\nprint"), defaults={"echo": False})


def test_execute_last_expression_shows_only_markdown():
    out = md("```{python}\n#| echo: false\nfrom sitebuild.display import Markdown\nMarkdown('**hi**')\n```\n")
    assert "::: {.cell-output .cell-output-display}\n**hi**\n:::" in out
    assert "ends with an expression whose float value" in fails("```{python}\n#| echo: false\nbw\n```\n")
    assert "3.35" not in md("```{python}\n#| echo: false\nbw;\n```\n")        # IPython's `;`


def test_execute_stderr_of_a_shown_cell_is_refused_unless_warning_false():
    cell = "```{python}\n#| echo: false\n{opt}import warnings\nwarnings.warn('careful')\n```\n"
    assert "wrote to stderr" in fails(cell.replace("{opt}", "")) and "careful" in fails(cell.replace("{opt}", ""))
    assert "careful" not in md(cell.replace("{opt}", "#| warning: false\n"))


@pytest.mark.parametrize("options, reason", [
    ("#| fig-cap: A figure", "`fig-cap` is not supported"),
    ("#| error: true", "error: True: showing errors instead of failing is not supported"),
    ("#| echo: fenced", "echo: 'fenced': use true or false"),
    ("#| label: tbl-x\n#| echo: false\nprint(1)", "labelled (cross-referenced) cells are not supported"),
])
def test_execute_unsupported_cell_options_are_refused(options, reason):
    assert reason in fails(f"```{{python}}\n{options}\n```\n")


def test_execute_label_on_a_hidden_cell_is_fine():
    assert md("```{python}\n#| label: setup\n#| include: false\nx = 1\n```\nok\n").endswith("ok\n")


def test_execute_fence_options_and_unclosed_cells_are_refused():
    assert "options on the fence line are not supported" in fails("```{python echo=false}\nx\n```\n")
    assert "book/x.qmd:7: the python cell opened here is never closed" in fails("```{python}\nx = 1\n")


def test_execute_rule_with_three_dashes_is_refused_in_a_python_chapter():
    assert "book/x.qmd:9: a `---` line after the front matter" in fails("Text.\n\n---\n\nMore.\n")


def test_execute_indented_cell_output_keeps_its_list_indent():
    out = md("- item\n\n    ```{python}\n    #| echo: false\n    print('in list')\n    ```\n")
    assert "    ::: {.cell-output .cell-output-stdout}\n    ```\n    in list\n    ```" in out


def test_execute_syntax_error_names_the_qmd_line():
    err = fails("```{python}\n#| include: false\nx = 1\ny = (\n```\n")
    assert err.startswith("book/x.qmd:") and "SyntaxError in the python cell at lines 7-11" in err


def test_execute_line_map_points_output_back_to_its_cell():
    text = SETUP + "```{python}\n#| echo: false\nprint('a\\nb\\nc\\nd\\ne')\n```\nafter\n"
    exp = expand_chapter(text, "book/x.qmd")
    lines = exp.text.split("\n")
    assert exp.line_map[lines.index("after")] == 11
    assert 7 <= exp.line_map[lines.index("e")] <= 10       # within the cell that printed it


# -- build plumbing -----------------------------------------------------------------------------

def test_execute_pandoc_warnings_name_the_source_and_its_line():
    msg = "[WARNING] Duplicate identifier 'x' at /b/expanded/book/x.qmd line 3 column 1"
    assert source_positions(msg, "/b/expanded/book/x.qmd", "/p/book/x.qmd", [1, 1, 2]) == \
        "[WARNING] Duplicate identifier 'x' at /p/book/x.qmd line 2 column 1"


def test_execute_environment_pythonpath_resolves_against_the_project_root(tmp_path):
    (tmp_path / "_environment").write_text("# comment\nOTHER=1\nPYTHONPATH=labs_wasm:engine\n")
    assert environment_pythonpath(tmp_path) == [tmp_path / "labs_wasm", tmp_path / "engine"]
    assert environment_pythonpath(tmp_path / "nowhere") == []


def test_execute_readme_example_for_authors_runs():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"^````markdown\n(.*?)^````$", readme, re.S | re.M).group(1)
    out = expand(example, "README.md")
    assert re.search(r"streams \d\\\.\d\d TB/s", out) and re.search(r"\$t = \d+\.\d\\ \\mu", out)

"""Fixtures for the site build tests: the real book built once per session into a temp
folder, and tiny throwaway projects for crossref, callout and failure cases."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sitebuild.build import build

REPO = Path(__file__).resolve().parents[2]
LABS_WASM = REPO / "labs_wasm"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """A clean build of the real book (fresh out and build dirs); records its duration."""
    base = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    result = build(REPO, base / "_book", base / "_build", log=lambda m: None)
    result.seconds = time.perf_counter() - start
    return result


TINY_QUARTO = """\
project:
  type: book
  output-dir: _book
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
format:
  html:
    toc: true
    number-sections: true
    filters:
      - labs_wasm/filter/lab.lua
"""

TINY_CHAPTERS = {
    "book/index.qmd": """\
        # Preface {.unnumbered}

        Start with @sec-alpha and read [-@sec-alpha-two].

        ## About {.unnumbered}

        Text.
        """,
    "book/vol1/orientation.qmd": """\
        # Orientation {.unnumbered #sec-orientation}

        ## Labs {.unnumbered #sec-orientation-labs}

        See @sec-gamma.
        """,
    "book/vol1/alpha.qmd": """\
        # Alpha {#sec-alpha}

        Intro paragraph citing @sec-beta-one.

        ## One {#sec-alpha-one}

        ```python
        # not a heading
        x = "@sec-not-an-id-in-code"
        ```

        ### One A {#sec-alpha-one-a}

        ::: {.callout-note}
        ## A callout title
        Callout body with `@sec-inline-code-is-ignored`.
        :::

        ## Two {#sec-alpha-two}

        Here: @sec-alpha-one, [@sec-alpha-one-a], [-@sec-beta-one], [see @sec-beta-one],
        @sec-beta, @sec-orientation-labs and [see @sec-alpha-two, p. 3].

        ## Aside {.unnumbered #sec-alpha-aside}

        ### Under aside {#sec-alpha-under-aside}
        """,
    "book/vol1/beta.qmd": """\
        # Beta {#sec-beta}

        ## First {#sec-beta-one}

        ::: {.callout-warning title="Mind the **gap**"}
        Warning body.
        :::

        ::: {.callout-tip}
        Tip body.
        :::

        ::: {.callout-important}
        Important body.
        :::

        ::: {.callout-caution}
        Caution body.
        :::

        ::: {.lab lab="vol1/02"}
        :::
        """,
    "book/vol2/gamma.qmd": """\
        # Gamma {#sec-gamma}

        ## Scale {#sec-gamma-scale}

        Back to @sec-alpha-one-a.
        """,
    "book/ledger.qmd": """\
        # Design Ledger {.unnumbered #sec-ledger}

        ::: {.ledger-view}
        :::
        """,
}


def write_project(root: Path, files: dict[str, str], quarto: str = TINY_QUARTO) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "_quarto.yml").write_text(quarto, encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    filt = root / "labs_wasm" / "filter" / "lab.lua"
    filt.parent.mkdir(parents=True, exist_ok=True)
    filt.write_bytes((LABS_WASM / "filter" / "lab.lua").read_bytes())
    return root


@pytest.fixture
def tiny_project(tmp_path):
    """A small book project (no assets) whose files a test may add to or override."""
    def make(extra: dict[str, str] | None = None, quarto: str = TINY_QUARTO) -> Path:
        return write_project(tmp_path / "proj", {**TINY_CHAPTERS, **(extra or {})}, quarto)
    return make


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m sitebuild --root root --pandoc --skip-assets ...` as the Makefile runs it."""
    env = dict(os.environ, PYTHONPATH=str(LABS_WASM))
    return subprocess.run([sys.executable, "-m", "sitebuild", "--root", str(root), "--pandoc",
                           "--skip-assets", *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli():
    return run_cli

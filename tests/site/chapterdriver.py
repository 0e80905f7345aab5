"""Chapter-number test helpers: expand a real chapter at build time against the repository's
labs and a (possibly edited) copy of its engine (imported by tests/site/test_chapter_*.py)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from sitebuild.run_python import expand_chapters

REPO = Path(__file__).resolve().parents[2]


def expand_real(tmp_path: Path, chapter: str, edit=None) -> str:
    """The Markdown the build renders for ``chapter``, computed in a child process against the
    repository's labs and a copy of its engine (``edit(engine_dir)`` may change the copy)."""
    root = tmp_path / "project"
    (root / Path(chapter).parent).mkdir(parents=True)
    shutil.copy(REPO / chapter, root / chapter)
    shutil.copytree(REPO / "engine" / "mlsysim", root / "engine" / "mlsysim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if edit:
        edit(root / "engine" / "mlsysim")
    (root / "_environment").write_text(f"PYTHONPATH=engine:{REPO / 'labs_wasm'}\n")
    expanded = expand_chapters(root, tmp_path / "build", [chapter], {}, "project")
    text = expanded[chapter].path.read_text(encoding="utf-8")
    # one line of prose per paragraph; Quarto escapes punctuation in inline strings
    return re.sub(r"\s+", " ", text.replace("\\", ""))


def set_value(data_file: Path, table: str, key: str, value: str) -> None:
    """Change ``key = { value = "..." }`` in ``[table]`` of a registry data file (a copy)."""
    text = data_file.read_text(encoding="utf-8")
    # From the table's header line to the key, never crossing the next header line.
    pattern = re.compile(rf'(^\[{re.escape(table)}\]$(?:(?!^\[).)*?^{key} = \{{ value = ")([^"]+)(")',
                         re.S | re.M)
    assert pattern.search(text), f"{data_file.name}: [{table}] {key} moved; update this test"
    data_file.write_text(pattern.sub(rf"\g<1>{value}\g<3>", text, count=1), encoding="utf-8")

"""python-files.tar.gz (sitebuild/pyfiles.py): every file of the engine's wheels except the
stripped ones, and every lab toolkit and lab source, under the two roots the worker maps;
and nothing stripped is something a shipped module imports."""
from __future__ import annotations

import ast
import io
import json
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from sitebuild import pyfiles

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    return built_site.out_dir


def members(site: Path) -> dict[str, bytes]:
    with tarfile.open(site / "assets" / pyfiles.FILE, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_python_files_hold_the_wheels_minus_what_is_stripped_and_the_lab_sources(site):
    got = members(site)
    wheels = site / "assets" / "wheels"
    expected = {}
    for name in json.loads((wheels.parent / "wheels.json").read_text()):
        with zipfile.ZipFile(wheels / name) as zf:
            expected.update({f"site-packages/{i.filename}": zf.read(i) for i in zf.infolist()
                             if not i.is_dir() and not pyfiles.stripped(i.filename)})
    for pkg in ("labkit", "labs"):
        for src in (REPO / "labs_wasm" / pkg).rglob("*.py"):
            if "__pycache__" not in src.parts:
                expected[f"lab_bundle/{src.relative_to(REPO / 'labs_wasm').as_posix()}"] = src.read_bytes()
    assert got.keys() == expected.keys()
    assert all(got[k] == expected[k] for k in got)
    assert any(n.startswith("site-packages/pint/testsuite/") for n in all_wheel_names(wheels)), \
        "pint ships no testsuite any more: STRIPPED can drop that pattern"
    assert not any("/testsuite/" in n or "/sboms/" in n for n in got)


def all_wheel_names(wheels: Path) -> list[str]:
    names = []
    for whl in wheels.glob("*.whl"):
        with zipfile.ZipFile(whl) as zf:
            names += [f"site-packages/{n}" for n in zf.namelist()]
    return names


def module_of(path: str) -> str | None:
    p = PurePosixPath(path.split("/", 1)[1])
    if p.suffix != ".py":
        return None
    parts = list(p.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: str, source: bytes) -> set[str]:
    """Absolute names of every module `import`/`from ... import` in a file names, relative ones
    resolved against the file's package."""
    module = module_of(path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_no_shipped_module_imports_a_stripped_one(site):
    shipped = members(site)
    stripped_modules = {module_of(n) for n in all_wheel_names(site / "assets" / "wheels")
                        if pyfiles.stripped(n.split("/", 1)[1]) and module_of(n)}
    assert stripped_modules, "nothing is stripped: the check below proves nothing"
    offenders = {path: sorted(imported_modules(path, data) & stripped_modules)
                 for path, data in shipped.items() if path.endswith(".py")}
    assert {p: m for p, m in offenders.items() if m} == {}

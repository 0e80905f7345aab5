"""Wheels the browser loads with pyodide.loadPackage: the engine and its pure-Python deps.

- The engine wheel is built from a copy of pyproject.toml + engine/ (so the build never
  writes build/ or *.egg-info into the checkout), cached under .cache/wheels/engine-<hash>.
- Dependencies are the project's [project].dependencies, resolved recursively against the
  versions installed in this interpreter (importlib.metadata), downloaded once with
  `pip download --only-binary=:all: --no-deps` into .cache/wheels/deps (later builds are
  offline). Every wheel must be pure Python (*-none-any): Pyodide cannot load anything else.
- wheels.json lists the file names in load order, dependencies first, the engine last.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from .errors import BuildError

ENGINE_SOURCES = ("pyproject.toml", "engine")


def _source_files(root: Path) -> list[Path]:
    files = []
    for name in ENGINE_SOURCES:
        p = root / name
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            files.extend(f for f in sorted(p.rglob("*")) if f.is_file()
                         and "__pycache__" not in f.parts and not any(part.endswith(".egg-info") for part in f.parts))
    return files


def build_engine_wheel(root: Path, cache: Path) -> Path:
    files = _source_files(root)
    if not (root / "pyproject.toml").is_file():
        raise BuildError(f"{root}/pyproject.toml: missing; cannot build the engine wheel")
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    out = cache / f"engine-{digest.hexdigest()[:16]}"
    found = sorted(out.glob("*.whl")) if out.is_dir() else []
    if found:
        return found[0]
    with tempfile.TemporaryDirectory(prefix="engine-src-") as tmp:
        for f in files:
            dest = Path(tmp) / f.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
        staging = Path(tmp) / "dist"
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                               "--disable-pip-version-check", "-q", "-w", str(staging), tmp],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"{root}/pyproject.toml: building the engine wheel failed:\n{proc.stderr.strip()}")
        built = sorted(staging.glob("*.whl"))
        if len(built) != 1:
            raise BuildError(f"engine wheel build produced {len(built)} wheels in {staging}, expected 1")
        out.mkdir(parents=True, exist_ok=True)
        final = out / built[0].name
        partial = out / (built[0].name + ".partial")     # a concurrent build never sees half a wheel
        shutil.copy2(built[0], partial)
        partial.replace(final)
    _require_pure(final)
    return final


def _require_pure(wheel: Path) -> None:
    _name, _ver, _build, tags = parse_wheel_filename(wheel.name)
    if not all(t.abi == "none" and t.platform == "any" for t in tags):
        raise BuildError(f"{wheel.name}: not a pure-Python wheel (*-none-any); Pyodide cannot load it. "
                         "Keep engine dependencies pure Python.")


def project_dependencies(root: Path) -> list[str]:
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data.get("project", {}).get("dependencies", []))


def resolve_installed(requirements: list[str]) -> list[tuple[str, str]]:
    """(name, installed version) for the requirement closure, dependencies first."""
    order: list[tuple[str, str]] = []
    seen: set[str] = set()

    def visit(req_text: str, chain: tuple[str, ...]) -> None:
        req = Requirement(req_text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            return
        key = canonicalize_name(req.name)
        if key in seen:
            return
        seen.add(key)
        try:
            version = md.version(req.name)
        except md.PackageNotFoundError:
            raise BuildError(f"{req.name} (required by {' -> '.join(chain) or 'pyproject.toml'}) is not installed "
                             "in this venv; run `make setup`") from None
        for sub in md.requires(req.name) or []:
            visit(sub, chain + (req.name,))
        order.append((req.name, version))

    for r in requirements:
        visit(r, ())
    return order


def _cached_wheel(cache: Path, name: str, version: str) -> Path | None:
    for whl in sorted(cache.glob("*.whl")):
        wname, wver, _b, _t = parse_wheel_filename(whl.name)
        if wname == canonicalize_name(name) and str(wver) == version:
            return whl
    return None


def dependency_wheels(root: Path, cache: Path) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    pins = resolve_installed(project_dependencies(root))
    missing = [f"{n}=={v}" for n, v in pins if _cached_wheel(cache, n, v) is None]
    if missing:
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps",
                               "--disable-pip-version-check", "-q", "-d", str(cache), *missing],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"pip download of {' '.join(missing)} failed (needs PyPI once; later builds use "
                             f"{cache}):\n{proc.stderr.strip()}")
    wheels = []
    for n, v in pins:
        whl = _cached_wheel(cache, n, v)
        if whl is None:
            raise BuildError(f"{n}=={v}: no wheel in {cache} after pip download (only sdists on PyPI?)")
        _require_pure(whl)
        wheels.append(whl)
    return wheels


def write_wheels(root: Path, assets: Path, cache: Path) -> list[str]:
    """Copy all wheels to assets/wheels/ and write assets/wheels.json; return the names."""
    engine = build_engine_wheel(root, cache)
    deps = dependency_wheels(root, cache / "deps")
    dest = assets / "wheels"
    dest.mkdir(parents=True, exist_ok=True)
    names = []
    for whl in [*deps, engine]:
        shutil.copy2(whl, dest / whl.name)
        names.append(whl.name)
    (assets / "wheels.json").write_text(json.dumps(names, indent=1) + "\n", encoding="utf-8")
    return names

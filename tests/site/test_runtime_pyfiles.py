"""runtime/pyfiles.js reads the tar sitebuild/pyfiles.py writes (ustar, long names split into
prefix + name) and writes each file under the directory its first path segment maps to."""
from __future__ import annotations

import io
import tarfile

from jsnode import run_js

LONG = "site-packages/" + "/".join(["deep"] * 30) + "/module.py"   # > 100 characters: uses the prefix field


def tar_of(files: dict[str, bytes]) -> list[int]:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return list(out.getvalue())


def test_untar_and_write_files_into_mapped_roots():
    files = {"site-packages/pint/__init__.py": b"x = 1\n", "lab_bundle/labs/empty.py": b"", LONG: b"y" * 700}
    got = run_js("pyfiles.js", """
        const written = {}, dirs = [];
        const FS = { mkdirTree: (d) => dirs.push(d), writeFile: (p, d) => { written[p] = new TextDecoder().decode(d); } };
        const files = m.untar(new Uint8Array(data.tar));
        const count = m.writeFiles(FS, files, {"site-packages": "/lib/site", lab_bundle: "/lab"});
        return {count, written, dirs};
    """, {"tar": tar_of(files)})
    assert got["count"] == 3
    assert got["written"] == {"/lib/site/pint/__init__.py": "x = 1\n", "/lab/labs/empty.py": "",
                              "/lib/site/" + LONG.split("/", 1)[1]: "y" * 700}
    assert "/lib/site/pint" in got["dirs"] and "/lab/labs" in got["dirs"]


def test_untar_names_what_is_wrong():
    got = run_js("pyfiles.js", """
        const errors = [];
        for (const bytes of [new Uint8Array(1024).fill(7), new Uint8Array(data.tar).subarray(0, 600)]) {
            try { m.untar(bytes, "the Python files"); } catch (err) { errors.push(err.message); }
        }
        try { m.writeFiles({mkdirTree() {}, writeFile() {}}, [{name: "elsewhere/x.py", data: new Uint8Array()}], {lab_bundle: "/lab"}); }
        catch (err) { errors.push(err.message); }
        return errors;
    """, {"tar": tar_of({"lab_bundle/a.py": b"z" * 1000})})
    assert got[0].startswith("the Python files is not a tar archive")
    assert got[1] == "the Python files is truncated (lab_bundle/a.py needs 1000 bytes)"
    assert got[2] == "unexpected file elsewhere/x.py: expected it under lab_bundle"

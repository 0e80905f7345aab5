"""Run the browser runtime's DOM-free modules (schema.js, numbers.js, mathtext.js, words.js)
under Node, to check them against their Python twins in labkit with the same inputs."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "labs_wasm" / "runtime"


def run_js(module: str, body: str, data=None):
    """Import runtime/<module> as `m`, run `body` (an async function body that gets `data`
    and returns a JSON-able value) and return its result."""
    node = shutil.which("node")
    if not node:
        pytest.fail("node is not on PATH (the build needs it too: install Node 20)")
    script = (f"const m = await import({json.dumps((RUNTIME / module).as_uri())});\n"
              "const chunks = []; for await (const c of process.stdin) chunks.push(c);\n"
              "const data = JSON.parse(Buffer.concat(chunks).toString('utf8'));\n"
              f"const result = await (async (data) => {{ {body} }})(data);\n"
              "process.stdout.write(JSON.stringify(result));\n")
    proc = subprocess.run([node, "--no-warnings", "--input-type=module", "-e", script],
                          input=json.dumps(data), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)

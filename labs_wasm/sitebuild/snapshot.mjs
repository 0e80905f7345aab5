// Make a Pyodide memory snapshot at build time: boot Pyodide in Node, write the site's Python
// files exactly where the browser worker writes them (runtime/pyfiles.js), import every module
// of the engine and the toolkit, render the first lab (vol1/00) once, then save the
// interpreter's memory. The other labs are imported at their first render (<= 20 ms each in
// CPython): importing all 34 here made the snapshot 2 MB larger on the wire (8.1 instead of
// 6.3 MB gzipped). The browser restores it instead of booting and importing.
//
// Two things make the compressed snapshot smaller without changing what it restores:
// - free malloc chunks are zeroed (stale bytes of freed objects compress badly);
// - the first `base.bytes` of the heap are stored XOR the module's memory as instantiated
//   (its data segments: the same bytes in every browser, most of them unchanged at snapshot
//   time), so they compress to almost nothing; the worker XORs them back (runtime/heap.js)
//   after checking that memory's SHA-256 against `base.sha256`.
//
// Usage: node snapshot.mjs PYTHON_FILES_TAR_GZ BUNDLE_DIR OUT_FILE
// Prints {"heapOffset", "base": {"bytes", "sha256"}} as JSON on stdout.
// `_makeSnapshot`/`makeMemorySnapshot` are private Pyodide APIs: the worker treats the
// snapshot as an accelerator and falls back to a normal boot if it fails.
import { loadPyodide } from "pyodide";
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { untar, writeFiles } from "../runtime/pyfiles.js";

const [filesTarGz, bundleDir, outFile] = process.argv.slice(2);

// The memory as instantiated, before any code ran: the XOR base.
let instantiated = null;
for (const name of ["instantiate", "instantiateStreaming"]) {
  const original = WebAssembly[name];
  WebAssembly[name] = async (...args) => {
    const result = await original.apply(WebAssembly, args);
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    const memory = Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);
    instantiated ??= memory && new Uint8Array(memory.buffer).slice();
    return result;
  };
}

const py = await loadPyodide({ _makeSnapshot: true, env: { PYTHONNODEBUGRANGES: "1" }, // no column tables in code objects
                               stdout: () => {}, stderr: (l) => process.stderr.write(l + "\n") });
const sitePackages = py.runPython("import sys; [p for p in sys.path if p.endswith('/site-packages')][0]"); // as the worker finds it
writeFiles(py.FS, untar(gunzipSync(readFileSync(filesTarGz))), { "site-packages": sitePackages, lab_bundle: bundleDir });
py.globals.set("BUNDLE_DIR", bundleDir);
py.runPython(`
import gc, importlib, pkgutil, sys
sys.path.insert(0, BUNDLE_DIR)
import labkit, labkit.catalog, labkit.runtime, mlsysim
for package in (labkit, mlsysim):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not module.name.endswith(".__main__"):
            importlib.import_module(module.name)
# The first lab's render builds the engine's registries (hardware, models, resolvers) and
# warms the toolkit's render path: without it Lab 01's first render took ~1 s more.
labkit.runtime.render_json(labkit.catalog.all_ids()[0], '{"answers": {}, "values": {}}')
del BUNDLE_DIR, package, module
gc.collect()
`);

const M = py._module;
if (M._malloc_set_footprint_limit && M._malloc_footprint) {
  M._malloc_set_footprint_limit(M._malloc_footprint()); // malloc fails instead of growing the heap
  const taken = [];
  for (let size = 1 << 24; size >= 16; size >>= 1) {
    for (let p = M._malloc(size); p; p = M._malloc(size)) { M.HEAPU8.fill(0, p, p + size); taken.push(p); }
  }
  taken.forEach((p) => M._free(p));
  M._malloc_set_footprint_limit(0xffffffff);
}

const snapshot = py.makeMemorySnapshot();
const heapOffset = snapshot.length - M.HEAP8.length;
let baseBytes = instantiated.length;
while (baseBytes > 0 && instantiated[baseBytes - 1] === 0) baseBytes--;
const heap = snapshot.subarray(heapOffset);
for (let i = 0; i < baseBytes; i++) heap[i] ^= instantiated[i];
writeFileSync(outFile, snapshot);
const sha256 = createHash("sha256").update(instantiated.subarray(0, baseBytes)).digest("hex");
process.stdout.write(JSON.stringify({ heapOffset, base: { bytes: baseBytes, sha256 } }) + "\n");

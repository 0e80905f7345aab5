// Make a Pyodide memory snapshot at build time: boot Pyodide in Node, unpack the site's
// wheels and labs bundle exactly where the browser worker unpacks them, import the engine
// and the toolkit and render every lab once (so pint's registry and the hardware/model
// registries are built), then save the interpreter's memory. The browser restores it
// instead of booting and importing (about 1 s instead of 4-5 s).
// Usage: node snapshot.mjs ASSETS_DIR BUNDLE_DIR OUT_FILE
// `_makeSnapshot`/`makeMemorySnapshot` are private Pyodide APIs: the worker treats the
// snapshot as an accelerator and falls back to a normal boot if it fails.
import { loadPyodide } from "pyodide";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [assets, bundleDir, outFile] = process.argv.slice(2);
const bytes = (path) => new Uint8Array(readFileSync(path));

const py = await loadPyodide({ _makeSnapshot: true, stdout: () => {}, stderr: (l) => process.stderr.write(l + "\n") });
const sitePackages = py.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
for (const wheel of JSON.parse(readFileSync(join(assets, "wheels.json"), "utf8"))) {
  py.unpackArchive(bytes(join(assets, "wheels", wheel)), "wheel", { extractDir: sitePackages });
}
py.unpackArchive(bytes(join(assets, "labs_bundle.zip")), "zip", { extractDir: bundleDir });
py.globals.set("BUNDLE_DIR", bundleDir);
py.runPython(`
import sys
sys.path.insert(0, BUNDLE_DIR)
import labkit.catalog, labkit.runtime
for lab in labkit.catalog.all_ids():
    labkit.runtime.render_json(lab, '{"answers": {}, "values": {}}')
del BUNDLE_DIR
`);
writeFileSync(outFile, py.makeMemorySnapshot());

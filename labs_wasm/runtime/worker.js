// Module worker that owns Pyodide. A table of message handlers (PROTOCOL.md section 6);
// every handler that needs Python awaits the one `python` promise, so a render that
// arrives during boot simply waits. All URLs arrive absolute from the page.
import { withHeapAtLeast } from "./heap.js";

let python = null; // Promise<{pyodide, renderJson}>, set by "boot"

const post = (msg) => self.postMessage(msg);
const progress = (text) => post({ type: "progress", text });

async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not download ${what} from ${url} (HTTP ${response.status})`);
  return response.arrayBuffer();
}

// The snapshot manifest (built by sitebuild/snapshot.py), or null when there is none or it
// does not match this Pyodide: then we boot the standard way.
async function snapshotManifest(url, pyodideVersion) {
  if (!url) return null;
  try {
    const response = await fetch(url, { cache: "no-cache" }); // revalidate: it names the hashed file
    if (!response.ok) return null;
    const manifest = await response.json();
    return manifest?.pyodide === pyodideVersion && typeof manifest.file === "string" ? manifest : null;
  } catch {
    return null;
  }
}

// A memory snapshot restores an interpreter that has already imported the engine and the
// labs (~1 s instead of 4-5 s). It is a private Pyodide API, so any failure falls back.
async function restoreSnapshot(loadPyodide, pyodideDir, snapshotUrl, manifest) {
  const snapshot = await fetchBytes(new URL(manifest.file, snapshotUrl).href, "the Python snapshot");
  if (snapshot.byteLength !== manifest.bytes) throw new Error(`snapshot is ${snapshot.byteLength} bytes, expected ${manifest.bytes}`);
  return withHeapAtLeast(snapshot.byteLength,
    () => loadPyodide({ indexURL: pyodideDir, _loadSnapshot: snapshot, ...QUIET }));
}

const QUIET = { stdout: () => {}, stderr: (line) => console.warn(line) };

async function startPython({ pyodide: pyodideDir, pyodideVersion, wheels, bundle, bundleDir, snapshot: snapshotUrl }) {
  progress("Downloading Python (Pyodide)…");
  const { loadPyodide } = await import(`${pyodideDir}pyodide.mjs`);
  // Files are placed the same way on both paths; downloads run while Python starts.
  const files = Promise.all([...wheels.map((url) => fetchBytes(url, "an engine package")),
                             fetchBytes(bundle, "the labs bundle")]);
  const manifest = await snapshotManifest(snapshotUrl, pyodideVersion);
  let pyodide = null;
  let mode = "standard";
  if (manifest) {
    try {
      pyodide = await restoreSnapshot(loadPyodide, pyodideDir, snapshotUrl, manifest);
      mode = "snapshot";
      bundleDir = manifest.bundleDir ?? bundleDir;
    } catch (err) {
      console.warn(`lab worker: fast start from the snapshot failed (${describe(err)}); starting Python normally`);
      progress("Starting Python normally…");
    }
  }
  pyodide ??= await loadPyodide({ indexURL: pyodideDir, ...QUIET });
  progress(`Loading the engine (${wheels.length} packages)…`);
  const buffers = await files;
  const sitePackages = pyodide.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
  wheels.forEach((_, i) => pyodide.unpackArchive(buffers[i], "wheel", { extractDir: sitePackages }));
  pyodide.unpackArchive(buffers.at(-1), "zip", { extractDir: bundleDir });
  const sys = pyodide.pyimport("sys");
  if (!sys.path.has(bundleDir)) sys.path.insert(0, bundleDir); // has(): the list's __contains__
  progress("Starting the lab…");
  const runtime = pyodide.pyimport("labkit.runtime");
  return { pyodide, mode, renderJson: runtime.render_json };
}

function describe(err) {
  // A PythonError's message is the whole traceback; its last line says what went wrong.
  const text = String(err?.message ?? err);
  const lines = text.trim().split("\n");
  return lines.length > 3 ? `${lines.at(-1)} (Python traceback in the console)` : text;
}

const handlers = {
  async boot({ urls }) {
    python = startPython(urls);
    const { mode } = await python;
    post({ type: "ready", boot: mode });
  },
  async render({ id, lab, state }) {
    if (!python) throw new Error("render before boot: the page must send {type: 'boot'} first");
    const { renderJson } = await python;
    const tree = JSON.parse(renderJson(lab, JSON.stringify(state)));
    post({ type: "render", id, tree });
  },
};

self.onmessage = async ({ data }) => {
  const handler = handlers[data?.type];
  try {
    if (!handler) throw new Error(`Unknown message type ${JSON.stringify(data?.type)}; expected one of ${Object.keys(handlers).join(", ")}`);
    await handler(data);
  } catch (err) {
    if (String(err?.message ?? "").includes("Traceback")) console.warn(err.message);
    post({ type: "error", id: data?.id, message: describe(err) });
  }
};

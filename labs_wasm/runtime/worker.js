// Module worker that owns Pyodide. A table of message handlers (PROTOCOL.md section 6);
// every handler that needs Python awaits the one `python` promise, so a render that
// arrives during boot simply waits. All URLs arrive absolute from the page.
import { withWasmWatched } from "./heap.js";
import { fetchBytes, firstUnreachable, sha256Hex } from "./fetching.js";

let python = null; // Promise<{pyodide, renderJson}>, set by "boot"

const post = (msg) => self.postMessage(msg);
const progress = (text, bytes = {}) => post({ type: "progress", text, ...bytes });
const MB = 1e6;

// Pyodide fetches these itself; when it fails with a bare network error we find which.
const PYODIDE_FILES = ["pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];

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

// Stream the snapshot with byte progress ("Downloading Python: 12 of 38 MB") and a stall
// limit, then check its length and SHA-256 against the manifest before Pyodide sees it.
async function downloadSnapshot(url, manifest, stallMs) {
  let shown = -1;
  const snapshot = await fetchBytes(url, "the Python snapshot", {
    stallMs,
    onBytes(loaded, total) {
      const mb = Math.floor(loaded / MB);
      if (mb === shown) return; // one message per MB is plenty
      shown = mb;
      const of = total ?? manifest.bytes;
      progress(`Downloading Python: ${mb} of ${Math.round(of / MB)} MB`, { loaded, total: of });
    },
  });
  if (snapshot.byteLength !== manifest.bytes) throw new Error(`snapshot is ${snapshot.byteLength} bytes, expected ${manifest.bytes}`);
  if (typeof manifest.sha256 === "string") {
    if (!crypto.subtle) {
      console.warn("lab worker: this page is not a secure context (plain http on a remote host): the snapshot's SHA-256 is not checked");
    } else {
      const started = performance.now();
      const digest = await sha256Hex(snapshot);
      console.debug(`lab worker: snapshot SHA-256 checked in ${Math.round(performance.now() - started)} ms`);
      if (digest !== manifest.sha256) throw new Error(`snapshot SHA-256 is ${digest.slice(0, 16)}…, expected ${manifest.sha256.slice(0, 16)}…`);
    }
  }
  return snapshot;
}

// A memory snapshot restores an interpreter that has already imported the engine and the
// labs (~1 s instead of 4-5 s). It is a private Pyodide API, so any failure falls back.
async function restoreSnapshot(loadPyodide, pyodideDir, snapshotUrl, manifest, stallMs) {
  const snapshot = await downloadSnapshot(new URL(manifest.file, snapshotUrl).href, manifest, stallMs);
  progress("Starting Python…");
  return withDownloadProgress(() => withWasmWatched(
    () => loadPyodide({ indexURL: pyodideDir, _loadSnapshot: snapshot, ...QUIET }), { heapBytes: snapshot.byteLength }));
}

const QUIET = { stdout: () => {}, stderr: (line) => console.warn(line) };

// Pyodide downloads its own files (~13 MB: pyodide.asm.wasm, the stdlib). Their bytes count
// as progress for the boot deadline: on a slow line that is the longest silent step. A clone
// of each response is read only to count; Pyodide reads the original.
async function withDownloadProgress(start) {
  const realFetch = self.fetch;
  let loaded = 0;
  let shown = -1;
  self.fetch = async (...args) => {
    const response = await realFetch(...args);
    const reader = response.ok ? response.clone().body?.getReader() : null;
    if (reader) {
      (async () => {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
          loaded += chunk.value.length;
          if (Math.floor(loaded / MB) === shown) continue;
          shown = Math.floor(loaded / MB);
          progress(`Starting Python: ${shown} MB downloaded`, { loaded, total: null });
        }
      })().catch(() => {}); // the original's reader reports a failure
    }
    return response;
  };
  try {
    return await start();
  } finally {
    self.fetch = realFetch;
  }
}

async function importPyodide(pyodideDir) {
  const url = `${pyodideDir}pyodide.mjs`;
  try {
    return await import(url);
  } catch (err) {
    const unreachable = await firstUnreachable([url]);
    throw new Error(unreachable ? `Could not download Python's loader (${unreachable})`
      : `Python's loader (${url}) failed to run: ${err?.message ?? err}`);
  }
}

// Pyodide's own downloads fail with a bare "Failed to fetch" or similar: name the file.
async function standardBoot(loadPyodide, pyodideDir) {
  try {
    return await withDownloadProgress(() => withWasmWatched(() => loadPyodide({ indexURL: pyodideDir, ...QUIET })));
  } catch (err) {
    const unreachable = await firstUnreachable(PYODIDE_FILES.map((f) => pyodideDir + f));
    if (unreachable) throw new Error(`Could not download Python (${unreachable})`);
    throw err;
  }
}

async function startPython({ pyodide: pyodideDir, pyodideVersion, wheels, bundle, bundleDir, snapshot: snapshotUrl }, stallMs) {
  progress("Downloading Python (Pyodide)…");
  const { loadPyodide } = await importPyodide(pyodideDir);
  // Files are placed the same way on both paths; downloads run while Python starts.
  const name = (url) => decodeURIComponent(new URL(url).pathname.split("/").at(-1));
  const files = Promise.all([...wheels.map((url) => fetchBytes(url, `the engine package ${name(url)}`, { stallMs })),
                             fetchBytes(bundle, "the labs bundle", { stallMs })]);
  files.catch(() => {}); // awaited below; a failure must not surface as unhandled meanwhile
  const manifest = await snapshotManifest(snapshotUrl, pyodideVersion);
  let pyodide = null;
  let mode = "standard";
  if (manifest) {
    try {
      pyodide = await restoreSnapshot(loadPyodide, pyodideDir, snapshotUrl, manifest, stallMs);
      mode = "snapshot";
      bundleDir = manifest.bundleDir ?? bundleDir;
    } catch (err) {
      console.warn(`lab worker: fast start from the snapshot failed (${describe(err)}); starting Python normally`);
      progress("Starting Python normally…");
    }
  }
  pyodide ??= await standardBoot(loadPyodide, pyodideDir);
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
  async boot({ urls, stallMs = 0 }) {
    python = startPython(urls, stallMs);
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

// Module worker that owns Pyodide. A table of message handlers (PROTOCOL.md section 6);
// every handler that needs Python awaits the one `python` promise, so a render that
// arrives during boot simply waits. URLs are absolute: the page's, and the same ones derived
// from this worker's own place for the downloads that start before the page's message.
//
// Start-up downloads everything at once, compressed where a plain static server would send
// it raw (sitebuild/vendor.py, snapshot.py, pyfiles.py): the memory snapshot (.gz), Pyodide's
// wasm (.gz, compiled as it streams, while the snapshot is still downloading), Pyodide's
// JavaScript (.gz), the Python files (one .tar.gz) and the standard library.
import { withWasmWatched } from "./heap.js";
import { collect, fetchOk, fetchStream, firstUnreachable, gunzipIfGzip, sha256Hex } from "./fetching.js";
import { untar, writeFiles } from "./pyfiles.js";
import { CONFIG } from "./config.js";
import { assetUrls } from "./urls.js";

let python = null; // Promise<{pyodide, renderJson}>, set by "boot"

const post = (msg) => self.postMessage(msg);
const progress = (text, bytes = {}) => post({ type: "progress", text, ...bytes });
const MB = 1e6;
// When each start-up step ended, in ms since the worker started (printed at ready, for the
// bench and bug reports).
const timeline = {};
const mark = (step) => { timeline[step] = Math.round(performance.now()); };

// Pyodide fetches these itself; when it fails with a bare network error we find which.
const PYODIDE_FILES = ["pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"];
// Pyodide reads only the lock's ABI from it (we load no Pyodide packages): this saves a
// request and 120 kB. tests/site checks the ABI against the vendored pyodide-lock.json.
const LOCK = { info: { abi_version: CONFIG.pyodideAbi }, packages: {} };

// Every download feeds one progress line: the snapshot's own bytes while it downloads (the
// bar), else the total so far. Any byte restarts the page's boot deadline.
const downloads = {
  loaded: 0, shown: -1, snapshot: null,
  add(bytes) {
    this.loaded += bytes;
    if (Math.floor(this.loaded / MB) === this.shown) return;
    this.shown = Math.floor(this.loaded / MB);
    const s = this.snapshot;
    if (s && s.loaded < s.total) progress(`Downloading Python: ${Math.floor(s.loaded / MB)} of ${Math.round(s.total / MB)} MB`, s);
    else progress(`Starting Python: ${this.shown} MB downloaded`, { loaded: this.loaded, total: null });
  },
  counter() {
    let last = 0;
    return (loaded) => { this.add(loaded - last); last = loaded; };
  },
};

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

/** A .gz file, decompressed as it streams (passed through when the server already did it);
 *  `plain` is fetched instead when the .gz cannot be. */
async function fetchGzipOr(gzUrl, plain, what, stallMs) {
  let stream;
  try {
    stream = await fetchStream(gzUrl, what, { stallMs, onBytes: downloads.counter() });
  } catch {
    return fetchStream(plain, what, { stallMs, onBytes: downloads.counter() });
  }
  return (await gunzipIfGzip(stream)).stream;
}

// True when the page saw the book's service worker control it (worker-client.js names this
// worker "lab-python offline"): then every file comes from the offline copy, where the wasm is kept
// decompressed (sitebuild/offline.py), and real URLs let V8 reuse the code it compiled on an
// earlier visit (it caches none for a blob: module or a wasm stream we built ourselves).
const CONTROLLED = self.name === "lab-python offline";

// Compiled while the snapshot downloads; Pyodide's own request for it is answered empty and
// heap.js hands it this module instead.
function compileWasm(pyodideDir, stallMs) {
  const url = `${pyodideDir}pyodide.asm.wasm`;
  const fromGzip = () => WebAssembly.compileStreaming(fetchGzipOr(`${url}.gz`, url, "Python's WebAssembly module", stallMs)
    .then((body) => new Response(body, { headers: { "Content-Type": "application/wasm" } })));
  if (!CONTROLLED) return fromGzip();
  return WebAssembly.compileStreaming(fetchOk(url, "Python's WebAssembly module")).catch((err) => {
    console.warn(`lab worker: compiling the offline copy's ${url} failed (${err?.message ?? err}); using the .gz`);
    return fromGzip();
  });
}

// pyodide.asm.mjs (1.25 MB, 0.26 MB gzipped), imported from a blob URL; undefined (Pyodide
// imports the plain file itself) when that fails, e.g. under a CSP that forbids blob: scripts.
// From the offline copy the plain file is imported: as quick to read, and its code is cached.
async function pyodideModuleFactory(pyodideDir, stallMs) {
  if (CONTROLLED) return import(`${pyodideDir}pyodide.asm.mjs`).then((m) => m.default, () => undefined);
  let url = null;
  try {
    const source = await new Response(await fetchGzipOr(`${pyodideDir}pyodide.asm.mjs.gz`, `${pyodideDir}pyodide.asm.mjs`,
      "Python's loader", stallMs)).text();
    url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    return (await import(url)).default;
  } catch (err) {
    console.warn(`lab worker: importing the compressed pyodide.asm.mjs failed (${err?.message ?? err}); Pyodide loads the plain file`);
    return undefined;
  } finally {
    if (url) URL.revokeObjectURL(url);
  }
}

async function fetchPythonFiles(url, stallMs) {
  const { stream } = await gunzipIfGzip(await fetchStream(url, "the Python files", { stallMs, onBytes: downloads.counter() }));
  const files = untar(await collect(stream), `the Python files (${url})`);
  mark("files downloaded");
  return files;
}

// Stream the gzipped snapshot, decompressing as it arrives, then check its length and the
// SHA-256 of the bytes downloaded (or, when the server decompressed it, of the snapshot)
// against the manifest before Pyodide sees it.
async function downloadSnapshot(url, manifest, stallMs) {
  const status = { loaded: 0, total: manifest.gzipBytes };
  downloads.snapshot = status;
  const count = downloads.counter();
  const wire = await fetchStream(url, "the Python snapshot", {
    stallMs,
    onBytes(loaded) {
      status.loaded = loaded;
      if (loaded > status.total) status.total = manifest.bytes; // the server decompressed it
      count(loaded);
    },
  });
  const [kept, unpacking] = wire.tee();
  let snapshot, downloaded;
  try {
    const { gzip, stream } = await gunzipIfGzip(unpacking);
    [snapshot, downloaded] = await Promise.all([collect(stream, manifest.bytes),
      gzip ? collect(kept, manifest.gzipBytes) : kept.cancel().then(() => null)]);
  } catch (err) {
    if (String(err?.message).startsWith("Could not download")) throw err;
    throw new Error(`the snapshot could not be decompressed (${err?.message ?? err})`);
  } finally {
    downloads.snapshot = null;
  }
  if (snapshot.byteLength !== manifest.bytes) throw new Error(`snapshot is ${snapshot.byteLength} bytes, expected ${manifest.bytes}`);
  const [bytes, expected] = downloaded ? [downloaded, manifest.gzipSha256] : [snapshot, manifest.sha256];
  if (!crypto.subtle) {
    console.warn("lab worker: this page is not a secure context (plain http on a remote host): the snapshot's SHA-256 is not checked");
  } else {
    const digest = await sha256Hex(bytes);
    if (digest !== expected) throw new Error(`snapshot SHA-256 is ${digest.slice(0, 16)}…, expected ${String(expected).slice(0, 16)}…`);
  }
  return snapshot;
}

// The offline copy keeps the snapshot decompressed (sitebuild/offline.py): a warm start reads
// it as it is (and checks its SHA-256) instead of inflating 38 MB.
async function snapshotFrom(url, manifest, stallMs) {
  if (CONTROLLED && url.endsWith(".gz")) {
    try {
      return await downloadSnapshot(url.slice(0, -3), manifest, stallMs);
    } catch (err) {
      console.warn(`lab worker: the offline copy's snapshot failed (${err?.message ?? err}); using the .gz`);
    }
  }
  return downloadSnapshot(url, manifest, stallMs);
}

// The snapshot stores the start of the heap XOR the memory as instantiated (snapshot.mjs):
// check that memory is the one it was made against, then XOR it back.
async function restoreBase(snapshot, wasmMemory, { heapOffset, base }) {
  if (!base) return;
  const memory = wasmMemory && new Uint8Array(wasmMemory.buffer);
  if (!memory || heapOffset + base.bytes > snapshot.length || base.bytes > memory.length) {
    throw new Error(`the snapshot (${snapshot.length} bytes, heap at ${heapOffset}) does not fit this Python's memory (${memory?.length} bytes, base ${base.bytes})`);
  }
  if (crypto.subtle && await sha256Hex(memory.subarray(0, base.bytes)) !== base.sha256) {
    throw new Error("Python's memory as instantiated is not the one the snapshot was made against");
  }
  const start = new Uint8Array(wasmMemory.buffer, 0, base.bytes); // a fresh view after the await
  const target = snapshot.subarray(heapOffset, heapOffset + base.bytes);
  const words = target.byteOffset % 4 === 0 ? base.bytes >> 2 : 0;
  const t32 = new Uint32Array(target.buffer, target.byteOffset, words);
  const s32 = new Uint32Array(start.buffer, start.byteOffset, words);
  for (let i = 0; i < words; i++) t32[i] ^= s32[i];
  for (let i = words * 4; i < base.bytes; i++) target[i] ^= start[i];
}

// A memory snapshot restores an interpreter that has already imported the engine and the
// toolkit (~1 s instead of 4-5 s). It is a private Pyodide API, so any failure falls back.
async function restoreSnapshot(boot, manifest, snapshot) {
  snapshot.then(() => { mark("snapshot downloaded"); progress("Starting Python…"); }, () => {});
  return boot({ _loadSnapshot: snapshot }, { heapBytes: manifest.bytes, onMemory: async (memory) => restoreBase(await snapshot, memory, manifest) });
}

const QUIET = { stdout: () => {}, stderr: (line) => console.warn(line) };

// Pyodide downloads the standard library itself (and, when the compressed loader could not be
// imported, pyodide.asm.mjs): their bytes count as progress. Its request for the wasm is
// answered empty: heap.js instantiates the module compiled from the .gz instead.
async function withPyodideFetches(start) {
  const realFetch = self.fetch;
  self.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith("/pyodide.asm.wasm")) return new Response(null);
    const response = await realFetch(input, init);
    const reader = response.ok ? response.clone().body?.getReader() : null;
    if (reader) {
      const count = downloads.counter();
      (async () => {
        let loaded = 0;
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) count(loaded += chunk.value.length);
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
async function standardBoot(boot, pyodideDir) {
  try {
    return await boot({}, {});
  } catch (err) {
    const unreachable = await firstUnreachable(PYODIDE_FILES.map((f) => pyodideDir + f));
    if (unreachable) throw new Error(`Could not download Python (${unreachable})`);
    throw err;
  }
}

// Every download starts at once, in parallel; each promise is awaited where it is needed.
function beginDownloads({ pyodide: pyodideDir, pyodideVersion, bundle, snapshot: snapshotUrl }, stallMs) {
  const started = (promise) => { promise.catch(() => {}); return promise; }; // awaited later
  const manifest = started(snapshotManifest(snapshotUrl, pyodideVersion));
  return {
    key: JSON.stringify([pyodideDir, pyodideVersion, bundle, snapshotUrl, stallMs]),
    manifest,
    snapshot: started(manifest.then((m) => m && snapshotFrom(new URL(m.file, snapshotUrl).href, m, stallMs))),
    module: started(compileWasm(pyodideDir, stallMs)),
    factory: started(pyodideModuleFactory(pyodideDir, stallMs)),
    files: started(fetchPythonFiles(bundle, stallMs)),
    loader: started(importPyodide(pyodideDir)),
  };
}

// The downloads begin as soon as this worker runs, before the page's boot message (which
// waits for the page's own modules): the worker is <site root>/assets/runtime/worker.js
// (sitebuild/vendor.py), so it knows every URL. A boot message with other URLs starts afresh.
const own = assetUrls(new URL("../../", import.meta.url).href);
let early = beginDownloads({ pyodide: own.pyodideDir, pyodideVersion: CONFIG.pyodideVersion, bundle: own.bundle,
                             snapshot: own.snapshot }, CONFIG.downloadStallMs);

// `bundle` is the Python files' tar.gz (config.js paths.bundle); the page's wheel list is not
// needed: the wheels' contents are in it.
async function startPython(urls, stallMs) {
  const { pyodide: pyodideDir, bundle, snapshot: snapshotUrl } = urls;
  let { bundleDir } = urls;
  const fetches = beginDownloadsOnce(urls, stallMs);
  const { loadPyodide } = await fetches.loader;
  const createPyodideModule = await fetches.factory;
  mark("loader imported");
  const boot = (options, watch) => withPyodideFetches(() => withWasmWatched(
    () => loadPyodide({ indexURL: pyodideDir, lockFileContents: LOCK, createPyodideModule, ...QUIET, ...options }),
    { module: fetches.module, ...watch }));
  let pyodide = null;
  let mode = "standard";
  const found = await fetches.manifest;
  if (found) {
    try {
      pyodide = await restoreSnapshot(boot, found, fetches.snapshot);
      mode = "snapshot";
      bundleDir = found.bundleDir ?? bundleDir;
    } catch (err) {
      console.warn(`lab worker: fast start from the snapshot failed (${describe(err)}); starting Python normally`);
      progress("Starting Python normally…");
    }
  }
  pyodide ??= await standardBoot(boot, pyodideDir);
  mark("python started");
  progress("Loading the engine…");
  // site-packages is on sys.path (sysconfig would cost an import in the standard boot).
  const sitePackages = pyodide.runPython("import sys; [p for p in sys.path if p.endswith('/site-packages')][0]");
  writeFiles(pyodide.FS, await fetches.files, { "site-packages": sitePackages, lab_bundle: bundleDir });
  const sys = pyodide.pyimport("sys");
  if (!sys.path.has(bundleDir)) sys.path.insert(0, bundleDir); // has(): the list's __contains__
  mark("files written");
  progress("Starting the lab…");
  const runtime = pyodide.pyimport("labkit.runtime");
  return { pyodide, mode, renderJson: runtime.render_json };
}

/** The early downloads when the page asks for the same files, else new ones; a boot uses
 *  them once (a failed boot is retried by the page in a new worker). */
function beginDownloadsOnce(urls, stallMs) {
  const wanted = { pyodide: urls.pyodide, pyodideVersion: urls.pyodideVersion, bundle: urls.bundle, snapshot: urls.snapshot };
  const fetches = early && early.key === JSON.stringify([wanted.pyodide, wanted.pyodideVersion, wanted.bundle, wanted.snapshot, stallMs])
    ? early : beginDownloads(wanted, stallMs);
  if (fetches !== early) console.warn("lab worker: the page asked for other files than this worker's site; downloading them");
  early = null;
  return fetches;
}

function describe(err) {
  // A PythonError's message is the whole traceback; its last line says what went wrong.
  const text = String(err?.message ?? err);
  const lines = text.trim().split("\n");
  return lines.length > 3 ? `${lines.at(-1)} (Python traceback in the console)` : text;
}

const handlers = {
  async boot({ urls, stallMs = 0 }) {
    mark("boot message");
    python = startPython(urls, stallMs);
    const { mode } = await python;
    mark("ready");
    console.debug(`lab worker: ${mode} boot, ms since the worker started: ${JSON.stringify(timeline)}`);
    post({ type: "ready", boot: mode });
  },
  async render({ id, lab, state }) {
    if (!python) throw new Error("render before boot: the page must send {type: 'boot'} first");
    const { renderJson } = await python;
    const tree = JSON.parse(renderJson(lab, JSON.stringify(state)));
    if (!timeline["first render"]) { mark("first render"); console.debug(`lab worker: first render of ${lab} at ${timeline["first render"]} ms`); }
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

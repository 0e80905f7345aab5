// Module worker that owns Pyodide. A table of message handlers (PROTOCOL.md section 6);
// every handler that needs Python awaits the one `python` promise, so a render that
// arrives during boot simply waits. All URLs arrive absolute from the page.

let python = null; // Promise<{pyodide, renderJson}>, set by "boot"

const post = (msg) => self.postMessage(msg);
const progress = (text) => post({ type: "progress", text });

async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not download ${what} from ${url} (HTTP ${response.status})`);
  return response.arrayBuffer();
}

async function startPython({ pyodide: pyodideDir, wheels, bundle, bundleDir }) {
  progress("Downloading Python (Pyodide)…");
  const { loadPyodide } = await import(`${pyodideDir}pyodide.mjs`);
  const bundleBytes = fetchBytes(bundle, "the labs bundle"); // in parallel with the boot
  const pyodide = await loadPyodide({ indexURL: pyodideDir, stdout: () => {}, stderr: (line) => console.warn(line) });
  progress(`Loading the engine (${wheels.length} packages)…`);
  const loadErrors = [];
  await pyodide.loadPackage(wheels, { messageCallback: () => {}, errorCallback: (m) => loadErrors.push(m) });
  if (loadErrors.length) throw new Error(`Could not load the engine packages: ${loadErrors.join("; ")}`);
  progress("Unpacking the labs…");
  pyodide.unpackArchive(await bundleBytes, "zip", { extractDir: bundleDir });
  const sys = pyodide.pyimport("sys");
  sys.path.insert(0, bundleDir);
  progress("Starting the lab…");
  const runtime = pyodide.pyimport("labkit.runtime");
  return { pyodide, renderJson: runtime.render_json };
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
    await python;
    post({ type: "ready" });
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

// Pinned constants for the browser runtime: asset paths (relative to the site root),
// versions and time limits. Everything tunable lives here, with its default explained.

export const CONFIG = Object.freeze({
  // View-tree protocol version this runtime understands (PROTOCOL.md section 3).
  protocol: 1,
  // The npm `pyodide` version vendored by the site build (package-lock.json pins it).
  pyodideVersion: "314.0.7",
  // Asset paths, relative to the site root (PROTOCOL.md section 7).
  paths: Object.freeze({
    pyodideDir: "assets/vendor/pyodide/",
    wheelsList: "assets/wheels.json",
    wheelsDir: "assets/wheels/",
    bundle: "assets/labs_bundle.zip",
    // Optional: a Pyodide memory snapshot's manifest (sitebuild/snapshot.py); absent = standard boot.
    snapshot: "assets/pyodide-snapshot.json",
    plotly: "assets/vendor/plotly.min.js",
    // KaTeX typesets the TeX in lab text ($...$, $$...$$); loaded only when a text has math.
    katex: "assets/vendor/katex/katex.min.js",
    katexCss: "assets/vendor/katex/katex.min.css",
  }),
  // Where the labs bundle is unpacked inside Pyodide's file system (put on sys.path).
  bundleDir: "/lab_bundle",
  // A boot that has not reported `ready` by then is declared failed (Retry offered).
  // Cold boot measures 3-4 s here; 30 s leaves room for a slow laptop or network.
  bootTimeoutMs: 30000,
  // One render call in Python; the labs take milliseconds, so 10 s means something broke.
  renderTimeoutMs: 10000,
  // The one localStorage key (PROTOCOL.md section 5) and the prefix for set-aside copies.
  storageKey: "mlsysbook:v1",
  corruptPrefix: "mlsysbook:v1:corrupt:",
});

// Pinned constants for the browser runtime: asset paths (relative to the site root),
// versions and time limits. Everything tunable lives here, with its default explained.

export const CONFIG = Object.freeze({
  // View-tree protocol version this runtime understands (PROTOCOL.md section 3).
  protocol: 1,
  // The npm `pyodide` version vendored by the site build (package-lock.json pins it).
  pyodideVersion: "314.0.7",
  // Its packages' ABI (pyodide-lock.json info.abi_version): the worker passes Pyodide a lock
  // file with no packages instead of downloading the 120 kB one (it loads none of them).
  pyodideAbi: "2026_0",
  // Asset paths, relative to the site root (PROTOCOL.md section 7).
  paths: Object.freeze({
    pyodideDir: "assets/vendor/pyodide/",
    // Every Python file the worker writes into Pyodide (the engine's wheels' contents, the
    // toolkit, the labs): one tar.gz (sitebuild/pyfiles.py).
    bundle: "assets/python-files.tar.gz",
    // Optional: a Pyodide memory snapshot's manifest (sitebuild/snapshot.py); absent = standard boot.
    snapshot: "assets/pyodide-snapshot.json",
    // Plotly's partial bundle (scatter, bar, pie): the only trace types the labs draw.
    plotly: "assets/vendor/plotly-basic.min.js",
    // KaTeX typesets the TeX in lab text ($...$, $$...$$); loaded only when a text has math.
    katex: "assets/vendor/katex/katex.min.js",
    katexCss: "assets/vendor/katex/katex.min.css",
  }),
  // Where the labs bundle is unpacked inside Pyodide's file system (put on sys.path).
  bundleDir: "/lab_bundle",
  // A boot that makes no progress for this long is declared failed (Retry offered). The clock
  // restarts at every progress message (a boot phase, or another MB of the snapshot), so a
  // slow but moving download is never cut off. The longest silent step is Pyodide's own
  // start (3-4 s cold here, its wasm download included); 30 s leaves room for a slow laptop.
  bootTimeoutMs: 30000,
  // A download (snapshot, wheels, labs bundle) that receives no bytes for this long is
  // abandoned: the snapshot then falls back to the standard boot, anything else fails with a
  // message saying which file stalled. Even at 1 Mbit/s a chunk (~64 KB) arrives every half
  // second, and a server answers within a second or two; 10 s of silence means a stall.
  downloadStallMs: 10000,
  // One render call in Python. Most take milliseconds, but a lab's first render imports its
  // module and some compute a whole design space when an act opens (0.3-0.8 s under CPython
  // here for the heaviest, Volume II's Lab 01; several times that in WebKit or on a slow
  // phone). 10 s was hit by WebKit on a loaded 2-core machine; 30 s means something broke.
  renderTimeoutMs: 30000,
  // The one localStorage key (PROTOCOL.md section 5) and the prefix for set-aside copies.
  storageKey: "mlsysbook:v1",
  corruptPrefix: "mlsysbook:v1:corrupt:",
});

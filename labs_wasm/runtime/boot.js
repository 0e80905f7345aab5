// Page entry for chapter pages. Deliberately import-free: it first announces the whole
// runtime module graph as <link rel="modulepreload"> so the browser fetches it in one
// parallel wave instead of one round trip per import level (the first prediction must be
// visible within 0.5 s), adds the lab stylesheet if the page did not link it, then loads
// start.js. MODULES must list every module start.js reaches (a test checks it).
export const MODULES = [
  "start.js", "storage.js", "schema.js", "config.js", "urls.js", "lab.js", "dom.js",
  "render.js", "initial.js", "worker-client.js", "markdown.js", "plot.js",
  "renderers/text.js", "renderers/controls.js", "renderers/data.js", "math.js", "mathtext.js", "numbers.js",
  "../vendor/marked.esm.js", "../vendor/purify.min.js",
];

function preload(href, rel, extra = {}) {
  if (document.querySelector(`link[rel="${rel}"][href="${href}"]`)) return;
  const link = Object.assign(document.createElement("link"), { rel, href, ...extra });
  document.head.append(link);
}

export function ensureStylesheet() {
  const href = new URL("./lab.css", import.meta.url).href;
  const linked = [...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === href);
  if (!linked) preload(href, "stylesheet");
}

if (typeof document !== "undefined") {
  for (const m of MODULES) preload(new URL(m, import.meta.url).href, "modulepreload");
  ensureStylesheet();
  import("./start.js");
}

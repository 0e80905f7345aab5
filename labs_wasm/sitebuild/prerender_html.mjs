// Each lab's first view as HTML, made at build time by the runtime's own renderers
// (render.js, renderers/*.js, markdown.js with marked + DOMPurify, math.js with KaTeX) in a
// DOM in Node (jsdom, the DOM DOMPurify is tested against), so the page shows the first
// prediction at first paint and the runtime adopts exactly what it would have drawn.
//
//   node prerender_html.mjs <prerender dir> <project root>
//
// Reads <dir>/<lab>.json, <lab>.xref.json and catalog/labs.json (sitebuild/prerender.py);
// writes <dir>/<lab>.html: the children of the lab's .lab-root. Links to the book's sections
// start with SITE_ROOT_MARK, which the lab filter (filter/lab.lua) replaces with the page's
// relative path to the site root. Buttons need JavaScript: here they are disabled, and the
// reader is told why (NOTES below); the runtime's adoption replaces them with live ones.
import { readdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "node:module";
import { JSDOM } from "jsdom";

const SITE_ROOT_MARK = "@@lab-site-root@@";

const [dir, root] = process.argv.slice(2);
if (!dir || !root) {
  console.error("usage: node prerender_html.mjs <prerender dir> <project root>");
  process.exit(2);
}
const nodeModules = resolve(root, "node_modules");
const runtime = resolve(root, "labs_wasm", "runtime");

// A browser-like global scope for the runtime modules (they use document, Node, NodeFilter).
// Standards mode (KaTeX refuses quirks mode); jsdom runs no page scripts and loads nothing.
const { window } = new JSDOM("<!DOCTYPE html><html><head></head><body></body></html>", { url: "https://book.invalid/vol1/page.html" });
for (const name of ["window", "document", "Node", "NodeFilter", "DocumentFragment", "Element", "HTMLElement", "Event", "CustomEvent"]) {
  globalThis[name] = name === "window" ? window : window[name];
}
globalThis.DOMPurify = (await import(pathToFileURL(join(nodeModules, "dompurify/dist/purify.es.mjs")).href)).default(window);
globalThis.katex = (await import(pathToFileURL(join(nodeModules, "katex/dist/katex.mjs")).href)).default;

// The runtime imports its vendored copies (../vendor/*.js, as in the built site): here the
// npm files they are copied from (sitebuild/vendor.py); DOMPurify is the global set above.
const vendor = {
  "../vendor/marked.esm.js": pathToFileURL(join(nodeModules, "marked/lib/marked.esm.js")).href,
  "../vendor/purify.min.js": "data:text/javascript,export{}",
};
register(`data:text/javascript,${encodeURIComponent(`
  const vendor = ${JSON.stringify(vendor)};
  export async function resolve(specifier, context, next) {
    return vendor[specifier] ? { url: vendor[specifier], shortCircuit: true } : next(specifier, context);
  }`)}`);

const { renderTree, patchChildren } = await import(pathToFileURL(join(runtime, "render.js")).href);

// What a reader is told under a Lock in button before the runtime runs: with JavaScript off
// (<noscript>), and while the lab's code is still loading after an option is chosen (CSS
// shows it then: lab.css, .lab-prejs-wait).
const NOTES = {
  noscript: "Locking a prediction and the lab's instruments need JavaScript, which is off in this browser: the questions and their options are here to read and think over.",
  wait: "The lab's code is still loading: you can lock your choice in a moment.",
};

function catalogLabs() {
  try {
    return Object.values(JSON.parse(readFileSync(join(dir, "catalog", "labs.json"), "utf8")).labs ?? {});
  } catch {
    return [];
  }
}

function readJson(path, fallback) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    if (fallback !== undefined && err.code === "ENOENT") return fallback;
    throw new Error(`${path}: ${err.message}`);
  }
}

/** The static HTML for one lab: what renderTree draws, with its buttons disabled. */
function renderLab(tree, xref, chapter) {
  const page = Object.fromEntries(Object.entries(xref).map(([id, e]) =>
    [id, { ...e, href: e.href.startsWith("#") ? e.href : SITE_ROOT_MARK + e.href }]));
  const labRoot = document.createElement("div");
  const ctx = {
    labId: tree.lab, xref: page, chapter, urls: {}, patch: null,
    onChange() {}, onReset() {}, onLedger: () => false,
    onError(err) { throw err; },
  };
  ctx.patch = patchChildren;
  renderTree(labRoot, tree, ctx);
  // State the renderers set as properties (a slider's position, a select's choice, a radio
  // synced in place) as attributes: the HTML shows what the live control shows.
  for (const input of labRoot.querySelectorAll("input")) {
    if (input.type === "radio") input.toggleAttribute("checked", input.checked);
    else input.setAttribute("value", input.value);
  }
  for (const option of labRoot.querySelectorAll("option")) option.toggleAttribute("selected", option.selected);
  for (const button of labRoot.querySelectorAll("button")) {
    button.setAttribute("disabled", "");
    if (!button.classList.contains("lab-commit")) continue;
    const wait = document.createElement("p");
    wait.className = "lab-hint lab-prejs-wait";
    wait.textContent = NOTES.wait;
    button.after(wait, document.createElement("lab-noscript"));
  }
  // jsdom serializes a <noscript>'s children as escaped text: written as a string instead.
  return labRoot.innerHTML.replaceAll("<lab-noscript></lab-noscript>",
    `<noscript><p class="lab-hint lab-prejs-noscript">${NOTES.noscript}</p></noscript>`);
}

const chapters = new Map(catalogLabs().map((lab) => [lab.id, lab.chapter]));
let count = 0;
for (const name of readdirSync(dir).sort()) {
  if (!name.endsWith(".json") || name.endsWith(".xref.json")) continue;
  const stem = name.slice(0, -5);
  const tree = readJson(join(dir, name));
  const xref = readJson(join(dir, `${stem}.xref.json`), {});
  const chapter = chapters.get(tree.lab);
  const html = renderLab(tree, xref, chapter?.title ? { number: chapter.number ?? null, title: chapter.title } : null);
  const out = join(dir, `${stem}.html`);
  writeFileSync(`${out}.tmp`, html);
  renameSync(`${out}.tmp`, out);
  count++;
}
window.close();
console.error(`prerender: ${count} lab view(s) as HTML`);

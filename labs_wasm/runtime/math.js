// TeX math in lab Markdown: `$...$` inline, `$$...$$` display. Before Markdown runs, each
// formula is swapped for a placeholder (so `*`, `_`, `^` and `|` inside it are not Markdown);
// after sanitizing, each placeholder becomes a <span class="lab-math"> holding the TeX, and
// KaTeX typesets the spans (HTML plus MathML for screen readers, sanitized again).
// KaTeX (~270 KB) is loaded on first need, never on the page's critical path: a text without
// math never loads it, and the first prediction never waits for it. Delimiter rules: mathtext.js.
import { CONFIG } from "./config.js";
import { OPEN, protectMath } from "./mathtext.js";
import "../vendor/purify.min.js";

export { protectMath };

const PLACEHOLDER = /\uE000(\d+)\uE001/g;

/** Turn placeholders in `root`'s text into <span class="lab-math"> elements holding the TeX. */
export function restoreMath(root, formulas) {
  if (formulas.length === 0) return 0;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const hits = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.data.includes(OPEN)) hits.push(n);
  for (const node of hits) {
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const m of node.data.matchAll(PLACEHOLDER)) {
      const f = formulas[Number(m[1])];
      frag.append(node.data.slice(last, m.index));
      const span = document.createElement("span");
      // Display math also carries the book's "math display": too wide for a phone, it
      // scrolls in its own box, which book.js makes a focusable, named region while it
      // overflows, as it does for the chapter's equations (axe: scrollable-region-focusable).
      span.className = f.display ? "lab-math lab-math-display math display" : "lab-math lab-math-inline";
      span.dataset.tex = f.tex;
      span.textContent = f.tex; // readable while KaTeX loads, or if it cannot
      frag.append(span);
      last = m.index + m[0].length;
    }
    frag.append(node.data.slice(last));
    node.replaceWith(frag);
  }
  return formulas.length;
}

// ---- KaTeX, on first need --------------------------------------------------------------
const siteRoot = new URL("../../", import.meta.url); // this file is <root>/assets/runtime/math.js
let katex = null;
let loading = null;

function ensureStylesheet(href) {
  const links = [...document.querySelectorAll('link[rel="stylesheet"]')];
  if (links.some((l) => l.href === href)) return;
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href }));
}

/** Load KaTeX once (its UMD build assigns globalThis.katex when imported; one already there,
 *  as in the build's pre-render under Node, is used as it is). */
export function loadKatex() {
  katex ??= globalThis.katex?.renderToString ? globalThis.katex : null;
  if (katex) return Promise.resolve(katex);
  loading ??= (async () => {
    ensureStylesheet(new URL(CONFIG.paths.katexCss, siteRoot).href);
    const url = new URL(CONFIG.paths.katex, siteRoot).href;
    await import(url);
    if (!globalThis.katex?.renderToString) throw new Error(`${url} did not define katex`);
    katex = globalThis.katex;
    return katex;
  })().catch((err) => { loading = null; throw err; });
  return loading;
}

// KaTeX writes MathML inside <semantics> with the TeX in an <annotation>; DOMPurify's MathML
// profile drops both, so they are allowed by name (annotation-xml, which can carry HTML,
// stays forbidden). SVG is KaTeX's for stretchy symbols (\sqrt, wide accents).
const SANITIZE = { USE_PROFILES: { html: true, mathMl: true, svg: true }, ADD_TAGS: ["semantics", "annotation"],
  ADD_ATTR: ["encoding"], FORBID_TAGS: ["style", "form", "input", "button"], RETURN_DOM_FRAGMENT: true };
const typesetCache = new Map();
const cacheKey = (span) => `${span.classList.contains("lab-math-display") ? "D" : "I"}${span.dataset.tex}`;

/** Remember what a typeset span (the build's pre-rendered HTML) holds: the runtime redraws
 *  that formula from it, without loading KaTeX. */
export function rememberTypeset(span) {
  if (!span.hasAttribute("data-typeset") || typesetCache.has(cacheKey(span))) return;
  const frag = document.createDocumentFragment();
  for (const child of span.childNodes) frag.append(child.cloneNode(true));
  typesetCache.set(cacheKey(span), frag);
}

function typesetSpan(span) {
  const tex = span.dataset.tex;
  const display = span.classList.contains("lab-math-display");
  const key = cacheKey(span);
  let frag = typesetCache.get(key);
  if (!frag) {
    try {
      const html = katex.renderToString(tex, { displayMode: display, output: "htmlAndMathml", throwOnError: true, trust: false });
      frag = globalThis.DOMPurify.sanitize(html, SANITIZE);
    } catch (err) {
      console.warn(`lab text: cannot typeset $${tex}$: ${err.message}`);
      span.classList.add("lab-math-error");
      return;
    }
    typesetCache.set(key, frag);
  }
  span.replaceChildren(frag.cloneNode(true));
  span.dataset.typeset = "";
}

/** Typeset every pending .lab-math span under `root`: at once when KaTeX is loaded, else
 *  when it arrives. Resolves when done; a load failure leaves the TeX readable. */
export function typeset(root) {
  const pending = () => root.querySelectorAll(".lab-math:not([data-typeset]):not(.lab-math-error)");
  // Formulas already typeset once on this page need no KaTeX: drawn now, from the cache.
  for (const span of pending()) if (typesetCache.has(cacheKey(span))) typesetSpan(span);
  if (pending().length === 0) return Promise.resolve();
  katex ??= globalThis.katex?.renderToString ? globalThis.katex : null;
  if (katex) { pending().forEach(typesetSpan); return Promise.resolve(); }
  return loadKatex().then(() => pending().forEach(typesetSpan))
    .catch((err) => console.warn(`lab text: math stays as TeX (${err.message})`));
}

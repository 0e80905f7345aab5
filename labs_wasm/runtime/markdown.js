// Markdown from Python -> HTML: TeX math is set aside (math.js), marked renders, DOMPurify
// sanitizes, then `@sec-id`, `[@sec-id]` and `[-@sec-id]` in text become links from the
// page's crossref map and the math comes back, typeset by KaTeX (loaded on first need).
// The vendored files are loaded as modules: marked is ESM; DOMPurify's UMD build assigns
// globalThis.DOMPurify when imported for its side effect.
import { marked } from "../vendor/marked.esm.js";
import "../vendor/purify.min.js";
import { protectMath, restoreMath, typeset } from "./math.js";

const DOMPurify = globalThis.DOMPurify;
const SEC_REF = /\[-?@(sec-[A-Za-z0-9_-]+)\]|(?<![\w@])@(sec-[A-Za-z0-9_-]+)/g;
const HAS_REF = new RegExp(SEC_REF.source);
const SANITIZE = { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input", "button"] };

/** Turn @sec references inside text nodes into links (not inside code or existing links). */
function linkCrossrefs(root, xref) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement.closest("code, pre, a") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const hits = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (HAS_REF.test(n.data)) hits.push(n);
  for (const node of hits) {
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const m of node.data.matchAll(SEC_REF)) {
      const id = m[1] ?? m[2];
      frag.append(node.data.slice(last, m.index));
      const target = xref[id];
      if (target) {
        const a = document.createElement("a");
        a.href = target.href;
        a.textContent = target.label;
        a.className = "xref";
        frag.append(a);
      } else {
        // The build fails on unknown ids; if one slips through, show it rather than guess.
        frag.append(m[0]);
        console.warn(`lab text refers to ${id}, which is not in this page's crossref map`);
      }
      last = m.index + m[0].length;
    }
    frag.append(node.data.slice(last));
    node.replaceWith(frag);
  }
}

/** Render Markdown into a fresh element (block by default, inline for labels). */
export function renderMarkdown(text, xref = {}, { inline = false, tag } = {}) {
  const { text: source, formulas } = protectMath(text);
  const html = inline ? marked.parseInline(source, { async: false }) : marked.parse(source, { async: false });
  const el = document.createElement(tag ?? (inline ? "span" : "div"));
  el.append(DOMPurify.sanitize(html, { ...SANITIZE, RETURN_DOM_FRAGMENT: true }));
  linkCrossrefs(el, xref);
  if (restoreMath(el, formulas)) typeset(el);
  return el;
}

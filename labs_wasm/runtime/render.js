// View tree -> DOM. One renderer per node kind (renderers/*.js) in a kind->renderer table;
// each node's props are checked on arrival against PROPS, so a malformed tree fails with the
// node's key, kind and the bad prop instead of a half-drawn lab. Children are patched by
// `key`: an element whose node did not change is left alone, one that changed is updated in
// place, so focus, text selection and scroll survive re-renders.
import { CONFIG } from "./config.js";
import { TEXT_RENDERERS } from "./renderers/text.js";
import { CONTROL_RENDERERS } from "./renderers/controls.js";
import { DATA_RENDERERS } from "./renderers/data.js";
import { rememberTypeset } from "./math.js";

export const RENDERERS = Object.freeze({ ...TEXT_RENDERERS, ...CONTROL_RENDERERS, ...DATA_RENDERERS });

// Prop types: "str", "num", "bool", "arr", "obj", "text" (str or num), "scalar" (str, num,
// bool or null), "any"; a trailing "?" marks an optional prop. Mirrors PROTOCOL.md section 3.
const PROPS = {
  header: { volume: "text", number: "text", chapter: "str", title: "str", hook: "str?", badges: "arr?", minutes: "text?" },
  section: { title: "str", subtitle: "str?", children: "arr" },
  markdown: { text: "str" },
  callout: { tone: "str", title: "str?", text: "str" },
  stakeholder: { persona: "str", text: "str" },
  choice: { label: "str", options: "arr", value: "scalar", locks: "bool", locked: "bool", name: "str", version: "str?" },
  number_input: { label: "str", min: "num", max: "num", step: "num", unit: "str?", value: "scalar", locks: "bool", locked: "bool", name: "str", version: "str?" },
  slider: { label: "str", min: "num", max: "num", step: "num", value: "num", unit: "str?", scale: "num?", display: "text", name: "str" },
  select: { label: "str", options: "arr", value: "scalar", name: "str" },
  toggle: { label: "str", options: "arr", value: "scalar", name: "str" },
  tabs: { name: "str", value: "scalar", tabs: "arr" },
  accordion: { title: "str", children: "arr" },
  metrics: { items: "arr" },
  table: { caption: "str", columns: "arr", rows: "arr" },
  figure: { figure: "obj", caption: "str", table: "obj?" },
  banner: { title: "str", text: "str", required: "text", available: "text", constraints: "arr?" },
  overlay: { mode: "str", predicted: "text", actual: "text", verdict: "str?", ratio: "num?", ratio_text: "str?", text: "str", tone: "str" },
  gate: { text: "str" },
  ledger: { entry: "obj", summary: "arr" },
  reset: { label: "str" },
};

const TYPE_CHECKS = {
  str: (v) => typeof v === "string",
  num: (v) => typeof v === "number" && Number.isFinite(v),
  bool: (v) => typeof v === "boolean",
  arr: (v) => Array.isArray(v),
  obj: (v) => v !== null && typeof v === "object" && !Array.isArray(v),
  text: (v) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v)),
  scalar: (v) => v === null || ["string", "number", "boolean"].includes(typeof v),
  any: () => true,
};

export class ViewTreeError extends Error {}

/** Throw a ViewTreeError naming the node and the fix if `node` breaks PROTOCOL.md. */
export function checkNode(node) {
  const where = `view node ${JSON.stringify(node?.key)} (kind ${JSON.stringify(node?.kind)})`;
  if (!node || typeof node !== "object") throw new ViewTreeError(`A view node must be an object, got ${JSON.stringify(node)}`);
  if (typeof node.key !== "string" || !node.key) throw new ViewTreeError(`${where} has no string "key": every node needs a stable, unique key`);
  const spec = PROPS[node.kind];
  if (!spec || !RENDERERS[node.kind]) throw new ViewTreeError(`${where}: unknown kind; known kinds are ${Object.keys(PROPS).join(", ")}`);
  for (const [prop, type] of Object.entries(spec)) {
    const optional = type.endsWith("?");
    const base = optional ? type.slice(0, -1) : type;
    if (!(prop in node) || node[prop] === undefined) {
      if (optional) continue;
      throw new ViewTreeError(`${where} is missing prop "${prop}" (${base})`);
    }
    if (!TYPE_CHECKS[base](node[prop])) throw new ViewTreeError(`${where}: prop "${prop}" must be ${base}, got ${JSON.stringify(node[prop])?.slice(0, 80)}`);
  }
  // Two options; four only for a capstone's deployment-context toggle (all four contexts).
  if (node.kind === "toggle" && ![2, 4].includes(node.options.length)) throw new ViewTreeError(`${where}: a toggle needs 2 options (4 for a capstone's contexts), got ${node.options.length}`);
}

/** Check the tree envelope (protocol, lab) and every node, with duplicate-key detection. */
export function checkTree(tree, labId) {
  if (!tree || typeof tree !== "object" || !Array.isArray(tree.nodes)) throw new ViewTreeError(`The view tree for ${labId} must be an object with a "nodes" list`);
  if (tree.protocol !== CONFIG.protocol) throw new ViewTreeError(`The view tree for ${labId} speaks protocol ${tree.protocol}; this runtime speaks ${CONFIG.protocol}: rebuild the site`);
  if (tree.lab !== labId) throw new ViewTreeError(`The view tree is for lab ${JSON.stringify(tree.lab)} but this section is ${JSON.stringify(labId)}`);
  const seen = new Set();
  const walk = (nodes) => {
    for (const node of nodes) {
      checkNode(node);
      if (seen.has(node.key)) throw new ViewTreeError(`Two view nodes share the key ${JSON.stringify(node.key)}: keys must be unique within a tree`);
      seen.add(node.key);
      if (Array.isArray(node.children)) walk(node.children);
      if (node.kind === "tabs") for (const tab of node.tabs) walk(tab.children ?? []);
    }
  };
  walk(tree.nodes);
}

/** Make `container`'s keyed children match `nodes`, reusing elements by key. */
export function patchChildren(container, nodes, ctx) {
  const existing = new Map();
  for (const el of container.children) if (el.dataset.key) existing.set(el.dataset.key, el);
  nodes.forEach((node, index) => {
    const renderer = RENDERERS[node.kind];
    const signature = JSON.stringify(node);
    let el = existing.get(node.key);
    existing.delete(node.key);
    if (el && el._labSignature === undefined) {
      // The build's HTML of this node (no listeners): the live element takes its place, with
      // what the student already chose or typed in it, and the focus.
      el = adoptElement(el, () => renderer.create(node, ctx));
    } else if (el && el.dataset.kind === node.kind) {
      if (el._labSignature !== signature) {
        const next = renderer.update ? renderer.update(el, node, ctx) ?? el : renderer.create(node, ctx);
        if (next !== el) el.replaceWith(next);
        el = next;
      }
    } else {
      el?.remove();
      el = renderer.create(node, ctx);
    }
    el.dataset.key = node.key;
    el.dataset.kind = node.kind;
    el._labSignature = signature;
    const at = container.children[index];
    if (at !== el) container.insertBefore(el, at ?? null);
  });
  for (const stale of existing.values()) stale.remove();
}

/** Render a whole tree into the lab root. The first render adopts the build's HTML
 *  (root[data-prerendered]); a choice made in it before the runtime came is then applied. */
export function renderTree(root, tree, ctx) {
  checkTree(tree, ctx.labId);
  patchChildren(root, tree.nodes, ctx);
  root.removeAttribute("data-prerendered"); // adopted: every element is the runtime's now
  replayChanges();
}

// ---- Adopting the build's HTML ------------------------------------------------------------
// The page carries each lab's first view as HTML (sitebuild/prerender_html.mjs: these same
// renderers, run at build time), so a student can read and answer the first prediction before
// any script runs. The first render replaces each pre-rendered element with its live twin
// (the same HTML, with listeners) in one task, so nothing is painted in between, and carries
// over what the student changed in it (a checked option, a typed number, an open <details>)
// and the focus. A change the live controls act on is replayed once the whole view is live.

const replays = [];

function adoptElement(old, make) {
  for (const span of old.querySelectorAll(".lab-math[data-typeset]")) rememberTypeset(span); // no KaTeX load
  const fresh = make();
  const focused = old.contains(document.activeElement) ? document.activeElement : null;
  for (const control of old.querySelectorAll("input, select")) carryOver(control, fresh);
  const details = fresh.querySelectorAll("details");
  old.querySelectorAll("details").forEach((d, i) => { if (details[i]) details[i].open = d.open; });
  old.replaceWith(fresh);
  if (focused?.id) byId(fresh, focused.id)?.focus({ preventScroll: true });
  return fresh;
}

const byId = (el, id) => (el.id === id ? el : el.querySelector(`#${CSS.escape(id)}`));

/** What the student changed in a pre-rendered control (against the HTML's own default), set
 *  on its live twin. A control the saved state has locked meanwhile keeps the saved answer. */
function carryOver(control, fresh) {
  const twin = control.id ? byId(fresh, control.id) : null;
  if (!twin || twin.disabled || twin.tagName !== control.tagName) return;
  if (control.type === "radio") {
    if (!control.checked || control.defaultChecked) return;
    twin.checked = true;
    replays.push(() => twin.dispatchEvent(new Event("change", { bubbles: true })));
  } else if (control.tagName === "SELECT") {
    const initial = [...control.options].find((o) => o.defaultSelected) ?? control.options[0];
    if (!initial || control.value === initial.value) return;
    twin.value = control.value;
    replays.push(() => twin.dispatchEvent(new Event("change", { bubbles: true })));
  } else if (control.value !== control.defaultValue) {
    twin.value = control.value;
    const type = control.type === "range" ? "input" : "change";
    replays.push(() => twin.dispatchEvent(new Event(type, { bubbles: true })));
  }
}

function replayChanges() {
  for (const replay of replays.splice(0)) replay();
}

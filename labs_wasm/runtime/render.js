// View tree -> DOM. One renderer per node kind (renderers/*.js) in a kind->renderer table;
// each node's props are checked on arrival against PROPS, so a malformed tree fails with the
// node's key, kind and the bad prop instead of a half-drawn lab. Children are patched by
// `key`: an element whose node did not change is left alone, one that changed is updated in
// place, so focus, text selection and scroll survive re-renders.
import { CONFIG } from "./config.js";
import { TEXT_RENDERERS } from "./renderers/text.js";
import { CONTROL_RENDERERS } from "./renderers/controls.js";
import { DATA_RENDERERS } from "./renderers/data.js";

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
    if (el && el.dataset.kind === node.kind) {
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

/** Render a whole tree into the lab root. */
export function renderTree(root, tree, ctx) {
  checkTree(tree, ctx.labId);
  patchChildren(root, tree.nodes, ctx);
}

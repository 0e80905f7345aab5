// Before Python is up, the page shows the build-time tree (rendered with no answers). This
// overlays the student's saved state onto that tree so a reload, or an answer given early,
// shows at once: a saved prediction appears locked, saved control values appear set.
// It never computes anything; the real tree arrives from Python moments later.

import { toDisplay } from "./numbers.js";

const VALUE_KINDS = new Set(["choice", "number_input", "slider", "select", "toggle", "tabs"]);

function overlayNode(node, state) {
  let out = node;
  if (VALUE_KINDS.has(node.kind) && typeof node.name === "string") {
    if (node.locks && Object.hasOwn(state.answers, node.name)) {
      // An answer to an earlier version of the question is not this question's (Python says so).
      const asked = state.asked?.[node.name];
      const saved = state.answers[node.name];
      if (!(node.version && asked && asked !== node.version) && accepts(node, saved)) out = { ...node, value: saved, locked: true };
    } else if (!node.locks && Object.hasOwn(state.values, node.name)) {
      const value = state.values[node.name];
      out = { ...node, value };
      // Python's formatted text arrives with the live tree; until then, the box's own number.
      if (node.kind === "slider") out.display = `${toDisplay(node, value)}${node.unit ? (node.unit === "%" ? "" : " ") + node.unit : ""}`;
    }
  }
  if (Array.isArray(out.children)) out = { ...out, children: out.children.map((c) => overlayNode(c, state)) };
  if (out.kind === "tabs") out = { ...out, tabs: out.tabs.map((t) => ({ ...t, children: (t.children ?? []).map((c) => overlayNode(c, state)) })) };
  return out;
}

// Whether a saved answer is one this prediction takes (labkit's rule: an option's value, or a
// finite number within the bounds). One it does not take is shown as unusable, and the
// student's new answer replaces it (Store.lockAnswer keeps the old one under `earlier`).
export function accepts(node, saved) {
  if (node.kind === "number_input") return typeof saved === "number" && Number.isFinite(saved) && saved >= node.min && saved <= node.max;
  return (node.options ?? []).some((o) => o.value === saved);
}

export function withSavedState(tree, state) {
  return { ...tree, nodes: tree.nodes.map((n) => overlayNode(n, state)) };
}

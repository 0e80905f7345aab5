// Renderers for prose and structure: header, section, markdown, callout, stakeholder,
// gate, accordion. Each has create(node, ctx) and, where an in-place update keeps state
// worth keeping (open <details>, children's focus), update(el, node, ctx).
import { h, domId } from "../dom.js";
import { renderMarkdown } from "../markdown.js";

const TONES = new Set(["info", "success", "warn", "danger"]);

// A Markdown table (a MathPeek's numbers) wider than the column scrolls inside its own box
// instead of pushing the page sideways on a phone: it sits in a "table-scroll" box, which
// book.js makes a focusable, named region while it overflows (as the chapter's tables).
function md(text, ctx, opts) {
  const el = renderMarkdown(text, ctx.xref, opts);
  for (const table of el.querySelectorAll("table")) {
    const box = h("div", { class: "table-scroll" });
    table.replaceWith(box);
    box.append(table);
  }
  return el;
}

const ROMAN = ["", "I", "II", "III"];

// The kicker names the lab the way the book does ("Volume I · Lab 09 · Chapter 9: Data
// Selection"): the chapter's number and title come from the page (ctx.chapter, written by
// the build), never the lab's internal chapter slug.
const header = {
  create(node, ctx) {
    const chapter = ctx.chapter?.title
      ? `${ctx.chapter.number ? `Chapter ${ctx.chapter.number}: ` : ""}${ctx.chapter.title}` : null;
    const volume = ROMAN[Number(node.volume)] ?? String(node.volume);
    const facts = [`Volume ${volume}`, `Lab ${node.number}`, chapter, node.minutes ? `about ${node.minutes} min` : null].filter(Boolean);
    return h("header", { class: "lab-header" },
      h("p", { class: "lab-kicker" }, facts.join(" · ")),
      h("h2", { class: "lab-title" }, node.title),
      node.badges?.length ? h("ul", { class: "lab-badges", "aria-label": "Topics" }, node.badges.map((b) => h("li", {}, b))) : null,
      node.hook ? md(node.hook, ctx, { tag: "div" }) : null);
  },
};

const section = {
  create(node, ctx) {
    const headingId = domId(ctx.labId, node.key, "h");
    const el = h("section", { class: "lab-act", "aria-labelledby": headingId },
      h("h2", { id: headingId }, node.title),
      h("p", { class: "lab-subtitle", hidden: !node.subtitle }, node.subtitle ?? ""),
      h("div", { class: "lab-children" }));
    return section.update(el, node, ctx);
  },
  update(el, node, ctx) {
    el.querySelector("h2").textContent = node.title;
    const sub = el.querySelector(".lab-subtitle");
    sub.textContent = node.subtitle ?? "";
    sub.hidden = !node.subtitle;
    ctx.patch(el.querySelector(".lab-children"), node.children, ctx);
    return el;
  },
};

const markdown = {
  create: (node, ctx) => {
    const el = md(node.text, ctx);
    el.className = "lab-md";
    return el;
  },
};

const callout = {
  create(node, ctx) {
    const tone = TONES.has(node.tone) ? node.tone : "info";
    return h("div", { class: `lab-callout tone-${tone}`, role: "note" },
      node.title ? h("p", { class: "lab-callout-title" }, node.title) : null,
      md(node.text, ctx));
  },
};

const stakeholder = {
  create: (node, ctx) => h("figure", { class: "lab-stakeholder" },
    h("figcaption", {}, `Incoming message from ${node.persona}`),
    h("blockquote", {}, md(node.text, ctx))),
};

// No icon glyph: an emoji padlock renders as a missing-glyph box where no emoji font is
// installed (common on Linux); the dashed frame and the text say "locked" on their own.
const gate = {
  create: (node, ctx) => h("div", { class: "lab-gate" }, md(node.text, ctx)),
};

// A closed accordion (a MathPeek) is brought up to date when it opens, not on every change:
// a dragged slider does not re-typeset formulas nobody can see. The click on its summary runs
// before the browser opens it, so it opens already current; "toggle" covers the other ways it
// opens (find-in-page).
const accordion = {
  create(node, ctx) {
    const el = h("details", { class: "lab-accordion" }, h("summary", {}, node.title), h("div", { class: "lab-children" }));
    const catchUp = () => {
      if (!el._labStale) return;
      el._labStale = false;
      ctx.patch(el.querySelector(".lab-children"), el._labNode.children, ctx);
    };
    el.querySelector("summary").addEventListener("click", () => { if (!el.open) catchUp(); });
    el.addEventListener("toggle", () => { if (el.open) catchUp(); });
    el._labNode = node;
    ctx.patch(el.querySelector(".lab-children"), node.children, ctx); // drawn once, open or not
    return el;
  },
  update(el, node, ctx) {
    el.querySelector("summary").textContent = node.title; // the open/closed state is kept
    el._labNode = node;
    if (el.open) ctx.patch(el.querySelector(".lab-children"), node.children, ctx);
    else el._labStale = true;
    return el;
  },
};

export const TEXT_RENDERERS = { header, section, markdown, callout, stakeholder, gate, accordion };

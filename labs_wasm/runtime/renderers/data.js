// Renderers for numbers and outcomes: metrics, table, figure, banner, overlay, ledger.
// Values arrive already formatted by Python; nothing here computes physics.
import { h } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { drawFigure, PlotlyUnavailable } from "../plot.js";

const TONES = new Set(["info", "success", "warn", "danger"]);
const tone = (t) => (TONES.has(t) ? t : "info");
const md = (text, ctx, opts) => renderMarkdown(text, ctx.xref, opts);

// Tables sit in a "table-scroll" box: wider than a phone, they scroll inside it instead of
// pushing the page sideways, and the book (book.js) makes the box a focusable, named region
// while it overflows.
const scrolling = (table) => h("div", { class: "table-scroll" }, table);

function buildTable({ caption, columns, rows }) {
  return scrolling(h("table", { class: "lab-table" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, cell) : h("td", {}, cell))))))));
}

const metrics = {
  create: (node) => h("ul", { class: "lab-metrics" }, node.items.map((item) =>
    h("li", { class: `lab-metric tone-${tone(item.tone)}` },
      h("span", { class: "lab-metric-label" }, item.label),
      h("span", { class: "lab-metric-value" }, String(item.value), item.unit ? h("span", { class: "lab-unit" }, ` ${item.unit}`) : null),
      item.note ? h("span", { class: "lab-metric-note" }, item.note) : null))),
};

const table = { create: (node) => buildTable(node) };

const figure = {
  create(node, ctx) {
    const plot = h("div", { class: "lab-plot", "aria-hidden": "true" });
    const el = h("figure", { class: "lab-figure" }, plot, h("figcaption", {}), h("div", { class: "lab-figure-table" }));
    return figure.update(el, node, ctx);
  },
  update(el, node, ctx) {
    // The chart is decoration for sighted readers; the caption and table carry the content.
    // Only what changed is redrawn: a drag usually moves the chart and its table, not the caption.
    const previous = el._labNode;
    el._labNode = node;
    if (previous?.caption !== node.caption) el.querySelector("figcaption").replaceChildren(md(node.caption, ctx));
    if (!previous || JSON.stringify(previous.table) !== JSON.stringify(node.table)) {
      const holder = el.querySelector(".lab-figure-table");
      const open = holder.querySelector("details")?.open ?? false; // a table the student opened stays open
      holder.replaceChildren(node.table ? h("details", { open }, h("summary", {}, "Data table"), buildTable(node.table)) : "");
    }
    if (!previous || missingCharts.has(el) || JSON.stringify(previous.figure) !== JSON.stringify(node.figure)) {
      drawChart(el, node.figure, ctx);
    }
    return el;
  },
};

// Draw into the figure's plot; when Plotly cannot load, a note takes the chart's place and
// the lab goes on. The next figure drawn tries to load Plotly again; once it loads, every
// chart still showing the note is drawn too.
const missingCharts = new Map(); // figure element -> its lab's ctx

function drawChart(el, fig, ctx) {
  const plot = el.querySelector(".lab-plot");
  plot.hidden = false; // Plotly sizes the chart from its box: never draw into a hidden one
  drawFigure(plot, fig, ctx.urls.plotly).then(() => {
    el.querySelector(".lab-figure-note")?.remove();
    missingCharts.delete(el);
    for (const [other, otherCtx] of [...missingCharts]) {
      missingCharts.delete(other);
      if (other.isConnected) drawChart(other, other._labNode.figure, otherCtx);
    }
  }, (err) => {
    if (!(err instanceof PlotlyUnavailable)) { ctx.onError(err); return; }
    console.warn(`lab chart: ${err.message}`);
    missingCharts.set(el, ctx);
    plot.hidden = true;
    const note = el.querySelector(".lab-figure-note") ?? h("p", { class: "lab-figure-note", role: "note" });
    note.textContent = `This chart could not load (${err.message}). The numbers and tables of this lab are unaffected.`;
    plot.after(note);
  });
}

// Every violated constraint when there are several (a table), else the headline pair.
const constraintRows = (node) => scrolling(h("table", { class: "lab-table lab-banner-constraints" },
  h("thead", {}, h("tr", {}, ["Constraint", "Required", "Available"].map((c) => h("th", { scope: "col" }, c)))),
  h("tbody", {}, node.constraints.map((c) => h("tr", {}, h("th", { scope: "row" }, String(c.name)),
    h("td", {}, String(c.required)), h("td", {}, String(c.available)))))));

const banner = {
  create: (node, ctx) => h("div", { class: "lab-banner", role: "alert" },
    h("p", { class: "lab-banner-title" }, node.title),
    md(node.text, ctx),
    node.constraints?.length
      ? constraintRows(node)
      : h("dl", {}, h("dt", {}, "Required"), h("dd", {}, String(node.required)),
        h("dt", {}, "Available"), h("dd", {}, String(node.available)))),
};

// A choice prediction is right or wrong (with the measured values); a numeric one has a gap.
const overlay = {
  create: (node, ctx) => h("div", { class: `lab-overlay tone-${tone(node.tone)}` },
    h("dl", {},
      h("div", {}, h("dt", {}, "You predicted"), h("dd", {}, String(node.predicted))),
      h("div", {}, h("dt", {}, "The engine says"), h("dd", {}, String(node.actual))),
      node.mode === "choice"
        ? h("div", {}, h("dt", {}, "Your prediction was"), h("dd", {}, String(node.verdict)))
        : h("div", {}, h("dt", {}, "Gap"), h("dd", {}, node.ratio_text))),
    md(node.text, ctx)),
};

const ledger = {
  create(node, ctx) {
    const el = h("aside", { class: "lab-ledger", "aria-label": "Design Ledger" });
    return ledger.update(el, node, ctx);
  },
  update(el, node, ctx) {
    const saved = ctx.onLedger(node);
    el.replaceChildren(
      h("p", { class: "lab-ledger-title" }, saved ? "Saved to your Design Ledger" : "Design Ledger (not saved: see the notice above)"),
      h("dl", {}, node.summary.map((item) => h("div", {}, h("dt", {}, item.label), h("dd", {}, String(item.value))))));
    return el;
  },
};

export const DATA_RENDERERS = { metrics, table, figure, banner, overlay, ledger };

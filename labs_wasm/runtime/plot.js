// Plotly.js is 4.6 MB: load it only when the first figure node appears, once per page.
// Plotly.react diffs against the previous figure, so updates stay cheap. Charts are an
// extra: when Plotly cannot load, the figure says so in its place and the lab carries on;
// the next draw tries to load it again.
import { firstUnreachable } from "./fetching.js";

let loading = null;

export function loadPlotly(url) {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => (globalThis.Plotly ? resolve(globalThis.Plotly)
      : reject(new PlotlyUnavailable(`the chart library at ${url} loaded but defined no Plotly`)));
    script.onerror = async () => {
      script.remove(); // a later attempt adds a fresh script element
      reject(new PlotlyUnavailable(await firstUnreachable([url]) ?? `the chart library at ${url} failed to load`));
    };
    document.head.append(script);
  }).catch((err) => { loading = null; throw err; });
  return loading;
}

/** Plotly could not be loaded: the lab goes on without charts. */
export class PlotlyUnavailable extends Error {}

// No toolbar: its ~10 buttons per chart sat in the Tab order inside an aria-hidden element
// and covered chart titles on a phone; the data is in each chart's table.
const PLOT_CONFIG = { displayModeBar: false, responsive: true };

/**
 * Draw (or redraw) `figure` into `div`. Draws are serialized per div, so a slow draw
 * never lands on top of a newer one. Dispatches "lab:plotted" on the div after each draw.
 * Rejects with PlotlyUnavailable when the library cannot load.
 */
export function drawFigure(div, figure, plotlyUrl) {
  const previous = (div._labDraw ?? Promise.resolve()).catch(() => {});
  div.dataset.drawing = "";   // until the last queued draw ends (tests wait on it)
  const draw = previous.then(async () => {
    const Plotly = await loadPlotly(plotlyUrl);
    if (div._labFigure !== figure) return; // superseded while waiting
    const width = div.clientWidth || 600;
    const fitted = fitFigure(figure, width, textWidth);
    // The corrections the last draw of this chart needed after it was drawn (log ticks taken
    // from Plotly's range, the legend's room, a taller plot for its y title) go into this draw:
    // while a student drags, each update is one Plotly pass, not a draw and a relayout.
    const carried = sameFit(div._labCorrections, width, fitted.layout) ? div._labCorrections.update : {};
    const layout = withUpdate({ autosize: true, ...fitted.layout }, carried);
    await Plotly.react(div, fitted.data, layout, PLOT_CONFIG);
    const update = await afterDraw(Plotly, div, fitted);
    div._labCorrections = { width, height: fitted.layout.height, update: { ...carried, ...update } };
    div._labWidth = width;
    div.dataset.plotted = String(Number(div.dataset.plotted ?? 0) + 1);
    div.dispatchEvent(new CustomEvent("lab:plotted", { bubbles: true }));
  });
  div._labDraw = draw;
  draw.finally(() => { if (div._labDraw === draw) delete div.dataset.drawing; }).catch(() => {});
  div._labFigure = figure;
  watchWidth(div, plotlyUrl);
  return div._labDraw;
}

// ---- Fitting a figure to the width it is drawn at ------------------------------------------
// The labs describe a chart once; on a 390 px phone its long titles and category labels, a
// legend beside the plot or log ticks at every digit would not fit. These rules change only
// presentation (line breaks, tick positions, legend place, heights), never a value.

const MIN_TEXT_PX = 11;           // the smallest text a chart may draw (tests/e2e/legibility.py)
const NARROW_PX = 600;            // below this width a legend goes under the plot
const LINE_PX = 1.3;              // line height, in ems, of wrapped labels and titles
const FONT = "system-ui, sans-serif";

let measureCtx = null;
/** Width in px of `text` in `size` px of the charts' font (canvas metrics, no layout). */
function textWidth(text, size) {
  measureCtx ??= document.createElement("canvas").getContext("2d");
  measureCtx.font = `${size}px ${FONT}`;
  return measureCtx.measureText(text).width;
}

/** Break `text` at spaces into lines no wider than `maxPx` (a word longer stays whole). */
export function wrapText(text, maxPx, size, measure) {
  const out = [];
  for (const para of String(text).split(/<br\s*\/?>/i)) {
    let line = "";
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const next = line ? `${line} ${word}` : word;
      if (line && measure(next.replace(/<[^>]+>/g, ""), size) > maxPx) { out.push(line); line = word; } else line = next;
    }
    out.push(line);
  }
  return out;
}

/** The layout's axes of one letter, including those only a trace names (created empty). */
function axesOf(layout, data, letter) {
  const names = new Set(Object.keys(layout).filter((k) => new RegExp(`^${letter}axis\\d*$`).test(k)));
  for (const t of data) names.add(`${letter}axis${(t[`${letter}axis`] ?? letter).slice(1)}`);
  for (const name of names) layout[name] ??= {};
  return [...names];
}
const axisId = (name) => name[0] + name.slice(5);            // "xaxis2" -> "x2"
const onAxis = (trace, letter, id) => (trace[`${letter}axis`] ?? letter) === id;
const titleText = (t) => (typeof t === "string" ? t : t?.text);

/** A copy of `figure` fitted to `width` px; `measure(text, px)` gives text widths. */
export function fitFigure(figure, width, measure) {
  const layout = structuredClone(figure.layout ?? {});
  const data = figure.data ?? [];
  const font = layout.font?.size ?? 12;
  const narrow = width < NARROW_PX;
  // Margins sized for a desktop (a 250 px gutter for long labels) leave no plot on a phone:
  // keep them small there and let automargin grow them to what the labels really need.
  if (narrow && layout.margin) {
    layout.margin = { ...layout.margin, l: Math.min(layout.margin.l ?? 64, 64), r: Math.min(layout.margin.r ?? 16, 40) };
  }
  const margin = layout.margin ?? {};
  // The plot's width, less the y axis's labels and (wrapped) title automargin will add.
  const plotWidth = Math.max(120, width - Math.max(margin.l ?? 80, narrow ? 96 : 0) - (margin.r ?? 80));
  let extraHeight = 0;
  const logAxes = [];   // log axes whose ticks are ours to set (the lab set none)

  const title = titleText(layout.title);
  if (title) {
    const size = layout.title.font?.size ?? font * 1.2;
    const lines = wrapText(title, width - 24, size, measure);
    // Just above the plot; automargin makes room for every line (anchored to the container's
    // top, Plotly lifts a title of several lines out of the chart).
    layout.title = { ...(typeof layout.title === "object" ? layout.title : {}), text: lines.join("<br>"),
      automargin: true, yref: "paper", y: 1, yanchor: "bottom", pad: { b: Math.round(font) } };
    extraHeight += (lines.length - 1) * size * LINE_PX;
  }
  for (const letter of ["x", "y"]) for (const name of axesOf(layout, data, letter)) {
    const ax = layout[name];
    ax.automargin ??= true;   // room for wrapped or upright labels
    const id = axisId(name);
    const traces = data.filter((t) => onAxis(t, letter, id));
    const axTitle = titleText(ax.title);
    if (axTitle) {
      // An x title fits the plot's width; a y title (written upwards) its height.
      // (The plot's height is what the margins leave, less a title's extra lines.)
      const room = letter === "x" ? plotWidth * 0.85 : ((layout.height ?? 360) - 150 - extraHeight) * 0.85;
      const size = ax.title?.font?.size ?? Math.round(font * 1.2);   // Plotly's axis title size
      const lines = wrapText(axTitle, room, size, measure);
      ax.title = { ...(typeof ax.title === "object" ? ax.title : {}), text: lines.join("<br>") };
      if (letter === "x") extraHeight += (lines.length - 1) * size * LINE_PX;
    }
    // Tick labels a little off the x axis, so its first label and the y axis's first label do
    // not meet at the corner when both start at zero.
    if (letter === "x") ax.ticklabelstandoff ??= 4;
    if (letter === "x" && typeof ax.dtick === "number" && ax.type !== "log") thinLinearTicks(ax, traces, plotWidth, font, measure);
    if (ax.type === "log" && fitLogTicks(ax, traces, letter, letter === "x" ? plotWidth : (layout.height ?? 360) - 120, font)) {
      logAxes.push({ name, letter });
    }
    const cats = new Set(traces.flatMap((t) => (t[letter] ?? []).filter((v) => typeof v === "string"))).size;
    const slotHeight = ((layout.height ?? 360) - 130) / Math.max(1, cats);
    extraHeight += fitCategories(ax, traces, letter, letter === "x" ? plotWidth : width * 0.38, font, measure, slotHeight);
  }
  // Annotations: on a phone a long note runs into the axes; two lines at most half as wide.
  if (narrow && Array.isArray(layout.annotations)) {
    layout.annotations = layout.annotations.map((a) => {
      const size = a.font?.size ?? font;
      if (!a.text || measure(a.text.replace(/<[^>]+>/g, ""), size) <= plotWidth * 0.55) return a;
      return { ...a, text: wrapText(a.text, plotWidth * 0.55, size, measure).join("<br>") };
    });
  }
  // A value label outside a horizontal bar runs past the chart's edge on the longest bar:
  // "auto" keeps it inside the bars it fits (level, in a contrasting colour), outside the rest.
  const fittedData = data.map((t) => (t.type === "bar" && t.orientation === "h" && t.text && (t.textposition ?? "outside") === "outside"
    ? { ...t, textposition: "auto", textangle: 0 } : t));
  if (layout.showlegend && narrow) layout.legend = { ...(layout.legend ?? {}), orientation: "h", x: 0, xanchor: "left", y: -0.3 };
  if (extraHeight) layout.height = Math.round((layout.height ?? 360) + extraHeight);
  return { data: fittedData, layout, logAxes };
}

/** Category labels that do not fit side by side are wrapped and kept level (a 45° label runs
 * into its neighbours and the legend on a phone); labels whose words are too wide even so
 * stand upright (-90°), one line each. Returns the height the extra lines need. */
function fitCategories(ax, traces, letter, lengthPx, font, measure, slotHeight) {
  if (ax.tickvals || ax.type && ax.type !== "category") return 0;
  const cats = [];
  for (const t of traces) for (const v of t[letter] ?? []) if (typeof v === "string" && !cats.includes(v)) cats.push(v);
  if (!cats.length) return 0;
  const size = ax.tickfont?.size ?? font;
  const slot = letter === "x" ? lengthPx / cats.length - 6 : lengthPx;
  const plain = (c) => c.replace(/<[^>]+>/g, "");
  if (cats.every((c) => plain(c).split(/<br>/).every((l) => measure(l, size) <= slot))) return 0;
  const wrapped = cats.map((c) => wrapText(c, slot, size, measure));
  const fits = wrapped.every((lines) => lines.every((l) => measure(plain(l), size) <= slot));
  ax.tickmode = "array";
  ax.tickvals = cats;
  if (letter === "y" || fits) {
    ax.ticktext = wrapped.map((lines) => lines.join("<br>"));
    const lines = Math.max(...wrapped.map((l) => l.length));
    if (letter === "x") { ax.tickangle = 0; return (lines - 1) * size * LINE_PX; }
    // Beside horizontal bars: each label needs its lines' height; the chart grows to give it.
    const need = lines * size * LINE_PX + 4;
    return Math.max(0, (need - slotHeight) * cats.length);
  }
  // Upright: as many lines as the slot holds, each at most a third of the chart's height.
  const across = Math.max(1, Math.floor(slot / (size * LINE_PX)));
  const along = across > 1 ? 110 : Infinity;
  const upright = cats.map((c) => { const l = wrapText(c, along, size, measure); return l.length <= across ? l : [l.join(" ")]; });
  ax.ticktext = upright.map((lines) => lines.join("<br>"));
  ax.tickangle = -90;
  const longest = Math.max(...upright.flat().map((l) => measure(plain(l), size)));
  return Math.max(0, longest - size * LINE_PX);
}

/** A lab's fixed tick step (dtick 1 over 15 weeks) that would crowd the axis: a multiple. */
function thinLinearTicks(ax, traces, lengthPx, font, measure) {
  const xs = traces.flatMap((t) => t.x ?? []).filter((v) => typeof v === "number" && Number.isFinite(v));
  if (!xs.length) return;
  const lo = Array.isArray(ax.range) ? ax.range[0] : Math.min(...xs), hi = Array.isArray(ax.range) ? ax.range[1] : Math.max(...xs);
  const count = Math.abs(hi - lo) / ax.dtick + 1;
  const label = Math.max(measure(String(lo), font), measure(String(hi), font)) + font;
  if (count * label > lengthPx) ax.dtick *= Math.ceil((count * label) / lengthPx);
}

const SUPERSCRIPT = { "-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074", 5: "\u2075", 6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079" };
/** 10^k as a reader writes it: 0.01, 0.1, 1, 10, 100, then 10³ (one text, no small tspan). */
export function decadeLabel(k) {
  if (k >= -2 && k <= 2) return k < 0 ? (10 ** k).toFixed(-k) : String(10 ** k);
  return `10${String(k).split("").map((c) => SUPERSCRIPT[c]).join("")}`;
}
function stepLabel(v) {
  const k = Math.floor(Math.log10(v) + 1e-9), m = Math.round(v / 10 ** k);
  if (k >= -2 && k <= 3) return String(+v.toPrecision(1)).replace(/^(\d)(\d{3})$/, "$1,$2");
  return `${m}\u00d7${decadeLabel(k)}`;
}

/** Log axis ticks: decades only (every n-th when they crowd) once the data spans two decades;
 * 1-2-5 steps below that (every digit for a sliver of a decade), each label a whole number.
 * Plotly's default labels bare digits ("7 8 9 10 2 3"). Before the draw the extent comes from
 * the data; after it, from Plotly's range (bars, shapes and padding included). */
function fitLogTicks(ax, traces, letter, lengthPx, font) {
  if (ax.tickvals || ax.dtick !== undefined) return false;
  let lo = Infinity, hi = -Infinity;
  if (Array.isArray(ax.range)) { lo = Math.min(...ax.range); hi = Math.max(...ax.range); } else {
    for (const t of traces) for (const v of [...(t[letter] ?? []), ...((t.type === "bar" && t.base !== undefined) ? [].concat(t.base) : [])]) {
      if (typeof v === "number" && v > 0 && Number.isFinite(v)) { const l = Math.log10(v); lo = Math.min(lo, l); hi = Math.max(hi, l); }
    }
  }
  const ticks = hi >= lo ? logTicks(lo, hi, lengthPx, font, letter) : null;
  if (ticks) Object.assign(ax, { tickmode: "array", tickvals: ticks.map(([v]) => v), ticktext: ticks.map(([, t]) => t) });
  return true;   // ours to refit after the draw
}

function logTicks(lo, hi, lengthPx, font, letter) {
  const vals = [];
  if (hi - lo >= 2) {
    const room = Math.max(2, Math.floor(lengthPx / (letter === "x" ? font * 3.2 : font * 1.9)));
    const first = Math.floor(lo), last = Math.ceil(hi);
    const step = Math.max(1, Math.ceil((last - first + 1) / room));
    for (let k = Math.ceil(first / step) * step; k <= last; k += step) vals.push([10 ** k, decadeLabel(k)]);
    return vals;
  }
  for (const steps of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    vals.length = 0;
    for (let k = Math.floor(lo) - 1; k <= Math.ceil(hi); k++) for (const m of steps) {
      const v = m * 10 ** k, l = Math.log10(v);
      if (l >= lo - 0.02 && l <= hi + 0.02) vals.push([v, stepLabel(v)]);
    }
    if (vals.length >= 2) return vals;
  }
  return null;   // a range too narrow for two ticks: Plotly's own choice
}

/** After the draw: log ticks from the axis's real range, where they differ from the guess. */
function logTickUpdate(div, logAxes, font) {
  const update = {};
  for (const { name, letter } of logAxes) {
    const ax = div._fullLayout?.[name];
    if (!ax?.range) continue;
    const ticks = logTicks(Math.min(...ax.range), Math.max(...ax.range), ax._length ?? 200, font, letter);
    if (!ticks) continue;
    const vals = ticks.map(([v]) => v);
    if (JSON.stringify(vals) === JSON.stringify(ax.tickvals ?? null)) continue;
    Object.assign(update, { [`${name}.tickmode`]: "array", [`${name}.tickvals`]: vals, [`${name}.ticktext`]: ticks.map(([, t]) => t) });
  }
  return update;
}

/** A horizontal legend below the plot goes under the axis labels and title, not over them:
 * measured after the draw, the chart grows by the legend's height and the legend sits at the
 * bottom. (Plotly places a legend at a fraction of the plot's height, blind to the labels.)
 * Returns the relayout it applied ({} when the draw needed none). */
async function afterDraw(Plotly, div, fitted) {
  const update = { ...logTickUpdate(div, fitted.logAxes, fitted.layout.font?.size ?? 12), ...legendBelow(div) };
  const grow = yTitleOverflow(div);
  if (grow) update.height = (update.height ?? div._fullLayout.height) + grow;
  if (Object.keys(update).length) await Plotly.relayout(div, update);
  return update;
}

/** The last draw's corrections apply to a figure fitted to the same width and height. */
const sameFit = (last, width, layout) => last && last.width === width && last.height === layout.height;

/** `layout` with a relayout-style update ({"legend.y": 0, "xaxis.tickvals": [...]}) applied. */
export function withUpdate(layout, update) {
  const out = structuredClone(layout);
  for (const [path, value] of Object.entries(update)) {
    const keys = path.split(".");
    let at = out;
    for (const key of keys.slice(0, -1)) at = at[key] = (at[key] && typeof at[key] === "object") ? at[key] : {};
    at[keys.at(-1)] = value;
  }
  return out;
}

/** How much taller the plot must be for its (wrapped, upright) y-axis titles to fit beside
 * it: a title longer than the plot is centred on it and runs up into the chart's title. */
function yTitleOverflow(div) {
  const h = div._fullLayout?._size?.h;
  if (!h) return 0;
  let grow = 0;
  for (const el of div.querySelectorAll(".g-ytitle text, .g-y2title text")) {
    const tall = el.getBoundingClientRect().height;
    if (tall > h - 4) grow = Math.max(grow, Math.ceil(tall - h + 16));
  }
  return grow;
}

function legendBelow(div) {
  const full = div._fullLayout;
  const legend = div.querySelector(".legend");
  if (!full?.showlegend || !legend || full.legend.orientation !== "h" || full.legend.y >= 0 && full.legend.yref !== "container") return {};
  const top = div.getBoundingClientRect().top;
  const plotBottom = full._size.t + full._size.h;
  let labelsBottom = plotBottom;
  for (const el of div.querySelectorAll(".main-svg text")) {
    if (el.closest(".legend, .hoverlayer") || !el.textContent.trim()) continue;
    const r = el.getBoundingClientRect();
    if (r.height && r.top - top >= plotBottom - 2) labelsBottom = Math.max(labelsBottom, r.bottom - top);
  }
  const legendHeight = legend.getBoundingClientRect().height;
  const gap = 10;
  const marginB = Math.ceil(labelsBottom - plotBottom + gap + legendHeight + 4);
  if (Math.abs(marginB - full.margin.b) < 2 && full.legend.yref === "container") return {};
  return {
    height: Math.ceil(full._size.t + full._size.h + marginB), "margin.b": marginB,
    "legend.yref": "container", "legend.y": 0, "legend.yanchor": "bottom", "legend.x": 0, "legend.xanchor": "left",
  };
}

// A chart fitted to one width is fitted again when its width changes enough (a phone turned
// to landscape, a window resized).
const watched = new WeakSet();
let resizeObserver = null;
function watchWidth(div, plotlyUrl) {
  if (watched.has(div) || typeof ResizeObserver === "undefined") return;
  watched.add(div);
  resizeObserver ??= new ResizeObserver((entries) => {
    for (const { target } of entries) {
      if (target._labWidth && target._labFigure && Math.abs(target.clientWidth - target._labWidth) > 40) {
        drawFigure(target, target._labFigure, target._labPlotlyUrl).catch(() => {});
      }
    }
  });
  div._labPlotlyUrl = plotlyUrl;
  resizeObserver.observe(div);
}

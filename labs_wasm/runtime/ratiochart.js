// The dashboard's one chart: each lab's Act I estimate against reality as log10(predicted /
// actual), one bar per lab, so 10x too high and 10x too low sit the same distance either side
// of "exact". Inline SVG (no Plotly): it costs nothing to load and prints as it is. The same
// numbers are in the table that follows it (dashboard.js).
import { CLOSE_FACTOR, estimateText, isClose } from "./calibration.js";

const SVG = "http://www.w3.org/2000/svg";

/** dom.js's h() for SVG elements (h() makes HTML elements, which an <svg> does not draw). */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const WIDTH = 500;
const LABEL = 52; // the lab's short name, left of the plot
const RIGHT = 24;
const TOP = 8;
const ROW = 24;
const AXIS = 44; // two lines of tick words under the plot

/** Tick words: 0 is "exact"; -1 is "10x" over "too low"; 2 is "100x" over "too high". */
function tickWords(k) {
  if (k === 0) return ["exact", ""];
  return [`${(10 ** Math.abs(k)).toLocaleString("en")}x`, k < 0 ? "too low" : "too high"];
}

/**
 * An <svg role="img"> of `records` ({shortName, name, logRatio}), named by `titleId`'s
 * element plus its own <desc>.
 */
export function ratioChart(records, { id = "ledger-ratio-chart", title } = {}) {
  const span = Math.max(1, Math.ceil(Math.max(...records.map((r) => Math.abs(r.logRatio))) - 1e-9));
  const plotWidth = WIDTH - LABEL - RIGHT;
  const x = (lr) => LABEL + ((Math.max(-span, Math.min(span, lr)) + span) / (2 * span)) * plotWidth;
  const height = TOP + records.length * ROW + AXIS;
  const bottom = TOP + records.length * ROW;
  const band = Math.log10(CLOSE_FACTOR);
  const ticks = [];
  for (let k = -span; k <= span; k++) ticks.push(k);

  const rows = records.map((r, i) => {
    const y = TOP + i * ROW;
    const left = Math.min(x(0), x(r.logRatio));
    const width = Math.max(1.5, Math.abs(x(r.logRatio) - x(0)));
    const words = estimateText(r.logRatio);
    // The miss in words goes on the other side of "exact" from its bar: it never covers it.
    const textX = r.logRatio > 0 ? x(0) - 5 : x(0) + 5;
    return s("g", { class: "ratio-row", "data-ledger-key": r.key, "data-log-ratio": r.logRatio.toFixed(6) },
      s("text", { x: LABEL - 8, y: y + ROW / 2, class: "ratio-label", "text-anchor": "end", "dominant-baseline": "middle" }, r.shortName),
      s("rect", { x: left, y: y + 4, width, height: ROW - 8, class: isClose(r.logRatio) ? "ratio-bar is-close" : "ratio-bar is-far" }),
      s("text", { x: textX, y: y + ROW / 2, class: "ratio-words", "text-anchor": r.logRatio > 0 ? "end" : "start", "dominant-baseline": "middle" }, words));
  });

  return s("svg", { viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, class: "ratio-chart", role: "img",
    "aria-labelledby": `${id}-title ${id}-desc`, id },
    s("title", { id: `${id}-title` }, title),
    s("desc", { id: `${id}-desc` }, `One bar per lab: left of "exact" your estimate was too low, right of it too high; each grid line is ten times more. The shaded band is within ${CLOSE_FACTOR}x. The table below gives the same numbers.`),
    s("rect", { x: x(-band), y: TOP, width: x(band) - x(-band), height: bottom - TOP, class: "ratio-band" }),
    ticks.map((k) => s("line", { x1: x(k), x2: x(k), y1: TOP, y2: bottom, class: k === 0 ? "ratio-zero" : "ratio-grid" })),
    rows,
    ticks.map((k) => {
      const [factor, side] = tickWords(k);
      const anchor = k === -span ? "start" : k === span ? "end" : "middle";
      return s("text", { x: x(k), y: bottom + 16, class: "ratio-tick", "text-anchor": anchor },
        s("tspan", { x: x(k) }, factor), side ? s("tspan", { x: x(k), dy: 15 }, side) : null);
    }));
}

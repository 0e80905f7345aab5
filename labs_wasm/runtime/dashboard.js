// The Ledger page's dashboard: progress per volume, every done lab's Act I estimate against
// reality (ratiochart.js, with the same numbers as a table), and a calibration summary with
// one sentence per line saying what it means. Numbers from calibration.js; entries that fail
// the schema are left out and counted, never a reason to fail.
import { h } from "./dom.js";
import { validLedger } from "./schema.js";
import { CLOSE_FACTOR, LEAN_MIN_ESTIMATES, calibration, estimateText, formatNumber, ratioText } from "./calibration.js";
import { ratioChart } from "./ratiochart.js";
import { labName } from "./ledger-rows.js";
import { ROMAN, plural } from "./words.js";

const percent = (x) => `${Math.round(x * 100)}%`;
const signed = (x) => `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(2)}`;

/** Short name for the chart's rows: "I·07" is Volume I, Lab 07 (as in the capstone lab). */
const shortName = (key) => `${ROMAN[key[3]]}·${key.slice(-2)}`;

/** The dashboard for the stored ledger map `ledger`, named with `catalog` (may be null). */
export function dashboard(ledger, catalog) {
  const all = Object.keys(ledger ?? {});
  const valid = Object.entries(validLedger(ledger));
  const skipped = all.length - valid.length;
  const section = h("section", { class: "ledger-dashboard", "aria-labelledby": "ledger-dashboard-title" },
    h("h3", { id: "ledger-dashboard-title" }, "Your dashboard"));
  if (valid.length === 0) {
    section.append(emptyState(catalog, skipped));
    return section;
  }
  const cal = calibration(valid);
  section.append(...[
    progress(valid, catalog),
    skipped ? h("p", { class: "dashboard-skipped", dataset: { skipped } },
      `${plural(skipped, "saved entry", "saved entries")} could not be read by this edition of the book and ${skipped === 1 ? "is" : "are"} left out of these numbers; ${skipped === 1 ? "it is" : "they are"} listed in the table below.`) : null,
    estimates(cal, catalog),
    summary(cal, catalog)].filter(Boolean));
  return section;
}

function emptyState(catalog, skipped) {
  const first = catalog?.labs?.["vol1.ch00"]?.href;
  return h("div", { class: "dashboard-empty" },
    h("p", {}, "Nothing here yet, and that is how every ledger starts. Each lab you finish adds one entry, and this dashboard fills in: how far through each volume you are, and how close your estimates come to reality."),
    first ? h("p", {}, "A good first step: ", h("a", { href: first }, "the orientation tour"), ", which takes a few minutes.") : null,
    skipped ? h("p", { class: "dashboard-skipped", dataset: { skipped } }, `${plural(skipped, "saved entry", "saved entries")} could not be read by this edition of the book; see the table below.`) : null);
}

/** Labs with a valid entry over the labs of each volume in the catalog. */
function progress(valid, catalog) {
  const labs = Object.values(catalog?.labs ?? {});
  const keys = new Set(valid.map(([key]) => key));
  const volumes = [1, 2].map((volume) => {
    const mine = labs.filter((lab) => lab.volume === volume);
    return { volume, total: mine.length, done: mine.filter((lab) => keys.has(lab.ledger_key)).length };
  }).filter((v) => v.total > 0);
  if (!volumes.length) { // no catalog: count what is there
    return h("p", { class: "dashboard-progress" }, `${plural(valid.length, "lab")} done.`);
  }
  return h("div", { class: "dashboard-progress" }, h("h4", {}, "Progress"), h("ul", {}, volumes.map(({ volume, total, done }) => {
    const id = `ledger-progress-vol${volume}`;
    return h("li", { dataset: { volume, done, total } },
      h("span", { id }, `Volume ${ROMAN[volume]}: ${done} of ${total} labs done`),
      h("progress", { max: total, value: done, "aria-labelledby": id }));
  })));
}

/** The chart and, below it, its numbers as a table. */
function estimates(cal, catalog) {
  const wrap = h("div", { class: "dashboard-estimates" }, h("h4", {}, "Your estimates against reality"));
  if (!cal.numeric.length) {
    wrap.append(h("p", {}, "None of your finished labs has a numeric Act I estimate yet, so there is nothing to plot. The chart appears with your first one."));
    return wrap;
  }
  const records = cal.numeric.map((r) => ({ ...r, shortName: shortName(r.key), title: catalog?.labs?.[r.key]?.title ?? labName(r.key, catalog).name }));
  const title = `Your Act I estimates against reality: ${plural(records.length, "lab")}`;
  wrap.append(
    h("p", {}, `Each bar is one lab: your Act I estimate divided by the value the lab computed, on a scale where ten times too high and ten times too low are the same distance from exact. Row names: I·07 is Volume I, Lab 07.`),
    h("figure", { class: "dashboard-chart" }, h("div", { class: "dashboard-chart-scroll", tabindex: "0", role: "region", "aria-label": "The chart (scrolls sideways on a narrow screen)" }, ratioChart(records, { title })),
      h("figcaption", {}, `${title}. Shaded: within ${CLOSE_FACTOR}x.`)),
    h("div", { class: "dashboard-table-scroll", tabindex: "0", role: "region", "aria-label": "The chart's numbers (scrolls sideways on a narrow screen)" }, h("table", { class: "dashboard-table" },
      h("caption", {}, "The chart's numbers, by lab"),
      h("thead", {}, h("tr", {}, ["Lab", "Your estimate", "Actual", "log₁₀(estimate ÷ actual)", "Reads as"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, records.map((r) => h("tr", { dataset: { lab: r.key } },
        h("th", { scope: "row" }, `${r.shortName} ${r.title}`), h("td", {}, formatNumber(r.predicted)), h("td", {}, formatNumber(r.actual)),
        h("td", { dataset: { logRatio: r.logRatio } }, signed(r.logRatio)), h("td", {}, estimateText(r.logRatio))))))));
  return wrap;
}

/** One line per statistic: the number, then a sentence on what it says. */
function summary(cal, catalog) {
  const n = cal.numeric.length;
  const lines = [];
  const line = (name, stat, value, sentence) => lines.push(h("dt", {}, name), h("dd", { dataset: { stat, value: value ?? "" } }, h("strong", {}, value === null ? "not yet" : display(stat, value, cal)), " ", sentence));
  if (n) {
    line("Typical miss", "typical", 10 ** cal.medianAbs,
      `Your estimates are typically within ${ratioText(10 ** cal.medianAbs)} of reality: half of your ${plural(n, "numeric estimate")} missed by less than that and half by more (the median of |log₁₀(estimate ÷ actual)|, ${cal.medianAbs.toFixed(2)}).`);
    line(`Within ${CLOSE_FACTOR}x`, "within", cal.shareWithin,
      `${cal.within} of your ${plural(n, "estimate")} landed within a factor of ${CLOSE_FACTOR} of the value the lab computed, either way.`);
    line("Lean", "lean", cal.meanSigned, leanSentence(cal));
  } else {
    lines.push(h("dt", {}, "Typical miss"), h("dd", { dataset: { stat: "typical", value: "" } }, "Not yet: none of your finished labs has a numeric estimate."));
  }
  const done = cal.done.length;
  for (const [act, stat, value, what] of [["Act I", "act1", cal.act1Share, "the first prediction, made before the lab shows anything"],
    ["Act II", "act2", cal.act2Share, "the design prediction, made before you try the instruments"]]) {
    const right = Math.round(value * done);
    line(`${act} choices right`, stat, value, `You chose the right option in ${right} of ${plural(done, "lab")} at ${act} (${what}).`);
  }
  if (n) lines.push(h("dt", {}, "Biggest misses"), h("dd", { dataset: { stat: "biggest" } }, biggestSentence(cal, catalog)));
  return h("div", { class: "dashboard-summary" }, h("h4", {}, "Calibration"), h("dl", {}, lines));
}

function display(stat, value, cal) {
  if (stat === "typical") return `within ${ratioText(value)}`;
  if (stat === "within") return `${cal.within} of ${cal.numeric.length} (${percent(value)})`;
  if (stat === "lean") return cal.lean.direction ? `${cal.lean.direction}-estimates` : cal.lean.enough ? "no clear lean" : "too few to tell";
  return `${Math.round(value * cal.done.length)} of ${cal.done.length} (${percent(value)})`;
}

function leanSentence(cal) {
  const over = cal.numeric.filter((r) => r.logRatio > 0).length;
  const under = cal.numeric.filter((r) => r.logRatio < 0).length;
  const n = cal.numeric.length;
  const mean = `mean log₁₀ ratio ${signed(cal.meanSigned)}`;
  if (!cal.lean.enough) {
    return `Too few estimates to tell whether you lean high or low: that takes at least ${LEAN_MIN_ESTIMATES}, and you have ${n} (${over} too high, ${under} too low).`;
  }
  if (!cal.lean.direction) return `No clear lean: ${over} of your ${n} estimates were too high and ${under} too low (${mean}).`;
  const side = cal.lean.direction === "over" ? "too high" : "too low";
  return `You tend to ${cal.lean.direction}-estimate: ${cal.lean.sameSide} of your ${n} estimates were ${side}, about ${estimateText(cal.meanSigned)} on average (${mean}).`;
}

function biggestSentence(cal, catalog) {
  const parts = [];
  if (cal.biggest.length) {
    parts.push(`Your largest misses: ${cal.biggest.map((r) => `Volume ${ROMAN[r.volume]}, ${labName(r.key, catalog).name} (${estimateText(r.logRatio)})`).join("; ")}.`);
  } else {
    parts.push(`Every estimate landed within ${CLOSE_FACTOR}x: no large misses.`);
  }
  if (cal.byVolume.length > 1) {
    parts.push(` By volume, your typical miss is ${cal.byVolume.map((g) => `${ratioText(10 ** g.medianAbs)} in Volume ${ROMAN[g.volume]} (${plural(g.count, "estimate")})`).join(" and ")}.`);
  }
  return parts.join("");
}

// Page entry for the class view (book/class.qmd): an instructor drops in students' exported
// ledger files and sees, per lab, how many did it, how their Act I and Act II choices split,
// how far their Act I estimates were from reality, and how many reached the failure state;
// all of it downloads as CSV. No server, and nothing is stored: the files stay in this tab
// (this module does not import storage.js). Each file is checked exactly as the Ledger page's
// import checks it (ledgerfile.js); a bad file is named with its reason and left out.
import { h } from "./dom.js";
import { canonical } from "./schema.js";
import { readLedgerFile } from "./ledgerfile.js";
import { labName } from "./ledger-rows.js";
import { isClose, logRatio, median, ratioText } from "./calibration.js";
import { classRows, toCsv } from "./classcsv.js";
import { plural } from "./words.js";

// The Act I gap in bins a teacher reads at a glance; edges at 10x and at the labs' 2x band.
const BINS = [
  ["10x or more too low", (x) => x <= -1],
  ["2x to 10x too low", (x) => x > -1 && x < 0 && !isClose(x)],
  ["within 2x", isClose],
  ["2x to 10x too high", (x) => x > 0 && x < 1 && !isClose(x)],
  ["10x or more too high", (x) => x >= 1],
];

function readCatalog(page) {
  const script = page.querySelector("script.ledger-catalog");
  try { return script ? JSON.parse(script.textContent) : null; } catch { return null; }
}

const studentName = (fileName) => fileName.replace(/\.json$/i, "");

function mount(page) {
  const catalog = readCatalog(page);
  const students = []; // {name, file, doc}, one per distinct file content
  const seen = new Map(); // canonical content -> the file name it first came as
  const status = h("p", { class: "class-message", role: "status", "aria-live": "polite" });
  const problems = h("div", { class: "class-problems" });
  const results = h("div", { class: "class-results" });

  const addFiles = async (files) => {
    const refused = [], duplicates = [];
    let added = 0;
    for (const file of files) {
      const { doc, reason } = await readLedgerFile(file);
      if (!doc) { refused.push([file.name, reason]); continue; }
      const key = canonical(doc);
      if (seen.has(key)) { duplicates.push([file.name, seen.get(key)]); continue; }
      seen.set(key, file.name);
      students.push({ name: studentName(file.name), file: file.name, doc });
      added++;
    }
    status.textContent = `Read ${plural(files.length, "file")}: ${added} added, ${refused.length} left out, ${duplicates.length} ${duplicates.length === 1 ? "duplicate" : "duplicates"}. ${plural(students.length, "student file")} in this view.`;
    problems.replaceChildren(...problemList(refused, duplicates));
    draw();
  };

  const clear = () => {
    students.length = 0;
    seen.clear();
    problems.replaceChildren();
    status.textContent = "Cleared: no student files in this view.";
    draw();
  };

  const exportCsv = () => {
    const csv = toCsv(classRows(students, catalog));
    const a = h("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: `mlsysbook-class-${new Date().toISOString().slice(0, 10)}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 0);
  };

  const draw = () => results.replaceChildren(...summary(students, catalog, { exportCsv, clear }));

  const input = h("input", { type: "file", id: "class-files", multiple: true, accept: "application/json,.json", class: "sr-only",
    onchange: () => { addFiles([...input.files]).finally(() => { input.value = ""; }); } });
  const zone = h("label", { for: "class-files", class: "class-drop", tabindex: "0",
    onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } },
    ondragover: (e) => { e.preventDefault(); zone.classList.add("is-over"); },
    ondragleave: () => zone.classList.remove("is-over"),
    ondrop: (e) => { e.preventDefault(); zone.classList.remove("is-over"); addFiles([...e.dataTransfer.files]); } },
  h("strong", {}, "Drop students' ledger files here"), h("span", {}, " or press Enter to choose them (JSON files made by Export on the Ledger page; choose many at once)."));
  page.replaceChildren(
    h("p", { class: "class-privacy" }, "Students' work stays in this tab: the files are read here, never uploaded and never saved in this browser. Closing or reloading the page forgets them."),
    h("div", { class: "class-controls" }, zone, input),
    status, problems, results);
  draw();
}

function problemList(refused, duplicates) {
  const out = [];
  if (refused.length) {
    out.push(h("h3", {}, "Files left out"), h("ul", { class: "class-refused" }, refused.map(([name, reason]) =>
      h("li", { dataset: { file: name } }, h("strong", {}, name), ` ${reason}. It is not counted; ask for a fresh export.`))));
  }
  if (duplicates.length) {
    out.push(h("h3", {}, "Duplicate files"), h("ul", { class: "class-duplicates" }, duplicates.map(([name, first]) =>
      h("li", { dataset: { file: name } }, h("strong", {}, name), ` is the same as ${first}: counted once.`))));
  }
  return out;
}

/** Each lab's choices, split by option words ("Option B" when the entry has none). */
function choiceSplit(entries, act) {
  const counts = new Map();
  for (const e of entries) {
    const words = e[act].label ?? `Option ${e[act].prediction}`;
    const c = counts.get(words) ?? { n: 0, correct: e[act].correct };
    c.n++;
    counts.set(words, c);
  }
  return h("ul", { class: "class-split" }, [...counts].sort((a, b) => b[1].n - a[1].n || a[0].localeCompare(b[0]))
    .map(([words, { n, correct }]) => h("li", { dataset: { count: n } }, `${words}${correct ? " (correct)" : ""}: ${n}`)));
}

function gapSplit(entries) {
  const ratios = entries.map((e) => logRatio(e.act1.predicted_value, e.act1.actual_value)).filter((x) => x !== null);
  if (!ratios.length) return "no numeric estimate";
  const typical = median(ratios.map(Math.abs));
  return h("div", {},
    h("ul", { class: "class-split" }, BINS.map(([words, inBin]) => [words, ratios.filter(inBin).length]).filter(([, n]) => n > 0)
      .map(([words, n]) => h("li", { dataset: { count: n } }, `${words}: ${n}`))),
    h("span", { class: "class-typical", dataset: { medianAbs: typical } }, `typical miss ${ratioText(10 ** typical)}`));
}

function summary(students, catalog, { exportCsv, clear }) {
  if (!students.length) {
    return [h("p", { class: "class-empty" }, "No student files yet. Ask each student to press Export on the Ledger page and send you the file; then drop them all here at once.")];
  }
  const byLab = new Map();
  for (const { doc } of students) for (const [key, entry] of Object.entries(doc.ledger)) {
    if (!byLab.has(key)) byLab.set(key, []);
    byLab.get(key).push(entry);
  }
  const keys = [...byLab.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return [
    h("div", { class: "class-actions" },
      h("button", { type: "button", class: "class-export", onclick: exportCsv }, "Download as CSV"),
      h("button", { type: "button", class: "class-print", onclick: () => window.print() }, "Print or save as PDF"),
      h("button", { type: "button", class: "class-clear", onclick: clear }, "Clear the view")),
    h("div", { class: "class-table-scroll" }, h("table", { class: "class-table" },
      h("caption", {}, `${plural(students.length, "student file")}, ${plural(keys.length, "lab")} with at least one entry`),
      h("thead", {}, h("tr", {}, ["Lab", "Students", "Act I choices", "Act II choices", "Act I estimate against reality", "Reached the failure state"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, keys.map((key) => {
        const entries = byLab.get(key);
        const { name, sub, href } = labName(key, catalog);
        const hit = entries.filter((e) => e.constraint_hit).length;
        return h("tr", { dataset: { lab: key } },
          h("th", { scope: "row" }, href ? h("a", { href }, name) : name, h("span", { class: "ledger-sub" }, sub)),
          h("td", { class: "class-count" }, String(entries.length)),
          h("td", {}, choiceSplit(entries, "act1")), h("td", {}, choiceSplit(entries, "act2")),
          h("td", {}, gapSplit(entries)),
          h("td", { class: "class-hit", dataset: { hit } }, `${hit} of ${entries.length}`));
      })))),
  ];
}

for (const page of document.querySelectorAll(".class-view")) mount(page);

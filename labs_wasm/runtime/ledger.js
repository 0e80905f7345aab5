// Page entry for the Ledger page: lists every saved entry, exports the whole document as a
// JSON file and imports one back (validated by schema.js; merged, so nothing is lost).
// Expects <section class="ledger-view"> (or .ledger-page) in the page; builds its own UI inside
// it, from the labs catalog the build put there (<script class="ledger-catalog">, lab.lua).
import { Store } from "./storage.js";
import { documentProblems } from "./schema.js";
import { h } from "./dom.js";
import { HEADINGS, entryRow } from "./ledger-rows.js";

const MAX_IMPORT_BYTES = 1_000_000; // a ledger is a few KB; refuse anything absurd

function readCatalog(page) {
  const script = page.querySelector("script.ledger-catalog");
  if (!script) return null;
  try {
    return JSON.parse(script.textContent);
  } catch (err) {
    console.warn(`Ledger page: the labs catalog is unreadable (${err.message}); showing lab numbers only`);
    return null;
  }
}

function mount(page) {
  const catalog = readCatalog(page);
  const store = new Store();
  const message = h("p", { class: "ledger-message", role: "status", "aria-live": "polite" });
  const notice = h("p", { class: "lab-notice", role: "note", hidden: true });
  const body = h("div", { class: "ledger-body" });
  const say = (text, isError = false) => { message.textContent = text; message.classList.toggle("is-error", isError); };
  store.onNotice((text) => { notice.textContent = text; notice.hidden = false; });

  const draw = () => {
    const entries = Object.entries(store.ledger()).sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
    body.replaceChildren(entries.length === 0
      ? h("p", { class: "ledger-empty" }, "No entries yet. Finish a lab and its decisions appear here.")
      : h("table", { class: "ledger-table" },
          h("caption", {}, `Your Design Ledger: ${entries.length} ${entries.length === 1 ? "entry" : "entries"}`),
          h("thead", {}, h("tr", {}, HEADINGS.map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, entries.map(([key, e]) => entryRow(key, e, catalog)))));
  };

  const exportFile = () => {
    const blob = new Blob([JSON.stringify(store.exportDocument(), null, 2)], { type: "application/json" });
    const a = h("a", { href: URL.createObjectURL(blob), download: `mlsysbook-ledger-${new Date().toISOString().slice(0, 10)}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 0);
    say("Exported your ledger and answers as a JSON file.");
  };

  const importFile = async (file) => {
    if (!file) return;
    if (file.size > MAX_IMPORT_BYTES) return say(`"${file.name}" is ${file.size} bytes; a ledger export is far smaller. Nothing was imported.`, true);
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch (err) {
      return say(`"${file.name}" is not valid JSON (${err.message}). Nothing was imported; choose a file made by "Export".`, true);
    }
    const problems = documentProblems(doc);
    if (problems.length) return say(`"${file.name}" is not a ledger export: ${problems.slice(0, 3).join("; ")}. Nothing was imported.`, true);
    store.importDocument(doc);
    draw();
    say(`Imported ${Object.keys(doc.ledger).length} ledger entries from "${file.name}"; your existing entries were kept.`);
  };

  const input = h("input", { type: "file", id: "ledger-import", accept: "application/json,.json", class: "sr-only",
    onchange: () => { importFile(input.files[0]).finally(() => { input.value = ""; }); } });
  page.replaceChildren(notice,
    h("div", { class: "ledger-actions" },
      h("button", { type: "button", class: "ledger-export", onclick: exportFile }, "Export ledger (JSON)"),
      h("label", { for: "ledger-import", class: "ledger-import-label", tabindex: "0",
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } } }, "Import ledger (JSON)…"),
      input),
    message, body);
  draw();
}

for (const page of document.querySelectorAll(".ledger-page, .ledger-view")) mount(page);

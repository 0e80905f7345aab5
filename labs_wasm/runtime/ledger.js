// Page entry for the Ledger page: a dashboard of the saved entries (dashboard.js), then every
// saved entry, exports the whole document as a JSON file and imports one back (validated by
// ledgerfile.js; merged lab by lab, so nothing is lost), and offers any copy set aside
// because it could not be read (download, delete). It redraws when another tab changes the
// record.
// Expects <section class="ledger-view"> (or .ledger-page) in the page; builds its own UI inside
// it, from the labs catalog the build put there (<script class="ledger-catalog">, lab.lua).
import { Store } from "./storage.js";
import { h } from "./dom.js";
import { HEADINGS, entryRow, labName } from "./ledger-rows.js";
import { readLedgerFile } from "./ledgerfile.js";
import { dashboard } from "./dashboard.js";
import { plural } from "./words.js";

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
  const board = h("div", { class: "ledger-board" });
  const body = h("div", { class: "ledger-body" });
  const say = (text, isError = false) => { message.textContent = text; message.classList.toggle("is-error", isError); };
  store.onNotice((text) => { notice.textContent = text; notice.hidden = false; });

  const draw = () => {
    const ledger = store.ledger();
    const entries = Object.entries(ledger).sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
    board.replaceChildren(dashboard(ledger, catalog));
    body.replaceChildren(h("h3", { id: "ledger-entries-title" }, "Your entries"), entries.length === 0
      ? h("p", { class: "ledger-empty" }, "No entries yet. Finish a lab and its decisions appear here.")
      : h("table", { class: "ledger-table" },
          h("caption", {}, `Your Design Ledger: ${entries.length} ${entries.length === 1 ? "entry" : "entries"}`),
          h("thead", {}, h("tr", {}, HEADINGS.map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, entries.map(([key, e]) => entryRow(key, e, catalog)))));
  };

  const exportFile = () => {
    // What is stored now, not what this page loaded: another tab may have finished a lab.
    download(JSON.stringify(store.exportDocument(), null, 2), `mlsysbook-ledger-${new Date().toISOString().slice(0, 10)}.json`);
    say("Exported your ledger and answers as a JSON file.");
  };

  const importFile = async (file) => {
    if (!file) return;
    const { doc, kind, reason } = await readLedgerFile(file);
    if (!doc) return say(`"${file.name}" ${reason}. Nothing was imported${kind === "unreadable" ? '; choose a file made by "Export"' : ""}.`, true);
    const report = store.importDocument(doc);
    draw();
    say(importMessage(file.name, report, catalog), !report.saved || report.conflicts.length > 0);
  };

  const input = h("input", { type: "file", id: "ledger-import", accept: "application/json,.json", class: "sr-only",
    onchange: () => { importFile(input.files[0]).finally(() => { input.value = ""; }); } });
  page.replaceChildren(notice,
    h("div", { class: "ledger-actions" },
      h("button", { type: "button", class: "ledger-export", onclick: exportFile }, "Export ledger (JSON)"),
      h("label", { for: "ledger-import", class: "ledger-import-label", tabindex: "0",
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } } }, "Import ledger (JSON)…"),
      input,
      h("button", { type: "button", class: "ledger-print", onclick: () => window.print() }, "Print or save as PDF")),
    message, board, body, asideSection(store, say));
  draw();
  store.onChange(draw); // another tab saved or reset a lab
}


// What an import did, lab by lab, in plain words; nothing it kept or skipped goes unsaid.
function importMessage(name, { added, updated, unchanged, conflicts, saved }, catalog) {
  const parts = [];
  if (added.length) parts.push(`${plural(added.length, "lab")} added`);
  if (updated.length) parts.push(`${plural(updated.length, "lab")} brought up to date`);
  if (unchanged.length) parts.push(`${plural(unchanged.length, "lab")} kept as ${unchanged.length === 1 ? "it is" : "they are"} here (the same, or newer here)`);
  let text = `Imported "${name}": ${parts.join(", ") || "it holds no labs"}.`;
  if (conflicts.length) {
    const names = conflicts.map((id) => labName(id.replace("/", ".ch"), catalog).name).join("; ");
    text += ` Kept your own work for ${names}: you had locked a different prediction there, and a locked prediction is never replaced.`;
  }
  if (!saved) text += " But this browser is not saving (storage is full or blocked): the imported work lasts only until this page is closed.";
  return text;
}

// Copies of the record set aside because they could not be read: listed, downloadable and
// deletable, so nothing is stranded in storage where the student cannot reach it.
function asideSection(store, say) {
  const section = h("section", { class: "ledger-aside", "aria-labelledby": "ledger-aside-title" });
  const draw = () => {
    const copies = store.asideCopies();
    section.hidden = copies.length === 0;
    section.replaceChildren(
      h("h2", { id: "ledger-aside-title" }, "Saved work that could not be read"),
      h("p", {}, "These copies of your record were set aside because they were damaged. Download one to keep it or to send it to someone who can help; delete it to free space."),
      h("ul", {}, copies.map(({ key, bytes }) => h("li", {},
        h("code", {}, key), ` (${bytes.toLocaleString()} characters) `,
        h("button", { type: "button", class: "ledger-aside-download", onclick: () => download(store.asideText(key) ?? "", `mlsysbook-unreadable-${key.slice(-24).replace(/[^0-9A-Za-z-]/g, "-")}.json`) }, "Download"),
        " ",
        h("button", { type: "button", class: "ledger-aside-delete", onclick: () => {
          if (!window.confirm(`Delete the damaged copy ${key}? It cannot be recovered afterwards.`)) return;
          store.deleteAside(key);
          draw();
          say(`Deleted the damaged copy ${key}.`);
        } }, "Delete")))));
  };
  draw();
  return section;
}

function download(text, filename) {
  const blob = new Blob([text], { type: "application/json" });
  const a = h("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}

for (const page of document.querySelectorAll(".ledger-page, .ledger-view")) mount(page);

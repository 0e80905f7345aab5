// One table row per ledger entry, in the book's words: the lab's number and title linked to
// its chapter, the context's name, the chosen option's words with the verdict, the reader's
// local date. Names come from the labs catalog the build embeds in the Ledger page
// (labkit.catalog.manifest: one source for lab titles and context names).
import { h } from "./dom.js";
import { ledgerEntryProblems } from "./schema.js";
import { ROMAN, verdict } from "./words.js";

const UNITS = { us: "µs" }; // ledger units are ASCII for machines; people read µs

export const HEADINGS = ["Lab", "Context", "Act I prediction", "Act II prediction", "Decision", "Result", "Constraint hit", "Completed"];

/** {name, sub, href} for a ledger key; a lab this edition does not have still gets a name. */
export function labName(key, catalog) {
  const lab = catalog?.labs?.[key];
  const [, vol = "?", num = "??"] = /^vol(\d)\.ch(\d\d)$/.exec(key) ?? [];
  const volume = `Volume ${ROMAN[Number(vol)] ?? vol}`;
  if (!lab) return { name: `Lab ${num}`, sub: volume, href: null };
  const chapter = lab.chapter?.title ? ` · ${lab.chapter.number ? `Chapter ${lab.chapter.number}: ` : ""}${lab.chapter.title}` : "";
  return { name: `Lab ${lab.number} · ${lab.title}`, sub: volume + chapter, href: lab.href ?? null };
}

/** An ISO-8601 timestamp in the reader's locale and time zone ("21 Nov 2026, 11:00"). */
export function formatDate(iso, locale = undefined) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

function formatResult(value, unit) {
  if (value === null || value === undefined) return "—";
  const number = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 }).format(value);
  return `${number} ${UNITS[unit] ?? unit}`;
}

const act = (a) => `${a.label ?? `Option ${a.prediction}`} (${verdict(a.correct)})`;

function labCell(key, catalog) {
  const { name, sub, href } = labName(key, catalog);
  return h("th", { scope: "row" }, href ? h("a", { href }, name) : name, h("span", { class: "ledger-sub" }, sub));
}

/** The row for `entry` stored under `key`; an entry that fails the schema is listed, not shown. */
export function entryRow(key, entry, catalog) {
  const problems = ledgerEntryProblems(entry, key);
  if (problems.length) {
    return h("tr", { dataset: { ledgerKey: key }, class: "ledger-unreadable" }, labCell(key, catalog),
      h("td", { colspan: HEADINGS.length - 1 }, `This entry cannot be read by this edition of the book (${problems[0]}). It is kept as it is.`));
  }
  const context = catalog?.contexts?.[entry.context] ?? entry.context;
  return h("tr", { dataset: { ledgerKey: key } }, labCell(key, catalog),
    h("td", {}, context), h("td", {}, act(entry.act1)), h("td", {}, act(entry.act2)),
    h("td", {}, entry.act2.decision), h("td", {}, formatResult(entry.act2.result, entry.act2.unit)),
    h("td", {}, entry.constraint_hit ? "yes" : "no"),
    h("td", {}, entry.completed_at ? h("time", { datetime: entry.completed_at }, formatDate(entry.completed_at)) : "—"));
}

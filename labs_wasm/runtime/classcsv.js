// The class view's CSV: one row per student file per lab, every field quoted as RFC 4180
// says (commas, quotes and line breaks survive a round trip). Text a student typed that a
// spreadsheet would run as a formula (starting = + - @) gets a leading apostrophe.
import { labName } from "./ledger-rows.js";
import { logRatio } from "./calibration.js";

export const COLUMNS = ["student", "file", "lab", "lab_title", "context", "act1_choice", "act1_words",
  "act1_correct", "act1_predicted", "act1_actual", "act1_log10_ratio", "act2_choice", "act2_words",
  "act2_correct", "decision", "result", "unit", "constraint_hit", "completed_at"];

/** Rows (arrays in COLUMNS order) for `students`: [{name, file, doc}]. */
export function classRows(students, catalog) {
  const rows = [];
  for (const { name, file, doc } of students) {
    const keys = Object.keys(doc.ledger).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    for (const key of keys) {
      const e = doc.ledger[key];
      const lr = logRatio(e.act1.predicted_value, e.act1.actual_value);
      rows.push([name, file, key, labName(key, catalog).name, catalog?.contexts?.[e.context] ?? e.context,
        e.act1.prediction, e.act1.label ?? "", e.act1.correct, e.act1.predicted_value, e.act1.actual_value,
        lr === null ? null : Number(lr.toFixed(6)), e.act2.prediction, e.act2.label ?? "", e.act2.correct,
        e.act2.decision, e.act2.result, e.act2.unit, e.constraint_hit, e.completed_at ?? ""]);
    }
  }
  return rows;
}

function field(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export const toCsv = (rows) => [COLUMNS, ...rows].map((row) => row.map(field).join(",")).join("\r\n") + "\r\n";

// Reading a ledger file someone chose (the Ledger page's import, the class view's drop):
// one check for both, so a file the class view accepts is one the import would accept.
// Size cap, then schema.js's parseDocument (nesting, JSON, structure), then documentProblems
// (strict: every entry, every name).
import { documentProblems, parseDocument } from "./schema.js";

export const MAX_IMPORT_BYTES = 1_000_000; // a ledger is a few KB; refuse anything absurd

/**
 * {doc, text} when `file` is a ledger export; else {kind, reason}: kind is "size",
 * "unreadable" or "invalid", reason a phrase that follows the file's name ("is not a ledger
 * export: ...").
 */
export async function readLedgerFile(file) {
  if (file.size > MAX_IMPORT_BYTES) return { kind: "size", reason: `is ${file.size.toLocaleString("en")} bytes; a ledger export is far smaller` };
  const text = await file.text();
  const { doc, problems: unreadable } = parseDocument(text);
  if (!doc) return { kind: "unreadable", reason: `cannot be read: ${unreadable[0]}` };
  const problems = documentProblems(doc);
  if (problems.length) {
    return { kind: "invalid", reason: `is not a ledger export: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}` };
  }
  return { doc, text };
}

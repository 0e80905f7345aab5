// The shape of the one localStorage document (PROTOCOL.md section 5), checked in one place.
// Each validator returns a list of problems (empty when valid), each naming the path.
// The ledger entry rules mirror labkit/ledger.py field for field (same table, same versions);
// tests/site/test_schema_agreement.py runs both on the same entries.

export const VERSION = 1;
// Entry schema versions: 1 the original entry; 2 adds the optional act1.label / act2.label
// (the words of the chosen option). An entry from a newer schema is foreign: rejected.
export const ENTRY_VERSION = 2;
// Lab 00's ledger key: its `context` is the student's home deployment context.
export const HOME_KEY = "vol1.ch00";
export const LEDGER_KEY = /^vol[12]\.ch\d\d$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
export const LAB_ID = /^vol[12]\/\d\d$/;
// A widget name (labkit refuses any other at definition time): a plain dotted identifier that
// is not a member of Object.prototype, so no stored or imported key can reach a prototype.
const NAME = /^[A-Za-z][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*$/;
export const isSafeName = (name) => NAME.test(name) && !(name in Object.prototype);
// A question's version (labkit: 12 hex digits of the sha256 of what was asked).
const QUESTION_VERSION = /^[0-9a-f]{12}$/;
// Nesting deeper than this is never a document of ours (the deepest is 4: ledger.key.act1.x).
export const MAX_DEPTH = 8;

export function emptyDocument() {
  return { version: VERSION, labs: {}, ledger: {} };
}

export function emptyLabState() {
  return { answers: {}, values: {} };
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isScalar = (v) => v === null || ["string", "number", "boolean"].includes(typeof v);
const isVersion = (v) => Number.isInteger(v) && v >= 1;

// A rule: [what it must be, predicate]. Descriptions are labkit/ledger.py's, word for word.
const STR = ["a string", (v) => typeof v === "string" && v !== ""];
const BOOL = ["true or false", (v) => typeof v === "boolean"];
const NUM_OR_NULL = ["a finite number or null", (v) => v === null || (typeof v === "number" && Number.isFinite(v))];
const ISO = ["an ISO-8601 timestamp", (v) => typeof v === "string" && ISO_8601.test(v)];
const SCHEMA_VERSION = [`a schema version from 1 to ${ENTRY_VERSION}`, isVersion];

// Required fields; a nested object is an object with its own fields.
const REQUIRED = {
  lab: STR,
  context: STR,
  act1: { prediction: STR, correct: BOOL, predicted_value: NUM_OR_NULL, actual_value: NUM_OR_NULL },
  act2: { prediction: STR, correct: BOOL, decision: STR, result: NUM_OR_NULL, unit: STR },
  constraint_hit: BOOL,
};
// Optional fields by dotted path: [the schema version that introduced it, rule].
const OPTIONAL = {
  completed_at: [1, ISO],
  schema: [1, SCHEMA_VERSION],
  "act1.label": [2, STR],
  "act2.label": [2, STR],
};

/** {dotted path: [rule description, required?, since version]}: compared with labkit's. */
export function entrySchemaTable() {
  const table = {};
  const walk = (schema, prefix) => {
    for (const [field, rule] of Object.entries(schema)) {
      if (Array.isArray(rule)) table[prefix + field] = [rule[0], true, 1];
      else { table[prefix + field] = ["an object", true, 1]; walk(rule, `${prefix}${field}.`); }
    }
  };
  walk(REQUIRED, "");
  for (const [path, [since, rule]] of Object.entries(OPTIONAL)) table[path] = [rule[0], false, since];
  return table;
}

// A found value in a message: short, whatever it is (a hostile file can hold megabytes).
const show = (v) => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

function fieldProblems(value, schema, path, version, where) {
  const at = (field) => `${where}${path ? "." + path : ""}.${field}`;
  if (!isObject(value)) return [`${where}${path ? "." + path : ""} must be an object`];
  const prefix = path ? path + "." : "";
  const problems = [];
  for (const [field, rule] of Object.entries(schema)) {
    if (!(field in value)) problems.push(`${at(field)} is missing`);
    else if (!Array.isArray(rule)) problems.push(...fieldProblems(value[field], rule, prefix + field, version, where));
    else if (!rule[1](value[field])) problems.push(`${at(field)} must be ${rule[0]} (found ${show(value[field])})`);
  }
  const optional = Object.entries(OPTIONAL)
    .filter(([p]) => p.startsWith(prefix) && !p.slice(prefix.length).includes("."))
    .map(([p, spec]) => [p.slice(prefix.length), spec]);
  for (const [field, [since, [what, ok]]] of optional) {
    if (!(field in value)) continue;
    if (since > version) problems.push(`${at(field)} needs ${where}.schema ${since} or later (found schema ${version})`);
    else if (!ok(value[field])) problems.push(`${at(field)} must be ${what} (found ${show(value[field])})`);
  }
  const known = new Set([...Object.keys(schema), ...optional.map(([f]) => f)]);
  const extra = Object.keys(value).filter((f) => !known.has(f)).sort();
  if (extra.length) problems.push(`${where}${path ? "." + path : ""} has unknown field(s) ${extra.join(", ")}`);
  return problems;
}

/** Problems with one ledger entry stored under `key` (e.g. "vol1.ch01"). */
export function ledgerEntryProblems(entry, key, where = `ledger.${key}`) {
  if (!isObject(entry)) return [`${where} must be an object`];
  let version = "schema" in entry ? entry.schema : 1;
  if (isVersion(version) && version > ENTRY_VERSION) {
    return [`${where}.schema ${version} is newer than this book understands (up to ${ENTRY_VERSION}): the entry was made by a newer edition`];
  }
  if (!isVersion(version)) version = 1; // reported by the field check
  // The filing problems first: they say most about an entry that is not this book's.
  const problems = [];
  if (!LEDGER_KEY.test(String(key))) problems.push(`${where}: the key must look like "vol1.ch01" (found ${show(key)})`);
  if (typeof entry.lab === "string" && entry.lab !== key) problems.push(`${where}.lab must equal its key "${key}" (found ${show(entry.lab)})`);
  return [...problems, ...fieldProblems(entry, REQUIRED, "", version, where)];
}

/**
 * Problems with one lab's saved state: {answers: {name: scalar}, values: {...}, updated?,
 * asked?: {name: question version}, earlier?: {name: scalar}}. `strict` (import) also refuses
 * unknown fields and names that are not plain identifiers.
 */
export function labStateProblems(state, where = "lab", { strict = false } = {}) {
  if (!isObject(state)) return [`${where} must be an object`];
  const problems = [];
  const maps = { answers: isScalar, values: isScalar, asked: (v) => typeof v === "string" && QUESTION_VERSION.test(v), earlier: isScalar };
  const what = { answers: "a string, number, boolean or null", values: "a string, number, boolean or null", asked: "a question version (12 hex digits)", earlier: "a string, number, boolean or null" };
  for (const [field, ok] of Object.entries(maps)) {
    const optional = field === "asked" || field === "earlier";
    if (optional && !(field in state)) continue;
    const map = state[field];
    if (!isObject(map)) { problems.push(`${where}.${field} must be an object`); continue; }
    for (const [name, value] of Object.entries(map)) {
      if (strict && !isSafeName(name)) problems.push(`${where}.${field} has a name that is not a plain identifier (${show(name)})`);
      else if (!ok(value)) problems.push(`${where}.${field}.${name} must be ${what[field]}`);
    }
  }
  if ("updated" in state && !(typeof state.updated === "string" && (!strict || ISO_8601.test(state.updated)))) problems.push(`${where}.updated must be an ISO-8601 string`);
  if (strict) {
    const extra = Object.keys(state).filter((f) => !["answers", "values", "asked", "earlier", "updated"].includes(f));
    if (extra.length) problems.push(`${where} has unknown field(s) ${extra.slice(0, 5).map(show).join(", ")}`);
  }
  return problems;
}

/**
 * Problems with a document's structure (version, labs, ledger map of objects); the entries'
 * own fields are not checked. This decides whether a stored document is usable: an entry
 * this runtime does not understand (a newer edition's, say) is kept, never a reason to set
 * the student's whole record aside; readers skip it (validLedger, labkit.ledger.parse_ledger).
 */
export function structureProblems(doc) {
  if (!isObject(doc)) return ["the document must be a JSON object"];
  if (doc.version !== VERSION) return [`version must be ${VERSION} (found ${show(doc.version)})`];
  const problems = [];
  if (!isObject(doc.labs)) problems.push("labs must be an object");
  else for (const [id, state] of Object.entries(doc.labs)) problems.push(...labStateProblems(state, `labs["${id}"]`));
  if (!isObject(doc.ledger)) problems.push("ledger must be an object");
  else for (const [key, entry] of Object.entries(doc.ledger)) if (!isObject(entry)) problems.push(`ledger.${key} must be an object`);
  return problems;
}

/** Problems with a whole document (an import): strict everywhere; [] means it can be merged. */
export function documentProblems(doc) {
  if (!isObject(doc)) return ["the document must be a JSON object"];
  if (doc.version !== VERSION) return [`version must be ${VERSION} (found ${show(doc.version)})`];
  const problems = [];
  const extra = Object.keys(doc).filter((f) => !["version", "labs", "ledger"].includes(f));
  if (extra.length) problems.push(`the document has unknown field(s) ${extra.slice(0, 5).map(show).join(", ")}`);
  if (!isObject(doc.labs)) problems.push("labs must be an object");
  else for (const [id, state] of Object.entries(doc.labs)) {
    if (!LAB_ID.test(id)) problems.push(`labs: ${show(id)} is not a lab of this book (a lab looks like "vol1/01")`);
    else problems.push(...labStateProblems(state, `labs["${id}"]`, { strict: true }));
  }
  if (!isObject(doc.ledger)) problems.push("ledger must be an object");
  else for (const [key, entry] of Object.entries(doc.ledger)) problems.push(...ledgerEntryProblems(entry, key));
  return problems;
}

/**
 * Parse a stored or imported document's text: {doc, problems}. Nesting is measured before
 * parsing (one pass over the text), so a file nested thousands deep is refused outright.
 */
export function parseDocument(text) {
  const depth = nestingDepth(text);
  if (depth > MAX_DEPTH) return { doc: null, problems: [`it is nested ${depth} levels deep; a ledger document is at most ${MAX_DEPTH}`] };
  let doc;
  try { doc = JSON.parse(text); } catch (err) { return { doc: null, problems: [`not valid JSON (${err.message})`] }; }
  return { doc, problems: structureProblems(doc) };
}

function nestingDepth(text) {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > max) max = depth; }
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** JSON with sorted keys: two copies of the same data compare equal whatever their key order. */
export const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === "object" && !Array.isArray(x)
  ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

/** Lab "vol1/01" <-> its ledger key "vol1.ch01". */
export const ledgerKeyOf = (labId) => labId.replace("/", ".ch");
export const labIdOf = (ledgerKey) => ledgerKey.replace(".ch", "/");

/** The entries of a ledger map that pass the schema, in book order. */
export function validLedger(ledger) {
  const out = {};
  const keys = Object.keys(isObject(ledger) ? ledger : {}).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (const key of keys) if (ledgerEntryProblems(ledger[key], key).length === 0) out[key] = ledger[key];
  return out;
}

// The shape of the one localStorage document (PROTOCOL.md section 5), checked in one place.
// Each validator returns a list of problems (empty when valid), each naming the path.

export const VERSION = 1;

export function emptyDocument() {
  return { version: VERSION, labs: {}, ledger: {} };
}

export function emptyLabState() {
  return { answers: {}, values: {} };
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isScalar = (v) => v === null || ["string", "number", "boolean"].includes(typeof v);

/** Problems with one lab's saved state: {answers: {name: scalar}, values: {...}, updated?}. */
export function labStateProblems(state, where = "lab") {
  if (!isObject(state)) return [`${where} must be an object`];
  const problems = [];
  for (const field of ["answers", "values"]) {
    const map = state[field];
    if (!isObject(map)) { problems.push(`${where}.${field} must be an object`); continue; }
    for (const [name, value] of Object.entries(map)) {
      if (!isScalar(value)) problems.push(`${where}.${field}.${name} must be a string, number, boolean or null`);
    }
  }
  if ("updated" in state && typeof state.updated !== "string") problems.push(`${where}.updated must be an ISO-8601 string`);
  return problems;
}

/** Problems with one ledger entry stored under `key` (e.g. "vol1.ch01"). */
export function ledgerEntryProblems(entry, key, where = `ledger.${key}`) {
  if (!isObject(entry)) return [`${where} must be an object`];
  const problems = [];
  if (entry.lab !== key) problems.push(`${where}.lab must equal its key "${key}" (found ${JSON.stringify(entry.lab)})`);
  for (const act of ["act1", "act2"]) {
    if (act in entry && !isObject(entry[act])) problems.push(`${where}.${act} must be an object`);
  }
  if ("constraint_hit" in entry && typeof entry.constraint_hit !== "boolean") problems.push(`${where}.constraint_hit must be true or false`);
  if ("completed_at" in entry && typeof entry.completed_at !== "string") problems.push(`${where}.completed_at must be an ISO-8601 string`);
  return problems;
}

/** Problems with a whole document; [] means it is safe to use as-is. */
export function documentProblems(doc) {
  if (!isObject(doc)) return ["the document must be a JSON object"];
  if (doc.version !== VERSION) return [`version must be ${VERSION} (found ${JSON.stringify(doc.version)})`];
  const problems = [];
  if (!isObject(doc.labs)) problems.push("labs must be an object");
  else for (const [id, state] of Object.entries(doc.labs)) problems.push(...labStateProblems(state, `labs["${id}"]`));
  if (!isObject(doc.ledger)) problems.push("ledger must be an object");
  else for (const [key, entry] of Object.entries(doc.ledger)) problems.push(...ledgerEntryProblems(entry, key));
  return problems;
}

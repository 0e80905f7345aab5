// The only module that touches localStorage. One namespaced, versioned document (schema.js).
//
// Nothing a student does is lost (PROTOCOL.md section 5):
// - Every change is applied to the freshest stored copy (another tab may have written), and
//   `storage` events from other tabs refresh this page's copy and tell its listeners.
// - A change that cannot be written (quota full) is kept in `unsaved` and replayed on the
//   freshest copy at the next write; saving resumes by itself once there is room again.
// - Storage that cannot be written can still be read: saved answers stay visible.
// - An unreadable document is copied aside under `mlsysbook:v1:corrupt:<timestamp>` (once:
//   an identical copy is reused) before anything is written over it, and never overwritten.
// - Never wipe the whole Storage object: other sites' and tools' keys on this origin are not ours.
import { CONFIG } from "./config.js";
import { canonical, documentProblems, emptyDocument, emptyLabState, labIdOf, ledgerEntryProblems, ledgerKeyOf, parseDocument } from "./schema.js";

const BLOCKED = "Not saving: this browser is blocking storage, so your answers last for this visit only and are lost on reload.";
const FULL = "Not saving: this browser's storage for this site is full. Your answers are kept on this page and saved as soon as there is room again; if you close or reload this page before then, they are lost.";
const RESUMED = "Saving again: everything you did on this page is now stored.";

const has = (obj, key) => obj !== null && typeof obj === "object" && Object.hasOwn(obj, key);
const same = (a, b) => canonical(a) === canonical(b);

function openStorage(win) {
  let ls;
  try {
    ls = win.localStorage;
    ls.getItem(CONFIG.storageKey); // reading is what matters most: saved answers must show
  } catch {
    return { ls: null, writable: false };
  }
  try {
    const probe = CONFIG.storageKey + ":probe";
    ls.setItem(probe, "1");
    ls.removeItem(probe);
    return { ls, writable: true };
  } catch {
    return { ls, writable: false }; // full: readable, and writes are retried
  }
}

export class Store {
  /** @param {Window} win - injectable for tests. */
  constructor(win = globalThis) {
    this.key = CONFIG.storageKey;
    const { ls, writable } = openStorage(win);
    this.ls = ls;
    this.saving = writable;
    this.notice = ls ? (writable ? null : FULL) : BLOCKED;
    this.unsaved = []; // changes not yet written, oldest first
    this.held = null; // an unreadable stored text we could not copy aside: never written over
    this.lastRaw = undefined; // the stored text `memory` was built from
    this.memory = emptyDocument();
    this.noticeListeners = new Set();
    this.changeListeners = new Set();
    this.#sync();
    win.addEventListener?.("storage", (event) => {
      if (event.key !== this.key && event.key !== null) return;
      if (this.#sync()) for (const fn of this.changeListeners) fn();
      if (this.unsaved.length) this.#flush(); // the other tab may have freed space
    });
  }

  /** Both return a function that removes the listener (a lab left by soft navigation). */
  onNotice(fn) { this.noticeListeners.add(fn); if (this.notice) fn(this.notice); return () => this.noticeListeners.delete(fn); }
  /** `fn()` runs when another tab (or window) changed the stored document. */
  onChange(fn) { this.changeListeners.add(fn); return () => this.changeListeners.delete(fn); }

  #tell(message) {
    this.notice = message;
    for (const fn of this.noticeListeners) fn(message);
  }

  /** Rebuild `memory` from storage plus the unsaved changes; true when it changed. */
  #sync() {
    if (!this.ls) return false;
    let raw;
    try { raw = this.ls.getItem(this.key); } catch { return false; }
    if (raw === this.lastRaw) return false;
    this.lastRaw = raw;
    let doc = emptyDocument();
    if (raw !== null) {
      const parsed = parseDocument(raw);
      if (parsed.problems.length === 0) doc = parsed.doc;
      else this.#setAside(raw, parsed.problems);
    }
    for (const change of this.unsaved) change(doc);
    const changed = !same(doc, this.memory);
    this.memory = doc;
    return changed;
  }

  #asideKeys() {
    const keys = [];
    try {
      for (let i = 0; i < this.ls.length; i++) {
        const key = this.ls.key(i);
        if (key?.startsWith(CONFIG.corruptPrefix)) keys.push(key);
      }
    } catch { /* unreadable: no copies listed */ }
    return keys.sort();
  }

  // Copy an unreadable document aside, once. Returns the copy's key, or null when there was
  // no room (then `held` keeps us from writing over the original).
  #setAside(raw, problems) {
    let asideKey = this.#asideKeys().find((k) => this.ls.getItem(k) === raw);
    const fresh = !asideKey;
    try {
      if (fresh) {
        const stamp = new Date().toISOString();
        asideKey = CONFIG.corruptPrefix + stamp;
        for (let n = 1; this.ls.getItem(asideKey) !== null; n++) asideKey = `${CONFIG.corruptPrefix}${stamp}-${n}`;
        this.ls.setItem(asideKey, raw);
      }
    } catch {
      this.held = raw;
      this.saving = false;
      this.#tell(`Your saved work could not be read (${problems[0]}) and there is no room to keep a copy, so this page will not save over it. Your answers work for this visit only.`);
      return null;
    }
    this.held = null;
    this.#tell(`Your saved work could not be read (${problems[0]}). It was kept, untouched, under the key "${asideKey}", and the Ledger page lists it under "Saved work that could not be read" to download; this page starts a fresh record.`);
    return asideKey;
  }

  // Write memory (stored copy + unsaved changes). On failure the changes wait for the next try.
  #flush() {
    if (!this.ls) return;
    if (this.held !== null) {
      // Space may have been freed: try again to copy the unreadable original aside first.
      let raw = null;
      try { raw = this.ls.getItem(this.key); } catch { return; }
      if (raw === this.held && !this.#setAside(raw, ["it is not a valid ledger document"])) return;
      this.held = null;
    }
    const text = JSON.stringify(this.memory);
    try {
      this.ls.setItem(this.key, text);
    } catch {
      if (this.saving) { this.saving = false; this.#tell(FULL); }
      return;
    }
    this.lastRaw = text;
    this.unsaved = [];
    if (!this.saving) { this.saving = true; this.#tell(RESUMED); }
  }

  // Apply `change` to the freshest copy and persist it (or keep it for the next try).
  #update(change) {
    this.#sync();
    change(this.memory);
    if (!this.ls) return;
    this.unsaved.push(change);
    this.#flush();
  }

  /** A copy of one lab's {answers, values, asked}, as stored now. */
  labState(labId) {
    this.#sync();
    const saved = has(this.memory.labs, labId) ? this.memory.labs[labId] : emptyLabState();
    return { answers: { ...saved.answers }, values: { ...saved.values }, asked: { ...saved.asked } };
  }

  /**
   * Lock a prediction: the first answer wins and a later one is ignored, unless the stored
   * answer was given to an earlier version of the question (its `asked` version differs from
   * `version`) or is not an answer the question accepts (`accepts(stored)` is false): then
   * the new answer replaces it and the old one is kept under `earlier`. Returns the kept answer.
   */
  lockAnswer(labId, name, value, version, accepts = () => true) {
    this.#update((doc) => {
      const lab = touch(doc, labId);
      const asked = has(lab, "asked") ? lab.asked : (lab.asked = {});
      const outdated = has(lab.answers, name) && ((version && has(asked, name) && asked[name] !== version) || !accepts(lab.answers[name]));
      if (has(lab.answers, name) && !outdated) return;
      if (outdated) (has(lab, "earlier") ? lab.earlier : (lab.earlier = {}))[name] = lab.answers[name];
      lab.answers[name] = value;
      if (version) asked[name] = version;
    });
    return this.memory.labs[labId].answers[name];
  }

  setValue(labId, name, value) {
    this.#update((doc) => { touch(doc, labId).values[name] = value; });
  }

  /** The stored entry under `ledgerKey`, or undefined. */
  ledgerEntry(ledgerKey) {
    this.#sync();
    return has(this.memory.ledger, ledgerKey) ? structuredClone(this.memory.ledger[ledgerKey]) : undefined;
  }

  saveLedger(ledgerKey, entry) {
    const problems = ledgerEntryProblems(entry, ledgerKey);
    if (problems.length) throw new Error(`Ledger entry from the lab is malformed: ${problems.join("; ")}`);
    this.#update((doc) => { doc.ledger[ledgerKey] = entry; });
  }

  /** Reset-this-lab: this lab's answers, values and ledger entry only. */
  resetLab(labId, ledgerKey) {
    this.#update((doc) => {
      delete doc.labs[labId];
      if (ledgerKey) delete doc.ledger[ledgerKey];
    });
  }

  /**
   * The stored ledger map as it is now (another tab or lab may have saved an entry since this
   * page loaded). Entries are passed as stored: readers validate them and skip what they
   * cannot use.
   */
  ledger() {
    this.#sync();
    return structuredClone(this.memory.ledger);
  }

  /** What is stored now (plus this page's unsaved changes), for Export. */
  exportDocument() {
    this.#sync();
    return structuredClone(this.memory);
  }

  /**
   * Merge an imported document, one lab at a time (its answers, values and ledger entry go
   * together, so they never disagree):
   * - a lab you have not started here is taken as it is ("added");
   * - a lab where you locked a different prediction keeps yours whole ("conflicts"): a
   *   locked prediction is never replaced, and the file's entry belongs to the other answer;
   * - otherwise answers are united, the newer values win and the newer ledger entry wins
   *   ("updated"), or nothing changes ("unchanged").
   * Returns {added, updated, unchanged, conflicts: [labId...], saved}.
   */
  importDocument(doc) {
    const problems = documentProblems(doc);
    if (problems.length) throw new Error(problems.join("; "));
    const ids = [...new Set([...Object.keys(doc.labs), ...Object.keys(doc.ledger).map(labIdOf)])].sort();
    let report = null; // from the first merge, onto the freshest copy (a replay reports nothing new)
    this.#update((mine) => {
      const outcome = { added: [], updated: [], unchanged: [], conflicts: [] };
      for (const id of ids) outcome[mergeLab(mine, doc, id)].push(id);
      report ??= outcome;
    });
    return { ...report, saved: this.saving };
  }

  // ---- copies set aside because they could not be read (listed on the Ledger page) ----
  /** [{key, bytes}] of every set-aside copy. */
  asideCopies() {
    if (!this.ls) return [];
    return this.#asideKeys().map((key) => ({ key, bytes: (this.ls.getItem(key) ?? "").length }));
  }

  asideText(key) { return key.startsWith(CONFIG.corruptPrefix) ? this.ls?.getItem(key) ?? null : null; }

  deleteAside(key) {
    if (!key.startsWith(CONFIG.corruptPrefix)) throw new Error(`${key} is not a set-aside copy`);
    try { this.ls.removeItem(key); } catch { /* nothing to delete */ }
  }
}

function touch(doc, labId) {
  const lab = has(doc.labs, labId) ? doc.labs[labId] : (doc.labs[labId] = emptyLabState());
  lab.updated = new Date().toISOString();
  return lab;
}

const time = (iso) => (typeof iso === "string" ? Date.parse(iso) || 0 : 0);

// Merge lab `id` of `theirs` into `mine` (both documents); returns what happened (a report key).
function mergeLab(mine, theirs, id) {
  const key = ledgerKeyOf(id);
  const myLab = has(mine.labs, id) ? mine.labs[id] : null;
  const myEntry = has(mine.ledger, key) ? mine.ledger[key] : null;
  const theirLab = has(theirs.labs, id) ? theirs.labs[id] : null;
  const theirEntry = has(theirs.ledger, key) ? theirs.ledger[key] : null;
  const myAnswers = myLab?.answers ?? {};
  const theirAnswers = theirLab?.answers ?? {};
  const clash = Object.keys(theirAnswers).some((n) => has(myAnswers, n) && !same(myAnswers[n], theirAnswers[n]));
  if (clash) return "conflicts";
  // What the student did, without the bookkeeping timestamp.
  const work = (lab, entry) => canonical([lab && { ...lab, updated: undefined }, entry]);
  const before = work(myLab, myEntry);
  if (theirLab) {
    const lab = myLab ?? (mine.labs[id] = emptyLabState());
    lab.answers = { ...theirAnswers, ...lab.answers };
    if (theirLab.asked || lab.asked) lab.asked = { ...theirLab.asked, ...lab.asked };
    if (theirLab.earlier || lab.earlier) lab.earlier = { ...theirLab.earlier, ...lab.earlier };
    const theirsNewer = time(theirLab.updated) > time(lab.updated);
    lab.values = theirsNewer ? { ...lab.values, ...theirLab.values } : { ...theirLab.values, ...lab.values };
    if (theirsNewer) lab.updated = theirLab.updated;
  }
  if (theirEntry && (!myEntry || time(theirEntry.completed_at) > time(myEntry.completed_at))) mine.ledger[key] = structuredClone(theirEntry);
  const after = work(has(mine.labs, id) ? mine.labs[id] : null, has(mine.ledger, key) ? mine.ledger[key] : null);
  if (before === after) return "unchanged";
  return myLab || myEntry ? "updated" : "added";
}

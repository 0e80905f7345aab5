// The only module that touches localStorage. One namespaced, versioned document
// (schema.js). Every access is in try/catch: when storage is disabled or full the labs keep
// working in memory and `notice` says so; corrupt JSON is copied aside under
// `mlsysbook:v1:corrupt:<timestamp>` (never overwritten) and the student is told.
// Never wipe the whole Storage object: other sites' and other tools' keys on this origin are not ours.
import { CONFIG } from "./config.js";
import { documentProblems, emptyDocument, emptyLabState, ledgerEntryProblems, structureProblems } from "./schema.js";

const NOT_SAVING = "Not saving: this browser is blocking storage (disabled or full), so your answers last for this visit only and are lost on reload.";

function openStorage(win) {
  try {
    const ls = win.localStorage;
    const probe = CONFIG.storageKey + ":probe";
    ls.setItem(probe, "1");
    ls.removeItem(probe);
    return ls;
  } catch {
    return null;
  }
}

export class Store {
  /** @param {Window} win - injectable for tests. */
  constructor(win = globalThis) {
    this.key = CONFIG.storageKey;
    this.ls = openStorage(win);
    this.saving = this.ls !== null;
    this.notice = this.saving ? null : NOT_SAVING;
    this.memory = emptyDocument();
    this.listeners = new Set();
    this.memory = this.#load();
  }

  onNotice(fn) { this.listeners.add(fn); if (this.notice) fn(this.notice); }

  #tell(message) {
    this.notice = message;
    for (const fn of this.listeners) fn(message);
  }

  #stopSaving() {
    if (!this.saving) return;
    this.saving = false;
    this.#tell(NOT_SAVING);
  }

  // Read the stored document; a corrupt one is set aside first. Falls back to memory.
  #load() {
    if (!this.ls) return this.memory;
    let raw;
    try { raw = this.ls.getItem(this.key); } catch { this.#stopSaving(); return this.memory; }
    if (raw === null) return emptyDocument();
    let doc, problems;
    try { doc = JSON.parse(raw); problems = structureProblems(doc); } catch (err) { problems = [`not valid JSON (${err.message})`]; }
    if (problems.length === 0) return doc;
    this.#setAside(raw, problems);
    return emptyDocument();
  }

  #setAside(raw, problems) {
    const stamp = new Date().toISOString();
    let asideKey = CONFIG.corruptPrefix + stamp;
    try {
      for (let n = 1; this.ls.getItem(asideKey) !== null; n++) asideKey = `${CONFIG.corruptPrefix}${stamp}-${n}`;
      this.ls.setItem(asideKey, raw);
    } catch {
      // Could not keep a copy: then we must not overwrite the original either.
      this.saving = false;
      this.#tell(`Your saved work could not be read (${problems[0]}) and there is no room to keep a copy, so this page will not save over it. Your answers work for this visit only.`);
      return;
    }
    this.#tell(`Your saved work could not be read (${problems[0]}). It was kept, untouched, under the key "${asideKey}"; this page starts a fresh record.`);
  }

  // Apply `mutate` to the freshest copy (another tab may have written) and persist it.
  #update(mutate) {
    if (this.saving) {
      let raw = null;
      try { raw = this.ls.getItem(this.key); } catch { this.#stopSaving(); }
      if (raw !== null) {
        let problems;
        try { const doc = JSON.parse(raw); problems = structureProblems(doc); if (!problems.length) this.memory = doc; }
        catch (err) { problems = [`not valid JSON (${err.message})`]; }
        // Something else (another tab, a tool) left it unreadable: keep a copy before we write.
        if (problems.length) this.#setAside(raw, problems);
      }
    }
    mutate(this.memory);
    if (!this.saving) return;
    try { this.ls.setItem(this.key, JSON.stringify(this.memory)); } catch { this.#stopSaving(); }
  }

  /** A copy of one lab's {answers, values}. */
  labState(labId) {
    const saved = this.memory.labs[labId] ?? emptyLabState();
    return { answers: { ...saved.answers }, values: { ...saved.values } };
  }

  #touch(doc, labId) {
    const lab = doc.labs[labId] ?? (doc.labs[labId] = emptyLabState());
    lab.updated = new Date().toISOString();
    return lab;
  }

  /** Lock a prediction: the first answer wins, a later one is ignored. Returns the kept answer. */
  lockAnswer(labId, name, value) {
    this.#update((doc) => {
      const lab = this.#touch(doc, labId);
      if (!(name in lab.answers)) lab.answers[name] = value;
    });
    return this.memory.labs[labId].answers[name];
  }

  setValue(labId, name, value) {
    this.#update((doc) => { this.#touch(doc, labId).values[name] = value; });
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

  ledger() { return structuredClone(this.memory.ledger); }

  /**
   * The stored ledger map as it is now in localStorage (another tab or lab may have saved an
   * entry since this page loaded), for the state sent to Python on every render. Entries are
   * passed as stored: labkit validates them and skips what it cannot use. A document that has
   * become unreadable is left for the next write to set aside; the copy in memory is used.
   */
  readLedger() {
    if (this.saving) {
      try {
        const raw = this.ls.getItem(this.key);
        if (raw !== null && raw !== this.lastRead) { // unchanged since the last read: nothing to parse
          const doc = JSON.parse(raw);
          if (structureProblems(doc).length === 0) { this.memory = doc; this.lastRead = raw; }
        }
      } catch {
        // unreadable right now: keep what we have in memory
      }
    }
    return structuredClone(this.memory.ledger);
  }
  exportDocument() { return structuredClone(this.memory); }

  /** Merge a validated document: imported entries win, nothing else is lost. */
  importDocument(doc) {
    const problems = documentProblems(doc);
    if (problems.length) throw new Error(problems.join("; "));
    this.#update((mine) => {
      Object.assign(mine.ledger, doc.ledger);
      for (const [id, lab] of Object.entries(doc.labs)) {
        const into = mine.labs[id] ?? (mine.labs[id] = emptyLabState());
        into.answers = { ...lab.answers, ...into.answers }; // a locked answer stays locked
        into.values = { ...into.values, ...lab.values };
        into.updated = new Date().toISOString();
      }
    });
  }
}

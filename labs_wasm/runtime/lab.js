// One lab on a page: owns its state (through the Store) and its view; renders in the
// document's one Python (python.js), shared with the other labs the document shows.
// Flow (PROTOCOL.md section 3): control changes -> state updated and saved -> whole state
// sent to Python -> new tree patched into the DOM. Renders are coalesced: while one is in
// flight only the newest state waits, so a dragged slider never queues stale work.
// A soft navigation away disposes the controller: its listeners go, and a render still in
// flight is dropped (never patched into the next page, never saving a ledger entry).
import { h } from "./dom.js";
import { renderTree, patchChildren } from "./render.js";
import { accepts, withSavedState } from "./initial.js";
import { canonical } from "./schema.js";
import { showWaiting } from "./waiting.js";

export class LabController {
  constructor(section, store, python) {
    this.section = section;
    this.store = store;
    this.python = python;
    const urls = python.urls;
    this.labId = section.dataset.lab;
    this.root = section.querySelector(".lab-root") ?? section.appendChild(h("div", { class: "lab-root" }));
    this.status = section.querySelector(".lab-status");
    if (!this.status) {
      this.status = h("p", { class: "lab-status", role: "status", "aria-live": "polite" });
      this.root.before(this.status);
    }
    this.initialTree = JSON.parse(section.querySelector("script.lab-initial")?.textContent ?? "null");
    this.ledgerKey = this.initialTree?.ledger_key;
    this.state = store.labState(this.labId);
    // Bumped when the stored state changes under a render (reset, another tab): a tree
    // computed before that is stale and is never shown (nor its ledger entry saved).
    this.epoch = 0;
    this.rendered = null; // the state the shown live tree was computed from
    this.booting = null; // the boot attempt this lab follows
    this.stopped = false; // it failed after Python was up: "stopped", not "could not start"
    this.live = false;
    this.disposed = false;
    this.watching = false; // subscribed to the document's Python
    this.unsubscribe = []; // what dispose() undoes
    this.progress = { text: "Loading Python…" }; // the boot's latest step, shown below an early answer
    this.inflight = false;
    this.queued = false;
    this.ctx = {
      labId: this.labId,
      xref: JSON.parse(section.querySelector("script.lab-xref")?.textContent ?? "{}"),
      // The chapter this page is ({number, title}), written by the build (filter/lab.lua).
      chapter: chapterOf(section),
      urls,
      patch: patchChildren,
      onChange: (node, value) => this.change(node, value),
      onLedger: (node) => this.saveLedger(node),
      onReset: () => this.reset(),
      onError: (err) => this.fail(err),
    };
  }

  /** Show the embedded tree with the saved answers, then go live when Python is (or as soon
   *  as it is: start.js has started it already). */
  start() {
    this.unsubscribe.push(this.store.onNotice((text) => this.notice(text)), this.store.onChange(() => this.external()));
    if (!this.initialTree) return this.fail(new Error(`This page has no pre-rendered view for lab ${this.labId} (script.lab-initial is missing): rebuild the site`));
    try {
      this.showSaved();
    } catch (err) {
      return this.fail(err);
    }
    this.setState("loading");
    performance.mark(`lab:first-view:${this.labId}`);
    this.watchPython();
  }

  watchPython() {
    if (this.watching) return;
    this.watching = true;
    this.unsubscribe.push(this.python.subscribe(this));
  }

  /** The page this lab was on is gone (a soft navigation): stop listening, drop what is in flight. */
  dispose() {
    this.disposed = true;
    this.live = false;
    for (const off of this.unsubscribe) off?.();
    this.unsubscribe = [];
  }

  setState(state) { this.section.dataset.state = state; }
  /** Before Python is live: the build's tree with the stored answers and values laid over it. */
  showSaved() {
    renderTree(this.root, withSavedState(this.initialTree, this.state), this.ctx);
    this.showProgress();
  }

  /** Below an answer locked before Python is up: the boot's progress, or why it failed. */
  showProgress() {
    if (!this.rendered) showWaiting(this.root, this.progress, () => this.retry());
  }
  say(text) { this.status.textContent = text; }

  notice(text) {
    let el = this.section.querySelector(".lab-notice");
    if (!el) { el = h("p", { class: "lab-notice", role: "note" }); this.root.before(el); }
    el.textContent = text;
  }

  /** The boot's latest step (Python calls this for every lab): said, and shown below an early answer. */
  progressed(progress) {
    if (this.live || this.disposed) return;
    this.progress = progress;
    if (this.section.dataset.state !== "loading") return; // a failure's message stays until Retry
    this.say(progress.text);
    this.showProgress();
  }

  /** Go live when this boot attempt is done (at once when Python is already up). */
  async follow(booting) {
    if (this.disposed || this.booting === booting) return;
    this.booting = booting;
    this.live = false;
    this.clearError();
    this.setState("loading");
    this.progressed(this.python.progress);
    let mode;
    try {
      mode = await booting;
    } catch (err) {
      if (this.booting === booting && !this.disposed) this.fail(err);
      return;
    }
    if (this.booting !== booting || this.disposed) return;
    this.section.dataset.boot = mode; // "snapshot" or "standard": for tests, the bench and bug reports
    this.live = true; // from here on, changes go to Python (queued behind this first render)
    await this.refresh();
    if (this.disposed || this.section.dataset.state === "error") return;
    this.setState("ready");
    performance.mark(`lab:ready:${this.labId}`);
    this.say("Python is ready: the instruments are live.");
    // For the page (navigate.js fetches the next chapter once a lab is live); no lab data in it.
    this.section.dispatchEvent(new CustomEvent("lab:ready", { bubbles: true }));
  }

  /** Retry after a failure: Python starts again (every lab on the page follows it). */
  retry() {
    this.booting = null;
    this.stopped = false;
    this.watchPython();
    this.follow(this.python.start());
  }

  change(node, value) {
    if (this.disposed) return;
    if (node.locks) {
      this.store.lockAnswer(this.labId, node.name, value, node.version, (saved) => accepts(node, saved));
      this.say("Prediction locked in.");
      this.focusAfter = node.key; // the Lock in button is replaced: keep focus on its question
    } else {
      this.store.setValue(this.labId, node.name, value);
    }
    // Always the stored state (another tab may have changed other fields), never a copy
    // this page has kept since it loaded.
    this.state = this.store.labState(this.labId);
    if (this.live) { this.refresh(); return; }
    // Python is still loading: show the saved answer now; Python applies it when it arrives.
    this.showSaved();
    this.keepFocus();
    if (node.locks) this.say("Prediction locked in and saved. The instruments unlock as soon as Python is ready…");
  }

  async refresh() {
    if (!this.live) return;
    if (this.inflight) { this.queued = true; return; }
    this.inflight = true;
    this.section.dataset.busy = ""; // tests and the bench wait on this; no visual meaning
    try {
      do {
        this.queued = false;
        const epoch = this.epoch;
        // The ledger is read fresh for every render (PROTOCOL.md section 2): an entry saved
        // by another lab or tab since the last render is what the lab reads now.
        const state = { ...structuredClone(this.state), ledger: this.store.ledger() };
        const tree = await this.python.render(this.labId, state);
        if (this.disposed) return; // the page moved on: nothing of this lab is shown or saved
        if (epoch !== this.epoch) { this.queued = true; continue; } // reset or changed meanwhile
        this.rendered = state;
        renderTree(this.root, tree, this.ctx);
        this.keepFocus();
      } while (this.queued);
    } catch (err) {
      if (this.disposed) return;
      // Python may be stuck (a render timed out): a new worker on Retry, for every lab.
      this.python.stop();
      this.stopped = true;
      this.fail(err);
    } finally {
      this.inflight = false;
      delete this.section.dataset.busy;
    }
  }

  /** After a lock re-rendered the question, focus its group (the button that had focus is
   *  gone, and focus would fall to the page): the student hears "Locked in: ..." and tabs on
   *  into what was unlocked. Focus the student moved elsewhere is left alone. */
  keepFocus() {
    if (!this.focusAfter) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) { this.focusAfter = null; return; }
    const group = this.root.querySelector(`[data-key="${CSS.escape(this.focusAfter)}"]`);
    if (!group) return; // not rendered yet: try after the next render
    this.focusAfter = null;
    group.setAttribute("tabindex", "-1");
    group.focus({ preventScroll: true });
  }

  /**
   * Save the lab's ledger entry as the tree shows it. Only a tree computed from exactly what
   * is stored now may save (a stale tab or a render overtaken by a reset must not write its
   * entry back), and an unchanged entry keeps its first `completed_at`. Returns whether the
   * entry is saved.
   */
  saveLedger(node) {
    if (this.disposed) return false;
    const key = this.ledgerKey ?? node.entry.lab;
    const stored = this.store.labState(this.labId);
    if (!this.rendered || !sameWork(stored, this.rendered)) {
      this.queued = true; // the loop in refresh() renders the stored state next, and saves
      return this.store.saving;
    }
    const { completed_at: _new, ...entry } = node.entry;
    const { completed_at: was, ...before } = this.store.ledgerEntry(key) ?? {};
    if (was && canonical(before) === canonical(entry)) return this.store.saving;
    try {
      this.store.saveLedger(key, { ...entry, completed_at: new Date().toISOString() });
    } catch (err) {
      console.error(err);
      return false;
    }
    return this.store.saving;
  }

  reset() {
    this.store.resetLab(this.labId, this.ledgerKey);
    this.state = this.store.labState(this.labId);
    this.epoch++;
    this.say("This lab was reset.");
    if (this.live) this.refresh();
    else this.showSaved();
  }

  /** Another tab changed the stored document: show what is stored now. */
  external() {
    const mine = this.store.labState(this.labId);
    const changed = !sameWork(mine, this.state);
    this.state = mine;
    this.epoch++;
    if (changed) this.say("This lab was changed in another tab of this book; it now shows what is saved.");
    if (this.live) this.refresh(); // also when only another lab's entry changed: labs read the ledger
    else if (changed) this.showSaved();
  }

  fail(err) {
    if (this.disposed) return;
    console.warn(`lab ${this.labId}:`, err);
    this.live = false;
    this.booting = null;
    this.setState("error");
    this.say(this.stopped ? "The lab stopped: see the message below." : "The lab could not start.");
    this.progress = { failed: String(err?.message ?? err) };
    this.showProgress();
    this.clearError();
    const retry = h("button", { type: "button", class: "lab-retry", onclick: () => this.retry() }, "Retry");
    this.root.before(h("div", { class: "lab-error", role: "alert" },
      h("p", {}, h("strong", {}, "This lab hit a problem. "), String(err?.message ?? err)),
      h("p", {}, "The text above still reads fine. Check your connection, then ", retry, ".")));
  }

  clearError() { this.section.querySelector(".lab-error")?.remove(); }
}

// Same answers and values (key order aside): the student's work in two states is the same.
const sameWork = (a, b) => canonical([a.answers, a.values]) === canonical([b.answers, b.values]);

function chapterOf(section) {
  const { chapterNumber, chapterTitle } = section.dataset;
  return chapterTitle ? { number: chapterNumber || null, title: chapterTitle } : null;
}

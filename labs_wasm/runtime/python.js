// The document's one Python: a single worker (one WorkerClient) shared by every lab the
// document shows, including the labs of chapters a soft navigation brings in
// (assets/navigate.js), so the next chapter's lab renders without a second boot.
// Labs subscribe: they hear the boot's progress and follow each boot attempt (the first, and
// a new one after a failure, whichever lab's Retry started it).
import { WorkerClient } from "./worker-client.js";
import { CONFIG } from "./config.js";

export class Python {
  constructor(urls) {
    this.urls = urls;
    this.labs = new Set(); // subscribers: {progressed(progress), follow(bootPromise)}
    this.progress = { text: "Loading Python…" }; // the latest step, for a lab that mounts mid-boot
    this.booting = null; // the current attempt's promise of the boot mode; null before, and after a failure
    this.client = new WorkerClient((text, bytes) => this.#tell({ text, ...bytes }));
  }

  /** Start Python unless it is starting or up; every subscribed lab follows a new attempt. */
  start() {
    if (this.booting) return this.booting;
    const booting = this.#boot();
    this.booting = booting;
    booting.then(() => this.#tell({ text: "Starting the lab…" }), () => {
      if (this.booting === booting) this.booting = null; // the next start() tries again
    });
    for (const lab of this.labs) lab.follow(booting);
    return booting;
  }

  #boot() {
    this.#tell({ text: "Loading Python…" });
    const u = this.urls;
    // No wheel list: the worker's Python files (config.js paths.bundle) hold the wheels' contents.
    return this.client.boot({ pyodide: u.pyodideDir, pyodideVersion: CONFIG.pyodideVersion,
      bundle: u.bundle, bundleDir: CONFIG.bundleDir, snapshot: u.snapshot });
  }

  /** Stop the worker (a render failed: it may be stuck); the next start() boots a new one. */
  stop() {
    this.booting = null;
    this.client.terminate();
  }

  render(labId, state) { return this.client.render(labId, state); }

  /** `lab` hears the latest progress now and follows the current attempt; returns an unsubscribe. */
  subscribe(lab) {
    this.labs.add(lab);
    lab.progressed(this.progress);
    if (this.booting) lab.follow(this.booting);
    return () => this.labs.delete(lab);
  }

  #tell(progress) {
    this.progress = progress;
    for (const lab of this.labs) lab.progressed(progress);
  }
}

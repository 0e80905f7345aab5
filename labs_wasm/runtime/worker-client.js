// The page's side of the worker: start it, boot Pyodide with a deadline, and turn
// render requests into promises matched by id. One instance for the document's life
// (python.js): a failed boot is retried in a new Worker by calling boot() again.
import { CONFIG } from "./config.js";
import { firstUnreachable } from "./fetching.js";

// The worker's own module graph (worker.js imports these): probed when it fails to load.
export const WORKER_MODULES = ["worker.js", "heap.js", "fetching.js", "pyfiles.js", "config.js", "urls.js"];

export class WorkerClient {
  constructor(onProgress) {
    this.onProgress = onProgress;
    this.pending = new Map();
    this.nextId = 1;
    this.worker = null;
  }

  /** Resolve with the boot mode ("snapshot" | "standard") when Python is up; reject with a
   *  readable message on failure, or when the boot stops making progress. The deadline is
   *  about progress, not total time: every progress message from the worker (a phase, or
   *  more bytes of a download) restarts it, so a slow but moving download is never killed. */
  boot(urls) {
    this.terminate(); // a retry: the failed attempt's worker, if any, goes
    // A dedicated worker cannot see whether the service worker controls it (Chromium has no
    // navigator.serviceWorker there, nor the URL's fragment): its name tells it (worker.js).
    const name = navigator.serviceWorker?.controller ? "lab-python offline" : "lab-python";
    const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module", name });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      const seconds = Math.round(CONFIG.bootTimeoutMs / 1000);
      let timer = null;
      const watchdog = () => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(new Error(`Python did not start: nothing happened for ${seconds} s. The connection may be slow or a download stalled.`)), CONFIG.bootTimeoutMs);
      };
      const fail = (err) => {
        clearTimeout(timer);
        this.bootFail = null;
        if (this.worker === worker) this.terminate();
        reject(err);
      };
      watchdog();
      this.bootFail = fail;
      // A module worker that fails to load gives an error event with no detail: find the file.
      worker.onerror = (e) => {
        e.preventDefault?.();
        clearTimeout(timer);
        whyWorkerFailed(e).then((why) => fail(new Error(`The Python worker could not start: ${why}`)));
      };
      worker.onmessage = ({ data }) => {
        if (data.type === "progress") {
          if (this.bootFail) watchdog();
          this.onProgress(data.text, { loaded: data.loaded, total: data.total });
        } else if (data.type === "ready") { clearTimeout(timer); this.bootFail = null; resolve(data.boot); }
        else if (data.type === "render") this.#settle(data.id, (p) => p.resolve(data.tree));
        else if (data.type === "error") {
          if (data.id !== undefined && this.pending.has(data.id)) this.#settle(data.id, (p) => p.reject(new Error(data.message)));
          else if (this.bootFail) fail(new Error(data.message));
          else console.error(`lab worker: ${data.message}`);
        }
      };
      worker.postMessage({ type: "boot", urls, stallMs: CONFIG.downloadStallMs });
    });
  }

  #settle(id, fn) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    fn(entry);
  }

  render(lab, state) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.worker) { reject(new Error("The Python worker was stopped")); return; }
      const timer = setTimeout(() => this.#settle(id, (p) => p.reject(new Error(`Python took longer than ${CONFIG.renderTimeoutMs / 1000} s to update the lab`))), CONFIG.renderTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ type: "render", id, lab, state });
    });
  }

  terminate() {
    this.worker?.terminate();
    this.worker = null;
    for (const id of [...this.pending.keys()]) this.#settle(id, (p) => p.reject(new Error("The Python worker was stopped")));
  }
}

async function whyWorkerFailed(event) {
  if (event.message) return event.message; // it loaded and threw: the browser says what
  const urls = WORKER_MODULES.map((m) => new URL(`./${m}`, import.meta.url).href);
  const unreachable = await firstUnreachable(urls);
  return unreachable ? `could not download ${unreachable}. Check your connection, then retry.`
    : `its script (${urls[0]}) failed to load.`;
}

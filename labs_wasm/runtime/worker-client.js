// The page's side of the worker: start it, boot Pyodide with a deadline, and turn
// render requests into promises matched by id. One instance per boot attempt.
import { CONFIG } from "./config.js";

export class WorkerClient {
  constructor(onProgress) {
    this.onProgress = onProgress;
    this.pending = new Map();
    this.nextId = 1;
    this.worker = null;
  }

  /** Resolve with the boot mode ("snapshot" | "standard") when Python is up; reject with a
   *  readable message on failure or timeout. */
  boot(urls) {
    return new Promise((resolve, reject) => {
      const seconds = Math.round(CONFIG.bootTimeoutMs / 1000);
      const timer = setTimeout(() => fail(new Error(`Python did not start within ${seconds} s. The connection may be slow or a download stalled.`)), CONFIG.bootTimeoutMs);
      const fail = (err) => { clearTimeout(timer); this.terminate(); reject(err); };
      this.bootFail = fail;
      this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "lab-python" });
      this.worker.onerror = (e) => fail(new Error(`The Python worker could not start: ${e.message || "its script failed to load"}`));
      this.worker.onmessage = ({ data }) => {
        if (data.type === "progress") this.onProgress(data.text);
        else if (data.type === "ready") { clearTimeout(timer); this.bootFail = null; resolve(data.boot); }
        else if (data.type === "render") this.#settle(data.id, (p) => p.resolve(data.tree));
        else if (data.type === "error") {
          if (data.id !== undefined && this.pending.has(data.id)) this.#settle(data.id, (p) => p.reject(new Error(data.message)));
          else if (this.bootFail) fail(new Error(data.message));
          else console.error(`lab worker: ${data.message}`);
        }
      };
      this.worker.postMessage({ type: "boot", urls });
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

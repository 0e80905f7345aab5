// Page entry for chapter pages. Deliberately import-free: it first announces the whole
// runtime module graph as <link rel="modulepreload"> so the browser fetches it in one
// parallel wave instead of one round trip per import level (the first prediction must be
// visible within 0.5 s), adds the lab stylesheet if the page did not link it, then loads
// start.js. MODULES must list every module start.js reaches (a test checks it).
// If that module graph fails to load, every lab on the page says so, with a Retry.
export const MODULES = [
  "start.js", "storage.js", "schema.js", "config.js", "urls.js", "lab.js", "dom.js",
  "render.js", "initial.js", "waiting.js", "python.js", "worker-client.js", "fetching.js", "markdown.js", "plot.js",
  "renderers/text.js", "renderers/controls.js", "renderers/data.js", "math.js", "mathtext.js", "numbers.js",
  "../vendor/marked.esm.js", "../vendor/purify.min.js",
];

function preload(href, rel, extra = {}) {
  if (document.querySelector(`link[rel="${rel}"][href="${href}"]`)) return;
  const link = Object.assign(document.createElement("link"), { rel, href, ...extra });
  document.head.append(link);
}

export function ensureStylesheet() {
  const href = new URL("./lab.css", import.meta.url).href;
  const linked = [...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === href);
  if (!linked) preload(href, "stylesheet");
}

// The browser reports a failed module graph as "Failed to fetch dynamically imported module:
// start.js" even when another module failed: download each to find the one that did.
async function whatFailed(err) {
  try {
    const { firstUnreachable } = await import("./fetching.js");
    const unreachable = await firstUnreachable(MODULES.map((m) => new URL(m, import.meta.url).href));
    if (unreachable) return `part of the lab's code could not be downloaded (${unreachable})`;
  } catch {
    return `part of the lab's code, fetching.js (${new URL("fetching.js", import.meta.url).href}), could not be downloaded`;
  }
  return `the lab's code failed to load (${err?.message ?? err})`;
}

/** Every lab on the page says that it could not start, and why, with a Retry that reloads
 * the page: the browser caches a failed module graph, so only a reload fetches it again. */
export async function showStartFailure(err) {
  console.warn("lab runtime:", err);
  const why = await whatFailed(err);
  for (const section of document.querySelectorAll("section.lab")) {
    if (section.classList.contains("lab-unavailable")) continue;
    section.dataset.state = "error";
    let status = section.querySelector(".lab-status");
    if (!status) {
      status = Object.assign(document.createElement("p"), { className: "lab-status" });
      status.setAttribute("role", "status");
      section.prepend(status);
    }
    status.textContent = "The lab could not start.";
    section.querySelector(".lab-error")?.remove();
    const box = Object.assign(document.createElement("div"), { className: "lab-error" });
    box.setAttribute("role", "alert");
    const retry = Object.assign(document.createElement("button"), { type: "button", className: "lab-retry", textContent: "Retry" });
    retry.addEventListener("click", () => location.reload());
    const first = document.createElement("p");
    first.append(Object.assign(document.createElement("strong"), { textContent: "This lab could not start: " }), `${why}.`);
    const second = document.createElement("p");
    second.append("The chapter text still reads fine. Check your connection, then ", retry, " (this reloads the page; your saved answers are kept).");
    box.append(first, second);
    status.after(box);
  }
}

if (typeof document !== "undefined") {
  for (const m of MODULES) preload(new URL(m, import.meta.url).href, "modulepreload");
  ensureStylesheet();
  import("./start.js").catch(showStartFailure);
}

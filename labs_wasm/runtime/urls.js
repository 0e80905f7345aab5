// Resolve asset URLs once, against the page, so the site works under any sub-path and the
// worker (whose relative URLs resolve against its own script) only ever sees absolute URLs.
import { CONFIG } from "./config.js";

/** Absolute site-root URL (with a trailing slash) from an element's data-site-root. */
export function siteRoot(element, baseURI = document.baseURI) {
  let rel = element?.dataset?.siteRoot ?? "./";
  if (rel === "") rel = "./";
  if (!rel.endsWith("/")) rel += "/";
  return new URL(rel, baseURI).href;
}

/** Every asset URL the runtime needs, absolute, from one site root. */
export function assetUrls(root) {
  const at = (p) => new URL(p, root).href;
  return Object.freeze({
    pyodideDir: at(CONFIG.paths.pyodideDir),
    bundle: at(CONFIG.paths.bundle),
    snapshot: at(CONFIG.paths.snapshot),
    plotly: at(CONFIG.paths.plotly),
  });
}

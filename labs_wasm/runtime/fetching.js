// Downloads that say what failed. Used by the page and the worker (no DOM here): a bare
// "Failed to fetch" never reaches the student; every failure names the thing, its URL and
// whether the network or the server refused it.

const NETWORK = "the network request failed: check your connection";

/** The one message format: "Could not download <what> (<url>): <reason>". */
export function downloadError(what, url, reason) {
  return new Error(`Could not download ${what} (${url}): ${reason}`);
}

/** fetch() that resolves only with an ok Response; network and HTTP errors become one
 * readable Error. An abort (init.signal) is passed through untouched for the caller. */
export async function fetchOk(url, what, init = {}) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (init.signal?.aborted) throw init.signal.reason ?? err;
    throw downloadError(what, url, NETWORK);
  }
  if (!response.ok) throw downloadError(what, url, `HTTP ${response.status}`);
  return response;
}

/**
 * Download `url` as bytes, streaming, with a stall limit: when no bytes arrive for
 * `stallMs` (before the headers or between chunks) the download is abandoned with an error
 * that says so. A slow but moving download is never cut off. `onBytes(loaded, total)` is
 * called as bytes arrive (total is null when the server does not say).
 */
export async function fetchBytes(url, what, { stallMs = 0, onBytes = () => {} } = {}) {
  const controller = new AbortController();
  let timer = null;
  const stalled = () => controller.abort(downloadError(what, url,
    `no data arrived for ${Math.round(stallMs / 1000)} s, so the download was stopped: check your connection`));
  const watch = () => { if (stallMs > 0) { clearTimeout(timer); timer = setTimeout(stalled, stallMs); } };
  watch();
  try {
    const response = await fetchOk(url, what, { signal: controller.signal });
    const total = Number(response.headers.get("content-length")) || null;
    if (!response.body) return new Uint8Array(await response.arrayBuffer());
    const reader = response.body.getReader();
    let buffer = new Uint8Array(total ?? 1 << 20);
    let loaded = 0;
    for (;;) {
      watch();
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (controller.signal.aborted) throw controller.signal.reason;
        throw downloadError(what, url, `${NETWORK} part-way`);
      }
      if (chunk.done) break;
      if (loaded + chunk.value.length > buffer.length) {
        const bigger = new Uint8Array(Math.max(buffer.length * 2, loaded + chunk.value.length));
        bigger.set(buffer.subarray(0, loaded));
        buffer = bigger;
      }
      buffer.set(chunk.value, loaded);
      loaded += chunk.value.length;
      onBytes(loaded, total);
    }
    return loaded === buffer.length ? buffer : buffer.slice(0, loaded);
  } finally {
    clearTimeout(timer);
  }
}

/** Lowercase hex SHA-256 of `bytes` (Web Crypto; available in workers on http(s) pages). */
export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * After a script or module failed to load (the browser says nothing useful), find which of
 * `urls` cannot be downloaded and why. Returns "<url>: <reason>" for the first one that
 * fails, or null when they all download (then the failure was in the code itself).
 */
export async function firstUnreachable(urls) {
  for (const url of urls) {
    try {
      await fetchOk(url, url, { cache: "no-store" });
    } catch (err) {
      return `${url}: ${String(err.message).split("): ").at(-1)}`;
    }
  }
  return null;
}

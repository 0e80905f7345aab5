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
 * Download `url` as a stream of its bytes, with a stall limit: when no bytes arrive for
 * `stallMs` (before the headers or while a chunk is awaited) the download is abandoned and
 * the stream errors with a message that says so. A slow but moving download is never cut
 * off. `onBytes(loaded, total)` is called as bytes arrive (total is null when the server
 * does not say). Resolves once the headers are in.
 */
export async function fetchStream(url, what, { stallMs = 0, onBytes = () => {} } = {}) {
  const controller = new AbortController();
  let timer = null;
  const stalled = () => controller.abort(downloadError(what, url,
    `no data arrived for ${Math.round(stallMs / 1000)} s, so the download was stopped: check your connection`));
  const watch = () => { if (stallMs > 0) timer = setTimeout(stalled, stallMs); };
  watch();
  let response;
  try {
    response = await fetchOk(url, what, { signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
  const total = Number(response.headers.get("content-length")) || null;
  if (!response.body) return new Blob([await response.arrayBuffer()]).stream();
  const reader = response.body.getReader();
  let loaded = 0;
  return new ReadableStream({
    async pull(out) {
      watch(); // the clock runs only while we wait for the network, not for our reader
      let chunk;
      try {
        chunk = await reader.read();
      } catch {
        throw controller.signal.aborted ? controller.signal.reason : downloadError(what, url, `${NETWORK} part-way`);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) { out.close(); return; }
      loaded += chunk.value.length;
      onBytes(loaded, total);
      out.enqueue(chunk.value);
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
}

/** All of a byte stream in one Uint8Array (`size`, when known, sizes the buffer once). */
export async function collect(stream, size = 0) {
  const reader = stream.getReader();
  let buffer = new Uint8Array(size || 1 << 20);
  let loaded = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    if (loaded + chunk.value.length > buffer.length) {
      const bigger = new Uint8Array(Math.max(buffer.length * 2, loaded + chunk.value.length));
      bigger.set(buffer.subarray(0, loaded));
      buffer = bigger;
    }
    buffer.set(chunk.value, loaded);
    loaded += chunk.value.length;
  }
  return loaded === buffer.length ? buffer : buffer.slice(0, loaded);
}

/**
 * A byte stream that may be gzip: {gzip: true, stream: the decompressed bytes} when it starts
 * with gzip's magic bytes (1f 8b), otherwise {gzip: false, stream: the bytes as they are}. The
 * second case is a server that sent a .gz file with its own `Content-Encoding: gzip`: the
 * browser has already decompressed it.
 */
export async function gunzipIfGzip(stream) {
  const reader = stream.getReader();
  let head = new Uint8Array(0);
  while (head.length < 2) { // the magic bytes may straddle chunks
    const chunk = await reader.read();
    if (chunk.done) break;
    const joined = new Uint8Array(head.length + chunk.value.length);
    joined.set(head);
    joined.set(chunk.value, head.length);
    head = joined;
  }
  const rest = new ReadableStream({
    start(out) { if (head.length) out.enqueue(head); },
    async pull(out) {
      const chunk = await reader.read();
      if (chunk.done) out.close();
      else out.enqueue(chunk.value);
    },
    cancel(reason) { return reader.cancel(reason); },
  });
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  return { gzip, stream: gzip ? rest.pipeThrough(new DecompressionStream("gzip")) : rest };
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

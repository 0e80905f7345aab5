// The book's service worker, written to the site root by sitebuild/offline.py (which fills in
// PRECACHE). One cache per build holds every file a page can request, so after one visit
// every chapter and lab works offline. A page is only ever served its own build's files: a
// new build installs beside the old one and waits until the reader reloads (offline.js shows
// the notice), then the old cache is dropped.
"use strict";

// {version, files: paths relative to this script (the site root), bytes, unpacked: plain
// twins stored decompressed from their .gz (WebAssembly, which V8 caches compiled only
// from a real response)}
const PRECACHE = {{precache}};
const PREFIX = "mlsysbook-";
const CACHE = PREFIX + PRECACHE.version;
// Parallel downloads while installing (a browser opens about six connections per host).
const PARALLEL = 6;
const href = (path) => new URL(path, self.location).href;
const UNPACKED = new Set(PRECACHE.unpacked.map(href));
const PRECACHED = new Set([...PRECACHE.files, ...PRECACHE.unpacked].map(href));

// True while installing the first build of this registration: no page is controlled yet, so
// activation may take over the open pages (they were loaded from the network, this build).
let firstInstall = false;

self.addEventListener("install", (event) => {
  firstInstall = !self.registration.active;
  event.waitUntil(fillCache());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
    if (firstInstall) await self.clients.claim();
  })());
});

// offline.js's Reload button: the reader asked for the new build.
self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const key = cacheKey(request);
  if (key) {
    event.respondWith(fromCache(key, request));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => offlinePage(request.url)));
  }
  // Anything else goes to the network untouched; nothing is cached at run time.
});

// Every file is fetched past the HTTP cache (never an older build's copy). Any failure
// fails the install: the browser tries again later, and the pages keep working online.
async function fillCache() {
  const cache = await caches.open(CACHE);
  // An unpacked file's .gz is downloaded once, with it (unpack).
  const queue = [...PRECACHED].filter((url) => !(url.endsWith(".gz") && UNPACKED.has(url.slice(0, -3))));
  const next = async () => {
    for (let url = queue.shift(); url; url = queue.shift()) {
      if (UNPACKED.has(url)) await unpack(cache, url);
      else await cache.put(url, await download(url));
    }
  };
  try {
    await Promise.all(Array.from({ length: PARALLEL }, next));
  } catch (err) {
    queue.length = 0;
    await caches.delete(CACHE);
    throw err;
  }
  console.info(`offline copy: ${PRECACHE.files.length} files, ${(PRECACHE.bytes / 1e6).toFixed(1)} MB saved in ${CACHE}`);
}

async function download(url) {
  let response;
  try {
    response = await fetch(url, { cache: "no-cache" });
  } catch {
    throw new Error(`offline copy: could not download ${url}: the network request failed`);
  }
  if (!response.ok) throw new Error(`offline copy: could not download ${url}: HTTP ${response.status}`);
  // A host that redirects (x.html -> x) hands back a redirected response, which a browser
  // refuses as the answer to a navigation: keep the body and headers only.
  return response.redirected ? new Response(response.body, response) : response;
}

// Store `url`'s .gz as it is, and decompressed (unless the server already did, with its own
// Content-Encoding) under `url`.
async function unpack(cache, url) {
  const response = await download(`${url}.gz`);
  const packed = new Uint8Array(await response.arrayBuffer());
  const gzip = packed[0] === 0x1f && packed[1] === 0x8b;
  const body = gzip ? new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip")) : packed;
  let plain;
  try {
    plain = await new Response(body).arrayBuffer();
  } catch (err) {
    throw new Error(`offline copy: could not decompress ${url}.gz: ${err?.message ?? err}`);
  }
  const type = url.endsWith(".wasm") ? "application/wasm" : "application/octet-stream";
  await cache.put(`${url}.gz`, new Response(packed, response));
  await cache.put(url, new Response(plain, { headers: { "Content-Type": type } }));
}

// A page (a navigation, or navigate.js fetching the next chapter) ignores the query string,
// and a directory URL means its index.html, as a static server would have it.
function cacheKey(request) {
  const url = new URL(request.url);
  url.hash = "";
  if (request.mode === "navigate" || /(\.html|\/)$/.test(url.pathname)) {
    url.search = "";
    if (url.pathname.endsWith("/")) url.pathname += "index.html";
  }
  return PRECACHED.has(url.href) ? url.href : null;
}

let opened = null; // this build's cache, opened once per worker start
async function fromCache(key, request) {
  const cached = await (await (opened ??= caches.open(CACHE))).match(key);
  return cached ?? fetch(request); // the browser evicted the cache: the network, as without us
}

function offlinePage(url) {
  const home = new URL("index.html", self.registration.scope).href;
  const escape = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline</title></head>
<body><main>
<h1>You are offline</h1>
<p>This page (${escape(url)}) is not in the book's offline copy. The book's chapters and labs
are: start from <a href="${escape(home)}">the front page</a>.</p>
</main></body></html>`;
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

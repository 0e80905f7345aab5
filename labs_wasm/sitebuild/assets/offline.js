// The book's offline copy, from the page's side: registers sw.js (at the site root, written by
// sitebuild/offline.py) once the page has settled, and says when a new build of the book is
// waiting. Without service workers (an old browser, some private windows, file://) the book
// simply works online as before.
//
// <html data-offline> says how far it got: "waiting" for the page to settle, "registered",
// "ready" once an installed build (its cache complete) controls this page, "update" while a
// newer build waits.
(() => {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  const sw = navigator.serviceWorker;
  const html = document.documentElement;
  const LABS = "section.lab[data-lab]:not(.lab-unavailable)";

  // Registration waits for the page's load and its labs' start-up (ready or error): the
  // precache download never competes with a first lab's boot on a slow line.
  function whenSettled() {
    return new Promise((resolve) => {
      const settled = () => document.readyState === "complete" &&
        [...document.querySelectorAll(LABS)].every((s) => ["ready", "error"].includes(s.dataset.state));
      const observer = new MutationObserver(check);
      function check() {
        if (!settled()) return;
        observer.disconnect();
        window.removeEventListener("load", check);
        resolve();
      }
      observer.observe(document.body, { subtree: true, attributeFilter: ["data-state"] });
      window.addEventListener("load", check);
      check();
    });
  }

  function siteRoot() {
    let rel = html.dataset.siteRoot || "./";
    if (!rel.endsWith("/")) rel += "/";
    return new URL(rel, document.baseURI);
  }

  // The notice lives outside <main>, right after the skip links: the first stops for Tab.
  // An empty role=status region is in place before it is filled, so screen readers speak it.
  let notice = null;
  function noticeRegion() {
    if (notice) return notice;
    notice = document.createElement("div");
    notice.className = "update-notice";
    notice.setAttribute("role", "status");
    const header = document.querySelector(".site-header");
    if (header) header.before(notice); else document.body.prepend(notice);
    return notice;
  }

  function announce(registration) {
    html.dataset.offline = "update";
    const region = noticeRegion();
    if (region.firstChild) return;
    const text = document.createElement("p");
    text.textContent = "A new version of this book is available. Your saved answers and ledger are kept. ";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Reload";
    button.addEventListener("click", () => {
      button.disabled = true;
      // The page reloads when the new build takes over (controllerchange, below); if another
      // tab already let it in, there is nothing waiting and we reload now.
      if (registration.waiting) registration.waiting.postMessage({ type: "skip-waiting" });
      else location.reload();
    });
    text.append(button);
    region.append(text);
  }

  function watch(registration) {
    const announceWaiting = () => { if (registration.waiting && sw.controller) announce(registration); };
    announceWaiting();
    registration.addEventListener("updatefound", () => {
      const incoming = registration.installing;
      incoming?.addEventListener("statechange", () => { if (incoming.state === "installed") announceWaiting(); });
    });
    // A page load makes the browser look for a new sw.js; a tab left open for days, or read
    // on through soft navigations (navigate.js), looks when the reader comes back or moves on.
    const check = () => registration.update().catch(() => {});
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") check(); });
    document.addEventListener("book:after-swap", check);
  }

  // A page of one build is never served another build's files: when a new build takes over
  // a page that an older one controlled (the reader pressed Reload here or in another tab),
  // the page reloads. The first build taking over a page loaded from the network does not.
  let controller = sw.controller;
  let reloading = false;
  sw.addEventListener("controllerchange", () => {
    if (controller && !reloading) {
      reloading = true;
      location.reload();
      return;
    }
    controller = sw.controller;
    markReady();
  });

  // An activated build has its cache complete (its install downloaded every file).
  function markReady() {
    const active = sw.controller;
    if (!active) return;
    if (active.state !== "activated") active.addEventListener("statechange", markReady, { once: true });
    else if (html.dataset.offline !== "update") html.dataset.offline = "ready";
  }

  html.dataset.offline = "waiting";
  whenSettled().then(async () => {
    const root = siteRoot();
    const url = new URL("sw.js", root).href;
    let registration;
    try {
      registration = await sw.register(url, { scope: root.href });
    } catch (err) {
      console.warn(`offline copy: the service worker ${url} could not be registered (the book works online only): ${err?.message ?? err}`);
      return;
    }
    if (!registration) return; // register() blocked (Playwright's service_workers="block" resolves it with nothing)
    html.dataset.offline = "registered";
    watch(registration);
    await sw.ready;
    markReady();
  });
})();

// Soft navigation between the book's pages (issue 12): the next chapter's lab renders in the
// Python worker the page already has, instead of booting Python again.
//
// A click on a link to another page of this book that runs the same scripts fetches that
// page and swaps in what differs: the main column, the sidebar (its current chapter), the
// page's table of contents, the skip links, the title and the <html> attributes. History,
// focus, scroll and a screen-reader announcement follow what a page load would do: the new
// h1 (or the link's target) gets focus, the title is announced in a polite live region,
// Back and Forward swap back and restore the scroll position.
// Everything else is the browser's own navigation: modified clicks, targets, downloads,
// other origins, links within the page, pages with other scripts (the Ledger page, the class
// view), a page whose shape is not the one swapped here, and any failed fetch.
//
// The lab runtime and book.js/search.js hear two synchronous events on `document`:
// "book:before-swap" (the old content is still in: labs are disposed) and "book:after-swap"
// (the new content is in: labs mount, scroll regions are measured). `performance.mark
// ("nav:shown")` is set when the new content is in the DOM (the bench: next lab live =
// lab:ready:<id> - nav:shown).
(() => {
  "use strict";

  if (!window.fetch || !window.DOMParser || !history.pushState) return;

  // Body scripts a swapped-in page may carry (site-root relative): imported after the swap,
  // once per document (the module map keeps them). The lab runtime mounts new labs itself.
  const SOFT_BODY_SCRIPTS = ["assets/runtime/boot.js"];
  const SCROLL_SAVE_MS = 150;
  const HOVER_MS = 65;                                                   // a pointer passing over is no intent
  const PREFETCH_KEEP = 3;
  const HOLD_MS = 1000;
  const READER_SCROLLS = ["wheel", "touchstart", "keydown", "pointerdown"];

  const here = {
    root: siteRoot(document, location.href),
    headScripts: headScripts(document, location.href),
    csp: csp(document),
    shown: pageKey(location.href), // the page the DOM shows (path and query, no hash)
  };
  if (!sameShape(document) || !bodyScriptsAreSoft(document, location.href)) return; // e.g. the Ledger page

  let inFlight = null; // the AbortController of the navigation being fetched

  function siteRoot(doc, base) {
    const rel = doc.documentElement.getAttribute("data-site-root") || "./";
    return new URL(rel.endsWith("/") ? rel : rel + "/", base).href;
  }
  function srcs(elements, base) {
    return Array.from(elements, (s) => new URL(s.getAttribute("src"), base).href);
  }
  function headScripts(doc, base) { return srcs(doc.head.querySelectorAll("script[src]"), base).join("\n"); }
  function csp(doc) {
    return doc.querySelector('meta[http-equiv="Content-Security-Policy" i]')?.getAttribute("content") ?? "";
  }
  function pageKey(href) {
    const u = new URL(href);
    return u.origin + u.pathname + u.search;
  }
  function bodyScriptsAreSoft(doc, base) {
    const soft = SOFT_BODY_SCRIPTS.map((p) => here.root + p);
    return srcs(doc.body.querySelectorAll("script[src]"), base).every((src) => soft.includes(src));
  }
  // The body this file knows how to swap: skip links, the site header, and a layout of the
  // sidebar, the main column and an optional table of contents. Anything else: a real load.
  function sameShape(doc) {
    const body = Array.from(doc.body.children).filter((el) => !el.matches("a.skip-link"));
    const layout = doc.querySelector("body > .layout");
    return body.length === 2 && body[0].matches("header.site-header") && body[1] === layout
      && !!doc.querySelector("header.site-header a.book-title")
      && Array.from(layout.children).every((el) => el.matches("nav#book-contents, main#main, aside.page-toc"))
      && !!layout.querySelector(":scope > nav#book-contents") && !!layout.querySelector(":scope > main#main");
  }
  function compatible(doc, url) {
    return siteRoot(doc, url) === here.root && csp(doc) === here.csp
      && headScripts(doc, url) === here.headScripts && sameShape(doc) && bodyScriptsAreSoft(doc, url);
  }

  // ---- which clicks ----
  function softTarget(event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
    return pageLink(event.target);
  }
  function pageLink(target) {
    const a = target.closest?.("a[href]");
    if (!a || typeof a.href !== "string") return null;                   // (an SVG link's href is not a string)
    if ((a.target && a.target !== "_self") || a.hasAttribute("download") || /\bexternal\b/i.test(a.rel)) return null;
    const url = new URL(a.href);
    if (url.origin !== location.origin || !url.href.startsWith(here.root)) return null;
    if (pageKey(url.href) === here.shown) return null;                   // this page (a jump): the browser's
    if (!/(\.html|\/)$/.test(url.pathname)) return null;                 // a file, not a page
    return url;
  }

  // ---- scroll positions, kept in each history entry ----
  // Sections off screen are laid out at an estimated height (content-visibility, book.css), so
  // a pixel offset alone would land elsewhere in a page swapped in afresh. Keep an element with
  // an id (a section, a figure, the lab) that starts in the window, and where; else the one the
  // window is inside. Returning, that element is put back where it was.
  function position() {
    const main = document.getElementById("main");
    const box = main.getBoundingClientRect();
    const top = Math.max(0, document.querySelector(".site-header")?.getBoundingClientRect().bottom ?? 0);
    let inside = null;
    for (let y = top + 1; window.scrollY > 0 && y < window.innerHeight; y += 40) {
      let el = document.elementFromPoint(box.left + box.width / 2, y);
      while (el && el !== main && !el.id) el = el.parentElement;
      if (!el || el === main || !main.contains(el)) continue;
      const at = { scrollY: window.scrollY, id: el.id, top: el.getBoundingClientRect().top };
      if (at.top >= top - 1) return at;
      inside ??= at;
    }
    return inside ?? { scrollY: window.scrollY, id: null, top: 0 };
  }
  function saveScroll() {
    if (inFlight || pageKey(location.href) !== here.shown) return;     // the URL is ahead of the page
    history.replaceState({ ...history.state, scroll: position() }, "");
  }
  // Sections near the window take their real height over the next frames (and nothing
  // anchors the scroll through that): hold the element in place for a moment, unless the
  // reader scrolls first.
  function restoreScroll(pos) {
    const anchor = pos.id && document.getElementById(pos.id);
    if (!anchor) return window.scrollTo(0, pos.scrollY);
    anchor.scrollIntoView({ block: "start" });                          // rendered at its real height
    const until = performance.now() + HOLD_MS;
    let moved = false;
    const reader = () => { moved = true; };
    for (const type of READER_SCROLLS) window.addEventListener(type, reader, { passive: true, once: true });
    const step = () => {
      if (moved || !anchor.isConnected || performance.now() > until) {
        for (const type of READER_SCROLLS) window.removeEventListener(type, reader);
        return;
      }
      const off = anchor.getBoundingClientRect().top - pos.top;
      if (Math.abs(off) > 1) window.scrollTo(0, window.scrollY + off);
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }
  const savedScroll = (state) => (state?.scroll && typeof state.scroll.scrollY === "number" ? state.scroll : null);
  let saveTimer = null;
  window.addEventListener("scroll", () => { clearTimeout(saveTimer); saveTimer = setTimeout(saveScroll, SCROLL_SAVE_MS); }, { passive: true });
  window.addEventListener("pagehide", saveScroll);

  // ---- intent: a pointer resting on a link, a touch ----
  // The page is fetched while the reader's pointer rests on its link (as instant.page does;
  // not on keyboard focus, which passes over many links), and the lab runtime hears which labs
  // it holds ("book:prefetched", detail {labs}) to import them in the worker before the click.
  const early = new Map(); // pageKey -> Promise<{doc, final}>, taken by the navigation that uses it
  let hoverTimer = null;
  function prefetch(url) {
    const key = pageKey(url.href);
    if (early.has(key)) return;
    const page = load(url);
    early.set(key, page);
    if (early.size > PREFETCH_KEEP) early.delete(early.keys().next().value);
    page.then(({ doc, final }) => {
      if (!compatible(doc, final)) return;
      const labs = Array.from(doc.querySelectorAll("section.lab[data-lab]"), (s) => s.dataset.lab);
      if (labs.length) document.dispatchEvent(new CustomEvent("book:prefetched", { detail: { labs } }));
    }, () => { if (early.get(key) === page) early.delete(key); });
  }
  document.addEventListener("mouseover", (e) => {
    clearTimeout(hoverTimer);
    const url = pageLink(e.target);
    if (url) hoverTimer = setTimeout(() => prefetch(url), HOVER_MS);
  });
  document.addEventListener("mouseout", () => clearTimeout(hoverTimer));
  document.addEventListener("touchstart", (e) => { const url = pageLink(e.target); if (url) prefetch(url); }, { passive: true });
  // The next chapter is where a reader most often goes, by its link or the keyboard: once this
  // page's lab is live (nothing then competes with its boot), fetch that page while the
  // browser is idle, and its lab is warmed as a hovered link's is. A page without a lab waits
  // for its load. One page of HTML, from the offline copy when there is one.
  function prefetchNext() {
    const next = document.querySelector('nav.page-nav a[rel="next"]');
    const url = next && pageLink(next);
    if (!url) return;
    const idle = window.requestIdleCallback ?? ((fn) => setTimeout(fn, 200));
    idle(() => prefetch(url), { timeout: 2000 });
  }
  document.addEventListener("lab:ready", prefetchNext);
  document.addEventListener("book:after-swap", () => { if (!document.querySelector("section.lab[data-lab]")) prefetchNext(); });
  if (!document.querySelector("section.lab[data-lab]")) {
    if (document.readyState === "complete") prefetchNext();
    else window.addEventListener("load", prefetchNext, { once: true });
  }

  // ---- navigating ----
  async function load(url, signal) {
    const response = await fetch(url.href, { signal, headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status}`);
    if (!/text\/html/i.test(response.headers.get("Content-Type") ?? "")) throw new Error(`${url.href} is not a page`);
    const final = new URL(response.url || url.href);
    return { doc: new DOMParser().parseFromString(await response.text(), "text/html"), final };
  }

  async function go(url, { push, scroll = null }) {
    clearTimeout(hoverTimer);                                           // the click came first: no second fetch
    inFlight?.abort();
    const mine = (inFlight = new AbortController());
    document.documentElement.dataset.navigating = "";
    const fetched = early.get(pageKey(url.href));
    early.delete(pageKey(url.href));                                    // a parsed page is swapped in once
    let doc, final;
    try {
      ({ doc, final } = (fetched && (await fetched.catch(() => null))) || (await load(url, mine.signal)));
      if (mine.signal.aborted) return;                                 // a newer navigation took over
      final = new URL(final.href);
      final.hash = url.hash;
    } catch (err) {
      if (mine.signal.aborted) return;                                 // a newer navigation took over
      console.warn("navigate:", err);
      return hardNavigate(url, push);
    } finally {
      if (inFlight === mine) { inFlight = null; delete document.documentElement.dataset.navigating; }
    }
    if (!compatible(doc, final)) return hardNavigate(url, push);
    if (push) {
      saveScroll();
      history.pushState({}, "", final.href);
    } else if (final.href !== location.href) {
      history.replaceState(history.state, "", final.href);            // the server redirected
    }
    swap(doc);
    here.shown = pageKey(location.href);
    performance.mark("nav:shown");
    // hash: the id to land on (book.js keeps it below the header), none when returning to a saved place
    const jump = scroll ? "" : final.hash;
    document.dispatchEvent(new CustomEvent("book:after-swap", { detail: { url: location.href, hash: jump } }));
    runBodyScripts();
    land(jump, scroll);
  }

  function hardNavigate(url, push) {
    if (push) location.assign(url.href);
    else location.reload();                                             // Back/Forward: the URL is already there
  }

  function swap(doc) {
    // For readers without JavaScript; DOMParser (no scripting) parsed their content as markup.
    doc.querySelectorAll("noscript").forEach((n) => n.remove());
    document.dispatchEvent(new CustomEvent("book:before-swap"));
    document.title = doc.title;
    for (const name of ["lang", "dir", "data-site-root"]) {
      const value = doc.documentElement.getAttribute(name);
      if (value === null) document.documentElement.removeAttribute(name);
      else document.documentElement.setAttribute(name, value);
    }
    addHeadLinks(doc);
    const header = document.querySelector("header.site-header");
    document.querySelectorAll("body > a.skip-link").forEach((a) => a.remove());
    header.before(...Array.from(doc.querySelectorAll("body > a.skip-link"), (a) => document.adoptNode(a)));
    header.querySelector("a.book-title").setAttribute("href", doc.querySelector("header.site-header a.book-title").getAttribute("href"));
    const sidebar = document.getElementById("book-contents");
    const sidebarScroll = sidebar.scrollTop;                           // the reader's place in a long list
    sidebar.replaceChildren(...adoptChildren(doc.getElementById("book-contents")));
    sidebar.scrollTop = sidebarScroll;
    const main = document.getElementById("main");
    main.replaceChildren(...adoptChildren(doc.getElementById("main")));
    document.querySelector("body > .layout > aside.page-toc")?.remove();
    const toc = doc.querySelector("body > .layout > aside.page-toc");
    if (toc) main.after(document.adoptNode(toc));
  }

  function adoptChildren(el) { return Array.from(el.childNodes).map((n) => document.adoptNode(n)); }

  // Stylesheets and module preloads the new page lists and this document lacks (never removed:
  // every page of the book links the same stylesheets; a lab page also preloads the runtime).
  function addHeadLinks(doc) {
    const have = new Set(Array.from(document.head.querySelectorAll("link[href]"), (l) => `${l.rel} ${l.href}`));
    for (const link of doc.head.querySelectorAll('link[rel="stylesheet"][href], link[rel="modulepreload"][href]')) {
      const href = new URL(link.getAttribute("href"), location.href).href;
      if (have.has(`${link.rel} ${href}`)) continue;
      document.head.append(Object.assign(document.createElement("link"), { rel: link.rel, href }));
    }
  }

  // Scripts parsed by DOMParser never run: import the runtime's entry (once per document).
  function runBodyScripts() {
    for (const s of document.querySelectorAll('#main script[type="module"][src]')) {
      import(s.src).catch((err) => console.warn(`navigate: ${s.src} could not load:`, err));
    }
  }

  // Where the reader lands, what has focus, what is announced.
  function land(hash, scroll) {
    const target = hash.length > 1 ? document.getElementById(decodeHash(hash)) : null;
    if (scroll) restoreScroll(scroll);
    else if (target) target.scrollIntoView({ block: "start" });
    else window.scrollTo(0, 0);
    focusWithoutScroll(target ?? document.querySelector("#main h1") ?? document.getElementById("main"));
    announce(document.title);
  }

  function decodeHash(hash) {
    try { return decodeURIComponent(hash.slice(1)); } catch { return hash.slice(1); }
  }

  function focusWithoutScroll(el) {
    if (!el) return;
    if (!el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "-1");                               // focusable by script only
      el.addEventListener("blur", () => el.removeAttribute("tabindex"), { once: true });
    }
    el.focus({ preventScroll: true });
  }

  const announcer = Object.assign(document.createElement("p"), { className: "visually-hidden", id: "navigation-announcer" });
  announcer.setAttribute("role", "status");
  announcer.setAttribute("aria-live", "polite");
  announcer.setAttribute("aria-atomic", "true");
  document.body.append(announcer);
  function announce(text) {
    announcer.textContent = "";                                         // the same title twice is still read
    requestAnimationFrame(() => { announcer.textContent = text; });
  }

  // ---- wiring ----
  history.scrollRestoration = "manual";                                 // the content comes later than the browser restores
  document.addEventListener("click", (event) => {
    const url = softTarget(event);
    if (!url) return;
    event.preventDefault();
    go(url, { push: true });
  });
  window.addEventListener("popstate", (event) => {
    inFlight?.abort();                                                  // Back beats a click still loading
    const scroll = savedScroll(event.state);
    if (pageKey(location.href) === here.shown) {                        // a jump within this page
      if (!location.hash && scroll) restoreScroll(scroll);             // (to a hash: book.js settles on it)
      return;
    }
    go(new URL(location.href), { push: false, scroll });
  });
  // A reload, or a page loaded again from history: back where the reader was.
  const saved = savedScroll(history.state);
  if (saved) {
    const restore = () => restoreScroll(saved);
    if (document.readyState === "complete") restore();
    else window.addEventListener("load", restore, { once: true });
  }
})();

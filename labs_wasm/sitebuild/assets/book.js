// Book page behaviour that needs no framework (math is typeset at build time):
// - the header's height, for sticky offsets and for jump links that land below the header;
// - jump links that land on their heading, below the header, in long chapters;
// - scroll regions (wide tables, display math, code) that a keyboard can reach when they overflow;
// - on a phone, the book's contents behind a "Contents" disclosure button in the header.
// Listeners are bound once, to what a soft navigation (navigate.js) keeps (the header, the
// sidebar element, document, window); on its "book:after-swap" the new content is measured
// and its jump target settled, with nothing bound twice.
(() => {
  "use strict";

  // ---- header height -> --header-h (scroll-padding-top, sticky sidebar, the phone menu) ----
  function trackHeaderHeight() {
    const header = document.querySelector(".site-header");
    if (!header) return;
    const set = () => document.documentElement.style.setProperty("--header-h", header.offsetHeight + "px");
    set();
    new ResizeObserver(set).observe(header);
  }

  // ---- scroll regions ----
  // A region that overflows becomes focusable (a keyboard scrolls it with the arrow keys) and
  // a named region (axe: scrollable-region-focusable); one that fits adds no Tab stop. Other
  // scripts' tables get the same by sitting in an element with class "table-scroll", also
  // when added after load. Attributes an author set are left alone.
  const REGIONS = ".table-scroll, .math.display, main pre";
  const watched = new WeakSet();
  let captionIds = 0;

  function regionName(el) {
    const caption = el.querySelector(":scope > table > caption");
    if (caption) {
      if (!caption.id) caption.id = "table-caption-" + ++captionIds;
      return { labelledby: caption.id };
    }
    return { label: el.matches(".math.display") ? "Equation" : el.matches("pre") ? "Code" : "Table" };
  }

  function update(el) {
    if (!el.isConnected) return;
    const overflows = el.scrollWidth > el.clientWidth + 1;
    const ours = el.dataset.scrollRegion === "on";
    if (overflows && !ours && !el.hasAttribute("tabindex")) {
      el.dataset.scrollRegion = "on";
      el.tabIndex = 0;
      if (!el.hasAttribute("role")) { el.setAttribute("role", "region"); el.dataset.scrollRole = "on"; }
      if (!el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) {
        const name = regionName(el);
        if (name.labelledby) el.setAttribute("aria-labelledby", name.labelledby);
        else el.setAttribute("aria-label", name.label);
        el.dataset.scrollName = "on";
      }
    } else if (!overflows && ours) {
      delete el.dataset.scrollRegion;
      el.removeAttribute("tabindex");
      if (el.dataset.scrollRole) { el.removeAttribute("role"); delete el.dataset.scrollRole; }
      if (el.dataset.scrollName) {
        el.removeAttribute("aria-label");
        el.removeAttribute("aria-labelledby");
        delete el.dataset.scrollName;
      }
    }
  }

  const resized = new ResizeObserver((entries) => {
    for (const e of entries) update(e.target.closest(REGIONS) || e.target);
  });

  function watch(el) {
    if (watched.has(el)) return;
    watched.add(el);
    resized.observe(el);                        // the column changed width
    if (el.firstElementChild) resized.observe(el.firstElementChild);  // its content did
  }                                             // (both report once it is first laid out)

  function watchWithin(root) {
    if (root.matches?.(REGIONS)) watch(root);
    root.querySelectorAll?.(REGIONS).forEach(watch);
  }

  // Sections off screen skip layout (content-visibility: auto, book.css), so a ResizeObserver
  // hears of their regions only once they render. Measure every region once, when the page is
  // idle (after the lab's first paint), so the whole page is right before it is scrolled to.
  // <html data-scroll-regions="measured"> says every region is up to date (tests wait on it).
  function measureAllWhenIdle() {
    document.documentElement.dataset.scrollRegions = "pending";
    const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 200));
    idle(() => {
      document.querySelectorAll(REGIONS).forEach(update);   // ~1-40 ms on the longest chapters
      document.documentElement.dataset.scrollRegions = "measured";
    }, { timeout: 1000 });
  }

  function trackScrollRegions() {
    document.querySelectorAll(REGIONS).forEach(watch);
    new MutationObserver((records) => {
      for (const r of records) {
        r.addedNodes.forEach((n) => {
          if (n.nodeType !== 1) return;
          if (n.parentElement?.matches(REGIONS)) resized.observe(n);   // a region's new content
          watchWithin(n);
        });
      }
    }).observe(document.body, { childList: true, subtree: true });
    measureAllWhenIdle();
    // A web font arriving (KaTeX's, requested only when math is first laid out) widens the
    // math without resizing its box, which the ResizeObserver would not hear of.
    document.fonts?.addEventListener("loadingdone", () => measureAllWhenIdle());
    // New content from a soft navigation: its regions are watched as they are added (above).
    document.addEventListener("book:after-swap", measureAllWhenIdle);
    let pending = null;
    window.addEventListener("resize", () => {   // regions in skipped sections hear of it only here
      document.documentElement.dataset.scrollRegions = "pending";
      clearTimeout(pending);
      pending = setTimeout(measureAllWhenIdle, 150);
    });
  }

  // ---- jump links ----
  // Sections off screen are laid out at an estimated height (content-visibility, book.css)
  // until they come near the viewport. A jump to a far heading renders the sections around
  // it at their real heights after the browser has scrolled, so the heading drifts away
  // (by a screen or more on a phone). Scroll to it again until it stays put, below the
  // header (html's scroll-padding-top).
  function settleOn(id) {
    const target = id && document.getElementById(id);
    if (!target) return;
    let tries = 0;
    const step = () => {
      const want = parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0;
      if (Math.abs(target.getBoundingClientRect().top - want) <= 2 || tries++ >= 6) return;
      const before = window.scrollY;
      target.scrollIntoView({ block: "start" });
      if (window.scrollY !== before) requestAnimationFrame(step);   // else: as far as the page goes
    };
    requestAnimationFrame(() => requestAnimationFrame(step));
  }

  function hashTarget(hash) {
    try { return decodeURIComponent(hash.slice(1)); } catch { return hash.slice(1); }
  }

  function trackJumps() {
    window.addEventListener("hashchange", () => settleOn(hashTarget(location.hash)));
    document.addEventListener("book:after-swap", (e) => {   // a soft navigation to a heading
      if (e.detail?.hash) settleOn(hashTarget(e.detail.hash));
    });
    document.addEventListener("click", (e) => {       // a link to the hash already in the URL
      const a = e.target.closest?.("a[href*='#']");
      if (a && a.hash && a.hash === location.hash && a.pathname === location.pathname) settleOn(hashTarget(a.hash));
    });
    if (location.hash) {
      const settle = () => settleOn(hashTarget(location.hash));
      if (document.readyState === "complete") settle();
      else window.addEventListener("load", settle, { once: true });
    }
  }

  // ---- the phone's Contents menu ----
  // Without JavaScript the header's "Contents" link jumps to the sidebar (book.css shows it
  // as the link's :target). With it, the link becomes a disclosure button opening the sidebar
  // as a panel under the header, scrolled to the current chapter; Escape closes it and
  // returns focus to the button.
  function contentsMenu() {
    const link = document.querySelector("a.contents-toggle");
    const panel = document.getElementById("book-contents");
    if (!link || !panel) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.textContent = link.textContent;
    button.setAttribute("aria-controls", panel.id);
    button.setAttribute("aria-expanded", "false");
    link.replaceWith(button);

    const isOpen = () => button.getAttribute("aria-expanded") === "true";
    function setOpen(open, { returnFocus = false } = {}) {
      button.setAttribute("aria-expanded", String(open));
      panel.classList.toggle("is-open", open);
      if (open) {
        const current = panel.querySelector('[aria-current="page"]');
        if (current) {
          const p = panel.getBoundingClientRect();
          const c = current.getBoundingClientRect();
          panel.scrollTop += c.top - p.top - (panel.clientHeight - c.height) / 2;
        }
      } else if (returnFocus) {
        button.focus();
      }
    }
    button.addEventListener("click", () => setOpen(!isOpen()));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && isOpen()) {
        e.preventDefault();
        setOpen(false, { returnFocus: panel.contains(document.activeElement) || document.activeElement === button });
      }
    });
    document.addEventListener("click", (e) => {
      if (isOpen() && !panel.contains(e.target) && !button.contains(e.target)) setOpen(false);
    });
    panel.addEventListener("click", (e) => {       // a link within this page: close the menu
      if (e.target.closest("a")) setOpen(false);
    });
    document.addEventListener("book:after-swap", () => setOpen(false));   // another page came in
    panel.addEventListener("focusout", (e) => {    // Tab past its last link: the page it covered
      const next = e.relatedTarget;
      if (isOpen() && next && !panel.contains(next) && next !== button) setOpen(false);
    });
  }

  function start() {
    trackHeaderHeight();
    contentsMenu();
    trackScrollRegions();
    trackJumps();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// Client-side search over search.json (built by sitebuild): filters as you type.
// Keyboard: type in the box, ArrowDown moves into the results, ArrowUp/ArrowDown move between
// them, Enter follows a link, Escape closes the list and returns to the box.
// After a soft navigation (navigate.js, "book:after-swap") the box is emptied and closed, and
// result links are made against the new page's site root (pages sit at different depths).
(() => {
  "use strict";

  const MAX_RESULTS = 12;
  const root = () => document.documentElement.dataset.siteRoot || "";
  const input = document.getElementById("search-input");
  const box = document.getElementById("search-results");
  if (!input || !box) return;

  let records = null;
  let loading = null;

  function load() {
    if (!loading) {
      loading = fetch(root() + "search.json")
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
        .then((data) => {
          records = data.map((r) => ({ ...r, hay: (r.title + " " + r.section + " " + r.text).toLowerCase() }));
        })
        .catch((err) => {
          records = [];
          showMessage("Search is unavailable (" + err.message + ").");
        });
    }
    return loading;
  }

  function showMessage(text) {
    box.replaceChildren();
    const p = document.createElement("p");
    p.className = "search-message";
    p.setAttribute("role", "status");
    p.textContent = text;
    box.append(p);
    box.hidden = false;
  }

  function snippet(text, terms) {
    const lower = text.toLowerCase();
    const at = Math.max(0, lower.indexOf(terms[0]));
    const start = Math.max(0, at - 60);
    return (start > 0 ? "…" : "") + text.slice(start, start + 180) + (start + 180 < text.length ? "…" : "");
  }

  function score(r, terms) {
    let s = 0;
    for (const t of terms) {
      if (!r.hay.includes(t)) return 0;
      if (r.section.toLowerCase().includes(t)) s += 3;
      if (r.title.toLowerCase().includes(t)) s += 2;
      s += 1;
    }
    return s;
  }

  function update() {
    const terms = input.value.toLowerCase().split(/\s+/).filter((t) => t.length > 1);
    if (terms.length === 0) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    if (records === null) {
      load().then(update);
      return;
    }
    const hits = records
      .map((r) => [score(r, terms), r])
      .filter(([s]) => s > 0)
      .sort((a, b) => b[0] - a[0])
      .slice(0, MAX_RESULTS);
    if (hits.length === 0) {
      showMessage("No results for “" + input.value.trim() + "”.");
      return;
    }
    const list = document.createElement("ul");
    list.setAttribute("aria-label", "Search results");
    for (const [, r] of hits) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = root() + r.href;
      const head = document.createElement("span");
      head.className = "search-hit-title";
      head.textContent = r.section ? r.title + " › " + r.section : r.title;
      const body = document.createElement("span");
      body.className = "search-hit-text";
      body.textContent = snippet(r.text, terms);
      a.append(head, body);
      li.append(a);
      list.append(li);
    }
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.textContent = hits.length + " result" + (hits.length === 1 ? "" : "s");
    box.replaceChildren(status, list);
    box.hidden = false;
  }

  function links() {
    return Array.from(box.querySelectorAll("a"));
  }

  input.addEventListener("focus", load, { once: true });
  document.addEventListener("book:after-swap", () => {
    input.value = "";
    update();
  });
  input.addEventListener("input", update);
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && !box.hidden) {
      const first = links()[0];
      if (first) { e.preventDefault(); first.focus(); }
    } else if (e.key === "Escape") {
      input.value = "";
      update();
    }
  });
  box.addEventListener("keydown", (e) => {
    const all = links();
    const i = all.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && i < all.length - 1) { e.preventDefault(); all[i + 1].focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? all[i - 1] : input).focus(); }
    else if (e.key === "Escape") { e.preventDefault(); box.hidden = true; input.focus(); }
  });
})();

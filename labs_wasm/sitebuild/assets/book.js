// Book page behaviour that needs no framework: math rendering with the self-hosted KaTeX.
// Pandoc (--katex) writes math as <span class="math inline">\(...\)</span> or
// <span class="math display">\[...\]</span>; we render each span in place.
(() => {
  "use strict";

  function stripDelimiters(text) {
    const t = text.trim();
    if ((t.startsWith("\\(") && t.endsWith("\\)")) || (t.startsWith("\\[") && t.endsWith("\\]"))) {
      return t.slice(2, -2);
    }
    return t;
  }

  function renderMath() {
    if (typeof window.katex === "undefined") return;  // KaTeX failed to load: leave TeX readable
    for (const el of document.querySelectorAll("span.math")) {
      if (el.dataset.rendered) continue;
      const tex = stripDelimiters(el.textContent);
      try {
        window.katex.render(tex, el, { displayMode: el.classList.contains("display"), throwOnError: false });
        el.dataset.rendered = "1";
      } catch (err) {
        console.warn("KaTeX could not render", tex, err);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderMath);
  } else {
    renderMath();
  }
})();

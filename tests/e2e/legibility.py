"""Is every chart under a root legible as drawn? Measured on the real Plotly SVG in the browser.

``chart_problems(page, root_selector)`` returns one readable line per problem (an empty list
when every chart reads well). It waits for draws in progress, then runs one ``page.evaluate``
and changes nothing on the page, so a walkthrough can call it after any step. What it checks, on every drawn chart (a Plotly div
with a non-zero box) under the root:

- every text (tick labels, axis and chart titles, legend, annotations, bar and point labels)
  is drawn at >= MIN_FONT_PX, after Plotly's own shrinking (a ``scale()`` on bar labels) and
  for each part of it (a superscript tspan);
- no two texts overlap, and no text lies under the legend's box (rotated labels are compared
  as rotated rectangles, not as their axis-aligned boxes);
- no text is cut by the chart's edge or ends in an ellipsis;
- a log axis that spans several decades labels decades only (no "7 8 9 10 2 3");
- no line (HIDDEN_SHARE of it or more) or set of markers is drawn under a later, solid trace
  at least as wide: a curve that shows only at its ends does not read as a curve.
"""
from __future__ import annotations

MIN_FONT_PX = 11
#: Two boxes that overlap by less than this (px, along the axis where they overlap least) are
#: touching, not covering: a text's box includes its font's line gap.
OVERLAP_TOLERANCE_PX = 2
#: A log axis spanning at least this many decades labels decades only.
DECADES_ONLY_FROM = 2
#: A line with this share of its length under a later solid line counts as hidden.
HIDDEN_SHARE = 0.9

_SCRIPT = r"""
([rootSelector, minFont, tol, decades, hiddenShare]) => {
  const problems = [];
  const roots = document.querySelectorAll(rootSelector);
  const where = (div) => {
    const fig = div.closest('[data-key]');
    const lab = div.closest('section.lab');
    const title = div._fullLayout?.title?.text;
    return `${lab?.dataset.lab ?? '?'} ${fig?.dataset.key ?? 'chart'}` + (title ? ` ("${title.replace(/<br>/g, ' ').replace(/<[^>]+>/g, '')}")` : '');
  };
  const KINDS = [
    ['.gtitle', 'chart title'], ['.legendtext', 'legend entry'], ['.annotation', 'annotation'],
    ['[class*="title"]', 'axis title'], ['.bartext', 'bar label'], ['.textpoint', 'point label'],
    ['[class$="tick"]', 'tick label'],
  ];
  const kindOf = (el) => {
    for (const [sel, name] of KINDS) if (el.closest(sel)) return name;
    return 'text';
  };
  const visible = (el) => {
    for (let e = el; e && e.tagName !== 'svg'; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    }
    return true;
  };
  const scaleOf = (m) => Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
  const corners = (el) => {
    const b = el.getBBox(), m = el.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  // Separating-axis test on two convex quads: the smallest overlap along any edge normal
  // (0 when they are apart). Rotated labels keep their true shape.
  const depth = (p, q) => {
    let least = Infinity;
    for (const poly of [p, q]) for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
      let nx = y1 - y2, ny = x2 - x1; const len = Math.hypot(nx, ny);
      if (!len) continue; nx /= len; ny /= len;
      const proj = (pts) => pts.map(([x, y]) => x * nx + y * ny);
      const a = proj(p), b = proj(q);
      const o = Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b));
      if (o <= 0) return 0;
      least = Math.min(least, o);
    }
    return least;
  };
  const short = (s) => (s.length > 40 ? s.slice(0, 39) + '…' : s);

  for (const root of roots) for (const div of root.querySelectorAll('.js-plotly-plot')) {
    const box = div.getBoundingClientRect();
    if (!box.width || !box.height || !div._fullLayout) continue;   // not drawn (hidden tab)
    const at = where(div);
    const texts = [];
    for (const el of div.querySelectorAll('svg.main-svg text')) {
      if (el.closest('.hoverlayer') || !el.textContent.trim() || !visible(el)) continue;
      const label = el.textContent.trim();
      const kind = kindOf(el);
      // Font size: the smallest drawn size of any part of the text (tspans may be smaller).
      let px = Infinity;
      for (const part of [el, ...el.querySelectorAll('tspan')]) {
        if (!part.textContent.trim()) continue;
        px = Math.min(px, parseFloat(getComputedStyle(part).fontSize) * scaleOf(part.getScreenCTM()));
      }
      if (px < minFont - 0.05) problems.push(`${at}: ${kind} "${short(label)}" is ${px.toFixed(1)} px (< ${minFont} px)`);
      if (/(…|\.\.\.)$/.test(label)) problems.push(`${at}: ${kind} "${short(label)}" is truncated`);
      const poly = corners(el);
      const xs = poly.map((p) => p[0]), ys = poly.map((p) => p[1]);
      if (Math.min(...xs) < box.left - 1 || Math.max(...xs) > box.right + 1 || Math.min(...ys) < box.top - 1 || Math.max(...ys) > box.bottom + 1) {
        problems.push(`${at}: ${kind} "${short(label)}" is cut by the chart's edge`);
      }
      texts.push({ el, label, kind, poly, legend: !!el.closest('.legend') });
    }
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i], b = texts[j];
      if (depth(a.poly, b.poly) > tol) problems.push(`${at}: ${a.kind} "${short(a.label)}" overlaps ${b.kind} "${short(b.label)}"`);
    }
    for (const bg of div.querySelectorAll('.legend rect.bg')) {
      const r = bg.getBBox(); if (!r.width) continue;
      const poly = corners(bg);
      for (const t of texts) if (!t.legend && depth(t.poly, poly) > tol) problems.push(`${at}: ${t.kind} "${short(t.label)}" lies under the legend`);
    }
    // Log axes: decades only once the range spans several; never Plotly's bare minor digits.
    for (const [name, ax] of Object.entries(div._fullLayout)) {
      if (!/^[xy]axis\d*$/.test(name) || ax?.type !== 'log' || !ax.visible) continue;
      const vals = (ax._vals ?? []).filter((v) => v.text !== undefined && v.text !== '');
      const span = Math.abs(ax.range[1] - ax.range[0]);
      // An axis reaching far past its data: something placed in data units where Plotly wants
      // log10 units (an annotation on a log axis), squashing the data into a sliver.
      const letter = name[0], id = ax._id;
      const logs = (div.data ?? []).filter((t) => (t[`${letter}axis`] ?? letter) === id)
        .flatMap((t) => [...(t[letter] ?? [])]).filter((v) => typeof v === 'number' && v > 0).map(Math.log10);
      if (logs.length && ax.autorange !== false && (Math.max(...ax.range) - Math.max(...logs) > 3 || Math.min(...logs) - Math.min(...ax.range) > 3)) {
        problems.push(`${at}: log ${name} runs from 1e${Math.min(...ax.range).toFixed(0)} to 1e${Math.max(...ax.range).toFixed(0)}, far past its data (1e${Math.min(...logs).toFixed(0)} to 1e${Math.max(...logs).toFixed(0)}), squeezing it: an annotation's text, or a value in data units where a log axis wants log10?`);
      }
      if (ax.tickmode === 'array') continue;   // values the lab chose (2, 4, 8, ...): read as given
      const digits = vals.filter((v) => /^[2-9]$/.test(String(v.text).replace(/<[^>]+>/g, '').trim()));
      const offDecade = vals.filter((v) => Math.abs(v.x - Math.round(v.x)) > 1e-6);
      if (digits.length) problems.push(`${at}: log ${name} has bare minor tick labels (${vals.map((v) => String(v.text).replace(/<[^>]+>/g, '')).join(' ')})`);
      else if (span >= decades && offDecade.length) problems.push(`${at}: log ${name} spans ${span.toFixed(1)} decades but labels non-decades (${offDecade.length} of ${vals.length})`);
    }
    // Traces drawn entirely under a later solid trace: every sample of the earlier one lies
    // within the later one's stroke (lines), or every marker sits under a later marker.
    const traces = [...div.querySelectorAll('.cartesianlayer g.trace.scatter')].map((g) => {
      const path = g.querySelector('path.js-line');
      const line = path && path.getTotalLength() > 0 ? (() => {
        const m = path.getScreenCTM(), n = 60, len = path.getTotalLength(), s = getComputedStyle(path);
        const pts = Array.from({ length: n + 1 }, (_, i) => path.getPointAtLength((len * i) / n)).map((p) => [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]);
        const dense = Array.from({ length: 301 }, (_, i) => path.getPointAtLength((len * i) / 300)).map((p) => [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]);
        const dash = s.strokeDasharray;
        return { pts, dense, width: parseFloat(s.strokeWidth) || 0, solid: !dash || dash === 'none', opaque: parseFloat(s.strokeOpacity ?? '1') >= 0.9 && parseFloat(s.opacity) >= 0.9 };
      })() : null;
      // An open marker (no fill) hides nothing under it.
      const marks = [...g.querySelectorAll('path.point')].map((p) => { const r = p.getBoundingClientRect(), s = getComputedStyle(p); return [r.x + r.width / 2, r.y + r.height / 2, r.width, s.fill !== 'none' && parseFloat(s.fillOpacity) > 0.5]; });
      return { name: g.__data__?.[0]?.trace?.name ?? 'a trace', line, marks, visible: visible(g) };
    }).filter((t) => t.visible);
    const near = (p, pts, r) => pts.some(([x, y]) => Math.hypot(x - p[0], y - p[1]) <= r);
    for (let i = 0; i < traces.length; i++) {
      const a = traces[i];
      for (const b of traces.slice(i + 1)) {
        const lineHidden = !a.line || (b.line && b.line.solid && b.line.opaque && b.line.width >= a.line.width &&
          a.line.pts.filter((p) => near(p, b.line.dense, Math.max(1, (b.line.width - a.line.width) / 2 + 1))).length >= hiddenShare * a.line.pts.length);
        const marksHidden = a.marks.every(([x, y, w]) => b.marks.some(([bx, by, bw, solid]) => solid && bw >= w && Math.hypot(bx - x, by - y) <= 1));
        if ((a.line || a.marks.length) && lineHidden && marksHidden) {
          problems.push(`${at}: trace "${a.name}" is hidden under "${b.name}" (${Math.round(hiddenShare * 100)}% or more of it)`);
          break;
        }
      }
    }
  }
  return problems;
}
"""


def chart_problems(page, root_selector: str = "section.lab") -> list[str]:
    """One line per legibility problem of the drawn charts under ``root_selector`` (after any
    draw in progress ends: runtime/plot.js marks a chart data-drawing while it draws)."""
    page.wait_for_function("root => !document.querySelector(`${root} .lab-plot[data-drawing]`)",
                           arg=root_selector, timeout=15_000)
    return page.evaluate(_SCRIPT, [root_selector, MIN_FONT_PX, OVERLAP_TOLERANCE_PX, DECADES_ONLY_FROM, HIDDEN_SHARE])

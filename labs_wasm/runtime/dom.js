// A tiny element builder: h("p", {class: "x", onclick: fn}, "text", child).
// Attributes are set with setAttribute (never innerHTML); `on*` keys add listeners.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A DOM id safe for `for=`/`aria-*` references, unique per lab and node key. */
export function domId(labId, key, suffix = "") {
  const clean = (s) => String(s).replace(/[^A-Za-z0-9_-]+/g, "-");
  return `lab-${clean(labId)}-${clean(key)}${suffix ? "-" + suffix : ""}`;
}

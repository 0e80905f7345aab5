// Renderers for native, keyboard-operable controls: choice (fieldset/legend radios),
// number_input, slider (range + number alternative), select, toggle, tabs, reset.
// Controls call ctx.onChange(node, value); a `locks` control only does so on an explicit
// "Lock in" so that arrowing through radios never commits a prediction by accident.
// Updates happen in place and skip the focused element, so typing is never clobbered.
import { h, domId } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { displayBounds, fromDisplay, snap, toDisplay } from "../numbers.js";

const inline = (text, ctx) => renderMarkdown(text, ctx.xref, { inline: true });
const optionLabel = (options, value) => options.find((o) => o.value === value)?.label ?? String(value);

function radioGroup(node, ctx, groupClass) {
  const name = domId(ctx.labId, node.key);
  const locked = Boolean(node.locked);
  const el = h("fieldset", { class: groupClass },
    h("legend", {}, inline(node.label, ctx)),
    h("div", { class: "lab-options" }, node.options.map((opt, i) => {
      const id = `${name}-${i}`;
      return h("div", { class: "lab-option" },
        h("input", { type: "radio", id, name, value: String(opt.value), checked: node.value === opt.value, disabled: locked }),
        h("label", { for: id }, inline(opt.label, ctx)));
    })));
  el._labOptions = node.options;
  return el;
}

function selectedValue(el) {
  const checked = el.querySelector("input[type=radio]:checked");
  if (!checked) return null;
  return el._labOptions.find((o) => String(o.value) === checked.value)?.value ?? checked.value;
}

const choice = {
  create(node, ctx) {
    const el = radioGroup(node, ctx, "lab-choice");
    if (node.locks && !node.locked) {
      const button = h("button", { type: "button", class: "lab-commit", disabled: node.value === null },
        "Lock in my prediction");
      el.addEventListener("change", () => { button.disabled = selectedValue(el) === null; });
      button.addEventListener("click", () => {
        const value = selectedValue(el);
        if (value !== null) ctx.onChange(node, value);
      });
      el.append(h("p", { class: "lab-hint" }, "Choose an option, then lock it in. A locked prediction cannot be changed."), button);
    } else if (node.locked) {
      el.append(h("p", { class: "lab-locked-note" }, `Locked in: ${optionLabel(node.options, node.value)}`));
    } else {
      el.addEventListener("change", () => ctx.onChange(node, selectedValue(el)));
    }
    return el;
  },
  update(el, node, ctx) {
    // Locking changes the structure (button -> note): rebuild. Otherwise just sync the radios.
    if (node.locks || el.querySelector(".lab-commit") || node.options.length !== el._labOptions.length) return choice.create(node, ctx);
    for (const input of el.querySelectorAll("input[type=radio]")) input.checked = input.value === String(node.value);
    return el;
  },
};

const numberInput = {
  create(node, ctx) {
    const id = domId(ctx.labId, node.key);
    const errorId = `${id}-error`;
    const input = h("input", { type: "number", id, min: node.min, max: node.max, step: node.step,
      value: node.value ?? "", disabled: node.locked, "aria-describedby": errorId, inputmode: "decimal" });
    const error = h("p", { class: "lab-field-error", id: errorId, role: "alert" });
    const submit = () => {
      const value = input.valueAsNumber;
      if (!Number.isFinite(value) || value < node.min || value > node.max) {
        error.textContent = `Enter a number from ${node.min} to ${node.max}${node.unit ? " " + node.unit : ""}.`;
        return;
      }
      error.textContent = "";
      ctx.onChange(node, value);
    };
    const el = h("div", { class: "lab-field lab-number" },
      h("label", { for: id }, inline(node.label, ctx)),
      h("span", { class: "lab-input-row" }, input, node.unit ? h("span", { class: "lab-unit" }, node.unit) : null),
      error);
    if (node.locks && !node.locked) {
      el.append(h("button", { type: "button", class: "lab-commit", onclick: submit }, "Lock in my prediction"));
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") submit(); });
    } else if (!node.locks) {
      input.addEventListener("change", submit);
    }
    return el;
  },
  update(el, node, ctx) {
    if (node.locks) return numberInput.create(node, ctx);
    const input = el.querySelector("input");
    if (document.activeElement !== input) input.value = node.value ?? "";
    return el;
  },
};

// The range works in stored units; the number box in display units (node.scale: a percent
// slider stores 0.8 and its box shows and accepts 80). Both sides snap to the step grid, so
// neither shows float noise (numbers.js, the same rules as labkit's Slider).
const slider = {
  create(node, ctx) {
    const id = domId(ctx.labId, node.key);
    const range = h("input", { type: "range", id });
    const number = h("input", { type: "number", id: `${id}-exact`, class: "lab-slider-exact", inputmode: "decimal" });
    const output = h("output", { for: id, class: "lab-slider-display" });
    range.addEventListener("input", () => {
      const n = el._labNode;
      const v = snap(n, range.valueAsNumber);
      number.value = toDisplay(n, v);
      ctx.onChange(n, v);
    });
    number.addEventListener("change", () => {
      const n = el._labNode;
      const v = fromDisplay(n, number.value);
      if (!Number.isFinite(v)) { number.value = toDisplay(n, Number(range.value)); return; }
      range.value = String(v);
      number.value = toDisplay(n, v);
      ctx.onChange(n, v);
    });
    const el = h("div", { class: "lab-field lab-slider" },
      h("label", { for: id }, inline(node.label, ctx)),
      h("div", { class: "lab-slider-row" }, range, output),
      h("span", { class: "lab-input-row" },
        h("label", { for: `${id}-exact`, class: "lab-exact-label" }, "Exact value"), number,
        h("span", { class: "lab-unit" })));
    return slider.update(el, node, ctx);
  },
  update(el, node) {
    el._labNode = node;
    const [range, number] = el.querySelectorAll("input");
    Object.assign(range, { min: node.min, max: node.max, step: node.step });
    const box = displayBounds(node);
    Object.assign(number, { min: box.min, max: box.max, step: box.step });
    if (document.activeElement !== range) range.value = String(node.value);
    if (document.activeElement !== number) number.value = toDisplay(node, node.value);
    el.querySelector(".lab-unit").textContent = node.unit ?? "";
    el.querySelector("output").textContent = `${node.display}`;
    range.setAttribute("aria-valuetext", String(node.display));
    return el;
  },
};

const select = {
  create(node, ctx) {
    const id = domId(ctx.labId, node.key);
    const sel = h("select", { id }, node.options.map((o) => h("option", { value: String(o.value) }, o.label)));
    sel.value = String(node.value);
    sel.addEventListener("change", () => {
      ctx.onChange(node, node.options.find((o) => String(o.value) === sel.value)?.value ?? sel.value);
    });
    return h("div", { class: "lab-field lab-select" }, h("label", { for: id }, inline(node.label, ctx)), sel);
  },
  update(el, node, ctx) {
    const sel = el.querySelector("select");
    if ([...sel.options].map((o) => o.value).join("\n") !== node.options.map((o) => String(o.value)).join("\n")) return select.create(node, ctx);
    sel.value = String(node.value);
    return el;
  },
};

const toggle = {
  create(node, ctx) {
    const el = radioGroup(node, ctx, "lab-toggle");
    el.addEventListener("change", () => ctx.onChange(node, selectedValue(el)));
    return el;
  },
  update(el, node) {
    for (const input of el.querySelectorAll("input[type=radio]")) input.checked = input.value === String(node.value);
    return el;
  },
};

const tabs = {
  create(node, ctx) {
    const base = domId(ctx.labId, node.key);
    const list = h("div", { role: "tablist", class: "lab-tablist" });
    const panel = h("div", { role: "tabpanel", id: `${base}-panel`, class: "lab-tabpanel", tabindex: "0" }, h("div", { class: "lab-children" }));
    list.addEventListener("keydown", (e) => {
      const buttons = [...list.querySelectorAll("[role=tab]")];
      const at = buttons.indexOf(document.activeElement);
      const step = { ArrowRight: 1, ArrowLeft: -1, Home: -at, End: buttons.length - 1 - at }[e.key];
      if (at < 0 || step === undefined) return;
      e.preventDefault();
      const next = buttons[(at + step + buttons.length) % buttons.length];
      next.focus();
      next.click();
    });
    const el = h("div", { class: "lab-tabs" }, list, panel);
    return tabs.update(el, node, ctx);
  },
  update(el, node, ctx) {
    const base = domId(ctx.labId, node.key);
    const list = el.querySelector("[role=tablist]");
    const panel = el.querySelector("[role=tabpanel]");
    const focusedIndex = [...list.children].indexOf(document.activeElement);
    list.replaceChildren(...node.tabs.map((tab, i) => {
      const selected = tab.value === node.value;
      return h("button", { type: "button", role: "tab", id: `${base}-tab-${i}`, "aria-selected": String(selected),
        "aria-controls": panel.id, tabindex: selected ? "0" : "-1",
        onclick: () => { if (tab.value !== el._labNode.value) ctx.onChange(el._labNode, tab.value); } }, tab.label);
    }));
    if (focusedIndex >= 0) list.children[focusedIndex]?.focus();
    el._labNode = node;
    const current = node.tabs.findIndex((t) => t.value === node.value);
    panel.setAttribute("aria-labelledby", `${base}-tab-${Math.max(0, current)}`);
    ctx.patch(panel.firstElementChild, node.tabs[current]?.children ?? [], ctx);
    return el;
  },
};

// A destructive confirm is never the default: the confirm opens on "Cancel", Escape cancels,
// and either way focus returns to the button that opened it.
const reset = {
  create(node, ctx) {
    const close = () => { confirmRow.hidden = true; ask.setAttribute("aria-expanded", "false"); ask.focus(); };
    const cancel = h("button", { type: "button", class: "lab-reset-cancel", onclick: close }, "Cancel");
    const confirmRow = h("div", { class: "lab-reset-confirm", role: "group", "aria-label": "Confirm reset", hidden: true,
      onkeydown: (e) => { if (e.key === "Escape") { e.preventDefault(); close(); } } },
      h("p", {}, "This clears your locked predictions, control settings and ledger entry for this lab only."),
      h("button", { type: "button", class: "lab-danger", onclick: () => { close(); ctx.onReset(node); } }, "Clear this lab"),
      cancel);
    const ask = h("button", { type: "button", "aria-expanded": "false",
      onclick: () => { confirmRow.hidden = false; ask.setAttribute("aria-expanded", "true"); cancel.focus(); } }, node.label);
    return h("div", { class: "lab-reset" }, ask, confirmRow);
  },
};

export const CONTROL_RENDERERS = { choice, number_input: numberInput, slider, select, toggle, tabs, reset };

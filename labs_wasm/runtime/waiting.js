// While Python loads, the gate right below a prediction the student has already locked says
// what is happening there, where the student is looking: the answer is saved, and how far the
// download has come (real bytes from the worker). Its Python text ("Commit your prediction
// above...") would be false by then. The live tree replaces these gates when Python is ready.
import { h } from "./dom.js";

const MB = 1e6; // as the worker counts (worker.js)

/** Gates that directly follow a locked prediction in the pre-Python view. */
function waitingGates(root) {
  return [...root.querySelectorAll(".lab-gate")].filter((gate) => gate.previousElementSibling?.querySelector(".lab-locked-note"));
}

/**
 * Show `progress` ({text, loaded, total}, or {failed: message}) in every gate below a locked
 * prediction. Called after each pre-Python render and on each progress message.
 */
export function showWaiting(root, progress, onRetry) {
  for (const gate of waitingGates(root)) {
    gate.dataset.waiting = "";
    gate.replaceChildren(...(progress.failed ? failedParts(progress.failed, onRetry) : loadingParts(progress)));
  }
}

function loadingParts({ text, loaded, total }) {
  const bar = h("progress", { class: "lab-gate-progress", "aria-label": "Loading Python" });
  if (Number.isFinite(loaded) && Number.isFinite(total) && total > 0) {
    bar.max = total;
    bar.value = Math.min(loaded, total);
    bar.setAttribute("aria-valuetext", `${(loaded / MB).toFixed(0)} of ${(total / MB).toFixed(0)} MB`);
  }
  return [
    h("p", {}, h("strong", {}, "Your prediction is saved. "), "The instruments unlock as soon as Python has loaded in this page."),
    h("p", { class: "lab-gate-loading" }, bar, " ", text || "Loading Python…"),
  ];
}

function failedParts(message, onRetry) {
  return [
    h("p", {}, h("strong", {}, "Your prediction is saved, "), `but Python could not start: ${message}`),
    h("p", {}, "Check your connection, then ",
      h("button", { type: "button", class: "lab-gate-retry", onclick: onRetry }, "Retry"),
      ". Your answers are kept."),
  ];
}

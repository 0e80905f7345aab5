// Slider numbers without float noise: every value is snapped to the grid min + k*step and
// rounded to the grid's decimal places; the number box shows and accepts display units
// (value * scale, e.g. a stored 0.8 shown as 80 %). The same rules as labkit/widgets.py
// (Slider.snap, decimals, clean), so Python and the page agree on every value.

/** Decimal places of `x` written shortest: 0.05 -> 2, 250 -> 0, 1e-7 -> 7. */
export function decimals(x) {
  const [mantissa, exponent = "0"] = String(Number(x)).toLowerCase().split("e");
  const fraction = (mantissa.split(".")[1] ?? "").replace(/0+$/, "");
  return Math.max(0, fraction.length - Number(exponent));
}

/** `x` to 12 significant digits: drops the noise of a product such as 0.01 * 100. */
export const clean = (x) => Number(Number(x).toPrecision(12));

export const gridPlaces = (lo, step, scale = 1) => Math.max(decimals(clean(step * scale)), decimals(clean(lo * scale)));

const isInteger = (node) => (node.scale ?? 1) === 1 && [node.min, node.max, node.step].every(Number.isInteger);

/** The nearest grid value of a slider node within [min, max], rounded to the grid's places. */
export function snap(node, raw) {
  const k = Math.floor((raw - node.min) / node.step + 0.5);
  const value = Math.min(node.max, Math.max(node.min, node.min + k * node.step));
  return isInteger(node) ? Math.round(value) : Number(value.toFixed(gridPlaces(node.min, node.step)));
}

/** The number box's bounds and step, in display units. */
export function displayBounds(node) {
  const scale = node.scale ?? 1;
  const places = gridPlaces(node.min, node.step, scale);
  const at = (v) => Number((v * scale).toFixed(places));
  return { min: at(node.min), max: at(node.max), step: at(node.step), places };
}

/** A stored value as the number box shows it (a string, no float noise). */
export function toDisplay(node, value) {
  const { places } = displayBounds(node);
  return String(Number((value * (node.scale ?? 1)).toFixed(places)));
}

/** A number typed in the box (display units) -> the stored value, snapped; NaN if not a number. */
export function fromDisplay(node, typed) {
  const n = typeof typed === "number" ? typed : Number(String(typed).trim());
  if (String(typed).trim() === "" || !Number.isFinite(n)) return NaN;
  return snap(node, n / (node.scale ?? 1));
}

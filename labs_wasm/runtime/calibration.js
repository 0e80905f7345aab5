// How well a student's Act I estimates match reality, from their ledger entries: pure
// arithmetic, no DOM. The definitions are the capstone labs' (labs/vol1/conclusion_cases.py,
// reused by vol2): an estimate's error is log10(predicted / actual), so 10x over is +1 and
// 10x under is -1; "within 2x" is |log ratio| <= log10(2); the typical miss is the median
// |log ratio|; the lean is the sign of the mean log ratio. tests/e2e/test_dashboard.py checks
// these numbers against the Python on the same ledger.

/** "Within 2x": the close band of the labs' own numeric overlays (labkit.fmt.gap_text). */
export const CLOSE_FACTOR = 2;
const CLOSE = Math.log10(CLOSE_FACTOR);
// A lean is stated only with at least this many numeric estimates, at least this share of
// them missing on the same side: fewer, and one lucky or unlucky lab decides it.
export const LEAN_MIN_ESTIMATES = 5;
export const LEAN_MIN_SHARE = 0.75;

/** log10(predicted / actual), or null when either is missing, zero, negative or not finite. */
export function logRatio(predicted, actual) {
  if (typeof predicted !== "number" || typeof actual !== "number") return null;
  if (!(Number.isFinite(predicted) && Number.isFinite(actual) && predicted > 0 && actual > 0)) return null;
  return Math.log10(predicted / actual);
}

export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** Three significant figures with thousands separators, × 10ⁿ outside 1e-4..1e9 (labkit.fmt.num). */
export function formatNumber(x, digits = 3) {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return String(x);
  const mag = Math.floor(Math.log10(Math.abs(x)));
  if (Math.abs(x) >= 1e9 || Math.abs(x) < 1e-4) {
    let mantissa = Number((x / 10 ** mag).toPrecision(digits));
    let m = mag;
    if (Math.abs(mantissa) >= 10) { mantissa /= 10; m += 1; }
    return `${mantissa} × 10${String(m).replace(/./g, (c) => SUPERSCRIPT[c])}`;
  }
  return new Intl.NumberFormat("en", { maximumSignificantDigits: digits }).format(x);
}

/** A multiplicative factor: 7.36 -> "7.4x", 989000 -> "989,000x" (labkit.fmt.ratio). */
export const ratioText = (x) => (x < 10 ? `${x.toFixed(1)}x` : `${formatNumber(x)}x`);

/** One estimate's miss as a student reads it: "3.2x over", "on the mark" (the capstones'). */
export function estimateText(lr) {
  if (lr === null || lr === undefined) return "no numeric estimate";
  const factor = 10 ** Math.abs(lr);
  if (factor < 1.005) return "on the mark";
  return `${ratioText(factor)} ${lr > 0 ? "over" : "under"}`;
}

export const isClose = (lr) => Math.abs(lr) <= CLOSE + 1e-12;

const share = (records, field) => (records.length ? records.filter((r) => r[field]).length / records.length : null);

/**
 * The calibration of `entries`: [[ledger key, valid entry], ...] in book order (schema.js's
 * validLedger). Returns every record, the numeric ones, and the summary statistics.
 */
export function calibration(entries) {
  const done = entries.map(([key, e]) => ({
    key, volume: Number(key[3]), number: Number(key.slice(-2)), context: e.context,
    logRatio: logRatio(e.act1.predicted_value, e.act1.actual_value),
    predicted: e.act1.predicted_value, actual: e.act1.actual_value,
    act1Correct: e.act1.correct, act2Correct: e.act2.correct, constraintHit: e.constraint_hit,
  }));
  const numeric = done.filter((r) => r.logRatio !== null);
  const ratios = numeric.map((r) => r.logRatio);
  const within = ratios.filter(isClose).length;
  const meanSigned = ratios.length ? ratios.reduce((a, b) => a + b, 0) / ratios.length : null;
  return {
    done, numeric, within,
    shareWithin: numeric.length ? within / numeric.length : null,
    medianAbs: median(ratios.map(Math.abs)),
    meanSigned,
    act1Share: share(done, "act1Correct"),
    act2Share: share(done, "act2Correct"),
    lean: lean(ratios, meanSigned),
    byVolume: [1, 2].map((volume) => {
      const mine = numeric.filter((r) => r.volume === volume);
      return { volume, count: mine.length, medianAbs: median(mine.map((r) => Math.abs(r.logRatio))) };
    }).filter((g) => g.count > 0),
    // The largest misses outside the 2x band, largest first (at most three).
    biggest: numeric.filter((r) => !isClose(r.logRatio))
      .sort((a, b) => Math.abs(b.logRatio) - Math.abs(a.logRatio) || a.key.localeCompare(b.key)).slice(0, 3),
  };
}

/**
 * Whether the estimates lean one way: {direction: "over" | "under" | null, sameSide, count,
 * enough}. `direction` is the mean's sign (the capstones' "lean"), stated only when `enough`
 * estimates exist and at least LEAN_MIN_SHARE of them miss on that side.
 */
function lean(ratios, meanSigned) {
  const count = ratios.length;
  if (count < LEAN_MIN_ESTIMATES || meanSigned === null || meanSigned === 0) {
    return { direction: null, sameSide: 0, count, enough: count >= LEAN_MIN_ESTIMATES };
  }
  const sign = Math.sign(meanSigned);
  const sameSide = ratios.filter((x) => Math.sign(x) === sign).length;
  return { direction: sameSide / count >= LEAN_MIN_SHARE ? (sign > 0 ? "over" : "under") : null, sameSide, count, enough: true };
}

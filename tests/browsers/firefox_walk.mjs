// Smoke walk of lab pages in Debian's Firefox ESR, driven by puppeteer-core over WebDriver
// BiDi (no geckodriver). Run by tests/browsers/test_firefox.py:
//
//   node tests/browsers/firefox_walk.mjs BASE_URL LAB_ID=PAGE [LAB_ID=PAGE ...]
//
// For each page: the lab reaches data-state="ready", locking the first prediction unlocks the
// instruments and shows the prediction-vs-reality overlay, a reload keeps the locked answer,
// and no page error (nor console error) happens on the way. Prints one line per page and
// "browser: <name/version>"; exits 1 with the reasons when a page fails.
import puppeteer from "puppeteer-core";

const FIREFOX = process.env.FIREFOX_BIN || "/usr/bin/firefox-esr";
const READY_MS = 60_000;   // a cold Pyodide boot on a loaded 2-core CI machine
const STEP_MS = 30_000;

const [base, ...pairs] = process.argv.slice(2);
if (!base || pairs.length === 0) {
  console.error("usage: firefox_walk.mjs BASE_URL LAB_ID=PAGE [LAB_ID=PAGE ...]");
  process.exit(2);
}

const sectionOf = (lab) => `section.lab[data-lab="${lab}"]`;
const OPEN_PREDICTION = "fieldset.lab-choice:has(button.lab-commit), .lab-number:has(button.lab-commit)";

async function waitReady(page, lab) {
  await page.waitForFunction(
    (sel) => ["ready", "error"].includes(document.querySelector(sel)?.dataset.state),
    { timeout: READY_MS }, sectionOf(lab));
  const state = await page.$eval(sectionOf(lab), (s) => s.dataset.state);
  if (state !== "ready") {
    const text = await page.$eval(sectionOf(lab), (s) => s.innerText.slice(0, 300));
    throw new Error(`the lab ended in state ${JSON.stringify(state)}: ${text}`);
  }
}

async function waitSettled(page, lab) {
  await page.waitForFunction((sel) => { const s = document.querySelector(sel); return s && !s.hasAttribute("data-busy"); },
    { timeout: STEP_MS }, sectionOf(lab));
}

// Kinds of the nodes after node `key` in its container (a gate while it is still locked).
function kindsAfter(page, lab, key) {
  return page.$eval(`${sectionOf(lab)} [data-key="${key}"]`, (el) => {
    const kinds = [];
    while ((el = el.nextElementSibling)) kinds.push(el.dataset.kind);
    return kinds;
  });
}

// Answer the first open prediction the way a student does (click an option or type a
// number, then "Lock in"); returns its data-key and the option index chosen.
async function lockFirstPrediction(page, lab) {
  const target = await page.waitForSelector(`${sectionOf(lab)} :is(${OPEN_PREDICTION})`, { timeout: STEP_MS });
  const key = await target.evaluate((el) => el.dataset.key);
  const radios = await target.$$("input[type=radio]");
  const option = Math.min(1, radios.length - 1);
  if (radios.length) {
    await radios[option].click();
  } else {
    const box = await target.$("input[type=number]");
    const [lo, hi] = await box.evaluate((b) => [Number(b.min), Number(b.max)]);
    await box.click({ count: 3 });
    await box.type(String((lo + hi) / 2));
  }
  await (await target.$("button.lab-commit")).click();
  await page.waitForSelector(
    `${sectionOf(lab)} [data-key="${key}"] .lab-locked-note, ${sectionOf(lab)} [data-key="${key}"] input[type=number][disabled]`,
    { timeout: STEP_MS });
  return { key, option: radios.length ? option : null };
}

async function walk(browser, url, lab) {
  const errors = [];
  const page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(`page error: ${e.message ?? e}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console error: ${m.text()}`); });
  try {
    const t0 = Date.now();
    await page.goto(url, { waitUntil: "domcontentloaded" });
    await waitReady(page, lab);
    const readyS = (Date.now() - t0) / 1000;
    const boot = await page.$eval(sectionOf(lab), (s) => s.dataset.boot);  // "snapshot" or "standard"

    const { key, option } = await lockFirstPrediction(page, lab);
    await waitSettled(page, lab);
    const after = await kindsAfter(page, lab, key);
    if (after[0] === "gate") throw new Error(`locking ${key} did not open its gate: ${after.join(", ")}`);
    if (!after.includes("overlay")) throw new Error(`no prediction-vs-reality overlay after locking ${key}: ${after.join(", ")}`);
    const instruments = ["figure", "slider", "select", "toggle", "tabs", "choice", "number_input"];
    if (!after.some((k) => instruments.includes(k))) throw new Error(`no instrument unlocked after ${key}: ${after.join(", ")}`);

    await page.reload({ waitUntil: "domcontentloaded" });
    const answered = `${sectionOf(lab)} [data-key="${key}"]`;
    await page.waitForSelector(`${answered} .lab-locked-note, ${answered} input[type=number][disabled]`, { timeout: STEP_MS });
    await waitReady(page, lab);
    await waitSettled(page, lab);
    const kept = await page.$eval(answered, (el, option) => ({
      commit: el.querySelectorAll("button.lab-commit").length,
      checked: option === null ? true : !!el.querySelectorAll("input[type=radio]")[option]?.checked,
    }), option);
    if (kept.commit || !kept.checked) throw new Error(`the reload lost the locked answer to ${key}: ${JSON.stringify(kept)}`);
    if ((await kindsAfter(page, lab, key))[0] === "gate") throw new Error(`after the reload ${key} is locked but its gate is closed again`);

    if (errors.length) throw new Error(errors.join("\n"));
    console.log(`${lab}: ready in ${readyS.toFixed(1)} s (${boot} boot), locked ${key}, overlay and instruments shown, reload kept the answer`);
    return true;
  } catch (e) {
    const why = String(e.message ?? e);
    console.log(`${lab}: FAILED at ${url}\n  ${why.replaceAll("\n", "\n  ")}`);
    const others = errors.filter((err) => !why.includes(err));
    if (others.length) console.log(`  errors seen on the page:\n    ${others.join("\n    ")}`);
    return false;
  } finally {
    await page.close();
  }
}

const browser = await puppeteer.launch({ browser: "firefox", executablePath: FIREFOX, headless: true });
let ok = true;
try {
  console.log(`browser: ${await browser.version()}`);
  for (const pair of pairs) {
    const [lab, path] = pair.split("=");
    ok = (await walk(browser, new URL(path, base).href, lab)) && ok;
  }
} finally {
  await browser.close();
}
process.exit(ok ? 0 : 1);

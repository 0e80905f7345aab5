// Chapter-page main (loaded by boot.js, once per document). Python starts at once, in the
// document's one worker (python.js), while every `section.lab` shows its first view with the
// saved answers through a LabController. A soft navigation (assets/navigate.js) tells us
// around its swap: the labs that leave are disposed before it, the new page's labs mount
// after it, on the same worker, so the next chapter's lab needs no second boot.
import { Store } from "./storage.js";
import { siteRoot, assetUrls } from "./urls.js";
import { LabController } from "./lab.js";
import { Python } from "./python.js";

const store = new Store();
const mounted = new Map(); // section.lab -> its LabController
let python = null; // made with the first lab the document shows

function mountLabs() {
  const sections = [...document.querySelectorAll("section.lab[data-lab]")]
    .filter((s) => !s.classList.contains("lab-unavailable") && !mounted.has(s)); // unavailable: the build left a notice
  if (sections.length === 0) return;
  python ??= new Python(assetUrls(siteRoot(sections[0])));
  python.start().catch(() => {}); // before the first views render; each lab says why it failed
  for (const section of sections) {
    const lab = new LabController(section, store, python);
    mounted.set(section, lab);
    lab.start();
  }
}

function disposeLabs() {
  for (const lab of mounted.values()) lab.dispose();
  mounted.clear();
}

// A page the reader is about to open (navigate.js fetched it while the pointer rested on its
// link): its lab's first render, once, in the idle worker. The lab's module is imported and the
// engine's results for the saved state are cached, so the real first render after the swap is
// quick. The tree is dropped: nothing is shown or saved.
const warmed = new Set();
function warmLabs({ detail }) {
  const booting = python?.booting;
  if (!booting) return; // no Python here yet, or it failed: the page's own mount starts one
  for (const labId of detail.labs) {
    if (warmed.has(labId) || [...mounted.values()].some((lab) => lab.labId === labId)) continue;
    warmed.add(labId);
    booting.then(() => python.render(labId, { ...structuredClone(store.labState(labId)), ledger: store.ledger() })).catch(() => {});
  }
}

document.addEventListener("book:before-swap", disposeLabs);
document.addEventListener("book:after-swap", mountLabs);
document.addEventListener("book:prefetched", warmLabs);
mountLabs();

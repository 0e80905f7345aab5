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

document.addEventListener("book:before-swap", disposeLabs);
document.addEventListener("book:after-swap", mountLabs);
mountLabs();

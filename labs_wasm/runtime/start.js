// Chapter-page main (loaded by boot.js): every `section.lab` gets a LabController. Its
// embedded tree renders synchronously here (first prediction visible before anything
// large downloads); Python boots in a worker after the first paint.
import { Store } from "./storage.js";
import { siteRoot, assetUrls } from "./urls.js";
import { LabController } from "./lab.js";

const store = new Store();
for (const section of document.querySelectorAll("section.lab[data-lab]")) {
  if (section.classList.contains("lab-unavailable")) continue; // the build left a notice
  new LabController(section, store, assetUrls(siteRoot(section))).start();
}

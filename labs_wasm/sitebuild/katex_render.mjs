// Render TeX to HTML at build time with the npm katex package (the same version the site
// vendors for its CSS and fonts). Reads a JSON array of {tex, display} on stdin and writes
// a JSON array of {html} or {error} in the same order. One process for the whole book.
import katex from "katex";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const items = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const out = items.map(({ tex, display }) => {
  try {
    return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true, output: "htmlAndMathml" }) };
  } catch (err) {
    return { error: String(err.message ?? err) };
  }
});
process.stdout.write(JSON.stringify(out));

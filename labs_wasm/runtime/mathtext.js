// Find the TeX in a lab's Markdown and set it aside before Markdown runs (math.js puts it
// back, typeset). Pure string work, no DOM: unit-tested under Node.
// Delimiters follow Pandoc's rules, so prices stay prices: `$$...$$` is display math; in
// `$...$` the opening `$` is followed by a non-space, the closing `$` is preceded by a
// non-space and not followed by a digit, and the formula stays on one line; `\$` is a
// literal dollar; code spans and fences are left alone.

export const OPEN = "\uE000";   // private-use characters: Markdown and DOMPurify keep them
export const CLOSE = "\uE001";
// Code (kept) | an escaped dollar (kept) | $$display$$ | $inline$
const TOKEN = /(`+)[\s\S]*?\1|\\\$|\$\$([\s\S]+?)\$\$|\$(?=[^\s$])((?:\\.|[^\\$\n])+?)(?<=\S)\$(?!\d)/g;

/** Replace each formula with a placeholder: {text, formulas: [{tex, display}]}. */
export function protectMath(text) {
  const formulas = [];
  const out = String(text ?? "").replace(TOKEN, (whole, _ticks, display, inline) => {
    if (display === undefined && inline === undefined) return whole;
    formulas.push({ tex: (display ?? inline).trim(), display: display !== undefined });
    return `${OPEN}${formulas.length - 1}${CLOSE}`;
  });
  return { text: out, formulas };
}

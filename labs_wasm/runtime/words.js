// Words shown in more than one place, defined once for the runtime. labkit/words.py holds
// the same words for what Python puts on screen (a test keeps the two equal).

/** How a graded answer is called everywhere: the lab HUD, reflections, the Ledger page. */
export const VERDICT = Object.freeze({ true: "correct", false: "incorrect" });

export const verdict = (correct) => VERDICT[Boolean(correct)];

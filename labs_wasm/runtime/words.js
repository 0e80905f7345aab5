// Words shown in more than one place, defined once for the runtime. labkit/words.py holds
// the same words for what Python puts on screen (a test keeps the two equal).

/** How a graded answer is called everywhere: the lab HUD, reflections, the Ledger page. */
export const VERDICT = Object.freeze({ true: "correct", false: "incorrect" });

export const verdict = (correct) => VERDICT[Boolean(correct)];

/** "1 lab", "3 labs", "2 saved entries" (`many` for an irregular plural). */
export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A volume's number as the book writes it: "Volume I", "Volume II". */
export const ROMAN = Object.freeze({ 1: "I", 2: "II" });

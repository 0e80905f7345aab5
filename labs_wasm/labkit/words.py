"""Words the toolkit puts on screen in more than one place, defined once.

runtime/words.js holds the same words for the Ledger page (a test keeps the two equal).
"""
from __future__ import annotations

#: How a graded answer is called, everywhere: the HUD, reflection feedback, the Ledger page.
VERDICT = {True: "correct", False: "incorrect"}


def verdict(correct: bool) -> str:
    return VERDICT[bool(correct)]

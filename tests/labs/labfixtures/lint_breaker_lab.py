"""A lab used only by tests: it breaks the protocol rules a program can check, one each.

- a header badge states the answer of Act I's prediction ("~10⁶" above a question whose
  correct option is "About 10⁶");
- Act I reveals a CHOICE prediction with a gap ratio (the overlay of a number);
- Act II reveals a NUMBER prediction as right or wrong (the reveal of a choice).
The linter (tests/labs/test_protocol_lint.py) must name each. Not in labs_wasm/labs.
"""
from labkit import Lab

LAB = Lab(id="vol1/97", chapter="testing", title="Lint breaker",
          hook="Everything a linter should catch.", minutes=5, contexts=("cloud", "tiny"),
          invariants=["Cloud/TinyML gap ~10⁶", "Iron Law"],
          reading=[("@sec-introduction-dam", "the triad")])

OPTIONS = {"A": ("About 10² (a hundred times)", "No."), "B": ("About 10⁴", "No."),
           "C": ("About 10⁶ (a million times)", "Yes."), "D": ("About 10⁹", "No.")}


@LAB.page
def page(ui):
    ui.context_toggle({"cloud": "H100", "tiny": "MCU"})
    with ui.section("Act I · Calibration"):
        pred = ui.predict_choice("act1.prediction", "How large is the gap?", OPTIONS, correct="C")
        ui.table("Gap", ["axis", "gap"], [["compute", "1,030,000x"]], key="act1.table")
        ui.overlay(10.0 ** {"A": 2, "B": 4, "C": 6, "D": 9}[pred.value], 1.03e6, pred.label,
                   "1,030,000x", "A ratio for a category.", key="act1.overlay")
    with ui.section("Act II · Design"):
        guess = ui.predict_number("act2.prediction", "Latency, in microseconds?", 1, 1000, 1,
                                  unit="µs")
        ui.table("Latency", ["term", "time"], [["total", "263 µs"]], key="act2.table")
        from labkit.ui import Prediction
        ui.reveal(Prediction(name="act2.prediction", value=str(guess), label=f"{guess} µs",
                             correct=False, feedback="", correct_value="263",
                             correct_label="263 µs"),
                  "263 µs", "Right or wrong for a number.", key="act2.overlay")

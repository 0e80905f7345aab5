"""A lab used only by tests: it reads the Design Ledger the way the capstones and every lab
after Lab 00 will (earlier entries, the home context). Not in labs_wasm/labs, so the site
never builds it."""
from labkit import Lab, contexts, ledger

LAB = Lab(id="vol1/98", chapter="testing", title="Ledger reader",
          hook="Reads what earlier labs saved.", invariants=["the ledger"], minutes=5,
          contexts=("cloud", "edge"), reading=[("@sec-introduction-dam", "the triad")])


@LAB.page
def page(ui):
    context = ui.context_toggle({"cloud": "NVIDIA H100 SXM", "edge": "Jetson Orin NX"})
    home = ui.home_context
    ui.markdown(f"Home context: {contexts.name(home) if home else 'not recorded'}.", key="home")
    earlier = ui.ledger_entries()
    rows = [[e.lab, contexts.name(e.context) if e.context in contexts.CONTEXTS else e.context,
             e.act1.label or e.act1.prediction, "yes" if e.act2.correct else "no"] for e in earlier]
    ui.table("Earlier entries", ["lab", "context", "Act I", "Act II correct"], rows, key="earlier")
    intro = ui.ledger_entry("vol1.ch01")
    ui.markdown(f"Lab 01 decision: {intro.act2.decision}." if intro else "Lab 01 not done yet.",
                key="intro")
    ui.ledger({"lab": LAB.ledger_key, "context": context,
               "act1": {"prediction": "A", "correct": True, "predicted_value": None,
                        "actual_value": None},
               "act2": {"prediction": "B", "correct": False, "decision": f"{len(earlier)} read",
                        "result": None, "unit": "entries"},
               "constraint_hit": False}, [("Context", contexts.name(context))])

"""Vol I · Lab 00 · The orientation tour (chapter: orientation).

A short tour of how every lab works, on two toy questions. Act I: a prediction lock (how long
light in the MAREA cable's fibre takes to cross the Atlantic), the instruments it unlocks, the
prediction-vs-reality overlay and a MathPeek that explains what a MathPeek is. Act II: the
student picks a home deployment context (later labs start on it), predicts which contexts can
hold a language model's weights, and triggers and clears a failure banner with the controls.
The Design Ledger entry records the home context. Every number comes from the engine; the
cable length is cited in orientation_cases.py and the phone's app budget is illustrative
(labs/vol1/phone.py).
"""
from __future__ import annotations

import math

from mlsysim.resolvers.network import FIBER_GROUP_INDEX, SPEED_OF_LIGHT

from labkit import Lab, Metric, contexts, fmt, ledger, plot
from labs.vol1 import orientation_cases as cases
from labs.vol1.introduction_cases import MACHINES
from labs.vol1.orientation_cases import CABLE, CABLE_ENDS, CABLE_KM, MODELS, ORDER, fit

LAB = Lab(
    id="vol1/00", chapter="orientation", title="The orientation tour",
    hook="Ten minutes to learn the moves every lab uses: lock a prediction, read the "
         "instruments, meet a failure banner, and save your first Design Ledger entry.",
    invariants=["Prediction lock", "Prediction vs reality", "MathPeek", "Failure banner",
                "Design Ledger"],
    minutes=10, contexts=(),
    reading=[
        ("@sec-orientation-labs", "the shape every lab shares"),
        ("@sec-orientation-predictions", "prediction locks, the overlay and the MathPeek"),
        ("@sec-orientation-home", "the four deployment contexts and your home context"),
        ("@sec-orientation-ledger", "what the Design Ledger keeps and where it lives"),
    ],
)

#: The home-context picker: Chapter 1's four machines, named from labkit.contexts.
HOME_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM", "edge": "Jetson Orin NX",
                               "mobile": "Apple A17 Pro phone",
                               "tiny": "STM32H743 microcontroller"})
DEVICE = {"cloud": "H100", "edge": "Jetson Orin NX", "mobile": "A17 Pro phone",
          "tiny": "STM32H743"}
WHERE = {"cloud": "A datacenter GPU, reached over the network",
         "edge": "A computer beside the sensor (a robot, a camera box, a factory line)",
         "mobile": "The phone in your pocket, on battery",
         "tiny": "A microcontroller inside a sensor or a doorbell"}
#: Short model names for sentences (the registry's names carry their configuration).
SHORT = {"dscnn": "DS-CNN-S", "mobilenetv2": "MobileNetV2", "resnet50": "ResNet-50",
         "gpt2": "GPT-2 small", "llama3_8b": "Llama 3 8B", "llama3_70b": "Llama 3 70B"}
MODEL_LABELS = {"dscnn": "DS-CNN-S (keyword spotter)", "mobilenetv2": "MobileNetV2 (image classifier)",
                "resnet50": "ResNet-50 (image classifier)", "gpt2": "GPT-2 small (language model)",
                "llama3_8b": "Llama 3 8B (language model)",
                "llama3_70b": "Llama 3 70B (language model)"}
PRECISION_LABELS = {"fp16": "FP16 (2 bytes per weight)", "int8": "INT8 (1 byte per weight)"}
#: The case Act II's prediction asks about (and the design controls start on).
ACT2_MODEL, ACT2_PRECISION = "llama3_8b", "int8"


def mem(q) -> str:
    return fmt.quantity(q)


# ---- Act I: light across the Atlantic ---------------------------------------------------
#: The options: one-way times in seconds, a factor of ten apart.
ACT1_SECONDS = {"A": 3e-4, "B": 3e-3, "C": 3e-2, "D": 3e-1}


def act1_truth() -> tuple[float, str]:
    t = cases.crossing().one_way.m_as("s")
    nearest = min(ACT1_SECONDS, key=lambda k: abs(math.log10(ACT1_SECONDS[k] / t)))
    return t, nearest


def vacuum_share() -> str:
    """Light's speed in fibre as a share of its speed in vacuum (1 / group index)."""
    return fmt.percent(cases.crossing().speed.m_as("m/s") / SPEED_OF_LIGHT, 0)


def act1_options(t: float) -> dict:
    r = cases.crossing()
    km = f"{fmt.num(CABLE_KM)} km"
    speed = f"{fmt.num(r.speed.m_as('km/s'))} km/s"
    actual = f"{km} ÷ {speed} = **{fmt.duration(t)}** one way"
    return {
        "A": ("About 0.3 ms (a third of a millisecond)",
              f"Far too fast. {actual}. Light in glass covers about "
              f"{fmt.num(r.speed.m_as('km/s') * 1e-3)} km per millisecond, so in 0.3 ms it gets "
              f"{fmt.num(r.speed.m_as('km/s') * 3e-4)} km, not across an ocean."),
        "B": ("About 3 ms",
              f"Too fast by about ten. {actual}. Light is fast, but an ocean is wide, and "
              f"in fibre it travels at only {vacuum_share()} of its speed in vacuum."),
        "C": ("About 30 ms",
              f"Right. {actual}: a delay you can notice in a video call, and the round trip "
              f"is twice that, {fmt.duration(r.round_trip.m_as('s'))}."),
        "D": ("About 0.3 s (a third of a second)",
              f"Too slow by about ten. {actual}. In 0.3 s light in fibre would cover "
              f"{fmt.num(r.speed.m_as('km/s') * 0.3)} km, far more than one ocean."),
    }


# ---- Act II: which contexts hold the model ----------------------------------------------
ACT2_SETS = {"A": 1, "B": 2, "C": 3, "D": 4}   # how many contexts, from the largest down


def act2_options_text() -> dict[str, str]:
    names = [contexts.name(k) for k in ORDER]
    return {"A": f"Only {names[0]}", "B": f"{names[0]} and {names[1]}",
            "C": f"{names[0]}, {names[1]} and {names[2]}",
            "D": f"All four, {names[3]} included"}


def act2_truth() -> tuple[tuple[str, ...], str]:
    held = cases.holders(ACT2_MODEL, ACT2_PRECISION)
    correct = next((k for k, n in ACT2_SETS.items() if n == len(held)), "A")
    return held, correct


def fit_phrase(key: str, model: str, precision: str) -> str:
    """'the phone's app memory budget: 3 GB, it needs 8.03 GB (does not fit)'"""
    f = fit(key, model, precision)
    b = f.binding
    verdict = "fits" if f.feasible else "does not fit"
    return (f"{contexts.name(key)} ({DEVICE[key]}): {b.name} {mem(b.available)}, "
            f"{verdict}")


def act2_options() -> dict:
    held, _ = act2_truth()
    need = mem(fit("cloud", ACT2_MODEL, ACT2_PRECISION).result.weight_bytes)
    facts = "; ".join(fit_phrase(k, ACT2_MODEL, ACT2_PRECISION) for k in ORDER)
    answer = f"The weights need {need}. {facts}."
    labels = act2_options_text()
    budget = mem(fit("mobile", ACT2_MODEL, ACT2_PRECISION).binding.available)
    phone = mem(MACHINES["mobile"].memory.capacity)
    return {
        "A": (labels["A"], f"Too cautious. {answer} The H100 is not the only machine with room "
                           "for a model of this size."),
        "B": (labels["B"], f"Right. {answer} The phone has {phone} in all, but one app gets "
                           f"about {budget} of it (illustrative), and the operating system "
                           "ends an app that takes more."),
        "C": (labels["C"], f"Not the phone. {answer} The phone has {phone} in all, but one "
                           f"app gets about {budget} (illustrative): the weights alone are "
                           "more than that."),
        "D": (labels["D"], f"Far from it. {answer} A microcontroller's flash is measured in "
                           "megabytes; the weights are thousands of times larger."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    ui.reset()
    pred1 = act_one(ui)
    pred2, home, design = act_two(ui)
    closing(ui)
    save_to_ledger(ui, home, pred1, pred2, design)


def act_one(ui):
    r = cases.crossing()
    t, correct = act1_truth()
    with ui.section("Act I · Calibration", "A first prediction lock (4 min)"):
        ui.stakeholder(
            f"A friend in {CABLE_ENDS[1].split(',')[0]}",
            f"When I video-call my cousin in {CABLE_ENDS[0].split(',')[0]}, there is always a "
            f"little lag. Our calls cross the Atlantic on the {CABLE} cable, "
            f"{fmt.num(CABLE_KM)} km of optical fibre. Is the lag just the speed of light, or "
            "is my Wi-Fi bad?")
        ui.markdown(
            "Every lab opens like this: a message with a concrete question, then a "
            "**prediction lock**. Pick one option and commit it. Once committed it cannot be "
            "changed, and only then do the instruments below unlock. The lock is not a "
            "test: it keeps an honest record of what you expected, so the gap between your "
            "expectation and the physics is visible.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"How long does light take to travel the {fmt.num(CABLE_KM)} km of the {CABLE} "
            "cable's fibre, one way?",
            act1_options(t), correct=correct)

        ui.markdown(
            "The instruments: a chart, its caption (which states the numbers, and a data "
            "table for screen readers) and metric cards. Every number on them is computed by "
            "the book's engine from sourced constants.")
        light_chart(ui, t)
        ui.metrics([
            Metric("Fibre route", f"{fmt.num(CABLE_KM)} km", note=f"the {CABLE} cable"),
            Metric("Speed of light in fibre", f"{fmt.num(r.speed.m_as('km/s'))} km/s",
                   note=f"{vacuum_share()} of its speed in vacuum"),
            Metric("One way", fmt.duration(t), tone="info"),
            Metric("Round trip", fmt.duration(r.round_trip.m_as("s")), tone="info",
                   note="a question and its reply"),
        ], key="act1.metrics")
        ui.markdown(
            "**How to read the overlay.** The panel below sets your locked answer beside the "
            "computed one. For a choice like this one it says *correct* or *incorrect* and "
            "explains the computed value. When a lab asks you for a number instead, the "
            "overlay also states the gap as a ratio: 3x means you were off by a factor of "
            "three.")
        ui.reveal(pred, f"{fmt.duration(t)} one way, {fmt.duration(r.round_trip.m_as('s'))} "
                        f"for the round trip ({fmt.num(CABLE_KM)} km of fibre)",
                  text=pred.feedback, key="act1.overlay")
        ui.markdown("A **reflection** follows each overlay. It is graded, but it does not "
                    "lock: try every option and read why each is right or wrong.")
        act1_reflection(ui)
        with ui.math_peek("what a MathPeek is, on this case", key="act1.mathpeek"):
            ui.markdown(act1_mathpeek())
    return pred


def light_chart(ui, t: float) -> None:
    r = cases.crossing()
    per_km = r.delay_per_km.m_as("s")
    marks = [10.0, 100.0, 1000.0, CABLE_KM]
    xs = [10.0 * (CABLE_KM / 10.0) ** (i / 20) for i in range(21)]
    opts = act1_options_text()
    figure = {"data": [
        plot.line(xs, [x * per_km * 1e3 for x in xs], "light in fibre", plot.COLORS["cloud"]),
        plot.points([CABLE_KM], [t * 1e3], CABLE, plot.COLORS["accent"],
                    text=[f"{CABLE}: {fmt.duration(t)}"], textposition="bottom left"),
    ], "layout": plot.layout(
        "One-way time of light in fibre, by distance (log scales)", height=380,
        xaxis=plot.axis("fibre route (km)", log=True),
        yaxis=plot.axis("one-way time (ms)", log=True),
        shapes=[plot.hline(s * 1e3, plot.COLORS["muted"]) for s in ACT1_SECONDS.values()],
        annotations=[plot.note(0.01, s * 1e3, f"option {k}: {opts[k]}", xref="paper",
                               xanchor="left", yanchor="bottom", ylog=True)
                     for k, s in ACT1_SECONDS.items()])}
    ui.figure(figure, key="act1.light", caption=(
        f"Light in fibre takes {fmt.duration(per_km * 1000)} per 1,000 km, so the time grows "
        f"in proportion to distance (a straight line on these log scales). Across the "
        f"{fmt.num(CABLE_KM)} km of the {CABLE} cable it takes {fmt.duration(t)} one way. The "
        "dotted lines are the four answer options."),
        table={"caption": "One-way time of light in fibre", "columns": ["distance", "one way"],
               "rows": [[f"{fmt.num(x)} km", fmt.duration(x * per_km)] for x in marks]})


def act1_options_text() -> dict[str, str]:
    return {k: v[0].split(" (")[0] for k, v in act1_options(act1_truth()[0]).items()}


def act1_reflection(ui) -> None:
    r = cases.crossing()
    rt = fmt.duration(r.round_trip.m_as("s"))
    per_1000 = fmt.duration(cases.light_over(1000.0).round_trip.m_as("s"))
    ui.reflection(
        "act1.reflection",
        f"Each reply in your friend's call crosses the ocean and back, {rt} in the glass "
        "alone. Which change would shorten that?",
        {
            "A": ("A faster internet plan, with more bandwidth",
                  f"Bandwidth decides how quickly the bytes are pushed into the fibre, not how "
                  f"fast light then travels along it. The {rt} stays."),
            "B": ("A more powerful computer at each end",
                  "Faster computers shorten the work before and after the trip. The trip "
                  f"itself is {rt} whatever computer sends it."),
            "C": ("A shorter path: a server on the same side of the ocean",
                  f"Yes. The delay is set by distance alone: every 1,000 km of fibre adds "
                  f"{per_1000} to a round trip. Moving the other end closer is the only cure, "
                  "which is why services run datacenters on every continent."),
            "D": ("Compressing the video harder",
                  "Fewer bytes take less time to send, but each one still travels the same "
                  f"distance at the same speed: {rt} per round trip."),
        }, correct="C")


def act1_mathpeek() -> str:
    r = cases.crossing()
    return (
        "A **MathPeek** opens the equation behind an instrument: every symbol defined, then "
        "this case's numbers put in, so you can redo the arithmetic by hand. Every act of "
        "every lab ends with one. Open it whenever a result surprises you.\n\n"
        r"$$t = \frac{d}{v} = \frac{d\,n_g}{c}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $d$ | length of the fibre route ({CABLE}) | {fmt.num(CABLE_KM)} km |\n"
        f"| $c$ | speed of light in vacuum (exact, SI) | {fmt.num(SPEED_OF_LIGHT / 1e3, 6)} km/s |\n"
        f"| $n_g$ | group index of single-mode fibre (ITU-T G.652.D; Corning SMF-28 Ultra) "
        f"| {FIBER_GROUP_INDEX} |\n"
        f"| $v$ | speed of light in the fibre, $c/n_g$ | {fmt.num(r.speed.m_as('km/s'))} km/s |\n"
        f"| $t$ | one-way time | {fmt.duration(r.one_way.m_as('s'))} |\n\n"
        f"$t$ = {fmt.num(CABLE_KM)} km × {FIBER_GROUP_INDEX} ÷ "
        f"{fmt.num(SPEED_OF_LIGHT / 1e3, 6)} km/s = {fmt.duration(r.one_way.m_as('s'))}; the "
        f"round trip is $2t$ = {fmt.duration(r.round_trip.m_as('s'))}. Real routes add "
        "switches and detours, so this is a floor: nothing on the path can beat it.")


def act_two(ui):
    held, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Your home context and a failure banner (6 min)"):
        ui.stakeholder(
            "Your study group",
            "Before the real labs: which kind of machine do you care about most? And a "
            "question we argued about: where could we run an open language model like "
            f"{SHORT[ACT2_MODEL]} ourselves?")
        ui.markdown(
            "The book compares four **deployment contexts**, the spectrum of Chapter 1 "
            "(@sec-introduction-deployment-spectrum). The machine each lab uses for them:\n\n"
            + "\n".join(f"- **{contexts.name(k)}** · {MACHINES[k].name}. {WHERE[k]}: "
                        f"{context_memory(k)}, {fmt.si(MACHINES[k].tdp.m_as('W'), 'W')}."
                        for k in ORDER) +
            "\n\nPick your **home context** below. Each later lab compares two of the four; "
            "when your home context is one of them, the lab starts on it. You can change it "
            "here at any time.")
        home = ui.select("home", "Your home deployment context", HOME_LABELS, default="cloud")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{SHORT[ACT2_MODEL]} ({fmt.num(MODELS[ACT2_MODEL].parameters / 1e9)} billion "
            f"parameters) stored at {ACT2_PRECISION.upper()}, one byte per weight: which of "
            "the four contexts can hold its weights?",
            act2_options(), correct=correct)

        ui.markdown(
            "Now the controls. Lab controls are menus, switches and sliders; every change "
            "recomputes the instruments at once. Try a model that is too large for your "
            "home context.")
        model = ui.select("act2.model", "Model", MODEL_LABELS, default=ACT2_MODEL)
        precision = ui.toggle("act2.precision", "Precision of the weights", PRECISION_LABELS,
                              default=ACT2_PRECISION)
        f = fit(home, model, precision)
        if not f.feasible:
            ui.failure(f"Out of memory: {SHORT[model]} does not fit the {DEVICE[home]}",
                       f.violations, key="act2.oom", text=failure_text(home, model, precision))
        fit_chart(ui, home, model, precision)
        fit_metrics(ui, home, model, precision)

        ui.reveal(pred, f"{' and '.join(contexts.name(k) for k in held) or 'None'} "
                        f"can hold it: {SHORT[ACT2_MODEL]} at {ACT2_PRECISION.upper()} "
                        f"needs {mem(fit('cloud', ACT2_MODEL, ACT2_PRECISION).result.required)}",
                  text=pred.feedback, key="act2.overlay")
        ui.markdown(
            "**What the Design Ledger keeps.** At the end of each lab, the lab saves one "
            "entry to your Design Ledger: the context you worked in, your two predictions "
            "and whether they were correct, the design you settled on, and whether you hit "
            "a failure banner. This lab's entry also records your home context. The ledger "
            "lives in **this browser's local storage** only: nothing is sent anywhere, and "
            "another browser or device starts with an empty ledger. The **Ledger page** "
            "(linked from the book's sidebar) lists your entries and exports them to a "
            "file, or imports one, to move them or hand them in.")
        ui.reflection(
            "act2.reflection",
            "Tomorrow you open the book on a library computer. What does your Design Ledger "
            "show there?",
            {
                "A": ("Everything: it syncs through my account",
                      "The book has no accounts and no server that keeps your answers. Each "
                      "browser keeps its own ledger."),
                "B": ("Nothing, until I import the file I exported from the Ledger page",
                      "Yes. The ledger lives in the browser where you made it. Export it "
                      "from the Ledger page as a file, then import that file in the other "
                      "browser."),
                "C": ("Only this lab's entry, because it is the first one",
                      "No entry is special here: the library's browser has never seen any "
                      "of them. Lab 00's entry travels only inside an exported file, like "
                      "the rest."),
                "D": ("Whatever the book's website stored for me",
                      "The website only serves pages; it never receives your answers. Your "
                      "ledger stays in your own browser until you export it."),
            }, correct="B")
        with ui.math_peek("does the model fit?", key="act2.mathpeek"):
            ui.markdown(act2_mathpeek(home, model, precision))
    return pred, home, {"model": model, "precision": precision, "fits": f.feasible,
                        "need_mb": f.binding.required.m_as("MB")}


def context_memory(key: str) -> str:
    hw = MACHINES[key].memory
    if key == "tiny":
        return f"{fmt.binary(hw.flash.m_as('B'))} of flash for weights and " \
               f"{fmt.binary(hw.sram.m_as('B'))} of SRAM for everything else"
    out = f"{mem(hw.capacity)} of memory"
    if key == "mobile":
        out += f" (one app may use about {mem(fit('mobile', 'dscnn', 'int8').binding.available)}" \
               ", illustrative)"
    return out


def failure_text(home: str, model: str, precision: str) -> str:
    smaller = [SHORT[m] for m in MODELS if fit(home, m, precision).feasible]
    listed = (", ".join(smaller[:-1]) + " or " + smaller[-1]) if len(smaller) > 1 else \
        "".join(smaller)
    ways = []
    if precision == "fp16" and fit(home, model, "int8").feasible:
        ways.append("switch the precision to INT8 (one byte per weight instead of two)")
    if smaller:
        ways.append(f"pick a model the {DEVICE[home]} holds at {precision.upper()}: {listed}")
    else:
        ways.append("switch the precision to INT8 and pick a smaller model")
    way_out = ", or ".join(ways)
    way_out = way_out[0].upper() + way_out[1:]
    return (
        "**This is what a failure banner looks like in every lab**: a physical limit broken, "
        "with what the design requires and what the machine has available. Nothing is broken "
        f"in the lab; the design does not fit. {way_out}, and the banner clears. In later labs "
        "the same banner means out of memory, a missed deadline or a blown budget."
        + (" The phone's app budget is illustrative: Apple does not publish the limit."
           if home == "mobile" else ""))


def fit_chart(ui, home: str, model: str, precision: str) -> None:
    fits = {k: fit(k, model, precision) for k in ORDER}
    names = [contexts.name(k) for k in ORDER]
    need = [fits[k].binding.required.m_as("B") for k in ORDER]
    have = [fits[k].binding.available.m_as("B") for k in ORDER]
    colors = [plot.COLORS["good"] if fits[k].feasible else plot.COLORS["bad"] for k in ORDER]
    figure = {"data": [
        plot.bar(names, have, [plot.COLORS[k] for k in ORDER], name="has",
                 text=[f"has {mem(fits[k].binding.available)}" for k in ORDER]),
        plot.bar(names, need, colors, name="needs",
                 text=[f"needs {mem(fits[k].binding.required)}" for k in ORDER]),
    ], "layout": plot.layout(
        f"{SHORT[model]} at {precision.upper()}: the tightest memory of each context",
        height=380, barmode="group", showlegend=True, legend={"orientation": "h", "y": -0.18},
        yaxis=plot.axis("bytes (log scale)", log=True))}
    sentence = "; ".join(
        f"{contexts.name(k)} has {mem(fits[k].binding.available)} ({fits[k].binding.name}), "
        f"{'fits' if fits[k].feasible else 'does not fit'}" for k in ORDER)
    ui.figure(figure, key="act2.fit", caption=(
        f"What {SHORT[model]} at {precision.upper()} needs against what each context has, "
        f"in its tightest memory, on a log scale (red: does not fit). {sentence}. Your home "
        f"context is {contexts.name(home)}."),
        table={"caption": f"{SHORT[model]} at {precision.upper()} on each context",
               "columns": ["context", "memory checked", "needs", "has", "verdict"],
               "rows": [[contexts.name(k), fits[k].binding.name, mem(fits[k].binding.required),
                         mem(fits[k].binding.available),
                         "fits" if fits[k].feasible else "does not fit"] for k in ORDER]})


def share(ratio: float) -> str:
    """need / have as a student reads it: "1.53% of", "100.4% of", "3,830x"."""
    if ratio >= 10:
        return fmt.ratio(ratio)
    return f"{fmt.num(ratio * 100, 3 if ratio <= 1 else 4)}% of"  # 100.4%, not 100%


def fit_metrics(ui, home: str, model: str, precision: str) -> None:
    f = fit(home, model, precision)
    b = f.binding
    ui.metrics([
        Metric("Weights", mem(f.result.weight_bytes),
               note=f"{fmt.num(MODELS[model].parameters)} parameters × "
                    f"{'2 bytes' if precision == 'fp16' else '1 byte'}"),
        Metric("Activations (one input)", mem(f.result.activation_bytes),
               note=None if f.result.activation_bytes.m_as("B") else "not counted for this model"),
        Metric(f"Needs ({b.name})", mem(b.required),
               tone=None if f.feasible else "danger"),
        Metric(f"{DEVICE[home]} has", mem(b.available)),
        Metric("Verdict", "fits" if f.feasible else "does not fit",
               tone="success" if f.feasible else "danger",
               note=f"{'uses' if f.feasible else 'needs'} {share(b.ratio)} its "
                    f"{b.name.replace(' capacity', '')}"),
    ], key="act2.metrics")


def act2_mathpeek(home: str, model: str, precision: str) -> str:
    f = fit(home, model, precision)
    r = f.result
    bpe = 2 if precision == "fp16" else 1
    acts = r.activation_bytes.m_as("B")
    rows = "\n".join(f"| {c.name} | {mem(c.required)} | {mem(c.available)} | "
                     f"{'fits' if c.fits else 'does not fit'} |" for c in f.checks)
    split = ("On the microcontroller the weights stay in flash and the activations in SRAM, so "
             "there are two checks: $P\\,b \\le C_\\text{flash}$ and $A \\le C_\\text{SRAM}$."
             if home == "tiny" else
             "Weights and activations share one memory, so there is one check"
             + (", plus the app's budget (illustrative)." if home == "mobile" else "."))
    return (
        r"$$M = P\,b + A \;\le\; C$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $P$ | parameters of {SHORT[model]} | {fmt.num(MODELS[model].parameters)} |\n"
        f"| $b$ | bytes per parameter at {precision.upper()} | {bpe} |\n"
        f"| $A$ | activations of one input at the peak layer | {mem(r.activation_bytes)}"
        + ("" if acts else " (not counted: the registry gives none for this model)") + " |\n"
        f"| $M$ | memory the model needs | {mem(r.required) if home != 'tiny' else mem(r.weight_bytes) + ' + ' + mem(r.activation_bytes)} |\n"
        f"| $C$ | memory the {DEVICE[home]} has | see below |\n\n"
        f"{split}\n\n| memory | needs | has | verdict |\n| --- | --- | --- | --- |\n{rows}")


def closing(ui):
    t, _ = act1_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-orientation-labs describes the parts of a lab you have just used; "
            "@sec-orientation-ledger says where your ledger lives and how to export it.\n"
            "- Next, Chapter 1 (@sec-introduction) and its Lab 01, which compares Cloud and "
            "TinyML: it starts on your home context if that is one of the two.\n"
            "- The four contexts you chose from are the deployment spectrum of "
            "@sec-introduction-deployment-spectrum.")
    with ui.section("Key takeaways"):
        ui.markdown(
            "1. Commit a prediction before you look. It locks, so the overlay compares what you "
            "really expected with the computed answer, and a wrong guess you understand "
            "teaches more than a lucky right one.\n"
            f"2. Read the instruments, then open the MathPeek and redo the sum: light needs "
            f"{fmt.duration(t)} to cross the Atlantic in fibre, and you can check that by hand.\n"
            "3. A red banner is a result, not an error: read what is required against what "
            "is available and move a control to clear it. Your ledger stays in this browser; "
            "export it from the Ledger page.")


def save_to_ledger(ui, home, pred1, pred2, design):
    """One entry per lab; ``context`` is the home context later labs start on."""
    t, _ = act1_truth()
    entry = ledger.make_entry(
        LAB.ledger_key, home, pred1, (ACT1_SECONDS[pred1.value], t), pred2,
        decision=(f"Home context {contexts.name(home)}; tried {SHORT[design['model']]} "
                  f"at {design['precision'].upper()}"),
        result=design["need_mb"], unit="MB", constraint_hit=not design["fits"])
    ui.ledger(entry, ledger.summary(
        HOME_LABELS[home], pred1, pred2,
        ("Design", f"{SHORT[design['model']]} at {design['precision'].upper()}: "
                   f"{'fits' if design['fits'] else 'does not fit'}")))

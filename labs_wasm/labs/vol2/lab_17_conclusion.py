"""Vol II · Lab 17 · One fleet, every constraint (chapter: conclusion). The book's capstone.

Act I calibrates the binding constraint at fleet scale: a team proposes to pre-train Llama 3
70B on 15T tokens on 512 DGX H100 nodes and serve it from 8 replicas, and every constraint of
Volume II is checked at once (memory per GPU in training and in serving, the gradient exchange
against the backward pass, the share of the run lost to failures and checkpoints, the training
deadline, time to first token and the requests in flight, and carbon). The one with the least
headroom is not the deadline most readers expect but the carbon budget on the US grid. Then it
reads the student's Design Ledger of both volumes and shows how far each Act I estimate landed
from reality, lab by lab, and which labs are still to do. Act II starts from the team's fix,
the cluster doubled to make the deadline, asks what the doubling did to the carbon (almost
nothing: energy follows GPU-hours, not GPUs), and hands the student every control (cluster
size, layout, checkpoint interval, serving replicas and batch, region) to find a design that
meets all constraints; the failure banner names every one it violates. Every number comes from
the engine through conclusion_cases.py, which Chapter 33 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, catalog, contexts, fmt, ledger, plot
from labs.vol1.conclusion_cases import estimate_text
from labs.vol2 import conclusion_cases as cases
from labs.vol2.conclusion_cases import (ACT2, ARRIVAL_RATE, CARBON_BUDGET_T, DEADLINE_DAYS,
                                        GPUS_PER_NODE, GRID_KEYS, KINDS, LAYOUTS, LOSS_BUDGET,
                                        NODE_CHOICES, OUTPUT_TOKENS, PROMPT_TOKENS, PROPOSAL,
                                        TTFT_SLO_S, VOLUMES, of)

LAB = Lab(
    id="vol2/17", chapter="conclusion", title="One fleet, every constraint",
    hook="Train a 70-billion-parameter model on thousands of GPUs and serve it to the world: "
         "memory, communication, failures, latency and carbon all at once. Which one binds, "
         "and how good have your estimates become?",
    invariants=["the binding constraint at fleet scale", "one lever, several constraints",
                "energy × carbon intensity at fleet scale", "calibration from the Design Ledger"],
    minutes=40, contexts=("fleet",),
    reading=[
        ("@sec-v2-conclusion-invariants", "Volume II's invariants, part by part"),
        ("@sec-v2-conclusion-binding", "six constraints as ratios, and the one that binds"),
        ("@sec-v2-conclusion-worked-example", "one fleet design checked against all of them"),
        ("@sec-v2-conclusion-levers", "which lever moves which constraint"),
        ("@sec-v2-conclusion-calibration", "reading two volumes of your ledger"),
    ],
)

CONTEXT = LAB.contexts[0]
MODEL_NAME = {"llama3_8b": "Llama 3 8B", "llama3_70b": "Llama 3 70B"}
KIND_COLORS = {"memory": plot.COLORS["tiny"], "communication": plot.COLORS["cloud"],
               "reliability": plot.COLORS["edge"], "schedule": plot.COLORS["mobile"],
               "serving": plot.COLORS["fleet"], "carbon": plot.COLORS["muted"]}
INTERVAL = (5, 240, 5)        # minutes: min, max, step
REPLICAS = (1, 32, 1)
BATCH = (8, 512, 8)
ROMAN = {1: "I", 2: "II"}


# ---- words and numbers ---------------------------------------------------------------------------
def gpus_text(n: int) -> str:
    return f"{n:,} GPUs"


def nodes_text(n: int) -> str:
    return f"{n:,} nodes ({gpus_text(n * GPUS_PER_NODE)})"


def grid_name(key: str) -> str:
    return cases.grid(key).name


def grid_label(key: str) -> str:
    return f"{grid_name(key)} · {fmt.num(cases.intensity(key))} gCO₂e/kWh"


def tonnes(t: float) -> str:
    return f"{fmt.num(t)} t CO₂e"


def days(d: float) -> str:
    return f"{fmt.num(d)} days"


def minutes_text(m: float) -> str:
    return f"{fmt.num(m)} min"


_SHOWN: dict = {}


def show(q) -> str:
    """An engine Quantity as a student reads it here (the failure banner uses it too);
    remembered, as pint's unit formatting is slow and a render shows each amount often."""
    key = (q.magnitude, q._units)
    if key not in _SHOWN:
        if len(_SHOWN) > 50_000:
            _SHOWN.clear()
        _SHOWN[key] = _show(q)
    return _SHOWN[key]


def _show(q) -> str:
    if "CO2" in str(q.units):
        return tonnes(q.m_as("kgCO2e") / 1000.0)
    if q.units == "percent":
        return fmt.percent(q.m_as(""), 1)
    if q.check("[time]"):
        return days(q.m_as("day")) if q.m_as("day") >= 1 else fmt.duration(q.m_as("s"))
    if q.check("1/[time]"):
        return f"{fmt.num(q.m_as('1/s'))} requests/s"
    if q.units == "request":
        return f"{fmt.num(q.magnitude)} requests"
    return fmt.quantity(q)


def check_text(c) -> str:
    return f"{show(c.constraint.required)} of {show(c.constraint.available)}"


def load_text(ratio: float) -> str:
    """required / available in words: '58% of the limit' or '2.4x the limit'."""
    if math.isinf(ratio):
        return "unbounded"
    return f"{fmt.percent(ratio, 0)} of the limit" if ratio <= 1 else f"{fmt.ratio(ratio)} the limit"


def design_words(d) -> str:
    return (f"{MODEL_NAME[d.model]} on {nodes_text(d.nodes)}, {LAYOUTS[d.layout].words}, "
            f"checkpoints every {minutes_text(d.interval_min)}; {d.replicas} serving "
            f"replica{'s' if d.replicas != 1 else ''} of {d.batch} sequences; {grid_name(d.grid)}")


def scenario_words() -> str:
    return (f"{fmt.num(cases.TOKENS / 1e12)} trillion training tokens within "
            f"{days(DEADLINE_DAYS)}, losing at most {fmt.percent(LOSS_BUDGET, 0)} of the run to "
            f"failures and checkpoints; {fmt.num(ARRIVAL_RATE)} requests/s of "
            f"{PROMPT_TOKENS:,}-token prompts, each waiting at most "
            f"{fmt.duration(TTFT_SLO_S)} for its first token (P99) and getting up to "
            f"{OUTPUT_TOKENS:,} tokens back; at most {tonnes(CARBON_BUDGET_T)} for "
            "training and the first year of serving")


# ---- Act I: which constraint binds the proposal? -------------------------------------------------
ACT1_OPTION_KINDS = {"A": ("memory",), "B": ("schedule", "communication", "reliability"),
                     "C": ("serving",), "D": ("carbon",)}


def act1_truth():
    v = of(PROPOSAL)
    correct = next(k for k, kinds in ACT1_OPTION_KINDS.items() if v.binding.kind in kinds)
    return v, correct


def ranked(v) -> list:
    return sorted(v.checks, key=lambda c: -c.ratio)


def act1_fact(v) -> str:
    first, second = ranked(v)[:2]
    return (f"Ranked by required over available, **{first.constraint.name}** comes first: "
            f"{check_text(first)} ({load_text(first.ratio)}); then "
            f"{second.constraint.name}, {check_text(second)} ({load_text(second.ratio)}).")


def act1_options(v) -> dict:
    fact = act1_fact(v)
    mem = v.worst("memory")
    serve = v.worst("serving")
    return {
        "A": ("Memory: a GPU cannot hold its share of the training state or of the served batch",
              f"{fact} Tensor parallelism over the node leaves each GPU {check_text(mem)} "
              "at the most: memory has room here."),
        "B": ("Time: communication, failures or sheer arithmetic push the run past its deadline",
              f"{fact} The deadline is missed, but it is not the largest ratio: another "
              "budget is broken by more."),
        "C": ("Serving: the replicas cannot answer the traffic within the latency objective",
              f"{fact} {PROPOSAL.replicas} replicas give the first token (P99) "
              f"{check_text(serve)} ({load_text(serve.ratio)})."),
        "D": ("Carbon: training and a year of serving emit more than the budget",
              f"Right. {fact} Thousands of GPUs at 700 W for weeks are gigawatt-hours, and on "
              "the US grid each kilowatt-hour carries hundreds of grams of CO₂e."),
    }


# ---- Act II: what did doubling the cluster do to the carbon? ------------------------------------
#: Bands of carbon(doubled) / carbon(proposal), the design the team now runs against Act I's.
ACT2_BANDS = {"A": (0.0, 0.75), "B": (0.75, 1.5), "C": (1.5, 3.0), "D": (3.0, math.inf)}


def act2_truth():
    a, b = of(PROPOSAL), of(ACT2)
    return a, b, bands.band_of(b.carbon_t / a.carbon_t, ACT2_BANDS)


def act2_fact() -> str:
    a, b, _ = act2_truth()
    return (f"On {nodes_text(PROPOSAL.nodes)} the run takes {days(a.wall_days)} and emits "
            f"{tonnes(a.carbon_t)} with its year of serving; on {nodes_text(ACT2.nodes)} it "
            f"takes {days(b.wall_days)} and emits **{tonnes(b.carbon_t)}**.")


def act2_options() -> dict:
    fact = act2_fact()
    _, b, _ = act2_truth()
    return {
        "A": ("About half: the run finishes in half the time",
              f"{fact} Half the time on twice the GPUs is the same number of GPU-hours, and "
              "energy is GPU-hours times power."),
        "B": ("About the same: the GPU-hours barely change",
              f"Right. {fact} Energy is GPUs × power × time, and doubling the GPUs halves the "
              "time; what grows is only what scale wastes: more failures to recover from and "
              "a longer gradient exchange."),
        "C": ("About double: twice the GPUs draw twice the power",
              f"{fact} Twice the power, but for half as long."),
        "D": ("More than double: at scale, failures waste most of the energy",
              f"{fact} On {gpus_text(ACT2.gpus)} the fleet fails every "
              f"{fmt.duration(b.reliability.mtbf_s)}, but checkpointing every "
              f"{minutes_text(ACT2.interval_min)} keeps the loss to "
              f"{fmt.percent(b.reliability.waste, 1)} of the run."),
    }


# ---- the page ---------------------------------------------------------------------------------------
@LAB.page
def page(ui):
    ui.reset()
    pred1 = act_one(ui)
    pred2, v = act_two(ui)
    closing(ui)
    save_to_ledger(ui, pred1, pred2, v)


def act_one(ui):
    v, correct = act1_truth()
    with ui.section("Act I · Calibration", "What binds a fleet, and how good are your "
                    "estimates? (12-15 min)"):
        ui.stakeholder(
            "Head of the model program",
            f"Here is our plan for the next model. We pre-train {MODEL_NAME[PROPOSAL.model]} on "
            f"{nodes_text(PROPOSAL.nodes)}, tensor parallel over each node, checkpointing "
            f"every hour, and serve it from {PROPOSAL.replicas} nodes batching "
            f"{PROPOSAL.batch} sequences each, in our US region. The board's requirements: "
            f"{scenario_words()}. Before I sign: which requirement is furthest from being met?")
        ui.markdown(
            "Every part of Volume II gave a fleet a new way to fail: a GPU that cannot hold its "
            "share, a gradient exchange that cannot hide behind the backward pass, failures that "
            "eat the run, a deadline, a queue of users, a carbon budget. Write each as "
            "**required ÷ available**: the largest ratio is the binding constraint, whatever "
            "its units. Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            "The team's proposal: which constraint has the least headroom (the largest ratio "
            "of required to available)?", act1_options(v), correct=correct)

        checks_table(ui, PROPOSAL, "act1.checks")
        headroom_chart(ui, PROPOSAL, "act1.headroom")
        ui.reveal(pred, f"{KINDS[v.binding.kind].capitalize()} binds: "
                        f"{v.binding.constraint.name}, {check_text(v.binding)}",
                  text=pred.feedback, key="act1.overlay")
        calibration_dashboard(ui)
        act1_reflection(ui, v)
        with ui.math_peek("ratios, the binding constraint and the calibration score",
                          key="act1.mathpeek"):
            ui.markdown(mathpeek_act1(v))
    return pred


def act1_reflection(ui, v):
    first = ranked(v)[0]
    ui.reflection(
        "act1.reflection",
        "Why rank the constraints by the ratio of required to available, rather than by how "
        "much each one misses by?",
        {
            "A": ("Because the amounts come in different units, and only a ratio puts them on "
                  "one scale",
                  f"Yes. Gigabytes, milliseconds, days and tonnes cannot be subtracted from each "
                  f"other; a ratio of 1 means exactly at the limit in every unit. Here "
                  f"{first.constraint.name} is {load_text(first.ratio)}."),
            "B": ("Because the ratio is always smaller than the difference",
                  "A ratio and a difference are not the same kind of number: the point is that "
                  "the ratio has no units, so it compares a memory with a deadline."),
            "C": ("Because only the carbon budget is a hard limit; the rest are preferences",
                  "Every constraint here is a limit: a GPU that runs out of memory stops, a "
                  "queue above its capacity grows without end. The ratio treats them alike."),
            "D": ("It makes no difference: fix the constraints in any order",
                  "Working on a constraint with headroom changes nothing the board will see; "
                  "the largest ratio is the one that decides whether the plan is feasible."),
        }, correct="A")


# ---- instruments ---------------------------------------------------------------------------------------
def checks_table(ui, d, key):
    v = of(d)
    rows = [[KINDS[c.kind].capitalize(), c.constraint.name, show(c.constraint.required),
             show(c.constraint.available), load_text(c.ratio), "met" if c.met else "violated"]
            for c in v.checks]
    ui.table(f"{design_words(d)}: every constraint (engine)",
             ["kind", "constraint", "required", "available", "required ÷ available", "verdict"],
             rows, key=key)


def headroom_chart(ui, d, key):
    v = of(d)
    names = [c.constraint.name for c in v.checks]
    ratios = [c.ratio for c in v.checks]
    colors = [plot.COLORS["bad"] if not c.met else KIND_COLORS[c.kind] for c in v.checks]
    # Short labels on the bars ("58%", "2.4x": the axis says of what), the words on hover.
    trace = plot.bar(ratios, names, colors, orientation="h",
                     text=[load_text(r).replace(" of the limit", "").replace(" the limit", "")
                           for r in ratios], hovertext=[load_text(r) for r in ratios])
    top = max(max(ratios) * 1.5, 2.0)
    figure = {"data": [trace], "layout": plot.layout(
        "Headroom: required ÷ available (1 is the limit)", height=380,
        shapes=[plot.vline(1.0, plot.COLORS["bad"], dash="dash")],
        xaxis=plot.axis("required ÷ available (log scale)", log=True,
                        range=[math.log10(min(min(ratios), 0.1) / 1.5), math.log10(top)]),
        yaxis={"autorange": "reversed", "automargin": True})}
    ui.figure(figure, key=key, caption=(
        "Each constraint's required amount divided by what is available; a bar past the dashed "
        "line at 1 is violated (red), and the longest bar is the binding constraint. "
        + "; ".join(f"{c.constraint.name}: {check_text(c)} ({load_text(c.ratio)})"
                    for c in v.checks) + "."),
        table={"caption": "Required and available, per constraint (engine)",
               "columns": ["constraint", "required", "available", "required ÷ available"],
               "rows": [[c.constraint.name, show(c.constraint.required),
                         show(c.constraint.available), load_text(c.ratio)] for c in v.checks]})


# ---- the calibration dashboard (both volumes of the student's Design Ledger) ---------------------
_TITLE_CACHE: dict = {}


def lab_title(volume: int, number: int) -> str:
    key = (volume, number)
    if key not in _TITLE_CACHE:
        try:
            _TITLE_CACHE[key] = catalog.load(f"vol{volume}/{number:02d}").title
        except Exception:      # a lab not written yet (or not loadable): the chapter's name
            _TITLE_CACHE[key] = VOLUMES[volume][number][0]
    return _TITLE_CACHE[key]


def lab_name(volume: int, number: int) -> str:
    return f"Volume {ROMAN[volume]} · Lab {number:02d} · {lab_title(volume, number)}"


def short_name(volume: int, number: int) -> str:
    return f"{ROMAN[volume]}·{number:02d}"


def calibration_dashboard(ui):
    cal = cases.calibration(ui.ledger_entries())
    total = len(cases.LABS)
    ui.markdown("#### Your calibration across both volumes\n\nEvery lab's Act I asked for an "
                "estimate before it showed reality, and your Design Ledger kept both. An "
                "estimate's error is $\\log_{10}(\\text{predicted}/\\text{actual})$: 0 is exact, "
                "+1 is ten times too high, −1 ten times too low.")
    if not cal.done:
        ui.callout("info", "Your ledger has no lab of either volume yet, so there is nothing to "
                   "calibrate. Each lab saves its entry when you finish it; come back after a "
                   "few and this dashboard fills in, lab by lab.",
                   title="No earlier labs in your ledger", key="act1.calibration.empty")
    elif cal.missing:
        parts = []
        for vol in (1, 2):
            missing = cal.missing_of(vol)
            if missing:
                parts.append(f"**Volume {ROMAN[vol]}** ({len(missing)} of {len(VOLUMES[vol])}): "
                             + ", ".join(f"Lab {n:02d} · {lab_title(vol, n)}" for n in missing))
        listed = "; ".join(parts)
        ui.callout("info", f"{len(cal.missing)} of {total} labs are not in your ledger yet. "
                   + listed + ("" if listed[-1] in ".?!" else ".")
                   + " The summary covers the labs you have done.",
                   title="Labs still to do", key="act1.calibration.missing")
    ui.metrics(calibration_metrics(cal, total), key="act1.calibration.summary")
    if cal.numeric:
        calibration_chart(ui, cal)
    labs_table(ui, cal)


def calibration_metrics(cal, total) -> list:
    none = "none yet"
    share, med, lean = cal.share_within, cal.median_abs, cal.mean_signed
    v1, v2 = len(cal.of_volume(1)), len(cal.of_volume(2))
    act1, act2 = cal.share("act1_correct"), cal.share("act2_correct")
    return [
        Metric("Labs done", f"{len(cal.done)} of {total}", tone="info",
               note=f"Volume I {v1} of {len(VOLUMES[1])}, Volume II {v2} of {len(VOLUMES[2])}"),
        Metric("Estimates within 2x", f"{cal.within} of {len(cal.numeric)}" if cal.numeric
               else none, note=fmt.percent(share, 0) if share is not None else None,
               tone=None if share is None else "success" if share >= 0.5 else "warn"),
        Metric("Typical miss", fmt.ratio(10 ** med) if med is not None else none,
               note=f"median |log₁₀ ratio| {med:.2f}" if med is not None else None),
        Metric("Lean", ("over-estimates" if lean > 0 else "under-estimates" if lean < 0 else
                        "balanced") if lean is not None else none,
               note=f"mean log₁₀ ratio {lean:+.2f}" if lean is not None else None),
        Metric("Act I answers correct", fmt.percent(act1, 0) if act1 is not None else none),
        Metric("Act II answers correct", fmt.percent(act2, 0) if act2 is not None else none),
    ]


def calibration_chart(ui, cal):
    recs = cal.numeric
    limit = math.log10(cases.CLOSE_FACTOR)
    xs = [r.log_ratio for r in recs]
    colors = [plot.COLORS["good"] if abs(x) <= limit + 1e-12 else plot.COLORS["bad"] for x in xs]
    span = max(1.0, max(abs(x) for x in xs) * 1.15)
    trace = plot.bar(xs, [short_name(r.volume, r.number) for r in recs], colors,
                     orientation="h", text=[estimate_text(x) for x in xs])
    figure = {"data": [trace], "layout": plot.layout(
        "Your Act I estimates against reality (I·07: Volume I, Lab 07)",
        height=max(220, 60 + 30 * len(recs)),
        shapes=[plot.vline(0.0, plot.COLORS["ink"], dash="solid"),
                plot.vline(-limit, plot.COLORS["good"]), plot.vline(limit, plot.COLORS["good"])],
        xaxis=plot.axis("log₁₀(predicted ÷ actual): left too low, right too high",
                        range=[-span, span]),
        yaxis={"autorange": "reversed"})}
    ui.figure(figure, key="act1.calibration", caption=(
        "Each done lab's Act I estimate divided by the engine's value, on a log scale (dotted "
        "lines: within 2x). " + "; ".join(
            f"{lab_name(r.volume, r.number)}: {estimate_text(r.log_ratio)} ({r.log_ratio:+.2f})"
            for r in recs) + "."),
        table={"caption": "Act I estimates against reality, by lab",
               "columns": ["lab", "your estimate", "actual", "log₁₀ ratio"],
               "rows": [[lab_name(r.volume, r.number), fmt.num(r.predicted), fmt.num(r.actual),
                         f"{r.log_ratio:+.2f}"] for r in recs]})


def labs_table(ui, cal):
    done = {(r.volume, r.number): r for r in cal.done}
    rows = []
    for vol, n in cases.LABS:
        teaches = VOLUMES[vol][n][1]
        r = done.get((vol, n))
        if r is None:
            rows.append([lab_name(vol, n), teaches, "not done yet", "", "", ""])
        else:
            rows.append([lab_name(vol, n), teaches, cases.context_name(r.context),
                         estimate_text(r.log_ratio),
                         "correct" if r.act1_correct else "incorrect",
                         "correct" if r.act2_correct else "incorrect"])
    ui.table("Both volumes in your Design Ledger", ["lab", "what it teaches", "your context",
                                                    "Act I estimate against reality", "Act I",
                                                    "Act II"], rows, key="act1.calibration.labs")


def mathpeek_act1(v) -> str:
    rows = "".join(f"| {c.constraint.name} | {show(c.constraint.required)} | "
                   f"{show(c.constraint.available)} | {fmt.num(c.ratio)} |\n" for c in ranked(v))
    return (
        "Each constraint $k$ of a design compares an amount it requires with the amount "
        "available, in that constraint's own units:\n\n"
        r"$$r_k = \frac{\text{required}_k}{\text{available}_k}, \qquad "
        r"\text{feasible} \iff \max_k r_k \le 1, \qquad \text{binding} = \arg\max_k r_k$$"
        "\n\n"
        "| constraint $k$ | required | available | $r_k$ |\n| --- | --- | --- | --- |\n"
        + rows +
        "\nThe ratio has no units, so a memory, a deadline and a carbon budget stand on one "
        "scale; a queue must stay strictly below 1 (at 1 it never drains).\n\n"
        "The calibration score of one lab is\n\n"
        r"$$e = \log_{10}\frac{\text{your estimate}}{\text{the engine's value}}$$" "\n\n"
        f"so a factor of 2 either way is $|e| \\le \\log_{{10}} 2 = {math.log10(2):.3f}$. The "
        "dashboard reports the share of your estimates inside that band, the median $|e|$ "
        "(a typical miss of $10^{|e|}$ times) and the mean $e$ (whether you lean high or low).")


# ---- Act II: one fleet, every constraint -----------------------------------------------------------
def act_two(ui):
    a, b, correct = act2_truth()
    with ui.section("Act II · Design challenge", "One design that meets everything "
                    "(20-25 min)"):
        ui.stakeholder(
            "Sustainability lead",
            f"The team's fix for the deadline: double the cluster to {nodes_text(ACT2.nodes)} "
            f"and checkpoint every {minutes_text(ACT2.interval_min)}, as more GPUs fail more "
            "often. Everything else stays. My question is the carbon: with twice the GPUs, "
            "what happens to the tonnes we report? Then find me a design that meets every "
            "requirement, carbon included.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"Carbon of pre-training plus a year of serving on {nodes_text(ACT2.nodes)}, "
            f"against the proposal's {nodes_text(PROPOSAL.nodes)}, same grid:",
            act2_options(), correct=correct)

        design = controls(ui)
        v = of(design)
        if not v.feasible:
            failure(ui, v)
        checks_table(ui, design, "act2.checks")
        headroom_chart(ui, design, "act2.headroom")
        design_metrics(ui, v)
        band = act2_options()[correct][0].split(":")[0]
        ui.reveal(pred, f"{band}: {tonnes(b.carbon_t)} on {nodes_text(ACT2.nodes)} against "
                        f"{tonnes(a.carbon_t)} on {nodes_text(PROPOSAL.nodes)}",
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("why doubling the fleet leaves the carbon where it was",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_act2(v))
    return pred, v


def controls(ui):
    ui.markdown(f"The requirements stay the board's: {scenario_words()}. The model is "
                f"{MODEL_NAME[ACT2.model]}; each serving replica is one DGX H100 node, the model "
                "tensor parallel over its 8 GPUs.")
    nodes = int(ui.select("act2.nodes", "Training cluster (DGX H100 nodes, 8 GPUs each)",
                          {str(n): nodes_text(n) for n in NODE_CHOICES},
                          default=str(ACT2.nodes)))
    layout = ui.select("act2.layout", "How the model is split",
                       {k: lay.words[0].upper() + lay.words[1:] for k, lay in LAYOUTS.items()},
                       default=ACT2.layout)
    interval = int(ui.slider("act2.interval", "Checkpoint interval", *INTERVAL,
                             ACT2.interval_min, unit="min"))
    replicas = int(ui.slider("act2.replicas", "Serving replicas (one node each)", *REPLICAS,
                             ACT2.replicas, unit="nodes"))
    batch = int(ui.slider("act2.batch", "Sequences batched per replica", *BATCH, ACT2.batch,
                          unit="sequences"))
    grid_key = ui.select("act2.grid", "Region (grid carbon intensity, 2023 mean)",
                         {k: grid_label(k) for k in GRID_KEYS}, default=ACT2.grid)
    return cases.Design(ACT2.model, nodes, layout, interval, replicas, batch, grid_key)


ALSO = {"memory": "memory", "communication": "the gradient exchange's window",
        "reliability": "the loss budget", "schedule": "the training deadline",
        "serving": "the service's limits", "carbon": "the carbon budget"}


def and_list(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


FAILURE_TITLES = {"memory": "Out of memory",
                  "communication": "The gradient exchange cannot hide behind the backward pass",
                  "reliability": "Failures and checkpoints eat the run",
                  "schedule": "The run misses its deadline",
                  "serving": "The service cannot keep up with its users",
                  "carbon": "Over the carbon budget"}


def advice(kind: str, v) -> str:
    d = v.design
    if kind == "memory":
        out = []
        if not v.checks[0].met:
            out.append("Split the training state: tensor parallelism inside the node, or "
                       "ZeRO-3, gives each GPU a share it can hold.")
        if not v.checks[1].met:
            out.append("Batch fewer sequences per replica: each holds its KV cache on every "
                       "GPU of the replica.")
        return " ".join(out)
    if kind == "communication":
        return ("Send less over the fabric each step: tensor parallelism inside the node "
                "shrinks each GPU's gradient eightfold, and a smaller cluster gives each GPU "
                "a longer backward pass to hide behind.")
    if kind == "reliability":
        return (f"Checkpoint more often: at {gpus_text(d.gpus)} the fleet fails every "
                f"{fmt.duration(v.reliability.mtbf_s)}, and the Young-Daly optimum is "
                f"{fmt.duration(v.reliability.optimum_s)}.")
    if kind == "schedule":
        return ("Add nodes, or choose a layout that wastes less of each step (no pipeline "
                "bubble, less exposed communication).")
    if kind == "serving":
        queue, flight = v.checks[5], v.checks[6]
        out = []
        if not queue.met:
            out.append("Add serving replicas: every prompt waits in one queue for a free "
                       "replica's prefill.")
        if not flight.met:
            out.append("Add replicas or batch more sequences per replica: every request stays "
                       f"in flight for its {OUTPUT_TOKENS:,} decoding steps.")
        return " ".join(out)
    return (f"Move to a cleaner grid: this design uses {fmt.num(cases.energy_kwh(v) / 1e6)} GWh, "
            f"so only a grid under {fmt.num(cases.cleanest_needed(v))} gCO₂e/kWh keeps it "
            "within the budget. Adding or removing nodes barely changes the energy.")


def failure(ui, v):
    kinds = []
    for c in sorted((c for c in v.checks if not c.met), key=lambda c: -c.ratio):
        if c.kind not in kinds:
            kinds.append(c.kind)
    worst = max(v.violations, key=lambda c: c.ratio)
    also = (f" It also breaks {and_list(ALSO[k] for k in kinds[1:])}."
            if len(kinds) > 1 else "")
    ui.failure(FAILURE_TITLES[kinds[0]], v.violations, key="act2.failure", show=show, text=(
        f"{design_words(v.design)}. {worst.name[0].upper()}{worst.name[1:]} needs {show(worst.required)}, and "
        f"{show(worst.available)} is available.{also} "
        + " ".join(advice(k, v) for k in kinds)))


def design_metrics(ui, v):
    d = v.design
    tone = lambda ok: None if ok else "danger"   # noqa: E731
    sched = v.worst("schedule")
    carbon = v.worst("carbon")
    ttft_check = v.checks[5]
    ui.metrics([
        Metric("Time to train", days(v.wall_days), tone=tone(sched.met),
               note=f"{days(v.train_days)} without failures; deadline {days(DEADLINE_DAYS)}"),
        Metric("Fleet MTBF", fmt.duration(v.reliability.mtbf_s),
               note=f"{gpus_text(d.gpus)}; loss {fmt.percent(v.reliability.waste, 1)}",
               tone=tone(v.worst("reliability").met)),
        Metric("Training step", fmt.duration(v.train.step_time.m_as("s")),
               note=f"effective MFU {fmt.percent(v.train.effective_mfu, 0)}"),
        Metric("First token (P99)", show(ttft_check.constraint.required)
               if ttft_check.constraint.name.startswith("time") else "unbounded",
               note=f"objective {fmt.duration(TTFT_SLO_S)}", tone=tone(ttft_check.met)),
        Metric("Carbon", tonnes(v.carbon_t), tone=tone(carbon.met),
               note=f"training {tonnes(v.train_t)}, serving {tonnes(v.serve_t)}"),
        Metric("Binding constraint", KINDS[v.binding.kind].capitalize(),
               note=load_text(v.binding.ratio), tone="warn" if v.feasible else "danger"),
    ], key="act2.metrics")


LEVER_OPTIONS = {"A": "nodes", "B": "interval", "C": "replicas", "D": "grid"}


def act2_reflection(ui):
    moved = {k: cases.kinds_moved(lever) for k, lever in LEVER_OPTIONS.items()}
    most = max(moved, key=lambda k: len(moved[k]))

    def fact(k):
        lever = LEVER_OPTIONS[k]
        name = cases.LEVERS[lever][0]
        kinds = moved[k]
        return (f"Changing the {name} alone moves {len(kinds)} of the {len(KINDS)} kinds of "
                f"constraint ({', '.join(KINDS[x] for x in kinds)}).")

    ui.reflection(
        "act2.reflection",
        "Which control moves the most constraints at once, and so needs every check re-run "
        "when you touch it?",
        {
            "A": ("The cluster size", f"{'Yes. ' if most == 'A' else ''}{fact('A')} More GPUs "
                  "shorten the run but fail more often, exchange gradients over more hops and "
                  "shrink the backward pass the exchange hides behind."),
            "B": ("The checkpoint interval", f"{'Yes. ' if most == 'B' else ''}{fact('B')} It "
                  "trades stalls against lost work, and through them the run's length and "
                  "energy."),
            "C": ("The number of serving replicas", f"{'Yes. ' if most == 'C' else ''}"
                  f"{fact('C')} Serving is nearly separate from training: the replicas change "
                  "the queue and a small share of the energy."),
            "D": ("The region", f"{'Yes. ' if most == 'D' else ''}{fact('D')} The grid "
                  "multiplies the energy and nothing else: the cleanest lever, and the "
                  "narrowest."),
        }, correct=most)


def mathpeek_act2(v) -> str:
    d = v.design
    t = v.train
    return (
        "The energy of a training run is its GPUs' power over its duration, and its duration "
        "is the compute divided by what the GPUs deliver:\n\n"
        r"$$E = N\,P\,T\,\mathrm{PUE}, \qquad T \approx \frac{6\,N_p D}{N R\, \eta_{\text{eff}}}"
        r"\,(1 + w) \quad\Longrightarrow\quad E \approx \frac{6\,N_p D\,P\,\mathrm{PUE}}"
        r"{R\,\eta_{\text{eff}}}\,(1 + w), \qquad \mathrm{CO_2e} = E \times I$$" "\n\n"
        "| symbol | meaning | this design |\n| --- | --- | --- |\n"
        f"| $N$ | training GPUs | {d.gpus:,} |\n"
        f"| $P$ | power per GPU (its TDP while training) | {fmt.num(cases.GPU.tdp.m_as('W'))} W |\n"
        f"| $N_p$, $D$ | parameters, training tokens | "
        f"{fmt.num(cases.MODELS[d.model].parameters / 1e9)} billion, "
        f"{fmt.num(cases.TOKENS / 1e12)} trillion |\n"
        f"| $R$ | peak FLOP/s per GPU (FP16, dense) | "
        f"{fmt.si(cases.GPU.compute.peak_flops.m_as('FLOP/s'), 'FLOP/s')} |\n"
        f"| $\\eta_{{\\text{{eff}}}}$ | effective MFU: arithmetic, recomputation, bubble and "
        f"exposed communication | {fmt.percent(t.effective_mfu, 1)} |\n"
        f"| $w$ | share lost to checkpoints, failures and restarts | "
        f"{fmt.percent(v.reliability.waste, 1)} |\n"
        f"| $T$ | wall-clock time to train | {days(v.wall_days)} |\n"
        f"| PUE | facility overhead | {fmt.num(cases.PUE)} |\n"
        f"| $I$ | grid carbon intensity | {fmt.num(cases.intensity(d.grid))} gCO₂e/kWh |\n\n"
        "$N$ cancels: the energy depends on the GPUs only through $\\eta_{\\text{eff}}$ and $w$, "
        "which worsen slowly as the fleet grows. The grid's $I$ multiplies everything. Serving "
        f"adds its replicas' {fmt.percent(cases.SERVING_UTILIZATION, 0)} of TDP for a year: "
        f"{tonnes(v.serve_t)} of this design's {tonnes(v.carbon_t)}.")


# ---- closing ----------------------------------------------------------------------------------------
def closing(ui):
    v1, _ = act1_truth()
    a, b, _ = act2_truth()
    ft_nodes = cases.kinds_moved("nodes")
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-conclusion-binding writes the six constraints as ratios; "
            "@sec-v2-conclusion-worked-example checks a smaller fleet against all of them; "
            "@sec-v2-conclusion-levers maps which lever moves which constraint; "
            "@sec-v2-conclusion-calibration explains the calibration score.\n"
            "- The pieces come from the volume: training memory and layouts "
            "(@sec-v2-distributed-training-3d), the AllReduce "
            "(@sec-v2-collective-communication-alpha-beta), fleet MTBF and Young-Daly "
            "(@sec-v2-fault-tolerance-young-daly), serving (@sec-v2-inference) and carbon "
            "(@sec-v2-sustainable-ai).\n"
            "- This is the last lab of the book. Volume I's capstone "
            "(@sec-conclusion-binding) did the same for one device in four contexts.\n"
            "- TinyTorch, Module 20 (Capstone): benchmark your own framework's model and report "
            "it in a standard format, the measured counterpart of these estimates.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Rank constraints by required ÷ available: the team's proposal misses its "
            f"deadline, but its binding constraint is {v1.binding.constraint.name} "
            f"({load_text(v1.binding.ratio)}).\n"
            f"2. Doubling the cluster halves the time, not the energy: "
            f"{tonnes(a.carbon_t)} on {gpus_text(PROPOSAL.gpus)}, {tonnes(b.carbon_t)} on "
            f"{gpus_text(ACT2.gpus)}. The grid decides the tonnes.\n"
            f"3. The cluster size moves {len(ft_nodes)} of the {len(KINDS)} kinds of constraint "
            "at once; the region moves one. Re-check everything after changing the coupled "
            "levers.\n"
            "4. Your Design Ledger is a record of your own estimates against reality across "
            "both volumes: read it to know which quantities you still misjudge.")


def save_to_ledger(ui, pred1, pred2, v):
    """One entry (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at. Act I is a
    category, so its predicted value is null and its actual value is the proposal's binding
    ratio (required / available)."""
    v1, _ = act1_truth()
    met = sum(1 for c in v.checks if c.met)
    entry = ledger.make_entry(
        LAB.ledger_key, CONTEXT, pred1, (None, v1.binding.ratio), pred2,
        decision=design_words(v.design), result=float(met), unit="constraints met",
        constraint_hit=not v.feasible)
    ui.ledger(entry, ledger.summary(
        contexts.label(CONTEXT, "DGX H100 clusters"), pred1, pred2,
        ("Design", design_words(v.design)),
        ("Constraints met", f"{met} of {len(v.checks)}"),
        ("Binding constraint", f"{v.binding.constraint.name} ({load_text(v.binding.ratio)})")))

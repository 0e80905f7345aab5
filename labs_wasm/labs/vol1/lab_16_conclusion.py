"""Vol I · Lab 16 · One model, four contexts (chapter: conclusion). Volume I's capstone.

Act I calibrates the binding constraint: a GPU that answers one image in a fraction of a
millisecond can still fail a service, because throughput (arrivals against b / T(b)) and
latency are different constraints; then it reads the student's Volume I Design Ledger and
shows how far each of their Act I estimates landed from reality (log10 of predicted over
actual, lab by lab). Act II puts one design (model, precision, batch, execution) in front of
all four deployment contexts at once, each with its own requirement, and finds that the
batch that makes the Cloud keep up breaks every single-stream context's deadline, and that
only a model sized for the microcontroller passes everywhere. Every number comes from the
engine through conclusion_cases.py, which Chapter 16 shares; the calibration uses only the
values the student earned in earlier labs.
"""
from __future__ import annotations

import math
from functools import lru_cache

from labkit import Lab, Metric, catalog, contexts, fmt, ledger, plot
from labs.vol1 import conclusion_cases as cases
from labs.vol1.conclusion_cases import estimate_text
from labs.vol1.conclusion_cases import (ACT1, ACT1_CONTEXT, ACT2, CONTEXTS, KINDS, MODELS,
                                        REQUIREMENTS, VOLUME1, of, verdicts)

LAB = Lab(
    id="vol1/16", chapter="conclusion", title="One model, four contexts",
    hook="Fit the memory, keep up with the arrivals, answer before the deadline: Volume I's "
         "laws at once, in four places at once. And how close have your estimates been?",
    invariants=["capacity before speed", "the binding constraint", "throughput against latency",
                "calibration from the Design Ledger"],
    minutes=40, contexts=CONTEXTS,
    reading=[
        ("@sec-conclusion-invariants", "Volume I's invariants, chapter by chapter"),
        ("@sec-conclusion-binding", "four requirements and the binding constraint"),
        ("@sec-conclusion-worked-example", "one model checked in four contexts"),
        ("@sec-conclusion-batching", "what a batch buys in throughput and costs in latency"),
        ("@sec-conclusion-calibration", "reading your ledger as a calibration"),
    ],
)

HW_SHORT = {"cloud": "H100", "edge": "Jetson Orin NX", "mobile": "A17 Pro",
            "tiny": "STM32H743"}
DETAILS = {"cloud": "H100, a photo service", "edge": "Jetson Orin NX, inspection cameras",
           "mobile": "A17 Pro, a live camera app", "tiny": "STM32H743, a battery doorbell"}
SHORT = {"resnet50": "ResNet-50", "mobilenetv2": "MobileNetV2", "dscnn": "DS-CNN-S"}
PRECISION_LABELS = {"float": "Floating point (FP16; FP32 on the microcontroller)",
                    "int8": "INT8 (8-bit integers)"}
PRECISION_SHORT = {"float": "floating point", "int8": "INT8"}
EXECUTION_LABELS = {"eager": "Eager: one kernel launch per layer",
                    "graph": "Compiled graph: one launch per batch"}
EXECUTION_SHORT = {"eager": "eager", "graph": "compiled"}
KIND_COLORS = {"memory": plot.COLORS["tiny"], "app": plot.COLORS["mobile"],
               "throughput": plot.COLORS["cloud"], "latency": plot.COLORS["edge"]}
BATCH_MAX = 64


def parameters_text(n: float) -> str:
    return f"{fmt.num(n / 1e6)} M parameters" if n >= 1e6 else f"{fmt.num(n)} parameters"


def model_label(key: str) -> str:
    what = "keyword spotter, audio clips" if key == "dscnn" else "image classifier"
    return f"{SHORT[key]} ({what}, {parameters_text(MODELS[key].parameters)})"


def name(key: str) -> str:
    return SHORT[key]


def hw_name(context: str) -> str:
    return HW_SHORT[context]


def design_words(d) -> str:
    return (f"{name(d.model)}, {PRECISION_SHORT[d.precision]}, batch {d.batch}, "
            f"{EXECUTION_SHORT[d.execution]}")


def rate_text(r: float) -> str:
    return f"{fmt.num(r)} request{'' if fmt.num(r) == '1' else 's'}/s"


def requirement_words(context: str) -> str:
    r = REQUIREMENTS[context]
    return f"{rate_text(r.rate)}, P99 within {fmt.duration(r.deadline)}"


def load_text(ratio: float) -> str:
    """required / available in words: '3.8% of the limit' or '6.1x the limit'."""
    if math.isinf(ratio):
        return "unbounded"
    if ratio < 0.001:
        return "under 0.1% of the limit"
    return f"{fmt.percent(ratio)} of the limit" if ratio <= 1 else f"{fmt.ratio(ratio)} the limit"


def show(q) -> str:
    """An engine Quantity as a student reads it here: rates in requests/s, times as
    durations, bytes and the rest through fmt.quantity (the failure banner uses it too)."""
    if q.check("1/[time]"):
        return rate_text(q.m_as("1/s"))
    if q.check("[time]"):
        return fmt.duration(q.m_as("s"))
    return fmt.quantity(q)


def amount(c, q) -> str:
    return show(q)


def check_text(c) -> str:
    """One check as 'required of available'."""
    return f"{amount(c, c.constraint.required)} of {amount(c, c.constraint.available)}"


def memory_check(v):
    """The device memory with the least headroom."""
    return max((c for c in v.checks if c.kind == "memory"), key=lambda c: c.ratio)


def kind_check(v, kind):
    found = [c for c in v.checks if c.kind == kind]
    return max(found, key=lambda c: c.ratio) if found else None


# ---- Act I: which constraint binds ResNet-50, FP16, batch 1, eager, on the Cloud ---------------
ACT1_OPTION_KIND = {"A": "memory", "B": "throughput", "C": "latency"}   # D: none is close


def act1_truth():
    v = of(ACT1, ACT1_CONTEXT)
    b = v.binding
    correct = ("D" if b.ratio < 0.5 else
               next(k for k, kind in ACT1_OPTION_KIND.items() if kind == b.kind))
    return v, correct


def act1_fact(v) -> str:
    req = REQUIREMENTS[ACT1_CONTEXT]
    r1 = cases.iron_law(ACT1_CONTEXT, ACT1.model, ACT1.precision, ACT1.execution)
    launch_share = r1.t_overhead.m_as("s") / r1.total.m_as("s")
    mem = memory_check(v)
    return (f"One image takes T = {fmt.duration(v.service_time)} on the H100, "
            f"{fmt.percent(launch_share, 0)} of it launching {r1.kernels} kernels one by one. "
            f"At batch 1 one GPU therefore completes at most 1/T = "
            f"**{rate_text(v.capacity)}**, and {rate_text(req.rate)} arrive. Memory holds "
            f"{check_text(mem)}.")


def act1_options(v) -> dict:
    fact = act1_fact(v)
    return {
        "A": ("Memory: the 80 GB of HBM3 cannot hold the model and its activations",
              f"{fact} ResNet-50 at FP16 is tens of megabytes: memory is the constraint with "
              "the most room here, not the least."),
        "B": ("Throughput: one GPU cannot complete requests as fast as they arrive",
              f"{fact} Right: arrivals exceed what the server completes, so the queue grows "
              "without bound. Speed per image and requests per second are different limits."),
        "C": ("Latency: replies take longer than the 100 ms budget",
              f"{fact} Each reply would take a fraction of a millisecond if the GPU kept up; "
              "it does not keep up, so the question of latency never arises: the backlog "
              "grows for as long as the peak lasts."),
        "D": ("None: every requirement is met with room to spare",
              f"{fact} A fast answer per image is not the same as enough answers per second."),
    }


# ---- Act II: in how many contexts does the platform team's proposal pass? ------------------------
#: Options by the number of contexts passed (4, 3, 2, then 1 or 0).
ACT2_COUNTS = {"A": (4,), "B": (3,), "C": (2,), "D": (1, 0)}


def act2_truth():
    passed = cases.passes(ACT2.model, ACT2.precision, ACT2.batch, ACT2.execution)
    correct = next(k for k, counts in ACT2_COUNTS.items() if len(passed) in counts)
    return passed, correct


def verdict_words(v) -> str:
    if v.feasible:
        return f"{contexts.name(v.context)} passes"
    worst = max(v.violations, key=lambda c: c.ratio)
    return (f"{contexts.name(v.context)} fails on {worst.name} "
            f"({show(worst.required)} against {show(worst.available)})")


def act2_fact() -> str:
    vs = verdicts(ACT2.model, ACT2.precision, ACT2.batch, ACT2.execution)
    passed = [c for c in CONTEXTS if vs[c].feasible]
    return (f"It passes in **{len(passed)} of 4**: "
            + "; ".join(verdict_words(vs[c]) for c in CONTEXTS) + ".")


def act2_options() -> dict:
    fact = act2_fact()
    return {
        "A": ("All four contexts",
              f"{fact} A batch of 8 is cheap where requests pour in; where they trickle, "
              "each batch must wait for its own arrivals."),
        "B": ("Three: every context but TinyML",
              f"{fact} The microcontroller fails as you expected, but so does every context "
              "where one stream of frames has to fill the batch first."),
        "C": ("Two of the four",
              f"{fact} Count the arrivals per second in each context: the fill time of a "
              "batch of 8 is 7 arrivals long."),
        "D": ("One or none",
              f"{fact} Right: batching pays only where arrivals are fast enough to fill a "
              "batch in a sliver of the deadline."),
    }


# ---- the page ------------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.context_toggle(DETAILS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    v, correct = act1_truth()
    req = REQUIREMENTS[ACT1_CONTEXT]
    with ui.section("Act I · Calibration", "What binds, and how good are your estimates? "
                    "(12-15 min)"):
        ui.stakeholder(
            "CTO, a home-camera company",
            f"At peak our photo service sends {rate_text(req.rate)} to each H100 and promises "
            f"a reply within {fmt.duration(req.deadline)}. Our server runs ResNet-50 at FP16 "
            "in plain PyTorch, one image at a time. The team says a GPU that classifies an "
            "image in well under a millisecond leaves us room everywhere. Before I sign off "
            "on the same model for our other products: which requirement is closest to "
            "breaking?")
        ui.markdown(
            "Every deployment faces the same few requirements: the work must **fit** in "
            "memory, the device must **keep up** with the requests arriving, and each reply "
            "must come **within the deadline**. The binding constraint is the one with the "
            "least headroom: the largest ratio of what is required to what is available. "
            "Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"ResNet-50 at FP16, batch 1, eager PyTorch, on one H100 receiving "
            f"{rate_text(req.rate)} with a {fmt.duration(req.deadline)} P99 budget: which "
            "constraint binds?", act1_options(v), correct=correct)

        ui.markdown("**The design in all four contexts.** The same model, precision, batch and "
                    "execution, checked against each context's own requirement.")
        contexts_table(ui, ACT1, "act1.contexts")
        headroom_chart(ui, ACT1, "act1.headroom")
        ui.reveal(pred, f"{KINDS[v.binding.kind].capitalize()} binds: the H100 completes "
                        f"{rate_text(v.capacity)} at batch 1 and {rate_text(req.rate)} arrive",
                  text=pred.feedback, key="act1.overlay")
        calibration_dashboard(ui)
        act1_reflection(ui, v)
        with ui.math_peek("throughput, latency and the calibration score", key="act1.mathpeek"):
            ui.markdown(mathpeek_act1(v))
    return pred


def act1_reflection(ui, v):
    int8 = of(cases.Design(ACT1.model, "int8", 1, "eager"), ACT1_CONTEXT)
    graph = of(cases.Design(ACT1.model, ACT1.precision, 1, "graph"), ACT1_CONTEXT)
    b_min = cases.smallest_batch(ACT1_CONTEXT, ACT1.model, ACT1.precision, "eager")
    ui.reflection(
        "act1.reflection",
        "Which change lets one H100 keep up with the peak, and why?",
        {
            "A": ("INT8 weights: half the bytes to move",
                  f"INT8 halves the data term, but the launches dominate T: at batch 1, "
                  f"eager, INT8 the GPU still completes only {rate_text(int8.capacity)}."),
            "B": ("Batch the requests or compile the graph: both spread the fixed launch cost "
                  "over more images",
                  f"Yes. A compiled graph makes one launch per batch and completes "
                  f"{rate_text(graph.capacity)} at batch 1; staying eager, the smallest batch "
                  f"that keeps up is {b_min}. Capacity is b/T(b), and T(b) grows far more "
                  "slowly than b."),
            "C": ("A longer reply budget",
                  "The deadline is not what fails: with arrivals faster than the server, no "
                  "budget is long enough, because the backlog never clears."),
            "D": ("A GPU with more memory",
                  f"Memory is nearly empty ({check_text(memory_check(v))}); capacity in "
                  "bytes does not add requests per second."),
        }, correct="B")


@lru_cache(maxsize=512)
def context_rows(design) -> tuple:
    """One row per context: the requirement, each check, the binding one, the verdict."""
    rows = []
    for c in CONTEXTS:
        v = of(design, c)
        lat = kind_check(v, "latency")
        rows.append((
            f"{contexts.name(c)} · {hw_name(c)}", requirement_words(c),
            check_text(memory_check(v)),
            f"{rate_text(v.capacity)} for {rate_text(REQUIREMENTS[c].rate)}",
            fmt.duration(v.p99) if lat else "unbounded: the queue grows",
            f"{KINDS[v.binding.kind]} ({load_text(v.binding.ratio)})",
            "passes" if v.feasible else "fails"))
    return tuple(rows)


def contexts_table(ui, design, key):
    ui.table(f"{design_words(design)}: every context's requirement and checks",
             ["context", "requirement", "memory (needed of available)",
              "capacity b/T(b) for the arrivals", "P99 latency",
              "binding constraint", "verdict"], [list(r) for r in context_rows(design)],
             key=key)


@lru_cache(maxsize=512)
def headroom(design) -> tuple:
    """(per kind: (name, ratios, hover texts)), table rows, caption notes: required /
    available for each kind of constraint in each context."""
    series = []
    for kind in KINDS:
        checks = [kind_check(of(design, c), kind) for c in CONTEXTS]
        if any(checks):
            series.append((kind, tuple(k.ratio if k else None for k in checks),
                           tuple(load_text(k.ratio) if k else "" for k in checks)))
    rows, notes = [], []
    for c in CONTEXTS:
        v = of(design, c)
        cells = []
        for kind in KINDS:
            chk = kind_check(v, kind)
            cells.append(f"{check_text(chk)} ({load_text(chk.ratio)})" if chk else
                         ("unbounded" if kind == "latency" else "not checked"))
        rows.append(tuple([contexts.name(c)] + cells))
        notes.append(f"{contexts.name(c)}: {KINDS[v.binding.kind]} at "
                     f"{load_text(v.binding.ratio)}")
    return tuple(series), tuple(rows), tuple(notes)


def headroom_chart(ui, design, key):
    xs = [contexts.name(c) for c in CONTEXTS]
    series, rows, notes = headroom(design)
    traces = [plot.bar(xs, list(ys), KIND_COLORS[kind], name=KINDS[kind],
                       hovertext=list(texts), hoverinfo="x+text+name")
              for kind, ys, texts in series]
    figure = {"data": traces, "layout": plot.layout(
        "Headroom: required ÷ available, per constraint (1 is the limit)", height=400,
        barmode="group", showlegend=True, legend={"orientation": "h", "y": -0.18},
        shapes=[plot.hline(1.0, plot.COLORS["bad"], dash="dash")],
        yaxis=plot.axis("required ÷ available (log scale)", log=True))}
    ui.figure(figure, key=key, caption=(
        f"{design_words(design)}: for each context, every constraint's required amount "
        "divided by what is available; a bar above the dashed line at 1 is violated, and the "
        "tallest bar in a context is its binding constraint. " + "; ".join(notes) + "."),
        table={"caption": "Required of available, per constraint and context (engine)",
               "columns": ["context"] + [KINDS[k] for k in KINDS],
               "rows": [list(r) for r in rows]})


# ---- the calibration dashboard (the student's Volume I ledger) -----------------------------------
def lab_title(number: int) -> str:
    return _titles().get(number) or VOLUME1[number][0]


def _titles() -> dict:
    if not _TITLE_CACHE:
        for n in VOLUME1:
            try:
                _TITLE_CACHE[n] = catalog.load(f"vol1/{n:02d}").title
            except Exception:       # a lab not written yet (or not loadable): the chapter's name
                _TITLE_CACHE[n] = None
    return _TITLE_CACHE


_TITLE_CACHE: dict = {}


def lab_name(number: int) -> str:
    return f"Lab {number:02d} · {lab_title(number)}"


def calibration_dashboard(ui):
    cal = cases.calibration(ui.ledger_entries())
    total = len(VOLUME1)
    ui.markdown("#### Your Volume I calibration\n\nEach lab's Act I asked you for an estimate "
                "before it showed reality. Your Design Ledger kept both. An estimate's error "
                "is $\\log_{10}(\\text{predicted}/\\text{actual})$: 0 is exact, +1 is ten "
                "times too high, −1 ten times too low.")
    if not cal.done:
        ui.callout("info", "Your ledger has no Volume I lab yet, so there is nothing to "
                   "calibrate. Do the labs in the table below (each saves its entry when you "
                   "finish it) and come back: this dashboard fills in lab by lab.",
                   title="No earlier labs in your ledger", key="act1.calibration.empty")
    elif cal.missing:
        ui.callout("info", f"{len(cal.missing)} of {total} labs are not in your ledger yet: "
                   + ", ".join(lab_name(n) for n in cal.missing)
                   + ". The summary below covers the labs you have done.",
                   title="Labs still to do", key="act1.calibration.missing")
    ui.metrics(calibration_metrics(cal, total), key="act1.calibration.summary")
    if cal.numeric:
        calibration_chart(ui, cal)
    labs_table(ui, cal)


def calibration_metrics(cal, total) -> list:
    none = "none yet"
    share = cal.share_within
    med = cal.median_abs
    lean = cal.mean_signed
    act1, act2 = cal.share("act1_correct"), cal.share("act2_correct")
    return [
        Metric("Labs done", f"{len(cal.done)} of {total}", tone="info"),
        Metric("Estimates within 2x", f"{cal.within} of {len(cal.numeric)}" if cal.numeric else none,
               note=fmt.percent(share, 0) if share is not None else None,
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
    labels = [f"Lab {r.number:02d}" for r in recs]
    xs = [r.log_ratio for r in recs]
    colors = [plot.COLORS["good"] if abs(x) <= limit + 1e-12 else plot.COLORS["bad"] for x in xs]
    span = max(1.0, max(abs(x) for x in xs) * 1.15)
    trace = plot.bar(xs, labels, colors, orientation="h",
                     text=[estimate_text(x) for x in xs])
    figure = {"data": [trace], "layout": plot.layout(
        "Your Act I estimates against reality", height=max(220, 60 + 34 * len(recs)),
        shapes=[plot.vline(0.0, plot.COLORS["ink"], dash="solid"),
                plot.vline(-limit, plot.COLORS["good"]), plot.vline(limit, plot.COLORS["good"])],
        xaxis=plot.axis("log₁₀(predicted ÷ actual): left too low, right too high",
                        range=[-span, span]),
        yaxis={"autorange": "reversed"})}
    ui.figure(figure, key="act1.calibration", caption=(
        "Each done lab's Act I estimate divided by the engine's value, on a log scale "
        "(dotted lines: within 2x). " + "; ".join(
            f"{lab_name(r.number)}: {estimate_text(r.log_ratio)} ({r.log_ratio:+.2f})"
            for r in recs) + "."),
        table={"caption": "Act I estimates against reality, by lab",
               "columns": ["lab", "your estimate", "actual", "log₁₀ ratio"],
               "rows": [[lab_name(r.number), fmt.num(r.predicted), fmt.num(r.actual),
                         f"{r.log_ratio:+.2f}"] for r in recs]})


def labs_table(ui, cal):
    done = {r.number: r for r in cal.done}
    rows = []
    for n, (_, teaches) in VOLUME1.items():
        r = done.get(n)
        if r is None:
            rows.append([lab_name(n), teaches, "not done yet", "", "", ""])
        else:
            rows.append([lab_name(n), teaches, cases.context_name(r.context),
                         estimate_text(r.log_ratio), "correct" if r.act1_correct else "incorrect",
                         "correct" if r.act2_correct else "incorrect"])
    ui.table("Volume I in your Design Ledger", ["lab", "what it teaches", "your context",
                                                "Act I estimate against reality", "Act I",
                                                "Act II"], rows, key="act1.calibration.labs")


def mathpeek_act1(v) -> str:
    req = REQUIREMENTS[ACT1_CONTEXT]
    return (
        "A server that runs batches of $b$ requests, each batch taking $T(b)$ (the Iron Law "
        "of the batch), completes at most\n\n"
        r"$$\mu = \frac{b}{T(b)}, \qquad \rho = \frac{\lambda}{\mu} = \frac{\lambda\, T(b)}{b}$$"
        "\n\n"
        "| symbol | meaning | this case |\n| --- | --- | --- |\n"
        f"| $b$ | requests per batch | {ACT1.batch} |\n"
        f"| $T(b)$ | time of one batch: $D/BW + O/R + L$ | {fmt.duration(v.service_time)} |\n"
        f"| $\\mu$ | requests the server completes per second | {rate_text(v.capacity)} |\n"
        f"| $\\lambda$ | requests arriving per second | {rate_text(req.rate)} |\n"
        f"| $\\rho$ | utilisation: below 1 the server keeps up | {fmt.num(v.queue.utilization)} |\n\n"
        "With $\\rho \\ge 1$ the queue grows for as long as the peak lasts, so latency has no "
        "finite value to compare with the budget: throughput binds first.\n\n"
        "The calibration score of one lab is\n\n"
        r"$$e = \log_{10}\frac{\text{your estimate}}{\text{the engine's value}}$$" "\n\n"
        f"so a factor of 2 either way is $|e| \\le \\log_{{10}} 2 = {math.log10(2):.3f}$. The "
        "dashboard reports the share of your estimates inside that band, the median $|e|$ "
        "(a typical miss of $10^{|e|}$ times) and the mean $e$ (whether you lean high or low).")


# ---- Act II: one design, four contexts ------------------------------------------------------------
def act_two(ui, context):
    passed, correct = act2_truth()
    with ui.section("Act II · Design challenge", "One design for four products? (20-25 min)"):
        ui.stakeholder(
            "Head of the ML platform team",
            "We ship the same recognition feature in four products: the photo service, the "
            "inspection line, the phone app and the battery doorbell. I want one configuration "
            "to maintain, and I want it to be the one that made the cloud affordable: "
            f"{name(ACT2.model)} at INT8, batches of {ACT2.batch}, compiled. Where does it hold?")
        ui.markdown(
            "Each context keeps its own requirement: "
            + "; ".join(f"**{contexts.name(c)}**, {REQUIREMENTS[c].what}: "
                        f"{requirement_words(c)}" for c in CONTEXTS)
            + ". A request is one inference (one image, or one audio clip for the keyword "
              "spotter).")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{name(ACT2.model)} at INT8, batch {ACT2.batch}, compiled: in how many of the four "
            "contexts does it meet every requirement?", act2_options(), correct=correct)

        model = ui.select("act2.model", "Model", {k: model_label(k) for k in MODELS},
                          default=ACT2.model)
        precision_choice = ui.select("act2.precision", "Precision", PRECISION_LABELS,
                                     default=ACT2.precision)
        batch = int(ui.slider("act2.batch", "Batch size", 1, BATCH_MAX, 1, ACT2.batch,
                              unit="requests"))
        execution = ui.select("act2.execution", "Execution", EXECUTION_LABELS,
                              default=ACT2.execution)
        design = cases.Design(model, precision_choice, batch, execution)
        v = of(design, context)
        if not v.feasible:
            failure(ui, v)
        contexts_table(ui, design, "act2.contexts")
        headroom_chart(ui, design, "act2.headroom")
        context_metrics(ui, v)

        vs = verdicts(ACT2.model, ACT2.precision, ACT2.batch, ACT2.execution)
        fails = [contexts.name(c) for c in CONTEXTS if not vs[c].feasible]
        ui.reveal(pred, f"Passes in {len(passed)} of 4 ("
                        + (", ".join(contexts.name(c) for c in passed) or "none")
                        + "); fails in " + (", ".join(fails) or "none"),
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("the batch's fill time against the deadline", key="act2.mathpeek"):
            ui.markdown(mathpeek_act2(v))
    n = len(cases.passes(model, precision_choice, batch, execution))
    return pred, {"design": design, "passes": n, "fits": v.feasible}


FAILURE_TITLES = {"memory": "Out of memory: the model does not fit",
                  "app": "Over the app's memory budget",
                  "throughput": "The device cannot keep up with the requests",
                  "latency": "Deadline missed: replies arrive too late"}


def violation_kind(v, constraint) -> str:
    return next(c.kind for c in v.checks if c.constraint is constraint)


ADVICE = {
    "memory": "Pick a model built for this memory (the keyword spotter fits the "
              "microcontroller), or switch to a larger context.",
    "app": "Pick a smaller model or INT8, or switch context.",
    "throughput": "Raise the batch size or compile the graph, so each launch serves more "
                  "requests, or switch to a context with fewer arrivals.",
    "latency": "Lower the batch size: the first request of a batch of {b} waits for {wait} "
               "more {arrivals}, at {rate}, before the batch starts.",
}


def advice_for(kind: str, v) -> str:
    d = v.design
    req = REQUIREMENTS[v.context]
    if kind == "throughput" and v.per_item * req.rate >= 1:
        return (f"No batch helps here: each request alone adds {fmt.duration(v.per_item)}, "
                f"longer than the {fmt.duration(1 / req.rate)} between arrivals. Pick a "
                "smaller model or a faster context.")
    return ADVICE[kind].format(b=d.batch, wait=d.batch - 1, rate=rate_text(req.rate),
                               arrivals="arrival" if d.batch == 2 else "arrivals")


def failure(ui, v):
    worst = max(v.violations, key=lambda c: c.ratio)
    d = v.design
    kinds = []
    for c in sorted(v.violations, key=lambda c: -c.ratio):
        k = violation_kind(v, c)
        if k not in kinds:
            kinds.append(k)
    also = (f" It also breaks {' and '.join(KINDS[k] for k in kinds[1:])}."
            if len(kinds) > 1 else "")
    advice = " ".join(advice_for(k, v) for k in kinds)
    ui.failure(FAILURE_TITLES[kinds[0]], v.violations, key="act2.failure", show=show, text=(
        f"{design_words(d)}, on the {hw_name(v.context)} ({contexts.name(v.context)}: "
        f"{requirement_words(v.context)}): {worst.name} needs {show(worst.required)}, "
        f"and {show(worst.available)} is available.{also} {advice}"))


def context_metrics(ui, v):
    req = REQUIREMENTS[v.context]
    mem = memory_check(v)
    lat = kind_check(v, "latency")
    tone = lambda ok: None if ok else "danger"   # noqa: E731
    ui.metrics([
        Metric("Time per batch T(b)", fmt.duration(v.service_time),
               note=f"batch of {v.design.batch} at {v.precision.upper()}"),
        Metric("Capacity b/T(b)", rate_text(v.capacity),
               note=f"{rate_text(req.rate)} arrive", tone=tone(v.stable)),
        Metric("P99 latency", fmt.duration(v.p99) if lat else "unbounded",
               note=f"deadline {fmt.duration(req.deadline)}",
               tone=tone(lat is not None and lat.met)),
        Metric(f"Memory ({mem.constraint.name.replace(' capacity', '')})",
               fmt.quantity(mem.constraint.required),
               note=f"of {fmt.quantity(mem.constraint.available)}", tone=tone(mem.met)),
        Metric("Binding constraint", KINDS[v.binding.kind].capitalize(),
               note=load_text(v.binding.ratio), tone="warn" if v.feasible else "danger"),
    ], key="act2.metrics")


def act2_reflection(ui):
    designs = cases.universal_designs()
    spotter = all(d.model == "dscnn" for d in designs) and bool(designs)
    mnv2_int8 = of(cases.Design("mobilenetv2", "int8", 1, "graph"), "tiny")
    flash = next(c for c in mnv2_int8.checks if c.constraint.name == "flash capacity")
    found = "; ".join(design_words(d) for d in designs) if designs else "none"
    ui.reflection(
        "act2.reflection",
        "Search the controls for one design that passes in all four contexts (batch up to 8). "
        "What does it take?",
        {
            "A": ("Nothing works: every design fails somewhere",
                  f"The engine finds {len(designs)} that pass everywhere: {found}."),
            "B": ("A model small enough for the doorbell, one request at a time, compiled",
                  f"{'Yes' if spotter else 'Not quite'}. The designs that pass everywhere: "
                  f"{found}. The smallest context sets the model; the single-stream contexts "
                  "set the batch; the Cloud's arrivals set the execution mode. Real products "
                  "ship a different model per context instead."),
            "C": ("The largest model at the largest batch: it has the most capacity",
                  "The largest model fills the microcontroller's flash many times over, and "
                  "large batches wait for arrivals that the phone and the doorbell never send "
                  "fast enough."),
            "D": ("INT8 everywhere: quantizing makes any model fit",
                  f"INT8 quarters FP32's bytes, but {name('mobilenetv2')} at INT8 still needs "
                  f"{check_text(flash)} of flash on the doorbell."),
        }, correct="B" if spotter else "A")


def mathpeek_act2(v) -> str:
    d = v.design
    req = REQUIREMENTS[v.context]
    fill = v.p99 - v.service_time if v.stable else math.inf
    lat = kind_check(v, "latency")
    where = f"{name(d.model)} on the {hw_name(v.context)} at {v.precision.upper()}"
    tail = (f"$P_{{99}}$ = {fmt.duration(fill)} + {fmt.duration(v.service_time)} = "
            f"{fmt.duration(v.p99)} against a deadline of {fmt.duration(req.deadline)}: "
            f"{'met' if lat and lat.met else 'missed'}." if v.stable else
            "$\\rho \\ge 1$, so the server cannot keep up and the latency is unbounded.")
    mean_fill = (f"The mean fill time here is $(b-1)/\\lambda$ = "
                 f"{fmt.duration((d.batch - 1) / req.rate)}. It is"
                 if d.batch > 1 else "At batch 1 nothing waits to fill a batch. At larger "
                 "batches the mean fill time $(b-1)/\\lambda$ is")
    return (
        "A batching server waits until $b$ requests have arrived, then runs them together. "
        "With requests arriving at random (Poisson) at rate $\\lambda$, the first request of "
        "a batch waits for $b-1$ more arrivals, a wait with an Erlang distribution; its "
        "latency is that fill time plus the batch's service time:\n\n"
        r"$$P_{99} = F^{-1}_{\mathrm{Erlang}(b-1,\,\lambda)}(0.99) + T(b), \qquad "
        r"T(b) = T_0 + b\,t_1, \qquad \text{mean fill} = \frac{b-1}{\lambda}$$" "\n\n"
        "| symbol | meaning | this case |\n| --- | --- | --- |\n"
        f"| $b$ | batch size | {d.batch} |\n"
        f"| $\\lambda$ | arrivals per second | {rate_text(req.rate)} |\n"
        f"| $T_0$ | the batch's fixed time: weights once, kernel launches | "
        f"{fmt.duration(v.base)} |\n"
        f"| $t_1$ | time each request adds: its activations and arithmetic | "
        f"{fmt.duration(v.per_item)} |\n"
        f"| $T(b)$ | service time of the batch (Iron Law) | {fmt.duration(v.service_time)} |\n"
        f"| $\\rho$ | utilisation $\\lambda T(b)/b$ | {fmt.num(v.queue.utilization)} |\n\n"
        f"For {where}: {tail} {mean_fill} short where thousands of requests arrive each "
        "second, and a whole frame interval per extra request where one camera sends them. Queueing between batches is not modelled, so "
        "near $\\rho = 1$ the estimate is optimistic; camera frames arrive evenly rather than "
        "at random, which fills a batch in exactly $(b-1)/\\lambda$.")


# ---- closing ---------------------------------------------------------------------------------------
def closing(ui):
    v1, _ = act1_truth()
    passed, _ = act2_truth()
    designs = cases.universal_designs()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-conclusion-binding sets out the four requirements and the binding "
            "constraint; @sec-conclusion-batching works what a batch buys and costs on the "
            "chapter's own example; @sec-conclusion-calibration explains the calibration "
            "score.\n"
            "- Capacity before speed is Chapter 1's rule (@sec-introduction-mcu-oom); launch "
            "overhead is Chapter 7's (@sec-frameworks-dispatch); Cloud against Edge placement "
            "is Chapter 2's (@sec-ml-systems-placement).\n"
            "- Next, Volume II, Lab 01 (@sec-v2-introduction): from one device to a fleet, "
            "where the constraint that binds is often the network between machines.\n"
            "- TinyTorch, Module 20 (Capstone): you benchmark your own framework's model before "
            "and after optimising it and report both in a standard format: the measured "
            "counterpart of the estimates this lab makes.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Latency and throughput are different constraints: ResNet-50 answers one image "
            f"in {fmt.duration(v1.service_time)} on an H100 in eager PyTorch, yet at batch 1 "
            f"one GPU completes only {rate_text(v1.capacity)}.\n"
            f"2. A batch amortises fixed costs where requests pour in and waits for arrivals "
            f"where they trickle: {name(ACT2.model)} at INT8, batch {ACT2.batch}, compiled, "
            f"passes in {len(passed)} of the four contexts.\n"
            f"3. One design for every context is forced down to the smallest budget: "
            f"{len(designs)} configuration{'s' if len(designs) != 1 else ''} of the three "
            "models pass all four (batch up to 8), all of them the keyword spotter. Products "
            "ship a model per context.\n"
            "4. Your ledger is a record of your own estimates against reality: read its "
            "calibration to know which quantities you still misjudge.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at. Act I
    is a category, so its predicted value is null and its actual value is the utilisation of
    the question's server (arrivals over capacity)."""
    v1, _ = act1_truth()
    d = design["design"]
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (None, v1.queue.utilization), pred2,
        decision=f"{design_words(d)}, checked on {contexts.name(context)}",
        result=float(design["passes"]), unit="contexts", constraint_hit=not design["fits"])
    ui.ledger(entry, ledger.summary(
        contexts.label(context, DETAILS[context]), pred1, pred2,
        ("Design", design_words(d)),
        ("Contexts passed", f"{design['passes']} of 4"),
        (f"In {contexts.name(context)}", "passes" if design["fits"] else "fails")))

"""Vol I · Lab 01 · The magnitude gap (chapter: introduction).

Act I calibrates the size of the Cloud-to-TinyML gap (peak compute, bandwidth, memory,
power); Act II applies the Iron Law T = D/BW + O/(R·η) + L to a model on a device and meets
the out-of-memory wall on the microcontroller. Every number comes from the engine's
registries and resolvers; the lab adds words and the few constants below, each with its
source.
"""
from __future__ import annotations

import math
from labkit import Lab, Metric, contexts, fmt, ledger, plot
from labs.vol1 import introduction_cases as cases
from labs.vol1.introduction_cases import (AXES, MODELS, PRECISION, SPECTRUM, footprint,
                                          iron_law, term_times)

LAB = Lab(
    id="vol1/01", chapter="introduction", title="The magnitude gap",
    hook="A datacenter GPU and a doorbell's microcontroller both run neural networks. "
         "How far apart are they, and which law decides what runs where?",
    invariants=["D·A·M triad", "Cloud/TinyML magnitude gap", "Iron Law T = D/BW + O/(R·η) + L"],
    minutes=40, contexts=("cloud", "tiny"),
    reading=[
        ("@sec-introduction-dam", "the D·A·M triad: data, algorithm, machine"),
        ("@sec-introduction-deployment-spectrum", "the four deployment contexts"),
        ("@sec-introduction-magnitude-gap", "the gap, axis by axis"),
        ("@sec-introduction-iron-law", "the Iron Law and its three terms"),
        ("@sec-introduction-memory-wall", "which term binds at batch 1"),
    ],
)

# ---- the machines and models: shared with Chapter 1 (introduction_cases.py) -------------
CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM", "tiny": "STM32H743 (Cortex-M7)"})
MODEL_LABELS = {"resnet50": "ResNet-50 (image classifier)",
                "mobilenetv2": "MobileNetV2 (mobile image classifier)",
                "dscnn": "DS-CNN-S (keyword spotting)"}
EXECUTION = {"eager": "Eager: one kernel launch per layer",
             "graph": "Compiled graph: one launch for the whole network"}


def spec_text(axis: str, value: float, context: str) -> str:
    if axis == "memory" and context == "tiny":
        return fmt.binary(value) + " SRAM"
    return fmt.si(value, AXES[axis][1])


# ---- Act I: the prediction's options (exponents of ten) ---------------------------------
ACT1_EXPONENTS = {"A": 2, "B": 4, "C": 6, "D": 9}


def act1_truth() -> tuple[float, str]:
    specs = cases.specs()
    ratio = specs["cloud"]["compute"] / specs["tiny"]["compute"]
    nearest = min(ACT1_EXPONENTS, key=lambda k: abs(ACT1_EXPONENTS[k] - math.log10(ratio)))
    return ratio, nearest


def act1_options(ratio: float) -> dict:
    h100 = fmt.si(cases.specs()["cloud"]["compute"], "FLOP/s")
    mcu = fmt.si(cases.specs()["tiny"]["compute"], "FLOP/s")
    actual = f"{h100} / {mcu} = **{fmt.num(ratio)}x**, about {fmt.pow10(fmt.order_of_magnitude(ratio))}"
    return {
        "A": ("About 10² (a hundred times)",
              f"Far too small. {actual}. A factor of 100 is the gap between a laptop and a "
              "phone, one you can close with tuning; this one you cannot."),
        "B": ("About 10⁴ (ten thousand times)",
              f"Too small by about a hundred. {actual}. The bandwidth and memory gaps are "
              "nearer 10⁴ to 10⁵; peak compute is wider still."),
        "C": ("About 10⁶ (a million times)",
              f"Right. {actual}: six orders of magnitude of arithmetic rate between the two "
              "ends of the spectrum."),
        "D": ("About 10⁹ (a billion times)",
              f"Too large by about a thousand. {actual}. Nine orders of magnitude is closer "
              "to the growth of training compute over decades than to today's device gap."),
    }


# ---- Act II: which Iron Law term binds --------------------------------------------------
TERMS = {"compute": "O/(R·η), compute", "memory": "D/BW, data movement",
         "overhead": "L, fixed overhead"}
ACT2_OPTION_TERM = {"A": "compute", "B": "memory", "C": "overhead"}  # D: "they tie"


def act2_truth():
    """The prediction's case: ResNet-50, batch 1, on the H100 at FP16, eager execution."""
    r = iron_law("cloud", "resnet50", 1, "eager")
    times = term_times(r)
    top, second = sorted(times.values(), reverse=True)[:2]
    tie = top / second < 2.0  # "tie" means the two largest terms are within 2x
    correct = "D" if tie else next(k for k, t in ACT2_OPTION_TERM.items() if t == r.binding)
    return r, times, correct


def act2_options(r, times) -> dict:
    t = {k: fmt.duration(v) for k, v in times.items()}
    terms = f"D/BW = {t['memory']}, O/R = {t['compute']}, L = {t['overhead']}"
    largest = max(times, key=times.get)
    verdict = f"{terms}: the largest is **{TERMS[largest]}**."
    return {
        "A": ("The compute term O/(R·η)",
              f"{verdict} {fmt.si(r.ops.m_as('FLOP'), 'FLOP')} is a lot of arithmetic, but at "
              "the H100's peak it takes microseconds; arithmetic is rarely what binds at "
              "batch 1."),
        "B": ("The data term D/BW",
              f"{verdict} The weights must stream from HBM once per image, so the data "
              "term beats the compute term; compare both with what organising the work costs."),
        "C": ("The overhead term L",
              f"{verdict} Every layer launched as its own kernel pays a fixed dispatch cost "
              f"({r.kernels} launches here), which dwarfs the physics at batch 1."),
        "D": ("None: the three terms are within 2x of each other",
              f"{verdict} The terms are not close: the largest is "
              f"{fmt.ratio(max(times.values()) / sorted(times.values())[1])} the next one."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    specs = cases.specs()
    mcu = SPECTRUM["tiny"][1]
    ratio, correct = act1_truth()
    with ui.section("Act I · Calibration", "How wide is the deployment spectrum? (12-15 min)"):
        ui.stakeholder(
            "VP of Engineering, a smart-doorbell maker",
            "Our cloud team serves every model from H100s with one PyTorch stack. Our "
            f"doorbell runs on a {mcu.name} that costs us about {fmt.usd(mcu.unit_cost.m_as('USD'))}. "
            "Before we fund a second software team: why can't the doorbell run the same "
            "stack, just slower?")
        ui.markdown(
            "Answering the VP means putting a number on *just slower*. The D·A·M triad says "
            "a system is data, algorithm and machine together; here the machine axis moves. "
            "Commit to an estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            "By roughly what factor does the H100's peak compute (FLOP/s) exceed the "
            "Cortex-M7 microcontroller's?",
            act1_options(ratio), correct=correct)

        magnitude_chart(ui, specs)
        gap_table(ui, specs)
        ui.reveal(pred, f"{fmt.num(ratio)}x, about {fmt.pow10(fmt.order_of_magnitude(ratio))}",
                  text=pred.feedback, key="act1.overlay")
        ui.reflection(
            "act1.reflection",
            "What does a gap of this size imply for the doorbell's software?",
            {
                "A": ("Wait for a faster compiler: a better code generator will close it",
                      "Compilers win factors of 2 to 10 by using the hardware better. They "
                      "cannot add the million-fold arithmetic rate, or the memory, the chip "
                      "does not have."),
                "B": ("Different models, formats and runtimes for each end of the spectrum",
                      "Yes. A gap of about a million in compute, and tens of thousands in "
                      "memory, changes what can run at all: the doorbell needs models designed "
                      "for its budget and a runtime built for a microcontroller."),
                "C": ("Collect more training data so the small model is as good",
                      "Data is the D of the triad, not the M. More data makes a model better, "
                      "not smaller or cheaper to run; the machine's limits stay where they are."),
                "D": ("Run the same model and accept that it is slower",
                      "Slower would be the good case. At this gap the model mostly does not fit "
                      "in memory at all: Act II shows it."),
            }, correct="B")
        with ui.math_peek("the gap, axis by axis", key="act1.mathpeek"):
            rows = []
            for axis, (name, _) in AXES.items():
                r = specs["cloud"][axis] / specs["tiny"][axis]
                rows.append(f"| {name} | {spec_text(axis, specs['cloud'][axis], 'cloud')} | "
                            f"{spec_text(axis, specs['tiny'][axis], 'tiny')} | {fmt.num(r)}x | "
                            f"{math.log10(r):.2f} |")
            ui.markdown(
                "The **D·A·M triad**: every ML system is *data* (bytes to move), an "
                "*algorithm* (operations to perform) and a *machine* (rates and capacities). "
                "This act moves only the machine.\n\n"
                "The gap on each axis, and its order of magnitude:\n\n"
                r"$$\text{gap} = \frac{\text{value on the H100}}{\text{value on the STM32H743}},"
                r"\qquad \text{order} = \log_{10}(\text{gap})$$" "\n\n"
                "| axis | H100 | STM32H743 | gap | log₁₀ gap |\n| --- | --- | --- | --- | --- |\n"
                + "\n".join(rows) +
                "\n\nPeak compute is at each device's usual precision (FP16 on the GPU, FP32 "
                "on the Cortex-M7's FPU). For peak compute, $\\log_{10}$ of "
                f"{fmt.num(ratio)} is {math.log10(ratio):.2f}: the nearest power of ten is "
                f"{fmt.pow10(fmt.order_of_magnitude(ratio))}.")
    return pred


def magnitude_chart(ui, specs):
    order = ["tiny", "mobile", "edge", "cloud"]
    traces, table_rows = [], []
    for key in order:
        name, hw = SPECTRUM[key]
        ratios = [specs[key][a] / specs["tiny"][a] for a in AXES]
        traces.append(plot.bar([AXES[a][0] for a in AXES], ratios, plot.COLORS[key], name=name,
                               text=[f"{fmt.num(x)}x" for x in ratios],
                               hovertext=[f"{name}: {spec_text(a, specs[key][a], key)}"
                                          for a in AXES]))
        table_rows.append([name] + [spec_text(a, specs[key][a], key) for a in AXES])
    figure = {"data": traces, "layout": plot.layout(
        "Each context relative to the microcontroller (log scale)", height=400,
        barmode="group", showlegend=True, legend={"orientation": "h", "y": -0.18},
        yaxis=plot.axis("times the STM32H743", log=True))}
    cloud = specs["cloud"]
    tiny = specs["tiny"]
    ui.figure(figure, key="act1.magnitude", caption=(
        "Magnitude gap: each device's peak compute, memory bandwidth, memory capacity and "
        "power divided by the microcontroller's, on a log scale. The H100 exceeds the "
        f"STM32H743 by {fmt.num(cloud['compute'] / tiny['compute'])}x in compute, "
        f"{fmt.num(cloud['bandwidth'] / tiny['bandwidth'])}x in bandwidth, "
        f"{fmt.num(cloud['memory'] / tiny['memory'])}x in memory and "
        f"{fmt.num(cloud['power'] / tiny['power'])}x in power."),
        table={"caption": "The four deployment contexts (engine registry values)",
               "columns": ["context"] + [AXES[a][0] for a in AXES], "rows": table_rows})


def gap_table(ui, specs):
    rows = []
    for axis, (name, _) in AXES.items():
        r = specs["cloud"][axis] / specs["tiny"][axis]
        rows.append([name, spec_text(axis, specs["cloud"][axis], "cloud"),
                     spec_text(axis, specs["tiny"][axis], "tiny"), f"{fmt.num(r)}x",
                     fmt.pow10(fmt.order_of_magnitude(r))])
    ui.table("Cloud (H100) against TinyML (STM32H743): the gap on each axis",
             ["axis", "H100", "STM32H743", "gap", "order of magnitude"], rows, key="act1.gaps")


def act_two(ui, context):
    truth, truth_times, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Which term of the Iron Law binds? (20-25 min)"):
        ui.stakeholder(
            "VP of Engineering",
            "Fine, two stacks. The doorbell team now wants ResNet-50 on the device for person "
            "detection, and the cloud team says the H100 is 'compute-bound' at batch 1 anyway. "
            "Who is right?")
        ui.markdown(
            "The Iron Law splits the time of one inference into three terms: "
            "**T = D/BW + O/(R·η) + L**. D/BW is moving the data (weights and activations), "
            "O/(R·η) is the arithmetic, L is the fixed cost of organising the work (kernel "
            "launches, dispatch). The largest term is the bottleneck.")
        pred = ui.predict_choice(
            "act2.prediction",
            "ResNet-50, one image (batch 1), on the H100 at FP16, with the framework launching "
            "one kernel per layer: which term of the Iron Law is largest?",
            act2_options(truth, truth_times), correct=correct)

        model = ui.select("act2.model", "Model", MODEL_LABELS, default="resnet50")
        batch = ui.slider("act2.batch", "Batch size", 1, 64, 1, 1, unit=cases.ITEM[model][1])
        execution = ui.select("act2.execution", "Execution", EXECUTION, default="eager")
        hw = SPECTRUM[context][1]
        fit = footprint(context, model, batch)
        if not fit.feasible:
            ui.failure(
                "Out of memory: the model does not fit", fit.violations, key="act2.oom",
                text=(f"{MODELS[model].name} at {PRECISION[context].upper()}, batch {batch}, "
                      f"overflows the {hw.name}'s "
                      f"{' and '.join(v.name.replace(' capacity', '') for v in fit.violations)}. "
                      "No term of the Iron Law applies to work that cannot be loaded. Pick a "
                      "model built for the budget, or switch the context back to Cloud."))
            result = None
        else:
            result = iron_law(context, model, batch, execution)
            iron_law_instruments(ui, context, model, batch, result)

        t = {k: fmt.duration(v) for k, v in truth_times.items()}
        ui.reveal(pred, f"{TERMS[truth.binding].split(',')[0]} is largest: D/BW = "
                        f"{t['memory']}, O/R = {t['compute']}, L = {t['overhead']} (ResNet-50, "
                        "batch 1, H100, eager)", text=pred.feedback, key="act2.overlay")
        ui.reflection(
            "act2.reflection",
            "Switch the context to TinyML with ResNet-50. What stops it first?",
            {
                "A": ("Its compute rate: it would take too long per image",
                      "It would be slow, but slowness needs the model to run. Capacity is "
                      "checked before any term of the Iron Law can be evaluated."),
                "B": ("Memory capacity: the weights do not fit on the chip",
                      "Yes. "
                      + _mcu_fit_sentence() +
                      " That is a wall, not a slope: no amount of waiting fixes it."),
                "C": ("Its power budget: the chip would overheat",
                      f"The chip draws about {fmt.si(SPECTRUM['tiny'][1].tdp.m_as('W'), 'W')} "
                      "at full clock by design; power limits what the device can be, but it is "
                      "not what stops this model."),
                "D": ("Accuracy: the small chip makes the model less accurate",
                      "A processor does not change a model's accuracy; the same weights give the "
                      "same answers. What fails is loading them."),
            }, correct="B")
        case = result or truth
        case_label = (f"{MODELS[model].name} on the {hw.name}, batch {batch}"
                      if result else "ResNet-50 on the H100, batch 1 (your case does not fit)")
        with ui.math_peek("the Iron Law with this case's numbers", key="act2.mathpeek"):
            ui.markdown(mathpeek_iron_law(case, case_label,
                                          hw if result else SPECTRUM["cloud"][1]))
    return pred, {"model": model, "batch": batch, "execution": execution, "fits": fit.feasible,
                  "latency_us": result.total.m_as("us") if result else None}


def _mcu_fit_sentence() -> str:
    flash = footprint("tiny", "resnet50", 1).violation("flash capacity")
    return (f"At INT8 ResNet-50's weights alone need {fmt.quantity(flash.required)} of flash; "
            f"the STM32H743 has {fmt.quantity(flash.available)}, {fmt.ratio(flash.ratio)} too "
            "little, before a single activation is stored in its SRAM.")


def iron_law_instruments(ui, context, model, batch, r):
    times = term_times(r)
    labels = {"memory": "D/BW (data)", "compute": "O/(R·η) (compute)", "overhead": "L (overhead)"}
    colors = [plot.COLORS["bad"] if k == r.binding else plot.COLORS[context] for k in times]
    figure = {"data": [plot.bar([labels[k] for k in times], [t * 1e6 for t in times.values()],
                                colors, text=[fmt.duration(t) for t in times.values()])],
              "layout": plot.layout("The three terms of the Iron Law", height=340,
                                    yaxis=plot.axis("time (µs, log scale)", log=True))}
    ui.figure(figure, key="act2.terms", caption=(
        f"Iron Law terms for {MODELS[model].name}, batch {batch}, on "
        f"{SPECTRUM[context][1].name}: D/BW = {fmt.duration(times['memory'])}, "
        f"O/(R·η) = {fmt.duration(times['compute'])}, L = {fmt.duration(times['overhead'])}. "
        f"The binding term is {TERMS[r.binding]}."))
    ui.metrics([
        Metric("Data term D/BW", fmt.duration(times["memory"]),
               tone="danger" if r.binding == "memory" else None),
        Metric("Compute term O/(R·η)", fmt.duration(times["compute"]),
               tone="danger" if r.binding == "compute" else None),
        Metric("Overhead L", fmt.duration(times["overhead"]),
               note=f"{r.kernels} launch{'es' if r.kernels > 1 else ''}",
               tone="danger" if r.binding == "overhead" else None),
        Metric("Total T (no overlap)", fmt.duration(r.total.m_as("s")), tone="info",
               note=f"{fmt.num(r.throughput.m_as('1/s'))} {cases.ITEM[model][1]}/s"),
        Metric("Binding term", TERMS[r.binding].split(",")[0], tone="warn",
               note=TERMS[r.binding].split(", ")[1]),
    ], key="act2.metrics")


def mathpeek_iron_law(r, case_label, hw) -> str:
    d = r.data_bytes.m_as("B")
    o = r.ops.m_as("FLOP")
    bw = hw.memory.bandwidth.m_as("B/s")
    peak = hw.compute.peak(r.precision).m_as("FLOP/s")
    times = term_times(r)
    return (
        r"$$T = \frac{D}{\mathrm{BW}} + \frac{O}{R\,\eta} + L$$" "\n\n"
        f"for {case_label}, at {r.precision.upper()}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $D$ | bytes moved: weights once + activations per image | {fmt.si(d, 'B')} |\n"
        f"| $\\mathrm{{BW}}$ | memory bandwidth | {fmt.si(bw, 'B/s')} |\n"
        f"| $O$ | operations for the batch | {fmt.si(o, 'FLOP')} |\n"
        f"| $R$ | peak compute rate at {r.precision.upper()} | {fmt.si(peak, 'FLOP/s')} |\n"
        "| $\\eta$ | fraction of peak achieved (1 here: a best case) | 1 |\n"
        f"| $L$ | dispatch overhead × kernel launches | {fmt.duration(times['overhead'])} "
        f"({r.kernels} launches) |\n\n"
        f"$D/\\mathrm{{BW}}$ = {fmt.si(d, 'B')} ÷ {fmt.si(bw, 'B/s')} = "
        f"{fmt.duration(times['memory'])}; $O/R$ = {fmt.si(o, 'FLOP')} ÷ "
        f"{fmt.si(peak, 'FLOP/s')} = {fmt.duration(times['compute'])}; "
        f"$T$ = {fmt.duration(r.total.m_as('s'))}.\n\n"
        f"Arithmetic intensity $O/D$ = {fmt.num(r.arithmetic_intensity.m_as('FLOP/B'))} FLOP/B "
        f"against the machine's ridge point $R/\\mathrm{{BW}}$ = "
        f"{fmt.num(r.ridge_point.m_as('FLOP/B'))} FLOP/B: below the ridge the data term beats "
        "the compute term.")


def closing(ui):
    r1, _ = act1_truth()
    truth, _, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-introduction-magnitude-gap works the same ratios by hand; "
            "@sec-introduction-memory-wall explains why batch-1 inference sits below the ridge "
            "point.\n"
            "- Next, Lab 02 (@sec-ml-systems) takes the Iron Law across all four deployment "
            "contexts and adds the latency waterfall.\n"
            "- TinyTorch, Module 01 (Tensor): you build the tensor type and count the bytes it "
            "holds and the FLOPs each operation costs: the D and the O of the Iron Law.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. The H100 out-computes a Cortex-M7 microcontroller by about "
            f"{fmt.pow10(fmt.order_of_magnitude(r1))} ({fmt.num(r1)}x). Gaps that large need "
            "different models and software, not tuning.\n"
            "2. Capacity comes before speed: a model that does not fit does not run at any "
            "speed.\n"
            f"3. At batch 1 on the H100, ResNet-50's largest Iron Law term is "
            f"{TERMS[truth.binding]}: find the binding term before optimising anything.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    ratio, _ = act1_truth()
    latency = design["latency_us"]
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (10.0 ** ACT1_EXPONENTS[pred1.value], ratio), pred2,
        decision=(f"{MODELS[design['model']].name}, batch {design['batch']}, "
                  f"{design['execution']} execution, on {contexts.name(context)}"),
        result=latency, unit="us", constraint_hit=not design["fits"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{MODEL_LABELS[design['model']]}, batch {design['batch']}"),
        ("Latency", fmt.duration(latency * 1e-6) if latency is not None else "out of memory")))

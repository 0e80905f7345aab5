"""Vol I · Lab 05 · Where the bytes go (chapter: nn_computation).

Act I calibrates the memory hierarchy's energy gap: fetching an operand from DRAM against
the multiply-accumulate that uses it (Horowitz, ISSCC 2014, stored in the engine), and how
reuse and on-chip memory close it. Act II introduces the memory ledger and the activation
comparator: per-stage activation bytes of a CNN by batch, resolution, precision and mode
(inference holds the largest live set, training stores every layer), against the memory a
program may use, and meets the phone's app memory limit when on-device fine-tuning stores
too many activations. Every number comes from the engine; the phone's app budget is an
illustrative share with its sources in nn_computation_cases.py.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, contexts, fmt, ledger, plot
from labs.vol1 import nn_computation_cases as cases
from labs.vol1.nn_computation_cases import (MACHINES, MEMORY_LEVELS, MODELS, PRECISION,
                                            activation_bytes, activations, budget, energy_text,
                                            pj, stages)

LAB = Lab(
    id="vol1/05", chapter="nn_computation", title="Where the bytes go",
    hook="A neural network is arithmetic and data movement. Which one costs the energy, and "
         "which one decides whether the network fits at all?",
    invariants=["energy of data movement vs arithmetic", "activation memory (batch × resolution²)",
                "peak vs stored activations"],
    minutes=40, contexts=("cloud", "mobile"),
    reading=[
        ("@sec-nn-computation-layer-arithmetic", "a layer as multiply-accumulates and bytes"),
        ("@sec-nn-computation-memory-hierarchy", "the memory hierarchy and the energy of an access"),
        ("@sec-nn-computation-activations", "activation memory, per layer"),
        ("@sec-nn-computation-peak-vs-stored", "inference's peak against training's stored total"),
        ("@sec-nn-computation-scaling", "why activations grow with batch × resolution²"),
    ],
)

NAMES = {k: m.name.split(" (")[0] for k, m in MODELS.items()}   # "MobileNetV2", "ResNet-50"
MODE_WORDS = {"training": "fine-tuning", "inference": "inference"}
CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM", "mobile": "Apple A17 Pro phone"})
PRECISION_LABELS = {"fp32": "FP32 (4 bytes)", "fp16": "FP16 (2 bytes)", "int8": "INT8 (1 byte)"}
LEVEL_SHORT = {"sram_8kb": "8 KB SRAM", "sram_32kb": "32 KB SRAM", "sram_1mb": "1 MB SRAM",
               "dram": "DRAM"}
MODEL_LABELS = {k: f"{NAMES[k]} ({fmt.num(MODELS[k].parameters / 1e6)} M parameters)"
                for k in ("mobilenetv2", "resnet50")}
MODES = {"training": "Fine-tuning (training)", "inference": "Inference only"}
PJ = 1e-12  # joules in a picojoule (the chart's unit)

# ---- Act I: the energy of one operand fetched from DRAM, against one INT8 MAC ------------
#: The case the prediction asks about: the phone's arithmetic precision, operand from DRAM.
ACT1_CASE = ("int8", "dram")
ACT1_EXPONENTS = {"A": 0, "B": 1, "C": 2, "D": 3}


def act1_truth() -> tuple[float, float, float, str]:
    fetch, mac, ratio = cases.operand_vs_mac(*ACT1_CASE)
    nearest = min(ACT1_EXPONENTS, key=lambda k: abs(ACT1_EXPONENTS[k] - math.log10(ratio)))
    return fetch, mac, ratio, nearest


def share_text(fraction: float) -> str:
    return fmt.percent(fraction, 0 if abs(fraction * 100 - round(fraction * 100)) < 1e-9 else 1)


def act1_options() -> dict:
    fetch, mac, ratio, _ = act1_truth()
    fp32_fetch, fp32_mac, fp32 = cases.operand_vs_mac("fp32", "dram")
    sram = {m: cases.operand_vs_mac("int8", m)[2] for m in MEMORY_LEVELS if m != "dram"}
    near10 = min(sram, key=lambda m: abs(math.log10(sram[m]) - 1))
    fact = (f"Reading one INT8 byte from DRAM costs {pj(fetch)}; the INT8 multiply-accumulate "
            f"that uses it costs {pj(mac)}: **{fmt.num(ratio)}x**, about "
            f"{fmt.pow10(fmt.order_of_magnitude(ratio))}.")
    return {
        "A": ("About the same: arithmetic and memory cost similar energy",
              f"{fact} Even from an 8 KB SRAM beside the arithmetic the byte costs "
              f"{fmt.ratio(sram['sram_8kb'])} the MAC; off-chip, the long wires are the cost."),
        "B": ("About 10x",
              f"{fact} About ten times is what the {LEVEL_SHORT[near10]} costs "
              f"({fmt.ratio(sram[near10])}): an on-chip memory, not off-chip DRAM."),
        "C": ("About 10² (a hundred times)",
              f"{fact} A hundred is Horowitz's headline for 32-bit floats (FP32 here: "
              f"{fmt.num(fp32)}x). An INT8 MAC costs {fmt.ratio(fp32_mac / mac)} less than an "
              "FP32 one, while a DRAM byte costs the same whatever it holds, so the gap "
              "widens."),
        "D": ("About 10³ (a thousand times)",
              f"{fact} Quantizing to INT8 made the MAC {fmt.ratio(fp32_mac / mac)} cheaper "
              "than at FP32, but a DRAM byte costs what it always did."),
    }


# ---- Act II: the phone's fine-tuning run --------------------------------------------------
#: The case the prediction asks about (the product team's request): MobileNetV2 fine-tuned
#: on the phone at batch 64 on 448 x 448 crops, activations at FP16 (mixed precision).
ACT2_CASE = {"model": "mobilenetv2", "batch": 64, "resolution": 448, "precision": "fp16",
             "training": True, "context": "mobile"}


def act2_result():
    c = ACT2_CASE
    return activations(c["model"], c["batch"], c["resolution"], c["precision"], c["training"],
                       c["context"])


def band(required: float) -> str:
    limit = budget("mobile")
    if required < 100e6:
        return "A"
    if required < 1e9:
        return "B"
    return "C" if required <= limit else "D"


def act2_truth():
    r = act2_result()
    return r, band(r.required.m_as("B"))


def act2_options() -> dict:
    r, correct = act2_truth()
    limit = fmt.si(budget("mobile"), "B")
    w, a = r.weight_bytes.m_as("B"), r.stored.m_as("B")
    big = r.largest_layer
    c, h, wd = next(row["shape"] for row in r.layers if row["name"] == big)
    fact = (f"The run needs **{fmt.quantity(r.required)}**: {fmt.si(w, 'B')} of weights and "
            f"{fmt.si(a, 'B')} of stored activations, against the app's {limit}.")
    return {
        "A": ("Under 100 MB: a small model needs little memory",
              f"{fact} The parameter count sizes the weights only. Training keeps every "
              "layer's output for the backward pass, for every image in the batch."),
        "B": ("Between 100 MB and 1 GB",
              f"{fact} The largest single output (layer “{big}”) is "
              f"{c}×{h}×{wd} values per image, for each of the {ACT2_CASE['batch']} images, "
              "and every layer's output is kept."),
        "C": (f"Between 1 GB and the app's {limit}: large, but it fits",
              f"{fact} "
              + ("It fits, with little room: the activations grow with batch × resolution², "
                 "and both are large here." if correct == "C" else
                 "Close, but over: the activations grow with batch × resolution², and both "
                 "are large here.")),
        "D": (f"More than the app's {limit}: the phone would terminate the app",
              f"{fact} MobileNetV2's few parameters do not make its activations small: they "
              f"are {fmt.ratio(a / w)} its weights here"
              + (", more than the app may hold." if correct == "D" else
                 ", and still within the budget.")),
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
    fetch, mac, ratio, correct = act1_truth()
    with ui.section("Act I · Calibration", "Arithmetic or data movement? (12-15 min)"):
        ui.stakeholder(
            "Battery lead, a phone maker's camera team",
            "Our photo classifier runs on the phone's neural engine in INT8, and it drains "
            "the battery. The chip team wants to spend the next tape-out on more efficient "
            "multiply-accumulate units. Before we fund that: where does the energy of a "
            "layer actually go?")
        ui.markdown(
            "Every weight a layer uses has to be fetched from some memory before it can be "
            "multiplied. Horowitz (ISSCC 2014) measured what each costs in a 45 nm process; "
            "the engine stores his table. Commit to an estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            "At INT8, how many times more energy does fetching one weight (one byte) from "
            "off-chip DRAM cost than the multiply-accumulate that uses it?",
            act1_options(), correct=correct)

        precision = ui.select("act1.precision", "Arithmetic precision", PRECISION_LABELS,
                              default=PRECISION[context])
        level = ui.select("act1.memory", "Where the weights are read from", MEMORY_LEVELS,
                          default="dram")
        batch = ui.slider("act1.batch", "Images per batch (uses of each fetched weight)",
                          1, 256, 1, 1, unit="images")
        hierarchy_chart(ui, precision)
        classifier_instruments(ui, context, precision, level, batch)

        ui.reveal(pred, f"About {fmt.pow10(fmt.order_of_magnitude(ratio))}: {pj(fetch)} to read "
                        f"one INT8 byte from DRAM against {pj(mac)} for one INT8 "
                        f"multiply-accumulate ({fmt.num(ratio)}x)", text=pred.feedback,
                  key="act1.overlay")
        best = cases.operand_vs_mac("int8", "sram_8kb")[2]
        ui.reflection(
            "act1.reflection",
            "The battery lead wants to cut the classifier's energy. Given the gap you just "
            "measured, what helps most?",
            {
                "A": ("More efficient multiply-accumulate units",
                      "At DRAM, the arithmetic is a fraction of a percent of the layer's "
                      "energy. Halving it would not show on the battery."),
                "B": ("Use each fetched weight many times, and keep operands in on-chip SRAM",
                      "Yes. A weight fetched once and used by a whole batch pays for the "
                      "fetch once; a weight kept in a small SRAM costs "
                      f"{fmt.ratio(best)} an INT8 MAC instead of {fmt.num(ratio)}x. Reuse "
                      "and locality are what the memory hierarchy is for."),
                "C": ("A higher clock, so the layer finishes sooner",
                      "Energy is per operation and per access, not per second: the same "
                      "fetches and MACs cost the same joules at any clock, and a higher "
                      "clock usually needs a higher voltage."),
                "D": ("Switch to FP32 for better accuracy; the energy is in memory anyway",
                      "FP32 makes every weight four bytes, so every fetch moves four times "
                      "the data of INT8: the expensive part grows."),
            }, correct="B")
        with ui.math_peek("energy of a kernel: arithmetic plus data", key="act1.mathpeek"):
            ui.markdown(mathpeek_energy(context, precision, level, batch))
    return pred


def hierarchy_chart(ui, precision):
    names = [LEVEL_SHORT[m] for m in MEMORY_LEVELS]
    rows = [(LEVEL_SHORT[m],) + cases.operand_vs_mac(precision, m) for m in MEMORY_LEVELS]
    mac = rows[0][2]
    x = [f"one {precision.upper()} MAC"] + [f"fetch from {n}" for n in names]
    y = [mac / PJ] + [r[1] / PJ for r in rows]
    colors = [plot.COLORS["good"]] + [plot.COLORS["bad"] if r[0] == "DRAM" else
                                      plot.COLORS["muted"] for r in rows]
    ui.figure({"data": [plot.bar(x, y, colors, text=[f"{fmt.num(v)} pJ" for v in y])],
               "layout": plot.layout(f"Energy of one {precision.upper()} operand: arithmetic "
                                     "against each memory (45 nm)", height=360,
                                     yaxis=plot.axis("energy (pJ, log scale)", log=True))},
              key="act1.hierarchy", caption=(
                  f"One {precision.upper()} multiply-accumulate costs {pj(mac)}; fetching its "
                  f"{fmt.num(cases.precision_bytes(precision))}-byte operand costs "
                  + ", ".join(f"{pj(r[1])} from {r[0]} ({fmt.ratio(r[3])})" for r in rows)
                  + ". Horowitz 2014, 45 nm, as stored in the engine."),
              table={"caption": f"Energy of one {precision.upper()} operand (Horowitz 2014, 45 nm)",
                     "columns": ["memory", "fetch one operand", "one MAC", "fetch ÷ MAC"],
                     "rows": [[r[0], pj(r[1]), pj(r[2]), fmt.ratio(r[3])] for r in rows]})


def classifier_instruments(ui, context, precision, level, batch):
    key = cases.CONTEXT_MODEL[context]
    fc = cases.classifier(key)
    r = cases.classifier_energy(key, precision, level, batch)
    arith, data = r.arithmetic_energy.m_as("J"), r.data_energy.m_as("J")
    name = NAMES[key]
    fetched = fc["weights"] * cases.precision_bytes(precision)
    ui.figure({"data": [plot.bar(["arithmetic", "weight fetches"], [arith * 1e6, data * 1e6],
                                 [plot.COLORS["good"], plot.COLORS["bad"]],
                                 text=[energy_text(arith), energy_text(data)])],
               "layout": plot.layout(f"{name}'s classifier, batch {batch}: where the energy "
                                     "goes", height=320,
                                     yaxis=plot.axis("energy (µJ, log scale)", log=True))},
              key="act1.layer", caption=(
                  f"{name}'s classifier ({fc['cin']:,} inputs × {fc['cout']:,} outputs, "
                  f"{fc['weights']:,} weights and biases) at {precision.upper()}, its weights "
                  f"read once from {LEVEL_SHORT[level]} for a batch of {batch}: arithmetic "
                  f"{energy_text(arith)}, weight fetches {energy_text(data)}; data movement "
                  f"is {fmt.percent(r.data_share)} of the energy."),
              table={"caption": f"{name}'s classifier: energy by part (Horowitz 2014, 45 nm)",
                     "columns": ["part", "count", "energy"],
                     "rows": [["arithmetic", f"{fc['macs'] * batch:,} MACs", energy_text(arith)],
                              ["weight fetches", fmt.si(fetched, "B"), energy_text(data)]]})
    ui.metrics([
        Metric("Arithmetic", energy_text(arith),
               note=f"{fmt.num(fc['macs'] * batch / 1e6)} million MACs × "
                    f"{pj(2 * r.energy_per_flop.m_as('J'))}"),
        Metric("Weight fetches", energy_text(data),
               note=f"{fmt.si(fetched, 'B')} from {LEVEL_SHORT[level]}"),
        Metric("Share spent moving data", fmt.percent(r.data_share), tone=(
            "danger" if r.data_share > 0.9 else "warn" if r.data_share > 0.5 else "success")),
        Metric("Energy per image", energy_text(r.total_energy.m_as("J") / batch), tone="info",
               note=f"batch of {batch}"),
    ], key="act1.metrics")


def mathpeek_energy(context, precision, level, batch) -> str:
    key = cases.CONTEXT_MODEL[context]
    fc = cases.classifier(key)
    r = cases.classifier_energy(key, precision, level, batch)
    h = cases.horowitz()
    e_op = r.energy_per_flop.m_as("J")
    e_byte = r.energy_per_access.m_as("J") / 8
    ops = 2 * fc["macs"] * batch
    data = fc["weights"] * cases.precision_bytes(precision)
    uses = "once" if batch == 1 else f"{batch} times"
    return (
        r"$$E = O \cdot e_{\mathrm{op}} + D \cdot e_{\mathrm{byte}}$$" "\n\n"
        f"for {NAMES[key]}'s classifier at {precision.upper()}, weights from "
        f"{LEVEL_SHORT[level]}, batch {batch}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $O$ | arithmetic: 2 FLOP per multiply-accumulate × {fc['macs']:,} MACs × "
        f"{batch} | {fmt.si(ops, 'FLOP')} |\n"
        f"| $e_{{\\mathrm{{op}}}}$ | energy per FLOP: (add + multiply) / 2 = "
        f"({fmt.num(h['add'][precision])} + {fmt.num(h['mult'][precision])}) / 2 pJ | "
        f"{pj(e_op)} |\n"
        f"| $D$ | bytes fetched: each of {fc['weights']:,} weights once | {fmt.si(data, 'B')} |\n"
        f"| $e_{{\\mathrm{{byte}}}}$ | energy per byte: one 64-bit access "
        f"({fmt.num(h['access_64bit'][level])} pJ) / 8 | {pj(e_byte)} |\n\n"
        f"$E$ = {energy_text(r.arithmetic_energy.m_as('J'))} + "
        f"{energy_text(r.data_energy.m_as('J'))} = {energy_text(r.total_energy.m_as('J'))}; "
        f"data movement is {fmt.percent(r.data_share)} of it. The operations per byte fetched "
        f"(the arithmetic intensity, $O/D$) is {fmt.num(ops / data)} FLOP/B here: each weight "
        f"is used {uses}. Raising the batch raises $O$ but not $D$, which is why batching and "
        "on-chip reuse cut the energy per image.")


def act_two(ui, context):
    truth, correct = act2_truth()
    c = ACT2_CASE
    hw = MACHINES[context]
    limit = budget(context)
    with ui.section("Act II · Design challenge", "Where do the bytes go? (20-25 min)"):
        ui.stakeholder(
            "Product manager, the same phone maker",
            "We want the photo app to personalise its MobileNetV2 classifier to each user's "
            f"photos overnight: fine-tuning on the phone, batch {c['batch']}, "
            f"{c['resolution']}×{c['resolution']} crops, {c['precision'].upper()} activations. "
            "The prototype ran fine on the cloud GPU, and MobileNetV2 has only "
            f"{fmt.num(MODELS[c['model']].parameters / 1e6)} million parameters. iOS "
            "terminates an app that uses more than its share of memory; we plan on about "
            f"{fmt.si(budget('mobile'), 'B')} of the phone's "
            f"{fmt.quantity(MACHINES['mobile'].memory.capacity)}. Will it fit?")
        ui.callout("info",
                   "New instruments. The **memory ledger** shows where a run's bytes go: the "
                   "weights, and the activations of each stage of the network (a stage is the "
                   "run of layers that share one feature-map size). The **activation "
                   "comparator** sets two configurations side by side, stage by stage. The "
                   "phone's app budget is **illustrative**: Apple does not publish the limit, "
                   "and developers have measured about "
                   f"{fmt.percent(cases.APP_MEMORY_FRACTION)} of an 8 GB device's memory "
                   "available to one app.",
                   title="The memory ledger and the activation comparator")
        pred = ui.predict_choice(
            "act2.prediction",
            "Fine-tuning keeps every layer's output for the backward pass. How much memory "
            "does the product team's run need on the phone (weights plus stored activations)?",
            act2_options(), correct=correct)

        model = ui.select("act2.model", "Model", MODEL_LABELS, default="mobilenetv2")
        mode = ui.toggle("act2.mode", "What the phone runs", MODES, default="training")
        precision = ui.select("act2.precision", "Activation and weight precision",
                              PRECISION_LABELS, default="fp16")
        batch = ui.slider("act2.batch", "Batch size", 1, 256, 1, 64, unit="images")
        resolution = ui.slider("act2.resolution", "Input resolution (square)", 96, 1024, 32,
                               448, unit="px")
        training = mode == "training"
        r = activations(model, batch, resolution, precision, training, context)
        if not r.feasible:
            where = ("the app's share of the phone's memory; iOS would terminate the app"
                     if context == "mobile" else "the GPU's usable memory")
            fits = cases.largest_batch(model, context, resolution, precision, training)
            ui.failure(
                "Out of memory: the activations do not fit", r.violations, key="act2.oom",
                text=(f"{NAMES[model]}, {MODE_WORDS[mode]}, batch {batch} at "
                      f"{resolution}×{resolution} px in {precision.upper()} needs more than "
                      f"{where}. "
                      + (f"At this resolution and precision, batch {fits} is the largest that "
                         "fits: lower the batch, the resolution or the precision"
                         if fits else "No batch fits at this resolution and precision: lower "
                         "the resolution or the precision")
                      + (", or switch to inference, which keeps only the tensors of the layer "
                         "that is running." if training else ".")))
        memory_ledger(ui, context, model, training, precision, batch, resolution, r)
        ref_batch = ui.slider("act2.ref_batch", "Comparator: batch size of configuration A", 1,
                              256, 1, 64, unit="images")
        ref_resolution = ui.slider("act2.ref_resolution",
                                   "Comparator: resolution of configuration A", 96, 1024, 32,
                                   224, unit="px")
        ref = activations(model, ref_batch, ref_resolution, precision, training, context)
        comparator(ui, model, training, (ref_batch, ref_resolution, ref),
                   (batch, resolution, r))

        ui.reveal(pred, f"{fmt.quantity(truth.required)} needed against "
                        f"{fmt.si(budget('mobile'), 'B')}: {fmt.quantity(truth.weight_bytes)} of "
                        f"weights and {fmt.quantity(truth.stored)} of stored activations "
                        "(MobileNetV2, fine-tuning, batch 64, 448×448 px, FP16)",
                  text=pred.feedback, key="act2.overlay")
        half_res = activations(ACT2_CASE["model"], 64, 224, "fp16", True).stored.m_as("B")
        half_batch = activations(ACT2_CASE["model"], 32, 448, "fp16", True).stored.m_as("B")
        full = truth.stored.m_as("B")
        ui.reflection(
            "act2.reflection",
            "To get the product team's run under the budget you can halve the batch (32 at "
            "448 px) or halve the resolution (64 at 224 px). Which frees more activation "
            "memory, and why?",
            {
                "A": ("Halving the batch: the batch multiplies every layer",
                      f"It does, but only linearly: {fmt.si(full, 'B')} becomes "
                      f"{fmt.si(half_batch, 'B')}. Resolution enters twice, once per side."),
                "B": ("Halving the resolution: every feature map shrinks in both directions",
                      f"Yes. Every map is about a quarter of the area: {fmt.si(full, 'B')} of "
                      f"stored activations become {fmt.si(half_res, 'B')}, against "
                      f"{fmt.si(half_batch, 'B')} for half the batch. Whether the model still "
                      "sees enough detail at 224 px is the product question."),
                "C": ("Either: activations are proportional to batch × resolution",
                      f"The resolution is the side of the image; the maps are areas. Half the "
                      f"batch gives {fmt.si(half_batch, 'B')}, half the side "
                      f"{fmt.si(half_res, 'B')}."),
                "D": ("Neither matters much: the weights dominate fine-tuning",
                      f"The weights are {fmt.quantity(truth.weight_bytes)}; the activations are "
                      f"{fmt.si(full, 'B')}. Batch and resolution are the levers."),
            }, correct="B")
        with ui.math_peek("activation bytes, per layer and in total", key="act2.mathpeek"):
            ui.markdown(mathpeek_activations(context, model, training, precision, batch,
                                             resolution, r))
    return pred, {"model": model, "mode": mode, "precision": precision, "batch": batch,
                  "resolution": resolution, "required": r.required.m_as("B"),
                  "fits": r.feasible, "limit": limit, "machine": hw.name}


def memory_ledger(ui, context, model, training, precision, batch, resolution, r):
    limit = budget(context)
    groups = stages(model, r)
    held = "stored" if training else "live"
    acts = activation_bytes(r, training)
    weights = r.weight_bytes.m_as("B")
    required = r.required.m_as("B")
    x = ["weights"] + [g["label"] for g in groups]
    y = [weights] + [g[held] for g in groups]
    peak_stage = max(groups, key=lambda g: g[held])["label"]
    colors = [plot.COLORS["muted"]] + [plot.COLORS["bad"] if g["label"] == peak_stage else
                                       plot.COLORS[context] for g in groups]
    what = ("activations stored for the backward pass" if training else
            "the largest set of activations live at once in each stage")
    ui.figure({"data": [plot.bar(x, [v / 1e6 for v in y], colors,
                                 text=[fmt.si(v, "B") for v in y])],
               "layout": plot.layout(f"Memory ledger: {NAMES[model]}, batch {batch}, "
                                     f"{resolution}×{resolution} px, {precision.upper()}",
                                     height=380, yaxis=plot.axis("MB"))},
              key="act2.ledger", caption=(
                  f"Memory ledger for {NAMES[model]} ({MODE_WORDS['training' if training else 'inference']}), "
                  f"batch {batch} at {resolution}×{resolution} px in {precision.upper()}: "
                  f"weights {fmt.si(weights, 'B')}; {what}, by stage: "
                  + "; ".join(f"{g['label']} {fmt.si(g[held], 'B')}" for g in groups)
                  + f". The largest is {peak_stage}. Total needed {fmt.si(required, 'B')} of "
                  f"{fmt.si(limit, 'B')} available."),
              table={"caption": "Memory ledger by stage (engine values)",
                     "columns": ["part", "layers", "bytes"],
                     "rows": [["weights", "all", fmt.si(weights, "B")]]
                     + [[g["label"], str(g["layers"]), fmt.si(g[held], "B")] for g in groups]})
    fits = cases.largest_batch(model, context, resolution, precision, training)
    ui.metrics([
        Metric("Weights", fmt.quantity(r.weight_bytes),
               note=f"{fmt.num(MODELS[model].parameters / 1e6)} M parameters"),
        Metric("Stored activations" if training else "Peak live activations", fmt.si(acts, "B"),
               note=(f"every layer's output, {fmt.ratio(acts / weights)} the weights" if training
                     else f"at layer {r.peak_layer}, {fmt.ratio(acts / weights)} the weights")),
        Metric("Needed", fmt.quantity(r.required),
               tone="success" if r.feasible else "danger",
               note=f"{fmt.percent(required / limit)} of the budget"),
        Metric("Budget", fmt.si(limit, "B"),
               note=(f"{share_text(cases.MEMORY_SHARE[context])} of "
                     f"{fmt.quantity(MACHINES[context].memory.capacity)}"
                     + (" (illustrative app limit)" if context == "mobile" else
                        " (after framework overheads)"))),
        Metric("Largest batch that fits", fmt.num(fits) if fits else "none", tone="info",
               note=f"at {resolution}×{resolution} px, {precision.upper()}"),
    ], key="act2.metrics")


def comparator(ui, model, training, a, b):
    held = "stored" if training else "live"
    (ba, ra, res_a), (bb, rb, res_b) = a, b
    ga, gb = stages(model, res_a), stages(model, res_b)
    labels = [f"stage {i}" if g["native"] != (1, 1) else "pooled" for i, g in enumerate(gb, 1)]
    name_a, name_b = f"A: batch {ba}, {ra} px", f"B: batch {bb}, {rb} px (your design)"
    tot_a, tot_b = activation_bytes(res_a, training), activation_bytes(res_b, training)
    traces = [plot.bar(labels, [g[held] / 1e6 for g in ga], plot.COLORS["muted"], name=name_a,
                       text=[fmt.si(g[held], "B") for g in ga]),
              plot.bar(labels, [g[held] / 1e6 for g in gb], plot.COLORS["accent"], name=name_b,
                       text=[fmt.si(g[held], "B") for g in gb])]
    scale = tot_b / tot_a
    formula = (bb * rb * rb) / (ba * ra * ra)
    ui.figure({"data": traces, "layout": plot.layout(
        "Activation comparator: two configurations, stage by stage", height=380,
        barmode="group", showlegend=True, legend={"orientation": "h", "y": -0.2},
        yaxis=plot.axis("MB"))},
        key="act2.compare", caption=(
            f"Activations {'stored' if training else 'live at the peak'} per stage for "
            f"{NAMES[model]}: configuration A (batch {ba}, {ra}×{ra} px) totals "
            f"{fmt.si(tot_a, 'B')}, configuration B (batch {bb}, {rb}×{rb} px) "
            f"{fmt.si(tot_b, 'B')}: B is {fmt.ratio(scale)} A. Batch × resolution² predicts "
            f"{fmt.ratio(formula)}."),
        table={"caption": "Activation comparator (engine values)",
               "columns": ["stage", f"A: map size", "A: bytes", "B: map size", "B: bytes"],
               "rows": [[lab, f"{x['shape'][0]}×{x['shape'][1]}", fmt.si(x[held], "B"),
                         f"{y['shape'][0]}×{y['shape'][1]}", fmt.si(y[held], "B")]
                        for lab, x, y in zip(labels, ga, gb)]})


def mathpeek_activations(context, model, training, precision, batch, resolution, r) -> str:
    first = r.layers[0]
    c, h, w = first["shape"]
    bpe = cases.precision_bytes(precision)
    limit = budget(context)
    total = ("S = \\sum_{\\ell} A_\\ell" if training else
             "P = \\max_{\\ell}\\,(A_{\\mathrm{in}} + A_\\ell + A_{\\mathrm{shortcut}})")
    return (
        r"$$A_\ell = B \cdot C_\ell \cdot H_\ell \cdot W_\ell \cdot b, \qquad "
        r"H_\ell = \left\lceil H_\ell^{0}\,\frac{R}{R_0} \right\rceil$$" "\n\n"
        f"$${total}, \\qquad \\text{{needed}} = \\text{{weights}} + "
        f"{'S' if training else 'P'} \\le \\text{{budget}}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $B$ | batch size | {batch} |\n"
        f"| $C_\\ell, H_\\ell, W_\\ell$ | channels and map size of layer $\\ell$ (first layer "
        f"here) | {c} × {h} × {w} |\n"
        f"| $R$, $R_0$ | input side, and the model's native 224 px | {resolution}, 224 |\n"
        f"| $b$ | bytes per value at {precision.upper()} | {fmt.num(bpe)} |\n"
        f"| budget | usable memory on the {MACHINES[context].name} | {fmt.si(limit, 'B')} |\n\n"
        f"First layer: {batch} × {c} × {h} × {w} × {fmt.num(bpe)} B = "
        f"{fmt.si(first['output_B'], 'B')}. "
        + (f"Summed over all {len(r.layers)} layers: $S$ = {fmt.quantity(r.stored)}. "
           if training else
           f"The largest live set is at layer {r.peak_layer}: $P$ = {fmt.quantity(r.peak)}. ")
        + f"With {fmt.quantity(r.weight_bytes)} of weights the run needs "
        f"{fmt.quantity(r.required)} against {fmt.si(limit, 'B')}. Every term is linear in "
        "$B$ and, through $H_\\ell W_\\ell$, quadratic in $R$. Frameworks also keep "
        "batch-norm and activation-function outputs, and training adds gradients and "
        "optimizer state (Lab 08), so these are lower bounds.")


def closing(ui):
    _, _, ratio, _ = act1_truth()
    truth, _ = act2_truth()
    rn = activations("resnet50", 1, 224, "fp16", True)
    mb = activations("mobilenetv2", 1, 224, "fp16", True)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-nn-computation-memory-hierarchy gives the energy of each level of the "
            "hierarchy; @sec-nn-computation-peak-vs-stored explains why inference holds a few "
            "tensors while training holds them all; @sec-nn-computation-scaling derives the "
            "batch × resolution² rule you used in the comparator.\n"
            "- Next, Lab 06 (@sec-nn-architectures) asks how an architecture's shape (depth, "
            "width, attention's sequence length) sets these costs.\n"
            "- TinyTorch, Module 09 (Spatial): you build the convolution and count its "
            "multiply-accumulates and the size of the feature maps it writes.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. At INT8, fetching a byte from DRAM costs about "
            f"{fmt.pow10(fmt.order_of_magnitude(ratio))} times the multiply-accumulate that "
            f"uses it ({fmt.num(ratio)}x): energy goes to moving data, and reuse is the cure.\n"
            f"2. Parameters size the weights, not the run: MobileNetV2 has "
            f"{fmt.ratio(MODELS['resnet50'].parameters / MODELS['mobilenetv2'].parameters)} fewer "
            f"parameters than ResNet-50, yet at FP16 it stores {fmt.quantity(mb.stored)} of "
            f"activations per 224 px image for training against ResNet-50's "
            f"{fmt.quantity(rn.stored)}.\n"
            f"3. The product team's run needs {fmt.quantity(truth.required)} for "
            f"{fmt.si(budget('mobile'), 'B')} of budget. Activations grow with batch × "
            "resolution²: halving the side cuts them to a quarter, halving the batch only to "
            "a half, and inference needs only the largest live set.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    _, _, ratio, _ = act1_truth()
    required = design["required"]
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (10.0 ** ACT1_EXPONENTS[pred1.value], ratio), pred2,
        decision=(f"{NAMES[design['model']]}, {MODE_WORDS[design['mode']]}, batch "
                  f"{design['batch']} at {design['resolution']} px, "
                  f"{design['precision'].upper()}, on {contexts.name(context)}"),
        result=required / 1e6, unit="MB", constraint_hit=not design["fits"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{NAMES[design['model']]}, batch {design['batch']}, "
                   f"{design['resolution']} px"),
        ("Memory needed", f"{fmt.si(required, 'B')} of {fmt.si(design['limit'], 'B')}"
                          + ("" if design["fits"] else " (does not fit)"))))

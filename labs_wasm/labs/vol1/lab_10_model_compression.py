"""Vol I · Lab 10 · The compression frontier (chapter: model_compression).

Act I calibrates what quantization costs in accuracy: post-training INT8 quantization of
ResNet-50 against the published points of the compression frontier (quantization and pruning,
size against accuracy). Act II puts a Llama-class language model on a phone: decoding reads
every weight once per token, so the time per token is bytes over bandwidth, and the model must
also fit the app's memory. INT4 is not enough for an 8-billion-parameter model there; a smaller
model is. Every number comes from the engine (CompressionModel, CompressionFrontierModel,
KVCacheModel, IronLawModel) through model_compression_cases.py, which Chapter 10 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import model_compression_cases as cases
from labs.vol1.model_compression_cases import FORMATS, LANGUAGE, MACHINES, SLA, VISION

LAB = Lab(
    id="vol1/10", chapter="model_compression", title="The compression frontier",
    hook="Quantization and pruning make a model smaller. How much accuracy does that cost, and "
         "is smaller enough to put a language model on a phone?",
    invariants=["Compression frontier: size against accuracy",
                "Quantization and pruning",
                "Decode time = bytes per token / bandwidth"],
    minutes=40, contexts=("cloud", "mobile"),
    reading=[
        ("@sec-model-compression-quantization", "scale, zero point, INT8 and INT4"),
        ("@sec-model-compression-ptq-qat",
         "post-training quantization against quantization-aware training"),
        ("@sec-model-compression-frontier", "the published points of the compression frontier"),
        ("@sec-model-compression-decode", "why decoding time is bytes per token over bandwidth"),
        ("@sec-model-compression-device",
         "fitting a language model into a device's memory and time budget"),
    ],
)

H100, PHONE = MACHINES["cloud"], MACHINES["mobile"]
CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM (80 GB)",
                                  "mobile": "Apple A17 Pro phone (8 GB)"})
DEVICE = {"cloud": "the H100", "mobile": "the phone"}
FORMAT_LABELS = {"fp16": "FP16 (16 bits per weight)", "int8": "INT8 (8 bits per weight)",
                 "int4": "INT4 (4 bits per weight)"}


def billions(n: float) -> str:
    return f"{fmt.num(n / 1e9)} billion"


def short(model: str) -> str:
    """A language model's name without the registry's size note: "GPT-2 XL"."""
    return LANGUAGE[model].name.split(" (")[0]


MODEL_LABELS = {k: f"{short(k)} ({billions(m.parameters)} parameters)"
                for k, m in LANGUAGE.items()}


def gb(x: float) -> str:
    return fmt.si(x, "B")


def points(x: float) -> str:
    """An accuracy change in top-1 points, signed: "-0.21 points", "+0.37 points"."""
    if abs(x) < 5e-4:
        return "no change"
    return f"{'+' if x > 0 else '−'}{fmt.num(abs(x))} points"


def top1(x: float) -> str:
    return fmt.percent(x, 2)


# ---- Act I: what post-training INT8 costs ResNet-50 ----------------------------------------
#: The options' bands of top-1 lost, in points (lower bound inclusive).
ACT1_BANDS = {"A": (0.0, 0.5), "B": (0.5, 2.0), "C": (2.0, 5.0), "D": (5.0, math.inf)}


def act1_case():
    return cases.compress(**cases.ACT1)


def act1_truth() -> tuple[float, str]:
    """The published drop (points) and the band it falls in (a gain counts as band A)."""
    drop = act1_case().accuracy_drop
    correct = bands.band_of(max(drop, 0.0), ACT1_BANDS)
    return drop, correct


def band_middle(option: str) -> float:
    """A representative value of an option's band, for the ledger (the open band: 1.5 x its
    lower edge)."""
    lo, hi = ACT1_BANDS[option]
    return (lo + hi) / 2 if math.isfinite(hi) else 1.5 * lo


def act1_facts() -> str:
    r = act1_case()
    return (f"torchvision's post-training INT8 ResNet-50 scores {top1(r.accuracy)} top-1 on "
            f"ImageNet against {top1(r.baseline_accuracy)} for the FP32 model: "
            f"**{fmt.num(r.accuracy_drop)} points lower**, at {fmt.ratio(r.compression_ratio)} "
            f"smaller ({gb(r.original_size.m_as('B'))} to {gb(r.compressed_size.m_as('B'))})")


def act1_verdict(option: str) -> str:
    """How the option's band compares with the published drop: "Right.", "Less than that."..."""
    _, correct = act1_truth()
    order = list(ACT1_BANDS)
    gap = order.index(option) - order.index(correct)
    if gap == 0:
        return "Right."
    far = "Far " if abs(gap) > 1 else ""
    return f"{far}{'less' if gap > 0 else 'more'} than that.".capitalize()


def act1_options() -> dict:
    facts = act1_facts()
    v = {k: act1_verdict(k) for k in ACT1_BANDS}
    return {
        "A": ("Less than half a point: nearly lossless",
              f"{v['A']} {facts}. Eight bits give 256 levels per tensor; with a scale per "
              "output channel and activation ranges calibrated on sample images, the rounding "
              "error is noise the network absorbs."),
        "B": ("Between half a point and 2 points",
              f"{v['B']} {facts}. A loss of a point or two is what cruder INT8 recipes (one "
              "scale per tensor, no calibration) or harder models show."),
        "C": ("Between 2 and 5 points",
              f"{v['C']} {facts}. Losses of several points belong to 4-bit formats without "
              "careful rounding or retraining."),
        "D": ("More than 5 points: 8 bits are too coarse for a deep network",
              f"{v['D']} {facts}. Rounding errors do not compound layer by layer into a "
              "collapse: each is small against the spread of the values it perturbs."),
    }


# ---- Act II: the most precise weight format that puts Llama 3 8B on the phone ---------------
ACT2_OPTION_FORMAT = {"A": "fp16", "B": "int8", "C": "int4", "D": None}


def act2_truth() -> str:
    best = cases.best_format(cases.ACT2["context"], cases.ACT2["model"], cases.ACT2["tokens"])
    return next(k for k, f in ACT2_OPTION_FORMAT.items() if f == best)


def act2_rows() -> str:
    a = cases.ACT2
    return "; ".join(f"{f.upper()} {gb(d.total)} and {fmt.duration(d.time)} a token"
                     for f in FORMATS for d in [cases.decode(a["context"], a["model"], f,
                                                             a["tokens"])])


def and_list(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def limit_words(name: str) -> str:
    """A violated constraint in words: the memory, the app budget, the time target."""
    if name == cases.TIME_NAME:
        return "the time per token"
    if name == cases.BUDGET_NAME:
        return "the app budget"
    return "the device's whole memory"


def misses(d) -> str:
    """What a decoding design misses, in words ("misses the app budget and the time per
    token"), or "meets both"."""
    if d.feasible:
        return "meets both"
    return "misses " + and_list(limit_words(v.name) for v in d.violations)


def act2_options() -> dict:
    a = cases.ACT2
    case = {f: cases.decode(a["context"], a["model"], f, a["tokens"]) for f in FORMATS}
    limits = f"against {gb(cases.budget(a['context']))} and {fmt.duration(SLA.m_as('s'))}"
    rows = f"Weights plus cache and time per token: {act2_rows()}, {limits}."
    bits = cases.bits_needed(a["context"], a["model"], a["tokens"])
    need = (f"Both limits together allow about {fmt.num(bits, 2)} bits per weight for "
            f"{billions(LANGUAGE[a['model']].parameters)} parameters.")
    verdicts = {f: f"{f.upper()} {misses(d)}." for f, d in case.items()}
    return {
        "A": ("FP16: keep the weights at full inference precision",
              f"{rows} {verdicts['fp16']} {need}"),
        "B": ("INT8: a quarter of FP32 is enough",
              f"{rows} {verdicts['int8']} At INT8 the weights alone are "
              f"{gb(case['int8'].weights)}, against "
              f"{gb(PHONE.memory.capacity.m_as('B'))} in the whole phone, and every token "
              f"reads all of them. {need}"),
        "C": ("INT4: the usual answer for phones",
              f"{rows} {verdicts['int4']} {need}"),
        "D": ("None of them: it needs fewer bits per weight than INT4, or fewer weights",
              f"{rows} {need} Below 4 bits accuracy falls fast; the practical route is a "
              "smaller model, distilled or pruned and retrained from the large one."),
    }


# ---- the page -------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    r = act1_case()
    drop, correct = act1_truth()
    with ui.section("Act I · Calibration", "What does INT8 cost in accuracy? (12-15 min)"):
        ui.stakeholder(
            "Computer vision lead, a photo-sharing app",
            f"Our image tagger is a ResNet-50 in FP32, {gb(r.original_size.m_as('B'))} of "
            "weights. The platform team wants it in INT8 with post-training quantization: a "
            "calibration pass, no retraining. Product treats any loss of more than half a point "
            "of top-1 as a regression. Do I fund a quantization-aware retraining project, or "
            "is post-training enough?")
        ui.markdown(
            "Quantization stores each number in fewer bits: a floating-point value becomes an "
            "8-bit integer times a scale. *Post-training* quantization (PTQ) picks the scales "
            "from a few batches of sample data; *quantization-aware training* (QAT) retrains "
            "the model with the rounding in the loop. Commit to an estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"ResNet-50 scores {top1(r.baseline_accuracy)} top-1 on ImageNet in FP32. Quantized "
            "to INT8 after training (weights and activations, calibrated on sample images, no "
            "retraining), how much top-1 accuracy does it lose?",
            act1_options(), correct=correct)

        frontier_chart(ui)
        act1_metrics(ui, context, r)
        ui.reveal(pred, f"{fmt.num(drop)} points lost: {top1(r.accuracy)} against "
                        f"{top1(r.baseline_accuracy)} (torchvision, ImageNet top-1)",
                  text=pred.feedback, key="act1.overlay")
        qat8 = next(p for p in cases.frontier().points
                    if (p["method"], p["precision"]) == ("qat", "int8"))
        ui.reflection(
            "act1.reflection",
            "On the frontier above, the INT8 model trained with quantization in the loop sits "
            "above the post-training one at the same size. What does that tell you?",
            {
                "A": ("Post-training INT8 is already close; retraining buys the last fraction",
                      f"Yes. Retraining with the rounding in the loop ended "
                      f"{points(-qat8['accuracy_drop'])} from its own FP32 baseline, against "
                      f"{points(-drop)} for post-training: at 8 bits the gap is a fraction of "
                      "a point, so the cheap recipe is usually enough. At 4 bits the gap is "
                      "wider, and retraining earns its cost."),
                "B": ("Quantization makes a model more accurate in general",
                      "A gain of a few tenths of a point after quantization-aware training is "
                      "within the spread between training runs: it says the retrained model is "
                      "as good as the float one, not that integers help. Rounding adds error; "
                      "it never adds information."),
                "C": ("The two numbers cannot be compared: they use different test sets",
                      "Both are ImageNet top-1 on the validation set. Their FP32 baselines "
                      "differ slightly (each paper trained its own), which is why the frontier "
                      "plots each point's change from its own baseline."),
                "D": ("Post-training quantization is broken and should not be used",
                      f"It lost {fmt.num(drop)} points at a quarter of the size, with no "
                      "retraining. For INT8 on a network like ResNet-50 it is the default "
                      "first step."),
            }, correct="A")
        with ui.math_peek("uniform quantization, with ResNet-50's numbers", key="act1.mathpeek"):
            ui.markdown(mathpeek_quantization(r))
    return pred


def frontier_chart(ui):
    f = cases.frontier()
    base = f.original_size.m_as("B")
    styles = {"ptq": ("Post-training quantization", plot.COLORS["accent"], "circle"),
              "qat": ("Quantization-aware training", plot.COLORS["cloud"], "diamond"),
              "unstructured": ("Unstructured pruning (FP32)", plot.COLORS["mobile"], "square")}
    traces = [plot.points([base / 1e6], [0.0], "FP32 model", plot.COLORS["muted"], size=12,
                          text=["FP32"])]
    for method, (name, color, symbol) in styles.items():
        pts = [p for p in f.points if p["method"] == method]
        if not pts:
            continue
        traces.append(plot.points(
            [p["size"].m_as("B") / 1e6 for p in pts], [-p["accuracy_drop"] for p in pts], name,
            color, symbol=symbol + ("-open" if any(cases.is_recalled(p) for p in pts) else ""),
            size=12, hovertext=[f"{cases.method_name(p)}: {gb(p['size'].m_as('B'))}, "
                                f"{points(-p['accuracy_drop'])}" for p in pts],
            hoverinfo="text"))
    front = cases.pareto(list(f.points) + [{"size": f.original_size, "accuracy_drop": 0.0}])
    traces.append(plot.line([p["size"].m_as("B") / 1e6 for p in front],
                            [-p["accuracy_drop"] for p in front], "Frontier",
                            plot.COLORS["ink"], dash="dash"))
    fp32 = cases.compress(**cases.ACT1).baseline_accuracy  # torchvision's FP32 model
    rows = [["FP32 model", gb(base), top1(fp32), top1(fp32), "no change",
             "torchvision model zoo"]]
    for p in f.points:
        rows.append([cases.method_name(p), gb(p["size"].m_as("B")), top1(p["baseline_accuracy"]),
                     top1(p["accuracy"]), points(-p["accuracy_drop"]), source_words(p)])
    recalled = sorted({source_words(p).split(" (")[0] for p in f.points if cases.is_recalled(p)})
    on_front = [cases.method_name(p) for p in front if "method" in p]
    ui.figure({"data": traces, "layout": plot.layout(
        "The compression frontier of ResNet-50 (published points)", height=420,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        shapes=[plot.hline(0.0, plot.COLORS["muted"])],
        xaxis=plot.axis("weights (MB, log scale)", log=True),
        yaxis=plot.axis("top-1 change from its FP32 baseline (points)"))},
        key="act1.frontier", caption=(
            "Compression frontier: each published ResNet-50 result as its weight size against "
            "its change in ImageNet top-1 from its own FP32 baseline. "
            + "; ".join(f"{r[0]}: {r[1]}, {r[4]}" for r in rows) + ". The frontier (dashed) "
            f"joins the results no other beats on both size and accuracy: "
            f"{' and '.join(on_front)}. Open markers are points the book's engine records from "
            f"memory ({' and '.join(recalled)}), not re-checked against the papers."),
        table={"caption": "Published ResNet-50 compression results (ImageNet top-1)",
               "columns": ["recipe", "weights", "FP32 top-1", "compressed top-1", "change",
                           "source"], "rows": rows})


def source_words(p: dict) -> str:
    s = p["source"]
    if "torchvision" in s:
        return "torchvision model zoo"
    if "McKinstry" in s:
        return "McKinstry et al. 2018"
    if "Nagel" in s:
        return "Nagel et al. 2021 (from memory, an estimate)"
    if "Gale" in s:
        return "Gale et al. 2019, via Evci et al. 2020 (from memory, an estimate)"
    return s


def act1_metrics(ui, context, r):
    w0, w1 = r.original_size.m_as("B"), r.compressed_size.m_as("B")
    hw = MACHINES[context]
    ui.metrics([
        Metric("Weights, FP32", gb(w0), note=f"{fmt.num(VISION['resnet50'].parameters / 1e6)} "
                                             "million parameters × 4 B"),
        Metric("Weights, INT8", gb(w1), tone="info", note="× 1 B"),
        Metric("Size reduction", fmt.ratio(r.compression_ratio)),
        Metric("Top-1 change", points(-r.accuracy_drop),
               tone="success" if r.accuracy_drop < 0.5 else "warn",
               note="post-training, published"),
        Metric(f"Reading the weights once on {DEVICE[context]}",
               f"{fmt.duration(cases.stream_time(context, w0))} → "
               f"{fmt.duration(cases.stream_time(context, w1))}",
               note=f"at {fmt.si(hw.memory.bandwidth.m_as('B/s'), 'B/s')}"),
    ], key="act1.metrics")


def mathpeek_quantization(r) -> str:
    n = VISION["resnet50"].parameters
    return (
        r"$$s = \frac{x_{\max} - x_{\min}}{2^{b} - 1}, \qquad z = \operatorname{round}"
        r"\!\left(-\frac{x_{\min}}{s}\right), \qquad q = \operatorname{clamp}\!\left("
        r"\operatorname{round}\!\left(\frac{x}{s}\right) + z,\ 0,\ 2^{b}-1\right), \qquad "
        r"\hat{x} = s\,(q - z)$$" "\n\n"
        "| symbol | meaning |\n| --- | --- |\n"
        "| $x$, $\\hat{x}$ | a real value, and the value the integer stands for |\n"
        "| $x_{\\min}$, $x_{\\max}$ | the range covered: per output channel for weights, "
        "calibrated on sample data for activations |\n"
        "| $b$ | bits per value: 8 here, 256 levels |\n"
        "| $s$ | scale: the step between two levels |\n"
        "| $z$ | zero point: the integer that stands for 0.0 |\n"
        "| $q$ | the stored integer |\n\n"
        "Rounding moves a value by at most $s/2$: $1/510$ of the range at 8 bits, $1/30$ at 4 "
        "bits. The size follows the bits:\n\n"
        r"$$S = N \cdot \frac{b}{8}\ \text{bytes}$$" "\n\n"
        f"With $N$ = {n:,} parameters: {gb(r.original_size.m_as('B'))} at 32 bits, "
        f"{gb(r.compressed_size.m_as('B'))} at 8 bits, {fmt.ratio(r.compression_ratio)} "
        f"smaller. Published top-1: {top1(r.baseline_accuracy)} to {top1(r.accuracy)}, "
        f"a loss of {fmt.num(r.accuracy_drop)} points.")


# ---- Act II ---------------------------------------------------------------------------------
def act_two(ui, context):
    a = cases.ACT2
    llama = LANGUAGE[a["model"]]
    correct = act2_truth()
    with ui.section("Act II · Design challenge", "Put a language model on a phone (20-25 min)"):
        ui.stakeholder(
            "Product lead, an on-device assistant",
            f"We promised a private assistant that runs a Llama-class 8B model on the "
            f"phone, no server. The app gets about {gb(cases.budget('mobile'))} before the "
            f"operating system ends it, and answers must stream at "
            f"{fmt.num(1 / SLA.m_as('s'))} tokens a second. The team says INT4 solves both. "
            "Before we announce it: does it?")
        ui.markdown(
            "A language model writes one token at a time, and each token reads **every weight "
            "once**, plus the cache of keys and values (the KV cache) it keeps for the tokens "
            "so far. With one user the arithmetic is tiny next to that traffic, so the time per "
            "token is about *bytes read per token / memory bandwidth*. The model must also "
            f"fit: a phone app gets a share of the memory. The "
            f"{fmt.duration(SLA.m_as('s'))} target is a scenario choice: "
            f"{fmt.num(1 / SLA.m_as('s'))} tokens a second streams text about "
            f"{fmt.num(1 / SLA.m_as('s') / cases.reading_tokens_per_second(), 2)} times as fast "
            f"as an adult reads ({cases.READING_WPM} words a minute, Brysbaert 2019, at about "
            f"{cases.WORDS_PER_TOKEN} words a token).")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{short(a['model'])} ({billions(llama.parameters)} parameters) on the A17 Pro "
            "phone, "
            f"holding {a['tokens']:,} tokens of FP16 KV cache, with an app budget of "
            f"{gb(cases.budget('mobile'))} and a target of {fmt.duration(SLA.m_as('s'))} per "
            "token: which is the most precise weight format that meets both?",
            act2_options(), correct=correct)

        model = ui.select("act2.model", "Model", MODEL_LABELS, default=a["model"])
        wfmt = ui.select("act2.format", "Weight format", FORMAT_LABELS, default="fp16")
        allowed = cases.contexts_for(model)
        default_tokens = max(n for n in allowed if n <= a["tokens"])
        tokens = int(ui.select("act2.tokens", "Tokens held in the KV cache (FP16)",
                               {str(n): f"{n:,} tokens" for n in allowed},
                               default=str(default_tokens)))
        d = cases.decode(context, model, wfmt, tokens)
        if d.violations:
            ui.failure(failure_title(d), d.violations, key="act2.fail",
                       text=failure_text(context, d))
        if context == "mobile":
            ui.callout("info", (
                f"The phone has {gb(PHONE.memory.capacity.m_as('B'))} shared by the operating "
                f"system and every app. This lab lets one app use "
                f"{fmt.percent(cases.phone.APP_MEMORY_FRACTION)} of it, "
                f"{gb(cases.budget('mobile'))}: an illustrative budget (phone makers publish no "
                "per-app limit; one developer measured about this much on an 8 GB phone)."),
                title="One app's share of the phone", key="act2.phone")
        else:
            ui.callout("info", (
                f"The same models served from one H100 "
                f"({gb(H100.memory.capacity.m_as('B'))}, "
                f"{fmt.si(H100.memory.bandwidth.m_as('B/s'), 'B/s')}), for one user at a time: "
                "the whole GPU's memory is the limit, and the same target per token applies. "
                "Switch to Mobile for the phone the product lead asked about."),
                title="Cloud: the datacenter comparison", key="act2.cloud")
        design_chart(ui, context, model, wfmt, tokens)
        design_metrics(ui, context, d)

        truth = [cases.decode(a["context"], a["model"], f, a["tokens"]) for f in FORMATS]
        passing = [t.fmt.upper() for t in truth if t.feasible]
        ui.reveal(pred, (f"{passing[0]} is the most precise format that meets both"
                         if passing else "None: no format meets both") +
                  f" ({act2_rows()}; limits {gb(cases.budget(a['context']))} and "
                  f"{fmt.duration(SLA.m_as('s'))})", text=pred.feedback, key="act2.overlay")
        i8 = cases.decode(a["context"], a["model"], "int8", a["tokens"])
        ui.reflection(
            "act2.reflection",
            "Which specification of the phone sets the floor on the time per token for one "
            "user?",
            {
                "A": ("Its peak arithmetic rate (the neural engine's TOPS)",
                      f"For {short(a['model'])} at INT8 one token needs "
                      f"{fmt.si(2 * llama.parameters, 'FLOP')}: "
                      f"{fmt.duration(i8.t_compute)} at the FP16 peak, against "
                      f"{fmt.duration(i8.t_memory)} to read the bytes. Arithmetic is not the "
                      "floor."),
                "B": ("Its memory bandwidth",
                      f"Yes. Each token reads {gb(i8.total)} at INT8; at "
                      f"{fmt.si(PHONE.memory.bandwidth.m_as('B/s'), 'B/s')} that takes "
                      f"{fmt.duration(i8.t_memory)}, whatever the arithmetic rate. Halving the "
                      "bytes (fewer bits, fewer weights) halves the time."),
                "C": ("Its memory capacity",
                      "Capacity decides whether the model fits at all; once it fits, more "
                      "capacity does not make a token faster."),
                "D": ("Its CPU clock speed",
                      "The processor waits on memory: a faster clock reaches the next weight "
                      "no sooner."),
            }, correct="B")
        with ui.math_peek("time per token, with this design's numbers", key="act2.mathpeek"):
            ui.markdown(mathpeek_decode(context, d))
    return pred, {"model": model, "format": wfmt, "tokens": tokens, "decode": d}


def failure_title(d) -> str:
    if not d.fits and not d.fast_enough:
        return "Does not fit, and too slow"
    return "Does not fit in memory" if not d.fits else "Too slow: misses the time per token"


def failure_text(context: str, d) -> str:
    bits = cases.bits_needed(context, d.model, d.tokens)
    lower = [f for f in FORMATS[FORMATS.index(d.fmt) + 1:]
             if cases.decode(context, d.model, f, d.tokens).feasible]
    head = (f"{short(d.model)} at {d.fmt.upper()} with {d.tokens:,} tokens of cache needs "
            f"{gb(d.total)} and {fmt.duration(d.time)} a token on {DEVICE[context]}. ")
    if lower:
        return head + (f"Store the weights in {lower[0].upper()} to meet both limits, or "
                       "choose a smaller model.")
    if context == "mobile":
        small = [k for k in LANGUAGE if cases.best_format(context, k, min(d.tokens, max(
            cases.contexts_for(k))))]
        return head + (f"No format rescues it here: both limits together allow about "
                       f"{fmt.num(bits, 2)} bits per weight. Choose a smaller model "
                       f"({' or '.join(short(k) for k in small)}), or switch the "
                       "context to Cloud.")
    return head + "No format rescues it: choose a smaller model."


def design_chart(ui, context, model, wfmt, tokens):
    budget = cases.budget(context) / 1e9
    sla_ms = SLA.m_as("ms")
    colors = {"fp16": plot.COLORS["bad"], "int8": plot.COLORS["accent"],
              "int4": plot.COLORS["good"]}
    symbols = {"llama3_70b": "square", "llama3_8b": "circle", "gpt2_xl": "diamond",
               "gpt2": "triangle-up"}
    traces, rows = [], []
    for f in FORMATS:
        xs, ys, labels = [], [], []
        for k in LANGUAGE:
            n = min(tokens, max(cases.contexts_for(k)))
            dk = cases.decode(context, k, f, n)
            xs.append(dk.total / 1e9)
            ys.append(dk.time * 1e3)
            labels.append(f"{short(k)}, {f.upper()}: {gb(dk.total)}, "
                          f"{fmt.duration(dk.time)} a token")
            rows.append([short(k), f.upper(), f"{n:,}", gb(dk.total),
                         fmt.duration(dk.time), "meets both" if dk.feasible else
                         ", ".join(v.name for v in dk.violations)])
        traces.append({"type": "scatter", "mode": "markers", "x": xs, "y": ys,
                       "name": FORMAT_LABELS[f].split(" (")[0],
                       "marker": {"color": colors[f], "size": 11,
                                  "symbol": [symbols[k] for k in LANGUAGE]},
                       "hovertext": labels, "hoverinfo": "text"})
    here = cases.decode(context, model, wfmt, tokens)
    traces.append(plot.points([here.total / 1e9], [here.time * 1e3], "this design",
                              plot.COLORS["ink"], symbol="circle-open", size=22))
    region = {"type": "rect", "xref": "x", "yref": "y", "x0": 0.05, "x1": budget, "y0": 0.01,
              "y1": sla_ms, "fillcolor": "rgba(22,163,74,0.08)", "line": {"width": 0}}
    limit = "the app's budget" if context == "mobile" else "the GPU's memory"
    ui.figure({"data": traces, "layout": plot.layout(
        f"Memory against time per token on {DEVICE[context]}", height=420, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        shapes=[region, plot.vline(budget, plot.COLORS["bad"]),
                plot.hline(sla_ms, plot.COLORS["bad"])],
        annotations=[plot.note(budget, sla_ms, f"{limit} {gb(budget * 1e9)}, "
                               f"target {fmt.duration(SLA.m_as('s'))}", xanchor="right",
                               yanchor="bottom", xlog=True, ylog=True)],
        xaxis=plot.axis("weights + KV cache (GB, log scale)", log=True),
        yaxis=plot.axis("time per output token (ms, log scale)", log=True))},
        key="act2.space", caption=(
            f"Every model and weight format on {DEVICE[context]} "
            f"({fmt.si(MACHINES[context].memory.bandwidth.m_as('B/s'), 'B/s')}), each holding "
            f"up to {tokens:,} tokens of cache: memory on the horizontal axis, time per token "
            f"on the vertical. The shaded box is what meets both limits ({limit}, "
            f"{gb(budget * 1e9)}; {fmt.duration(SLA.m_as('s'))} a token). This design, "
            f"{short(model)} at {wfmt.upper()}: {gb(here.total)} and "
            f"{fmt.duration(here.time)} a token, "
            f"{'inside the box' if here.feasible else 'outside it'}. "
            f"{sum(r[5] == 'meets both' for r in rows)} of {len(rows)} designs meet both."),
        table={"caption": f"Designs on {DEVICE[context]} (engine values)",
               "columns": ["model", "weights", "cache tokens", "memory", "time per token",
                           "verdict"], "rows": rows})


def design_metrics(ui, context, d):
    budget = cases.budget(context)
    largest = cases.largest_model(context, d.fmt, d.kv)
    where = "app budget" if context == "mobile" else "GPU memory"
    ui.metrics([
        Metric("Weights", gb(d.weights), note=f"{d.fmt.upper()}"),
        Metric("KV cache", gb(d.kv), note=f"{d.tokens:,} tokens, FP16"),
        Metric("Memory needed", gb(d.total), tone="success" if d.fits else "danger",
               note=f"{fmt.percent(d.total / budget, 0)} of the {gb(budget)} {where}"),
        Metric("Time per token", fmt.duration(d.time),
               tone="success" if d.fast_enough else "danger",
               note=f"{fmt.num(d.tokens_per_second)} tokens/s; target "
                    f"{fmt.duration(SLA.m_as('s'))}"),
        Metric("Largest model that meets both", f"{billions(largest)} parameters",
               tone="info", note=f"at {d.fmt.upper()} with this cache"),
    ], key="act2.metrics")


def mathpeek_decode(context, d) -> str:
    m = LANGUAGE[d.model]
    hw = MACHINES[context]
    bw = hw.memory.bandwidth.m_as("B/s")
    bpw = d.weights / m.parameters
    head = m.hidden_size // m.heads
    kv_heads = m.kv_heads or m.heads
    return (
        r"$$t_{\text{token}} \approx \frac{N\,b_w + M_{KV}}{BW}, \qquad "
        r"M_{KV} = 2\,L\,n_{kv}\,d_{\text{head}}\,T\,b_{kv}$$" "\n\n"
        f"for {short(d.model)} at {d.fmt.upper()} on {DEVICE[context]}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | parameters | {billions(m.parameters)} |\n"
        f"| $b_w$ | bytes per weight | {fmt.num(bpw)} |\n"
        f"| $L$, $n_{{kv}}$, $d_{{\\text{{head}}}}$ | layers, key/value heads, width of a head | "
        f"{m.layers}, {kv_heads}, {head} |\n"
        f"| $T$ | tokens in the cache | {d.tokens:,} |\n"
        "| $b_{kv}$ | bytes per cached value (FP16) | 2 |\n"
        f"| $BW$ | memory bandwidth | {fmt.si(bw, 'B/s')} |\n\n"
        f"$N b_w$ = {gb(d.weights)}, $M_{{KV}}$ = {gb(d.kv)}; "
        f"$t_{{\\text{{token}}}}$ = {gb(d.total)} ÷ {fmt.si(bw, 'B/s')} = "
        f"**{fmt.duration(d.t_memory)}**. The arithmetic, $2N$ = "
        f"{fmt.si(2 * m.parameters, 'FLOP')} at the FP16 peak, takes "
        f"{fmt.duration(d.t_compute)}: the bytes set the pace.\n\n"
        "Turned around, the two limits cap the bits per weight: "
        r"$b_w \le \min(BW \cdot t_{\text{target}},\ M_{\text{budget}}) - M_{KV}$ divided by $N$, "
        f"here about {fmt.num(cases.bits_needed(context, d.model, d.tokens), 2)} bits per weight.")


def closing(ui):
    r = act1_case()
    a = cases.ACT2
    i4 = cases.decode(a["context"], a["model"], "int4", a["tokens"])
    largest = cases.largest_model(a["context"], "int4", i4.kv)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-model-compression-quantization and @sec-model-compression-ptq-qat work "
            "quantization on another network; @sec-model-compression-frontier lists the "
            "published points and their sources; @sec-model-compression-decode and "
            "@sec-model-compression-device derive the decoding limit on other machines.\n"
            "- Next, Lab 11 (@sec-hw-acceleration) draws the roofline: when the bytes, and "
            "when the arithmetic, set the pace of a kernel.\n"
            "- TinyTorch, Module 15 (Quantization) and Module 16 (Compression): you quantize "
            "a model's tensors to INT8 and prune its weights yourself, and measure what each "
            "costs.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. INT8 post-training quantization is nearly lossless for ResNet-50: "
            f"{fmt.num(r.accuracy_drop)} points of top-1 for {fmt.ratio(r.compression_ratio)} "
            "smaller weights. Fewer bits, and pruning, cost more; the frontier shows where.\n"
            "2. Decoding one token reads every weight, so its time is bytes over bandwidth: "
            "compression speeds a memory-bound model up by the bytes it removes.\n"
            f"3. On the A17 Pro phone, even INT4 leaves {short(a['model'])} at "
            f"{gb(i4.total)} and {fmt.duration(i4.time)} a token. At INT4 both limits allow "
            f"about {billions(largest)} parameters: the route is a smaller model.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    drop, _ = act1_truth()
    d = design["decode"]
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (band_middle(pred1.value), drop), pred2,
        decision=(f"{short(design['model'])}, {design['format'].upper()} weights, "
                  f"{design['tokens']:,} tokens of cache, on {contexts.name(context)}"),
        result=round(d.time * 1e3, 3), unit="ms", constraint_hit=not d.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{short(design['model'])}, {design['format'].upper()}, "
                   f"{design['tokens']:,} tokens"),
        ("Time per token", fmt.duration(d.time) + ("" if d.feasible else
                                                    f" ({failure_title(d).lower()})"))))

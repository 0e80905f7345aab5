"""Vol I · Lab 12 · Benchmarks that tell the truth (chapter: benchmarking).

Act I calibrates Amdahl's law: the serial share of a training step caps what more GPUs can
give, and Gustafson's law says what changes when the problem grows with the machine. Act II
makes the student publish a benchmark: a headline throughput measured at a batch and precision
unlike production's, and a speed-up claim resting on repeated runs with warm-up and a
confidence interval. The report fails when its headline is more than an order of magnitude
above production's estimate, when the claim lies above what the runs support, or when the
interval is too wide to support any claim. Physics and statistics are the engine's
(AmdahlModel, IronLawModel, BenchmarkValidityModel, BenchmarkStatsModel, SpeedupClaimModel);
the timed runs are generated deterministically from an illustrative noise and warm-up model;
the cases are shared with Chapter 12 (benchmarking_cases.py).
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import benchmarking_cases as cases
from labs.vol1.benchmarking_cases import (ACT1_DEVICES, ACT1_SERIAL, MACHINES, MAX_HEADLINE_RATIO,
                                          MODELS, PRODUCTION_BATCH, REPORT_PRECISION, RUN_CV,
                                          WARMUP_FACTORS)

LAB = Lab(
    id="vol1/12", chapter="benchmarking", title="Benchmarks that tell the truth",
    hook="A benchmark is an experiment, and a headline is a claim about it. How much faster "
         "does more hardware make a job, and how much of a published speed-up survives "
         "production?",
    invariants=["Amdahl's law", "Gustafson's scaled speed-up",
                "benchmark validity: batch and precision like production",
                "repeats, warm-up and confidence intervals"],
    minutes=40, contexts=("cloud", "edge"),
    reading=[
        ("@sec-benchmarking-what", "what a benchmark measures, and what it leaves out"),
        ("@sec-benchmarking-validity", "batch and precision unlike production"),
        ("@sec-benchmarking-statistics", "warm-up, repeats and Student-t intervals"),
        ("@sec-benchmarking-mlperf", "how MLPerf's rules close the loopholes"),
        ("@sec-benchmarking-amdahl", "Amdahl's law and Gustafson's answer"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM", "edge": "Jetson Orin NX 16GB"})
DEVICE = {"cloud": "H100", "edge": "Orin NX"}
MODEL_LABELS = {"mobilenetv2": "MobileNetV2 (mobile image classifier)",
                "resnet50": "ResNet-50 (image classifier)"}
PRECISION_LABELS = {"fp16": "FP16", "int8": "INT8"}
BATCH_LABELS = {str(b): f"{b} image{'s' if b > 1 else ''}" for b in cases.BATCHES}
CONFIDENCE_LABELS = {"0.9": "90%", "0.95": "95%", "0.99": "99%"}
DEVICE_CHOICES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
TERM_WORDS = {"memory": "data movement (D/BW)", "compute": "arithmetic (O/R)",
              "overhead": "fixed overhead (L)"}


x = cases.times  # a speed-up or a ratio of two speeds, as the chapter prints it: "2.05x"


def show_ratio(q) -> str:
    """A dimensionless engine Constraint amount, as the banner shows it."""
    return x(q.m_as(""))


def rate(per_s: float) -> str:
    return f"{fmt.num(per_s)} images/s"


# ---- Act I: Amdahl on 64 GPUs --------------------------------------------------------------
#: Speed-up bands of the Act I prediction, (low, high) of each option: the one place the
#: bounds live; the ledger records the geometric middle of the chosen band.
ACT1_BANDS = {"A": (40.0, math.inf), "B": (15.0, 40.0), "C": (4.0, 15.0), "D": (0.0, 4.0)}


def act1_truth():
    r = cases.amdahl(ACT1_SERIAL, ACT1_DEVICES)
    return r, bands.band_of(r.amdahl_speedup, ACT1_BANDS)


def serial_for(speedup: float, n: int) -> float:
    """The serial share that gives ``speedup`` on ``n`` devices (Amdahl solved for s)."""
    return (n / speedup - 1) / (n - 1)


def act1_options(r) -> dict:
    n, s = ACT1_DEVICES, ACT1_SERIAL
    fact = (f"Amdahl's law: 1 / ({fmt.num(s)} + {fmt.num(1 - s)}/{n}) = "
            f"**{x(r.amdahl_speedup)}** on {n} GPUs.")
    return {
        "A": ("Close to linear: 40x or more",
              f"{fact} Linear scaling assumes every part of the step parallelises; the serial "
              f"{fmt.percent(s, 0)} runs as long on {n} GPUs as on one. "
              f"{x(r.gustafson_speedup)} is Gustafson's scaled speed-up: what you get if the "
              "job grows with the machine, not this fixed job."),
        "B": ("Half of linear or so: 15x to 40x",
              f"{fact} Even half of linear ({n // 2}x) would need the serial share below "
              f"{fmt.percent(serial_for(n / 2, n))}: a small serial part costs a lot at scale."),
        "C": ("Well under linear: 4x to 15x",
              f"Right. {fact} The parallel part shrinks to almost nothing; the serial "
              f"{fmt.percent(s, 0)} is what remains, and it sets the ceiling."),
        "D": ("Barely faster: under 4x",
              f"{fact} Under 4x on {n} GPUs would take a serial share above "
              f"{fmt.percent(serial_for(4, n))}; at {fmt.percent(s, 0)} the GPUs still pay off, "
              "just not linearly."),
    }


# ---- Act II: the slide's headline against production ---------------------------------------
ACT2_MODEL, ACT2_BATCH, ACT2_PRECISION = "mobilenetv2", 256, "int8"
ACT2_BANDS = {"A": (0.0, 2.0), "B": (2.0, 5.0), "C": (5.0, 20.0), "D": (20.0, math.inf)}


def act2_truth():
    v = cases.validity("cloud", ACT2_MODEL, ACT2_BATCH, ACT2_PRECISION)
    return v, bands.band_of(v.throughput_ratio, ACT2_BANDS)


def act2_options(v) -> dict:
    bench = rate(v.benchmark_throughput.m_as("1/s"))
    prod = rate(v.production_throughput.m_as("1/s"))
    batch_only = cases.validity("cloud", ACT2_MODEL, ACT2_BATCH, "fp16").throughput_ratio
    fact = (f"The Iron Law on the H100: {bench} at batch {ACT2_BATCH} in INT8, {prod} at one "
            f"image in FP16: **{x(v.throughput_ratio)}**.")
    return {
        "A": ("Under 2x: batch and precision change little",
              f"{fact} At one image the H100 streams every weight and pays a launch for a "
              f"single result; a batch of {ACT2_BATCH} shares both, and INT8 halves the bytes "
              "and doubles the peak."),
        "B": ("2x to 5x",
              f"{fact} The two choices multiply: the batch alone gives {x(batch_only)}, and "
              f"INT8 another {x(v.throughput_ratio / batch_only)} on top."),
        "C": ("5x to 20x",
              f"Right. {fact} The batch alone gives {x(batch_only)}; INT8 multiplies it by "
              f"{x(v.throughput_ratio / batch_only)}. Neither is how production runs."),
        "D": ("More than 20x",
              f"{fact} The gain saturates: at batch {ACT2_BATCH} the benchmark is bound by "
              f"{TERM_WORDS[v.benchmark_binding]}, which grows with every image, so a bigger "
              "batch adds little more."),
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
    truth, correct = act1_truth()
    with ui.section("Act I · Calibration", "What do 64 GPUs buy? (12-15 min)"):
        ui.stakeholder(
            "Head of ML research, a language-technology company",
            f"Our fine-tuning job runs on one GPU. Finance approved {ACT1_DEVICES} GPUs and "
            f"expects it to finish {ACT1_DEVICES} times sooner. The profiler says "
            f"{fmt.percent(ACT1_SERIAL, 0)} of every step is serial: one process decodes the "
            "data and writes the logs and checkpoints while the GPUs wait. What speed-up "
            "should I promise?")
        ui.markdown(
            "A step has a part that spreads across GPUs and a part that does not. More GPUs "
            "shrink only the first. The profile is this scenario's (illustrative); the law that "
            "turns it into a speed-up is Amdahl's (1967). Commit to an estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"With {fmt.percent(ACT1_SERIAL, 0)} of the step serial, how much faster is the job "
            f"on {ACT1_DEVICES} GPUs than on one?",
            act1_options(truth), correct=correct)

        serial = ui.slider("act1.serial", "Serial share of the step", 0.01, 0.5, 0.01,
                           ACT1_SERIAL, unit="%", scale=100, fmt=lambda v: fmt.percent(v, 0))
        devices = int(ui.select("act1.devices", "GPUs",
                                {str(n): f"{n} GPU{'s' if n > 1 else ''}" for n in DEVICE_CHOICES},
                                default=str(ACT1_DEVICES)))
        r = cases.amdahl(serial, devices)
        amdahl_instruments(ui, serial, devices, r)
        ui.reveal(pred, f"{x(truth.amdahl_speedup)} on {ACT1_DEVICES} GPUs with "
                        f"{fmt.percent(ACT1_SERIAL, 0)} serial work (parallel efficiency "
                        f"{fmt.percent(truth.parallel_efficiency)})", text=pred.feedback,
                  key="act1.overlay")
        big = cases.amdahl(ACT1_SERIAL, DEVICE_CHOICES[-1])
        ui.reflection(
            "act1.reflection",
            f"The team asks for {DEVICE_CHOICES[-1]:,} GPUs instead. With "
            f"{fmt.percent(ACT1_SERIAL, 0)} serial work, what is the most any number of GPUs "
            "can give this job?",
            {
                "A": (f"About {DEVICE_CHOICES[-1]:,}x: speed grows with the GPUs",
                      f"Only the parallel part shrinks. On {DEVICE_CHOICES[-1]:,} GPUs the "
                      f"job runs {x(big.amdahl_speedup)} faster, barely more than on "
                      f"{ACT1_DEVICES}."),
                "B": (f"About 1/{fmt.num(ACT1_SERIAL)}: the serial share sets a ceiling",
                      f"Yes. As the GPUs grow without bound the parallel term vanishes and "
                      f"1/{fmt.num(ACT1_SERIAL)} = {x(truth.amdahl_limit)} remains. "
                      f"{DEVICE_CHOICES[-1]:,} GPUs reach {x(big.amdahl_speedup)} at a "
                      f"parallel efficiency of {fmt.percent(big.parallel_efficiency)}. To go "
                      "further, shrink the serial part: decode the data in parallel, write "
                      "checkpoints asynchronously."),
                "C": ("No limit, if the network between GPUs is fast enough",
                      "A faster network shortens communication, which is part of the parallel "
                      "work's cost; the serial part does not touch the network at all, and it "
                      f"caps the speed-up at {x(truth.amdahl_limit)}."),
                "D": (f"About {x(big.gustafson_speedup)}: Gustafson's law",
                      "That is Gustafson's scaled speed-up: it holds when the job grows with "
                      "the machine (more data, a larger model) so the serial part stays a "
                      "small share of a bigger run. This job is fixed, so Amdahl's ceiling, "
                      f"{x(truth.amdahl_limit)}, applies."),
            }, correct="B")
        with ui.math_peek("Amdahl's and Gustafson's laws", key="act1.mathpeek"):
            ui.markdown(mathpeek_amdahl(serial, devices, r))
    return pred


def amdahl_instruments(ui, serial, devices, r):
    ns = [2 ** (k / 4) for k in range(0, 41)]  # 1 to 1,024 GPUs, four points per doubling
    amd = [cases.amdahl(serial, n).amdahl_speedup for n in ns]
    gus = [cases.amdahl(serial, n).gustafson_speedup for n in ns]
    traces = [
        plot.line(ns, ns, "Linear (every part parallel)", plot.COLORS["muted"], dash="dot"),
        plot.line(ns, gus, "Gustafson: the job grows with the GPUs", plot.COLORS["edge"],
                  dash="dash"),
        plot.line(ns, amd, "Amdahl: a fixed job", plot.COLORS["cloud"], width=3),
        plot.points([devices], [r.amdahl_speedup], "Your setting", plot.COLORS["bad"],
                    symbol="star", size=16),
    ]
    ui.figure({"data": traces, "layout": plot.layout(
        "Speed-up against GPUs (log scales)", height=400, showlegend=True,
        legend={"orientation": "h", "y": -0.22},
        shapes=[plot.hline(r.amdahl_limit, plot.COLORS["bad"])],
        xaxis=plot.axis("GPUs", log=True), yaxis=plot.axis("speed-up over one GPU", log=True))},
        key="act1.amdahl", caption=(
            f"Speed-up against the number of GPUs with {fmt.percent(serial, 0)} of the step "
            f"serial. Amdahl's curve (a fixed job) bends towards its ceiling of "
            f"{x(r.amdahl_limit)} (red line); on {devices} GPU{'s' if devices > 1 else ''} it "
            f"reaches {x(r.amdahl_speedup)}. Gustafson's line, for a job that grows with the "
            f"GPUs, reaches {x(r.gustafson_speedup)}; linear would be {devices}x."),
        table={"caption": f"Speed-up with {fmt.percent(serial, 0)} serial work",
               "columns": ["GPUs", "Amdahl (fixed job)", "parallel efficiency",
                           "Gustafson (scaled job)"],
               "rows": [[f"{n:,}", x(cases.amdahl(serial, n).amdahl_speedup),
                         fmt.percent(cases.amdahl(serial, n).parallel_efficiency),
                         x(cases.amdahl(serial, n).gustafson_speedup)] for n in DEVICE_CHOICES]})
    ui.metrics([
        Metric("Speed-up (Amdahl)", x(r.amdahl_speedup), tone="info",
               note=f"{devices} GPU{'s' if devices > 1 else ''}, fixed job"),
        Metric("Ceiling", x(r.amdahl_limit), tone="warn",
               note=f"1 / {fmt.percent(serial, 0)} serial"),
        Metric("Parallel efficiency", fmt.percent(r.parallel_efficiency),
               tone="danger" if r.parallel_efficiency < 0.5 else None,
               note="speed-up ÷ GPUs"),
        Metric("Scaled speed-up (Gustafson)", x(r.gustafson_speedup),
               note="if the job grows with the GPUs"),
    ], key="act1.metrics")


def mathpeek_amdahl(serial, devices, r) -> str:
    p = 1 - serial
    return (
        r"$$S(n) = \frac{1}{(1 - p) + p/n}, \qquad \lim_{n \to \infty} S(n) = \frac{1}{1 - p},"
        r"\qquad S_{\text{scaled}}(n) = (1 - p) + p\,n$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $p$ | share of the one-GPU step that parallelises | {fmt.num(p)} |\n"
        f"| $1-p$ | serial share (runs on one process) | {fmt.num(serial)} |\n"
        f"| $n$ | GPUs (or how many times faster the parallel part runs) | {devices} |\n"
        f"| $S(n)$ | Amdahl's speed-up of a fixed job | {x(r.amdahl_speedup)} |\n"
        f"| $1/(1-p)$ | Amdahl's ceiling | {x(r.amdahl_limit)} |\n"
        f"| $S_{{\\text{{scaled}}}}(n)$ | Gustafson's speed-up, $p$ measured on the $n$-GPU "
        f"run of a job grown $n$ times | {x(r.gustafson_speedup)} |\n\n"
        f"Here $S$ = 1 / ({fmt.num(serial)} + {fmt.num(p)}/{devices}) = "
        f"{x(r.amdahl_speedup)}, an efficiency $S/n$ of {fmt.percent(r.parallel_efficiency)}. "
        "Amdahl times a fixed job on more processors; Gustafson (1988) keeps the run time "
        "fixed and lets the work grow, so the serial part becomes a smaller share of a larger "
        "job.")


# ---- Act II ---------------------------------------------------------------------------------
def act_two(ui, context):
    truth, correct = act2_truth()
    headline = rate(truth.benchmark_throughput.m_as("1/s"))
    with ui.section("Act II · Design challenge", "What can we honestly publish? (20-25 min)"):
        ui.stakeholder(
            "Inference lead, an image-search service",
            f"The framework team's slide for the quarterly review: *MobileNetV2 on one H100, "
            f"{headline}; INT8 makes it {x(cases.datasheet_speedup('cloud'))} faster.* They ran "
            f"batches of {ACT2_BATCH} images in INT8. Our service answers one image per request "
            "in FP16, and the same model runs on a Jetson Orin NX in our camera kit. Before "
            "anyone repeats those numbers outside: what can we publish and defend?")
        ui.markdown(
            "A headline is only as good as its configuration. Production's throughput is "
            "estimated here with the Iron Law at production's batch and precision; the slide's "
            "with the same law at its own. Both are the Iron Law's best case, at the full peak: "
            "real kernels reach a fraction of it, which lowers both figures alike and leaves "
            "their ratio, the question here, much as it is. Commit to an estimate first.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"On the H100, by what factor do the slide's images/s (batch {ACT2_BATCH}, INT8) "
            "exceed what production will see (one image per request, FP16)?",
            act2_options(truth), correct=correct)

        ui.markdown("**The benchmark's configuration.** Production answers one image per "
                    "request in FP16. The team's rule (illustrative): a published images/s may "
                    f"be at most {x(MAX_HEADLINE_RATIO)} production's estimate, an order of "
                    "magnitude.")
        model = ui.select("act2.model", "Model", MODEL_LABELS, default=ACT2_MODEL)
        batch = int(ui.select("act2.batch", "Benchmark batch size", BATCH_LABELS,
                              default=str(ACT2_BATCH)))
        precision = ui.select("act2.precision", "Precision of the published images/s",
                              PRECISION_LABELS, default=ACT2_PRECISION)
        v = cases.validity(context, model, batch, precision)
        validity_instruments(ui, context, model, batch, precision, v)

        ui.markdown("**The measurement behind the speed-up claim**: INT8 against FP16, both at "
                    "the benchmark's batch, timed run by run. The runs are illustrative: the "
                    "Iron Law time of each build with run-to-run noise "
                    f"({fmt.percent(RUN_CV[context], 0)} on this machine) and slow first runs, "
                    "as the chapter describes. The team's second rule (illustrative): a claim may "
                    "not exceed the interval's upper end, and the interval must lie within "
                    f"± {fmt.percent(REPORT_PRECISION, 0)} of the measured speed-up.")
        warmup = int(ui.slider("act2.warmup", "Warm-up runs discarded", 0, 10, 1, 3,
                               unit="runs"))
        repeats = int(ui.slider("act2.repeats", "Timed repeats per build", 3, 30, 1, 10,
                                unit="runs"))
        confidence = float(ui.select("act2.confidence", "Confidence level", CONFIDENCE_LABELS,
                                     default="0.95"))
        claimed = ui.slider("act2.claim", "Speed-up the report claims", 1.0, 3.0, 0.05,
                            round(cases.datasheet_speedup("cloud"), 1), unit="x")
        r = cases.claim(context, model, batch, warmup, repeats, confidence, claimed)
        runs_instruments(ui, context, model, batch, warmup, repeats, confidence, claimed, r)

        violations = cases.report_violations(context, model, batch, precision, warmup, repeats,
                                             confidence, claimed)
        if violations:
            ui.failure("The report claims more than the benchmark supports", violations,
                       text=failure_text(context, violations, r, warmup), key="act2.failure",
                       show=show_ratio)
        else:
            ui.callout("success", f"Defensible: the headline is {x(v.throughput_ratio)} "
                       f"production's estimate (at most {x(MAX_HEADLINE_RATIO)}), and the claim "
                       f"of {x(claimed)} lies within what the runs support (up to "
                       f"{x(r.ci_high)}, ± {fmt.percent(cases.half_width(r) / r.speedup)}).",
                       title="The report holds", key="act2.ok")

        ui.reveal(pred, f"{x(truth.throughput_ratio)}: "
                        f"{rate(truth.benchmark_throughput.m_as('1/s'))} at batch {ACT2_BATCH} "
                        f"in INT8 against {rate(truth.production_throughput.m_as('1/s'))} at "
                        "one image in FP16 (MobileNetV2, H100)", text=pred.feedback,
                  key="act2.overlay")
        one = cases.validity("cloud", ACT2_MODEL, 1, "int8")
        small = one.benchmark_latency.m_as("s")
        base = cases.iron_law("cloud", ACT2_MODEL, 1, "fp16")
        gain = base.total.m_as("s") / small
        ui.reflection(
            "act2.reflection",
            f"At production's one image per request on the H100, the INT8 build of MobileNetV2 "
            f"is only {x(gain)} faster than FP16, though the datasheet doubles the peak. Why?",
            {
                "A": ("INT8 is less accurate, so the network does more work to compensate",
                      "Quantization does not add operations: the same network runs with "
                      "smaller numbers. Accuracy is a separate question (@sec-model-compression); time "
                      "follows the Iron Law."),
                "B": ("At one image the time is mostly launch overhead, which precision does "
                      "not shrink",
                      f"Yes. In FP16 at one image: data {fmt.duration(base.t_memory.m_as('s'))}, "
                      f"arithmetic {fmt.duration(base.t_compute.m_as('s'))}, launch overhead "
                      f"{fmt.duration(base.t_overhead.m_as('s'))}. INT8 halves the first and "
                      "the second but leaves the third, so the total falls from "
                      f"{fmt.duration(base.total.m_as('s'))} to {fmt.duration(small)}. A "
                      "speed-up measured where a different term binds does not carry over."),
                "C": ("The runs at one image are too noisy to show the speed-up",
                      "With the warm-up runs discarded the interval at one image is narrow; the "
                      "small speed-up is real, not noise. Check it on the Cloud context: set the batch "
                      "to one image."),
                "D": ("The H100 has no INT8 arithmetic",
                      f"It does: its INT8 peak is {fmt.si(MACHINES['cloud'].compute.peak('int8').m_as('FLOP/s'), 'OP/s')}, "
                      "twice FP16. The arithmetic is not what takes the time at one image."),
            }, correct="B")
        with ui.math_peek("intervals, speed-ups and the headline ratio", key="act2.mathpeek"):
            ui.markdown(mathpeek_stats(context, model, batch, precision, warmup, repeats,
                                       confidence, r, v))
    return pred, {"model": model, "batch": batch, "precision": precision, "warmup": warmup,
                  "repeats": repeats, "confidence": confidence, "claimed": claimed,
                  "speedup": r.speedup, "hit": bool(violations)}


def validity_instruments(ui, context, model, batch, precision, v):
    prod = v.production_throughput.m_as("1/s")
    traces = []
    for p, dash in (("fp16", "solid"), ("int8", "dash")):
        ys = [cases.validity(context, model, b, p).benchmark_throughput.m_as("1/s")
              for b in cases.BATCHES]
        traces.append(plot.line(list(cases.BATCHES), ys, f"{PRECISION_LABELS[p]} benchmark",
                                plot.COLORS[context], dash=dash, width=2))
    traces.append(plot.points([PRODUCTION_BATCH], [prod], "Production (one image, FP16)",
                              plot.COLORS["good"], size=14))
    traces.append(plot.points([batch], [v.benchmark_throughput.m_as("1/s")], "Your headline",
                              plot.COLORS["bad"], symbol="star", size=16))
    dev = DEVICE[context]
    ui.figure({"data": traces, "layout": plot.layout(
        f"Throughput against batch size on the {dev} (log scales)", height=400,
        showlegend=True, legend={"orientation": "h", "y": -0.22},
        shapes=[plot.hline(MAX_HEADLINE_RATIO * prod, plot.COLORS["bad"])],
        xaxis=plot.axis("batch size (images)", log=True),
        yaxis=plot.axis("images/s", log=True))},
        key="act2.validity", caption=(
            f"Iron Law throughput of {MODELS[model].name} on the {dev} at each batch size, FP16 "
            f"and INT8. Production (one image, FP16) gets {rate(prod)}; your headline (batch "
            f"{batch}, {PRECISION_LABELS[precision]}) gets "
            f"{rate(v.benchmark_throughput.m_as('1/s'))}, {x(v.throughput_ratio)} production's. "
            f"The red line marks {x(MAX_HEADLINE_RATIO)} production's throughput."),
        table={"caption": f"Throughput of {MODELS[model].name} on the {dev} (images/s)",
               "columns": ["batch", "FP16", "INT8"],
               "rows": [[str(b)] + [rate(cases.validity(context, model, b, p)
                                          .benchmark_throughput.m_as("1/s"))
                                     for p in cases.PRECISIONS] for b in cases.BATCHES]})
    ui.metrics([
        Metric("Headline throughput", rate(v.benchmark_throughput.m_as("1/s")),
               note=f"batch {batch}, {PRECISION_LABELS[precision]}"),
        Metric("Production estimate", rate(prod), note="one image, FP16"),
        Metric("Headline ÷ production", x(v.throughput_ratio),
               tone="danger" if v.throughput_ratio > MAX_HEADLINE_RATIO else "success",
               note=f"at most {x(MAX_HEADLINE_RATIO)}"),
        Metric("What binds", TERM_WORDS[v.benchmark_binding].split(" (")[0],
               tone="warn" if v.regime_changed else None,
               note=f"production: {TERM_WORDS[v.production_binding].split(' (')[0]}"),
    ], key="act2.validity_metrics")


def runs_instruments(ui, context, model, batch, warmup, repeats, confidence, claimed, r):
    n = warmup + repeats
    base = cases.runs(context, model, batch, "fp16", n)
    new = cases.runs(context, model, batch, "int8", n)
    s16 = cases.stats(context, model, batch, "fp16", warmup, repeats, confidence)
    s8 = cases.stats(context, model, batch, "int8", warmup, repeats, confidence)
    idx = list(range(1, n + 1))
    traces = []
    for name, ys, color in (("FP16", base, plot.COLORS["muted"]),
                            ("INT8", new, plot.COLORS[context])):
        traces.append(plot.points(idx[warmup:], [t * 1e3 for t in ys[warmup:]],
                                  f"{name}, timed", color, size=9))
        if warmup:
            traces.append(plot.points(idx[:warmup], [t * 1e3 for t in ys[:warmup]],
                                      f"{name}, discarded warm-up", color, symbol="x", size=9))
    shapes = [plot.hline(s.mean * 1e3, c, dash="dash")
              for s, c in ((s16, plot.COLORS["muted"]), (s8, plot.COLORS[context]))]
    conf = fmt.percent(confidence, 0)
    ui.figure({"data": traces, "layout": plot.layout(
        "Run by run: time of one batch (illustrative runs)", height=380, showlegend=True,
        legend={"orientation": "h", "y": -0.22}, shapes=shapes,
        xaxis=plot.axis("run"), yaxis=plot.axis("time per batch (ms, log scale)", log=True))},
        key="act2.runs", caption=(
            f"Each build's {n} runs at batch {batch} on the {DEVICE[context]}, "
            f"{discarded(warmup)}. Timed mean: FP16 {fmt.duration(s16.mean)} "
            f"({conf} interval {fmt.duration(s16.ci_low)} to {fmt.duration(s16.ci_high)}), "
            f"INT8 {fmt.duration(s8.mean)} ({fmt.duration(s8.ci_low)} to "
            f"{fmt.duration(s8.ci_high)}). Measured speed-up {x(r.speedup)}, {conf} interval "
            f"{x(r.ci_low)} to {x(r.ci_high)}; the report claims {x(claimed)}."),
        table={"caption": "Timed runs (ms per batch; warm-up runs marked)",
               "columns": ["run", "FP16", "INT8"],
               "rows": [[f"{i}{' (warm-up)' if i <= warmup else ''}", fmt.num(a * 1e3),
                         fmt.num(b * 1e3)] for i, a, b in zip(idx, base, new)]})
    allowed = REPORT_PRECISION * r.speedup
    supported = r.ci_low <= claimed <= r.ci_high
    ui.metrics([
        Metric("Measured speed-up", x(r.speedup), tone="info", note="FP16 mean ÷ INT8 mean"),
        Metric(f"{conf} interval", f"{x(r.ci_low)} to {x(r.ci_high)}",
               tone="danger" if cases.half_width(r) > allowed else "success",
               note=f"± {x(cases.half_width(r))}, at most ± {x(allowed)}"),
        Metric("Claim", x(claimed),
               tone="danger" if claimed > r.ci_high else "success" if supported else "warn",
               note=("above the interval" if claimed > r.ci_high else "inside the interval"
                     if supported else "below the interval: conservative")),
        Metric("Warm-up excess", fmt.percent(s8.warmup_excess, 0) if s8.warmup_excess is not None
               else "none discarded", note="how much slower the discarded INT8 runs were"),
    ], key="act2.runs_metrics")


def discarded(warmup: int) -> str:
    if warmup == 0:
        return "none discarded as warm-up"
    return "the first run discarded as warm-up" if warmup == 1 else \
        f"the first {warmup} discarded as warm-up"


def failure_text(context, violations, r, warmup) -> str:
    names = {v.name for v in violations}
    out = []
    if "benchmark throughput over production's" in names:
        out.append("The headline describes a configuration production never runs: move the "
                   "batch towards one image, or publish the FP16 figure.")
    if "claimed speed-up" in names:
        out.append(f"The claim lies above every speed-up the runs allow: claim at most "
                   f"{x(r.ci_high)}, or measure where the claim is meant to hold.")
    if any(n.startswith("uncertainty") for n in names):
        first = ("discard the slow first runs and add timed repeats"
                 if warmup < len(WARMUP_FACTORS) else "add timed repeats")
        out.append("The interval is too wide to support any claim to "
                   f"± {fmt.percent(REPORT_PRECISION, 0)}: {first}"
                   f"{' (this machine is noisier)' if context == 'edge' else ''}.")
    return " ".join(out)


def mathpeek_stats(context, model, batch, precision, warmup, repeats, confidence, r, v) -> str:
    s8 = cases.stats(context, model, batch, "int8", warmup, repeats, confidence)
    conf = fmt.percent(confidence, 0)
    return (
        "**One build's mean and interval** (Student's t, after discarding the warm-up):\n\n"
        r"$$\bar t \pm t_{(1+c)/2,\; n-1}\,\frac{s}{\sqrt{n}}$$" "\n\n"
        "| symbol | meaning | INT8 build, this setting |\n| --- | --- | --- |\n"
        f"| $n$ | timed repeats | {s8.repeats} |\n"
        f"| $\\bar t$ | mean time of one batch | {fmt.duration(s8.mean)} |\n"
        f"| $s$ | sample standard deviation | {fmt.duration(s8.std)} |\n"
        f"| $c$ | confidence level | {conf} |\n"
        f"| $t_{{(1+c)/2,\\,n-1}}$ | Student's t quantile | {fmt.num(s8.t_value, 4)} |\n"
        f"| half-width | $t\\,s/\\sqrt{{n}}$ | {fmt.duration(s8.half_width)} "
        f"({fmt.percent(s8.relative_half_width)} of the mean) |\n\n"
        "**The speed-up** is a ratio of two means, $\\bar t_{\\text{FP16}} / \\bar t_{\\text{INT8}}$ "
        f"= {x(r.speedup)}. Its interval ({x(r.ci_low)} to {x(r.ci_high)}) is Fieller's "
        "(1954), which accounts for the uncertainty of both means. A claim above its upper end "
        "is refuted by the runs; an interval wider than "
        f"± {fmt.percent(REPORT_PRECISION, 0)} of the speed-up supports no claim under the "
        "team's reporting rule (illustrative).\n\n"
        "**The headline ratio** compares two Iron Law estimates: "
        r"$\dfrac{B / T(B,\ \text{bench})}{1 / T(1,\ \text{prod})}$" " with $B$ the benchmark "
        f"batch: {rate(v.benchmark_throughput.m_as('1/s'))} ÷ "
        f"{rate(v.production_throughput.m_as('1/s'))} = {x(v.throughput_ratio)}.")


def closing(ui):
    truth, _ = act1_truth()
    v, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-benchmarking-validity works the headline-versus-production comparison on "
            "ResNet-50; @sec-benchmarking-statistics derives the Student-t interval and why "
            "warm-up runs are discarded; @sec-benchmarking-amdahl sets Amdahl beside "
            "Gustafson.\n"
            "- Next, Lab 13 (@sec-model-serving) serves the model: requests arrive at random, "
            "queue, and the tail latency (P99) matters more than the mean.\n"
            "- TinyTorch, Module 19 (Benchmarking): you write the harness that warms up, "
            "repeats and reports an interval for your own operations.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. The serial share caps the speed-up: with {fmt.percent(ACT1_SERIAL, 0)} serial, "
            f"{ACT1_DEVICES} GPUs give {x(truth.amdahl_speedup)} and no number of GPUs passes "
            f"{x(truth.amdahl_limit)}. Measure the serial part before buying hardware.\n"
            f"2. A benchmark at a batch and precision production never uses can overstate it "
            f"by an order of magnitude ({x(v.throughput_ratio)} for MobileNetV2 on the H100), "
            "because a different Iron Law term binds.\n"
            "3. Discard warm-up runs, repeat, and report an interval: a speed-up claim is "
            "defensible only inside what the runs support, and only when the interval is "
            "narrow enough to mean something.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    truth, _ = act1_truth()
    d = design
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1,
        (bands.log_middle(ACT1_BANDS, pred1.value), truth.amdahl_speedup), pred2,
        decision=(f"{MODELS[d['model']].name} benchmark at batch {d['batch']}, "
                  f"{PRECISION_LABELS[d['precision']]} headline, {d['warmup']} warm-up runs "
                  f"discarded, {d['repeats']} timed repeats, {fmt.percent(d['confidence'], 0)} "
                  f"interval, claiming {x(d['claimed'])}, on {contexts.name(context)}"),
        result=round(d["speedup"], 4), unit="x", constraint_hit=d["hit"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Benchmark", f"batch {d['batch']}, {PRECISION_LABELS[d['precision']]}, "
                      f"{d['repeats']} repeats"),
        ("Report", f"claims {x(d['claimed'])}: "
                   f"{'does not hold' if d['hit'] else 'holds'}")))

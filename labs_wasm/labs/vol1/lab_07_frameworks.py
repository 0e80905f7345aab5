"""Vol I · Lab 07 · The cost of a kernel launch (chapter: frameworks).

Act I calibrates the overhead term of the Iron Law: at batch 1, what share of a small
model's time on the H100 goes to dispatching kernels (one per operator, eager) rather than
to moving data and computing? The instruments add batch size and the other models and
machine. Act II moves to a robot's 500 Hz loop on the Jetson Orin NX: eager execution
misses the loop's latency budget until the kernels are fused by a compiler, and the compile
time is repaid only after a break-even number of frames. Kernel counts, dispatch overhead
(a registry estimate), the Iron Law terms, fusion and the break-even are the engine's; the
scenario constants (compile time, loop rate, budget) are illustrative and live, with their
sources, in frameworks_cases.py, shared with Chapter 7.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import frameworks_cases as cases
from labs.vol1.frameworks_cases import (COMPILE_TIME_S, LOOP_RATE_HZ, MACHINES, MODELS, SLA_S,
                                        break_even, dispatch, fusion, iron_law, kernels,
                                        largest_tensor, latency, term_times)

LAB = Lab(
    id="vol1/07", chapter="frameworks", title="The cost of a kernel launch",
    hook="A framework turns every operator into a kernel launch, and every launch has a "
         "fixed price. When does the price of organising the work exceed the work, and "
         "what does it cost to stop paying it?",
    invariants=["dispatch overhead vs kernel time", "kernel fusion", "compile-time break-even"],
    minutes=40, contexts=("cloud", "edge"),
    reading=[
        ("@sec-frameworks-per-operator", "what a framework does for every operator"),
        ("@sec-frameworks-eager-graph", "eager and graph execution, and kernel counts"),
        ("@sec-frameworks-dispatch", "dispatch overhead as the Iron Law's L, and its share"),
        ("@sec-frameworks-fusion", "kernel fusion and the memory traffic it removes"),
        ("@sec-frameworks-compilation", "compilation and its break-even"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM",
                                  "edge": "Jetson Orin NX 16GB (GPU)"})
MODEL_NAMES = {"dscnn": "DS-CNN-S (keyword spotting)", "mobilenetv2": "MobileNetV2",
               "resnet50": "ResNet-50"}
EXECUTION = {"eager": "Eager: one kernel per operator",
             "fused": "Compiled: fused kernels"}
EXECUTION_SHORT = {"eager": "eager", "fused": "compiled (fused)"}
ACT1_MODEL, ACT2_MODEL = "mobilenetv2", "mobilenetv2"
ACT2_MODELS = {k: f"{MODEL_NAMES[k]} ({fmt.num(MODELS[k].parameters / 1e6)} M parameters)"
               for k in ("mobilenetv2", "resnet50")}


def share_text(x: float) -> str:
    """A share of time as a percentage, with a second decimal where one would round to 100%."""
    return fmt.percent(x, 1) if x < 0.9995 else fmt.percent(x, 2)


def frames_text(n: float) -> str:
    """A count of frames, exact (61,856, not 61,900)."""
    return fmt.num(n, 12)


def per_launch(context: str) -> float:
    """The device's dispatch overhead per kernel launch, seconds (a registry estimate)."""
    return MACHINES[context].dispatch_overhead.m_as("s")


# ---- Act I: the share of time in dispatch (bands) ---------------------------------------
ACT1_BANDS = {"A": (0.0, 0.25), "B": (0.25, 0.5), "C": (0.5, 0.9), "D": (0.9, 1.0)}


def band_middle(key: str) -> float:
    lo, hi = ACT1_BANDS[key]
    return (lo + hi) / 2


def act1_truth():
    r = dispatch("cloud", ACT1_MODEL, 1, "eager")
    share = r.overhead_share
    band = next(k for k, (lo, hi) in ACT1_BANDS.items() if lo <= share < hi or
                (hi == 1.0 and share >= lo))
    return r, share, band


def act1_fact(r) -> str:
    k = kernels(ACT1_MODEL).eager_kernels
    return (f"Eager MobileNetV2 launches {k} kernels; at "
            f"{fmt.duration(per_launch('cloud'))} each that is "
            f"{fmt.duration(r.overhead_time.m_as('s'))} of dispatch, against "
            f"{fmt.duration(r.compute_time.m_as('s'))} of useful work (moving the data and "
            f"computing): **{share_text(r.overhead_share)}** of "
            f"{fmt.duration(r.total.m_as('s'))}.")


def act1_options(r) -> dict:
    fact = act1_fact(r)
    return {
        "A": ("Under 25%: the GPU spends most of the time computing",
              f"{fact} The H100 finishes this small network's arithmetic and data movement in "
              "microseconds; the fixed cost of each launch does not shrink with the work."),
        "B": ("25% to 50%: a noticeable tax, but the work still dominates",
              f"{fact} A tax would leave the work in charge. Here the work is a rounding "
              "error next to the launches."),
        "C": ("50% to 90%: dispatch is the larger part",
              f"{fact} Dispatch is the larger part, but this band is too low: a small model "
              "on the fastest machine leaves almost nothing but the launches."),
        "D": ("Over 90%: nearly all of it is dispatch",
              f"{fact} The GPU waits on the host almost the whole time: the overhead term "
              "L of the Iron Law is the whole story for this case."),
    }


# ---- Act II: the compile time's break-even (bands in frames) ----------------------------
ACT2_BANDS = {"A": (0, 1_000), "B": (1_000, 10_000), "C": (10_000, 100_000),
              "D": (100_000, math.inf)}


def act2_truth():
    r = break_even("edge", ACT2_MODEL, COMPILE_TIME_S, LOOP_RATE_HZ)
    n = r.break_even_requests
    band = bands.band_of(n, ACT2_BANDS)
    return r, n, band


def act2_fact(r) -> str:
    k = kernels(ACT2_MODEL)
    return (f"On the Orin NX each frame takes {fmt.duration(r.eager_latency.m_as('s'))} eager "
            f"and {fmt.duration(r.compiled_latency.m_as('s'))} compiled: "
            f"{k.launches_saved} fewer launches ({k.eager_kernels} to {k.fused_kernels}) at "
            f"{fmt.duration(per_launch('edge'))} each save "
            f"{fmt.duration(r.saving_per_request.m_as('s'))} per frame. "
            f"{fmt.duration(COMPILE_TIME_S)} ÷ {fmt.duration(r.saving_per_request.m_as('s'))} = "
            f"**{frames_text(r.break_even_requests)} frames**, "
            f"{fmt.duration(r.break_even_time.m_as('s'))} of the {fmt.num(LOOP_RATE_HZ)} Hz loop.")


def act2_options(r) -> dict:
    fact = act2_fact(r)
    return {
        "A": ("Fewer than 1,000 frames",
              f"{fact} A millisecond saved per frame is small next to a minute of compiling: "
              "it takes many frames to add up."),
        "B": ("1,000 to 10,000 frames",
              f"{fact} Divide the compile time by the saving per frame, not by the latency: "
              "the saving is only the launches removed."),
        "C": ("10,000 to 100,000 frames",
              f"{fact} Right: tens of thousands of frames, which a fast loop runs through in "
              "minutes and a one-off script never reaches."),
        "D": ("More than 100,000 frames",
              f"{fact} The saving is the launches removed times their cost, not the model's "
              f"size: MobileNetV2 removes {kernels('mobilenetv2').launches_saved} launches, "
              f"ResNet-50 {kernels('resnet50').launches_saved}."),
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
    truth, share, band = act1_truth()
    h100 = MACHINES["cloud"]
    with ui.section("Act I · Calibration", "Who is busy: the GPU or the framework? (12-15 min)"):
        ui.stakeholder(
            "Inference lead, a photo-sharing app",
            f"We tag every uploaded photo with MobileNetV2 on an {h100.name}, one photo per "
            "request (batch 1, FP16), in eager PyTorch, because requests arrive one at a "
            f"time. The GPU peaks at {fmt.si(h100.compute.peak_flops.m_as('FLOP/s'), 'FLOP/s')} "
            f"and this network needs {fmt.si(MODELS['mobilenetv2'].flops_per_inference.m_as('FLOP'), 'FLOP')} "
            "per photo, yet a request takes far longer than that arithmetic. Where does the "
            "time go?")
        ui.markdown(
            "An eager framework runs every operator of the network (each convolution, batch "
            "norm, activation and addition) as its own GPU kernel, and each launch costs the "
            "host a fixed time whether the kernel does much or little. That cost is the "
            "overhead term $L$ of the Iron Law, $T = D/BW + O/(R\\eta) + L$. Commit to an "
            "estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            "MobileNetV2, one photo (batch 1), FP16, eager, on the H100: what share of the "
            "request's time is kernel dispatch, rather than moving data and computing?",
            act1_options(truth), correct=band)

        model = ui.select("act1.model", "Model", MODEL_NAMES, default=ACT1_MODEL)
        batch = ui.slider("act1.batch", "Batch size (inputs per forward pass)", 1, 512, 1, 1)
        split_instruments(ui, context, model, batch)

        ui.reveal(pred, f"{share_text(share)} dispatch: "
                        f"{fmt.duration(truth.overhead_time.m_as('s'))} of launches against "
                        f"{fmt.duration(truth.compute_time.m_as('s'))} of work (MobileNetV2, "
                        "batch 1, H100, eager)", text=pred.feedback, key="act1.overlay")
        reflection_one(ui)
        with ui.math_peek("the share of time in dispatch", key="act1.mathpeek"):
            ui.markdown(mathpeek_share(context, model, batch))
    return pred


def split_instruments(ui, context, model, batch):
    hw = MACHINES[context]
    names = list(MODEL_NAMES)
    rows = {m: dispatch(context, m, batch, "eager") for m in names}
    over = [rows[m].overhead_time.m_as("s") * 1e6 for m in names]
    work = [rows[m].compute_time.m_as("s") * 1e6 for m in names]
    labels = [MODEL_NAMES[m].split(" (")[0] for m in names]
    figure = {"data": [
        plot.bar(labels, over, plot.COLORS["bad"], name="Dispatch: launches × cost per launch",
                 text=[fmt.duration(x * 1e-6) for x in over]),
        plot.bar(labels, work, plot.COLORS[context], name="Useful work: data + compute",
                 text=[fmt.duration(x * 1e-6) for x in work])],
        "layout": plot.layout(f"Where the time goes: batch {batch}, eager, {hw.name}",
                              height=380, barmode="group", showlegend=True,
                              legend={"orientation": "h", "y": -0.2},
                              yaxis=plot.axis("time per forward pass (µs, log scale)",
                                              log=True))}
    caption = (f"Eager execution at batch {batch} on the {hw.name}: "
               + "; ".join(f"{labels[i]} spends {fmt.duration(over[i] * 1e-6)} in dispatch "
                           f"and {fmt.duration(work[i] * 1e-6)} in useful work "
                           f"({share_text(rows[m].overhead_share)} dispatch)"
                           for i, m in enumerate(names)) + ".")
    ui.figure(figure, key="act1.split", caption=caption, table={
        "caption": f"Dispatch and useful work per forward pass, batch {batch}, {hw.name}",
        "columns": ["model", "launches", "dispatch", "useful work", "share in dispatch"],
        "rows": [[labels[i], fmt.num(kernels(m).eager_kernels), fmt.duration(over[i] * 1e-6),
                  fmt.duration(work[i] * 1e-6), share_text(rows[m].overhead_share)]
                 for i, m in enumerate(names)]})
    r = rows[model]
    cross = cases.crossover_batch(context, model)
    ui.metrics([
        Metric("Kernel launches", fmt.num(kernels(model).eager_kernels),
               note="one per operator, eager"),
        Metric("Cost per launch", fmt.duration(per_launch(context)),
               note="engine estimate (NVIDIA, CUDA Graphs, 2019)"),
        Metric("Dispatch", fmt.duration(r.overhead_time.m_as("s")), tone="danger"
               if r.overhead_share > 0.5 else None),
        Metric("Useful work", fmt.duration(r.compute_time.m_as("s")),
               note=f"data + compute, batch {batch}"),
        Metric("Share in dispatch", share_text(r.overhead_share), tone="warn",
               note=f"{MODEL_NAMES[model].split(' (')[0]} on the {hw.name}"),
        Metric("Batch where work catches up", fmt.num(cross),
               note="work per pass ≥ dispatch per pass"),
    ], key="act1.metrics")
    ui.table("Share of time in dispatch at batch 1, eager: both machines",
             ["model", "H100 SXM", "Jetson Orin NX (GPU)"],
             [[MODEL_NAMES[m].split(" (")[0]] +
              [share_text(dispatch(c, m, 1, "eager").overhead_share) for c in MACHINES]
              for m in names], key="act1.shares")


def upgrade_factor() -> float:
    """How many times faster eager MobileNetV2 runs at batch 1 on the upgrade than on the H100."""
    return latency("cloud", ACT1_MODEL, "eager") / cases.upgrade_latency(ACT1_MODEL)


def upgrade_ratios() -> tuple[float, float]:
    """The upgrade's FP16 peak and memory bandwidth, each over the H100's."""
    new, old = cases.UPGRADE, MACHINES["cloud"]
    return (new.compute.peak_flops.m_as("FLOP/s") / old.compute.peak_flops.m_as("FLOP/s"),
            new.memory.bandwidth.m_as("B/s") / old.memory.bandwidth.m_as("B/s"))


def reflection1_factors() -> dict:
    """The speed-up each option of the reflection claims (D: a slow-down)."""
    return {"A": upgrade_ratios()[1], "B": 1.0, "C": 10.0, "D": 0.8}


def reflection1_correct() -> str:
    f, claims = upgrade_factor(), reflection1_factors()
    return min(claims, key=lambda k: abs(math.log(claims[k] / f)))


def reflection_one(ui):
    new = cases.UPGRADE
    compute, bw = upgrade_ratios()
    f = upgrade_factor()
    change = (f"On the engine's numbers the request goes from "
              f"{fmt.duration(iron_law('cloud', ACT1_MODEL).total.m_as('s'))} to "
              f"{fmt.duration(iron_law('cloud', ACT1_MODEL).total.m_as('s') / f)}: "
              f"{fmt.percent(1 - 1 / f, 2)} faster.")
    ui.reflection(
        "act1.reflection",
        f"Your team is offered an {new.name}: {fmt.ratio(compute)} the H100's FP16 peak and "
        f"{fmt.ratio(bw)} its memory bandwidth, with the same cost per launch (the engine's "
        "estimate for both). What happens to this eager, batch-1 MobileNetV2 request?",
        {
            "A": (f"It runs about {fmt.ratio(bw)} faster, with the bandwidth",
                  f"{change} Only the useful work speeds up, and it was under 1% of the time; "
                  "the launches cost what they cost."),
            "B": ("It barely changes: the launches set the time",
                  f"{change} A faster GPU shrinks the data and compute terms, and they were "
                  "already tiny. To go faster, launch fewer kernels (fusion, graphs) or give "
                  "each launch more work (batching)."),
            "C": ("It runs about 10 times faster: new hardware and software together",
                  f"{change} Nothing in the upgrade removes launches; the framework still runs "
                  "one kernel per operator."),
            "D": ("It gets slower: a bigger chip takes longer to launch on",
                  f"{change} The launch cost is the host's and the driver's, the same estimate "
                  "on both GPUs; the work still gets a little faster."),
        }, correct=reflection1_correct())


def mathpeek_share(context, model, batch) -> str:
    hw = MACHINES[context]
    r = iron_law(context, model, batch, "eager")
    d = dispatch(context, model, batch, "eager")
    t = term_times(r)
    k = kernels(model).eager_kernels
    return (
        r"$$\text{share} = \frac{L}{L + D/BW + O/R}, \qquad L = k \cdot d$$" "\n\n"
        f"for {MODEL_NAMES[model].split(' (')[0]} at batch {batch}, eager, FP16, on the "
        f"{hw.name}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $k$ | kernel launches of one forward pass (one per operator) | {fmt.num(k)} |\n"
        f"| $d$ | dispatch cost of one launch (engine estimate) | "
        f"{fmt.duration(per_launch(context))} |\n"
        f"| $D$ | bytes moved: weights once, activations per input | "
        f"{fmt.si(r.data_bytes.m_as('B'), 'B')} |\n"
        f"| $BW$ | memory bandwidth | {fmt.si(hw.memory.bandwidth.m_as('B/s'), 'B/s')} |\n"
        f"| $O$ | arithmetic of the batch | {fmt.si(r.ops.m_as('FLOP'), 'FLOP')} |\n"
        f"| $R$ | peak FP16 compute | {fmt.si(hw.compute.peak_flops.m_as('FLOP/s'), 'FLOP/s')} |\n\n"
        f"$L$ = {fmt.num(k)} × {fmt.duration(per_launch(context))} = "
        f"{fmt.duration(t['overhead'])}; $D/BW$ = {fmt.duration(t['memory'])}; "
        f"$O/R$ = {fmt.duration(t['compute'])}; share = {share_text(d.overhead_share)}.\n\n"
        "$L$ does not depend on the batch, while $D$ and $O$ grow with it: batching divides "
        "the launch cost among more inputs, which is why the share falls as the batch grows "
        "and why a latency-bound service at batch 1 pays it in full.")


# ---- Act II -----------------------------------------------------------------------------
def act_two(ui, context):
    truth, n_truth, band = act2_truth()
    hw = MACHINES[context]
    with ui.section("Act II · Design challenge", "Fuse, compile, and pay it back (20-25 min)"):
        ui.stakeholder(
            "Robotics lead, a warehouse-automation company",
            f"Our picking arm closes a visual-servo loop at {fmt.num(LOOP_RATE_HZ)} Hz on the GPU "
            f"of an {MACHINES['edge'].name.replace(' (GPU only)', '')}: a camera frame every "
            f"{fmt.duration(1 / LOOP_RATE_HZ)}, and the network may use "
            f"{fmt.duration(SLA_S)} of it, one frame at a time. Our simulation team runs the "
            f"same loop on {MACHINES['cloud'].name} GPUs. The network runs eagerly in PyTorch. "
            f"Compiling it would take about {fmt.duration(COMPILE_TIME_S)} on every software "
            "update. Is that worth it?")
        ui.callout("info",
                   "The loop rate, the budget and the compile time are **illustrative** "
                   "scenario values (high-speed visual feedback loops run at hundreds of hertz; "
                   "torch.compile takes tens of seconds to minutes for a vision model). The "
                   "latencies are the engine's Iron Law with each execution's kernel count.",
                   title="Scenario")
        pred = ui.predict_choice(
            "act2.prediction",
            f"Compiling MobileNetV2 for the Orin NX takes {fmt.duration(COMPILE_TIME_S)}. "
            "Running one frame at a time, after how many frames has the time the compiled "
            "network saves repaid the compile time?",
            act2_options(truth), correct=band)

        model = ui.select("act2.model", "Model", ACT2_MODELS, default=ACT2_MODEL)
        execution = ui.select("act2.execution", "Execution", EXECUTION, default="eager")
        compile_s = ui.slider("act2.compile", "Compile time (illustrative)", 10, 600, 10,
                              int(COMPILE_TIME_S), unit="s", fmt=fmt.duration)
        t = latency(context, model, execution)
        violations = cases.sla_violations(context, model, execution)
        latency_instruments(ui, context, model, execution, compile_s, t)
        if violations:
            fused_too = bool(cases.sla_violations(context, model, "fused"))
            k = kernels(model)
            way_out = (f"Even fused, {MODEL_NAMES[model]} needs "
                       f"{fmt.duration(latency(context, model, 'fused'))} here: fusion alone "
                       "is not enough. Choose the smaller model, MobileNetV2."
                       if fused_too else
                       "Set the execution to compiled: fusing the kernels cuts the launches "
                       f"from {k.eager_kernels} to {k.fused_kernels}.")
            ui.failure(
                "Latency budget missed: the loop would run late", violations, key="act2.sla",
                text=(f"{MODEL_NAMES[model]}, {EXECUTION_SHORT[execution]}, takes "
                      f"{fmt.duration(t)} per frame on the {hw.name}; the "
                      f"{fmt.num(LOOP_RATE_HZ)} Hz loop gives it {fmt.duration(SLA_S)}. "
                      f"{fmt.duration(term_times(iron_law(context, model, 1, execution))['overhead'])} "
                      f"of that is dispatch ({launches_text(model, execution)}). " + way_out))
        fusion_instruments(ui, context, model)

        ui.reveal(pred, f"{frames_text(n_truth)} frames: {fmt.duration(COMPILE_TIME_S)} ÷ "
                        f"{fmt.duration(truth.saving_per_request.m_as('s'))} saved per frame, "
                        f"{fmt.duration(truth.break_even_time.m_as('s'))} of the loop "
                        "(MobileNetV2, Orin NX)", text=pred.feedback, key="act2.overlay")
        reflection_two(ui, truth)
        with ui.math_peek("latency, break-even and fusion with this case's numbers",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_compile(context, model, execution, compile_s))
    return pred, {"model": model, "execution": execution, "latency": t,
                  "missed": bool(violations)}


def launches_text(model, execution) -> str:
    k = cases.launches(model, execution)
    return f"{k} launches"


def latency_instruments(ui, context, model, execution, compile_s, t):
    hw = MACHINES[context]
    modes = list(EXECUTION)
    results = {m: iron_law(context, model, 1, m) for m in modes}
    times = {m: term_times(r) for m, r in results.items()}
    names = [EXECUTION_SHORT[m].capitalize() for m in modes]
    parts = [("overhead", "Dispatch", plot.COLORS["bad"]),
             ("memory", "Data D/BW", plot.COLORS[context]),
             ("compute", "Compute O/R", plot.COLORS["muted"])]
    traces = [plot.bar(names, [times[m][term] * 1e3 for m in modes], color, name=label)
              for term, label, color in parts]
    totals = [results[m].total.m_as("s") for m in modes]
    figure = {"data": traces, "layout": plot.layout(
        f"One frame of {MODEL_NAMES[model]} on the {hw.name}", height=380, barmode="stack",
        showlegend=True, legend={"orientation": "h", "y": -0.2},
        shapes=[plot.hline(SLA_S * 1e3, plot.COLORS["ink"], dash="dash")],
        annotations=[plot.note(0.98, SLA_S * 1e3, f"budget {fmt.duration(SLA_S)}",
                               xref="paper", xanchor="right", yanchor="bottom")],
        yaxis=plot.axis("time per frame (ms)"))}
    ui.figure(figure, key="act2.latency", caption=(
        f"Latency of one frame (batch 1) of {MODEL_NAMES[model]} on the {hw.name}, split into "
        "dispatch, data and compute: "
        + "; ".join(f"{EXECUTION_SHORT[m]} {fmt.duration(totals[i])} "
                    f"({cases.launches(model, m)} launches, "
                    f"{fmt.duration(times[m]['overhead'])} of dispatch)"
                    for i, m in enumerate(modes))
        + f". The dashed line is the loop's budget of {fmt.duration(SLA_S)}."),
        table={"caption": f"Latency per frame by execution, {hw.name}",
               "columns": ["execution", "launches", "dispatch", "data D/BW", "compute O/R",
                           "total"],
               "rows": [[EXECUTION_SHORT[m], fmt.num(cases.launches(model, m)),
                         fmt.duration(times[m]["overhead"]), fmt.duration(times[m]["memory"]),
                         fmt.duration(times[m]["compute"]), fmt.duration(totals[i])]
                        for i, m in enumerate(modes)]})
    be = break_even(context, model, float(compile_s), LOOP_RATE_HZ)
    ok = t <= SLA_S
    ui.metrics([
        Metric("Latency per frame", fmt.duration(t), tone="success" if ok else "danger",
               note=f"{EXECUTION_SHORT[execution]}, budget {fmt.duration(SLA_S)}"),
        Metric("Kernel launches", fmt.num(cases.launches(model, execution)),
               note=f"× {fmt.duration(per_launch(context))} each (engine estimate)"),
        Metric("Saved per frame by compiling", fmt.duration(be.saving_per_request.m_as("s")),
               note=f"{kernels(model).launches_saved} launches fewer"),
        Metric("Break-even", f"{frames_text(be.break_even_requests)} frames", tone="info",
               note=f"{fmt.duration(float(compile_s))} of compiling"),
        Metric("Time to break even", fmt.duration(be.break_even_time.m_as("s")),
               note=f"at {fmt.num(LOOP_RATE_HZ)} frames/s"),
    ], key="act2.metrics")


def fusion_instruments(ui, context, model):
    chain = ui.slider("act2.chain", "Element-wise operators in a chain (inside one layer)",
                      1, 8, 1, 3)
    hw = MACHINES[context]
    layer, nbytes = largest_tensor(model)
    r = fusion(context, model, chain)
    unfused_bytes = chain * 2 * nbytes
    ui.markdown(
        "**Inside a fused kernel.** The launch count is only half of what fusion buys. A chain "
        f"of {chain} element-wise operator{'s' if chain > 1 else ''} (say batch norm, "
        f"activation, residual add) on {MODEL_NAMES[model]}'s largest activation, the "
        f"{layer.channels} × {layer.height} × {layer.width} output of its "
        f"'{layer.name}' layer ({fmt.si(nbytes, 'B')} at FP16): unfused, every operator "
        "reads the tensor from memory and writes it back; fused, the chain reads it once and "
        "writes it once, keeping the intermediates in registers. The latencies above count "
        "only the launches fusion removes, so they understate its gain.")
    ui.table(f"A chain of {chain} element-wise operators on {fmt.si(nbytes, 'B')}, "
             f"{hw.name}",
             ["", "launches", "bytes moved", "time"],
             [["Unfused", fmt.num(chain), fmt.si(unfused_bytes, "B"),
               fmt.duration(r.unfused_time.m_as("s"))],
              ["Fused", "1", fmt.si(2 * nbytes, "B"), fmt.duration(r.fused_time.m_as("s"))],
              ["Saved", fmt.num(r.launches_saved), fmt.si(r.bytes_saved.m_as("B"), "B"),
               f"{fmt.ratio(r.speedup)} faster"]], key="act2.fusion")


REFLECTION2_JOBS = {
    "A": ("The arm's loop through one 8-hour shift", 8 * 3600 * LOOP_RATE_HZ),
    "B": ("A one-off script that tags 2,000 stored photos and exits", 2_000),
    "C": ("A 30 frames/s camera for one hour", 30 * 3600),
    "D": ("A nightly job over a million images, one at a time", 1_000_000),
}


def reflection_two(ui, truth):
    saving = truth.saving_per_request.m_as("s")
    n = truth.break_even_requests
    options, losers = {}, []
    for key, (label, frames) in REFLECTION2_JOBS.items():
        saved = frames * saving
        pays = frames >= n
        if not pays:
            losers.append(key)
        verdict = ("repays it" if pays else "never repays it")
        options[key] = (label, f"{frames_text(frames)} frames × "
                               f"{fmt.duration(saving)} = {fmt.duration(saved)} saved against "
                               f"{fmt.duration(COMPILE_TIME_S)} of compiling: it {verdict}"
                               + (f" (past the {frames_text(n)}-frame break-even)." if pays else
                                  f" (the break-even is {frames_text(n)} frames). Run it eagerly."))
    ui.reflection(
        "act2.reflection",
        f"Which of these jobs, each running MobileNetV2 on the Orin NX one input at a time, "
        f"would not repay a {fmt.duration(COMPILE_TIME_S)} compile?",
        options, correct=losers[0])


def mathpeek_compile(context, model, execution, compile_s) -> str:
    hw = MACHINES[context]
    k = kernels(model)
    d = per_launch(context)
    r_e, r_f = iron_law(context, model, 1, "eager"), iron_law(context, model, 1, "fused")
    be = break_even(context, model, float(compile_s), LOOP_RATE_HZ)
    layer, nbytes = largest_tensor(model)
    bw = hw.memory.bandwidth.m_as("B/s")
    return (
        r"$$T_{\text{exec}} = k_{\text{exec}}\,d + \frac{D}{BW} + \frac{O}{R}, \qquad "
        r"N^{*} = \left\lceil \frac{C}{T_{\text{eager}} - T_{\text{fused}}} \right\rceil$$"
        "\n\n"
        f"for {MODEL_NAMES[model]} at batch 1 on the {hw.name}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $k_{{\\text{{eager}}}}$, $k_{{\\text{{fused}}}}$ | launches, eager and compiled | "
        f"{k.eager_kernels}, {k.fused_kernels} |\n"
        f"| $d$ | dispatch cost per launch (engine estimate) | {fmt.duration(d)} |\n"
        f"| $D/BW + O/R$ | useful work, the same in both | "
        f"{fmt.duration(cases.work_time(context, model))} |\n"
        f"| $C$ | compile time (illustrative) | {fmt.duration(float(compile_s))} |\n\n"
        f"$T_{{\\text{{eager}}}}$ = {fmt.duration(r_e.total.m_as('s'))}, "
        f"$T_{{\\text{{fused}}}}$ = {fmt.duration(r_f.total.m_as('s'))}; the saving is "
        f"$(k_{{\\text{{eager}}}} - k_{{\\text{{fused}}}})\\,d$ = {k.launches_saved} × "
        f"{fmt.duration(d)} = {fmt.duration(be.saving_per_request.m_as('s'))} per frame, so "
        f"$N^{{*}}$ = {frames_text(be.break_even_requests)} frames, or "
        f"{fmt.duration(be.break_even_time.m_as('s'))} at {fmt.num(LOOP_RATE_HZ)} frames/s. "
        f"You chose {EXECUTION_SHORT[execution]}: {fmt.duration(latency(context, model, execution))} "
        f"against a budget of {fmt.duration(SLA_S)}.\n\n"
        "Fusing a chain of $n$ element-wise operators on a tensor of $S$ bytes:\n\n"
        r"$$T_{\text{unfused}} = n\left(d + \frac{2S}{BW}\right), \qquad "
        r"T_{\text{fused}} = d + \frac{2S}{BW}$$" "\n\n"
        f"with $S$ = {fmt.si(nbytes, 'B')} and $2S/BW$ = {fmt.duration(2 * nbytes / bw)} here: "
        "each operator read and wrote the tensor once, and fusion keeps one read and one "
        "write for the whole chain. This saving is not in $N^{*}$ above, so the real "
        "break-even comes sooner.")


def closing(ui):
    _, share, _ = act1_truth()
    truth, n, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-frameworks-dispatch works the share of time in dispatch on another model "
            "and machine; @sec-frameworks-fusion explains the memory traffic a fused chain "
            "saves; @sec-frameworks-compilation derives the break-even you used.\n"
            "- The overhead term is the $L$ of the Iron Law from @sec-introduction-iron-law; "
            "Lab 11 (@sec-hw-acceleration) puts the other two terms on the roofline.\n"
            "- Next, Lab 08 (@sec-training) turns from time to memory: what training must keep "
            "resident besides the weights.\n"
            "- TinyTorch, Module 18 (Acceleration): you fuse an activation's element-wise "
            "steps into one pass and measure the memory traffic it saves.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. At batch 1, eager MobileNetV2 on the H100 spends {share_text(share)} of each "
            "request dispatching kernels. A faster GPU does not help; fewer launches, or more "
            "work per launch (a larger batch), do.\n"
            "2. Fusion removes launches and the memory round trips of intermediate tensors: a "
            "fused chain reads its input once and writes its output once.\n"
            f"3. Compiling costs time once and saves time per request: "
            f"{fmt.duration(COMPILE_TIME_S)} of compiling MobileNetV2 on the Orin NX is repaid "
            f"after {frames_text(n)} frames ({fmt.duration(truth.break_even_time.m_as('s'))} of a "
            f"{fmt.num(LOOP_RATE_HZ)} Hz loop), and never by a short one-off job.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    _, share, _ = act1_truth()
    t = design["latency"]
    hit = design["missed"]
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (band_middle(pred1.value), share), pred2,
        decision=(f"{MODEL_NAMES[design['model']]}, {EXECUTION_SHORT[design['execution']]} "
                  f"execution, on {contexts.name(context)}"),
        result=round(t * 1e3, 4), unit="ms", constraint_hit=hit)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{MODEL_NAMES[design['model']]}, {EXECUTION_SHORT[design['execution']]}"),
        ("Latency per frame", f"{fmt.duration(t)} ({'misses' if hit else 'meets'} the "
                              f"{fmt.duration(SLA_S)} budget)")))

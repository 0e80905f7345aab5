"""Vol I · Lab 11 · The roofline (chapter: hw_acceleration).

Act I calibrates the roofline on one kernel: a language model's MLP multiply with 96 rows in
flight looks like a big batch, yet it sits left of the H100's ridge point and can reach only a
fraction of the peak. Act II draws the roofline for a whole transformer step, every matrix
multiply and both attention products as points, and lets the student move the model, the
phase (prefill or decode), the batch and the context: prefill's multiplies climb to the flat
roof, decode's attention stays pinned near g FLOP/B at any batch, so a utilisation target
that prefill meets is above the roofline in decode; on the Orin NX the KV cache and
activations run out of memory first. Every number comes from the engine (RooflineModel,
GemmModel, KVCacheModel, MemoryFootprintModel) through hw_acceleration_cases.py, which
Chapter 11 shares.
"""
from __future__ import annotations

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import hw_acceleration_cases as cases
from labs.vol1.hw_acceleration_cases import (ACT1_ROWS, ACT2_CASE, MACHINES, MFU_TARGET,
                                             MODELS)

LAB = Lab(
    id="vol1/11", chapter="hw_acceleration", title="The roofline",
    hook="A GPU's datasheet promises a peak rate of arithmetic. Which of your kernels can "
         "reach it, and what does a whole transformer step reach?",
    invariants=["Roofline: attainable = min(peak, I·BW)", "Ridge point",
                "Model FLOPs utilisation (MFU)"],
    minutes=40, contexts=("cloud", "edge"),
    reading=[
        ("@sec-hw-acceleration-why", "why accelerators: parallel multiply-accumulates"),
        ("@sec-hw-acceleration-roofline", "the roofline and its ridge point"),
        ("@sec-hw-acceleration-gemm", "a matrix multiply's intensity by shape and batch"),
        ("@sec-hw-acceleration-transformer", "a transformer step as kernels: prefill and decode"),
        ("@sec-hw-acceleration-mfu", "model FLOPs utilisation and its ceiling"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM (80 GB)",
                                  "edge": "Jetson Orin NX 16GB (GPU)"})
DEVICE = {"cloud": "H100", "edge": "Orin NX"}   # short names for prose
MODEL_LABELS = {"gpt2": "GPT-2 (124 million parameters)",
                "gpt2_xl": "GPT-2 XL (1.56 billion parameters)",
                "llama3_8b": "Llama 3 8B (8 billion parameters, grouped-query attention)"}
PHASE_LABELS = {"prefill": "Prefill: read each whole prompt at once",
                "decode": "Decode: one new token per conversation"}
GEMM_KEYS = ("qkv", "out", "up", "down", "head")
X_RANGE = (0.3, 1e4)   # FLOP/B shown on the roofline


def short(model_key: str) -> str:
    return MODELS[model_key].name.split(" (")[0]


def whole(n: int) -> str:
    """A count in full, with separators: 1,024 (not rounded to three figures)."""
    return f"{int(n):,}"


def flops(x: float) -> str:
    return fmt.si(x, "FLOP/s")


def intensity(x: float) -> str:
    return f"{fmt.num(x)} FLOP/B"


# ---- Act I: one multiply against the H100's roof -----------------------------------------
#: The options partition the fraction of peak: (low, high) bounds, high exclusive.
ACT1_BANDS = {"A": (0.60, 1.01), "B": (0.20, 0.60), "C": (0.05, 0.20), "D": (0.0, 0.05)}


def act1_truth():
    g = cases.act1_kernel()
    return g, bands.band_of(g.mfu_ceiling, ACT1_BANDS)


def act1_sentence(g) -> str:
    m, n, k = cases.mlp_up_shape(cases.ACT1_MODEL, ACT1_ROWS)
    return (f"{whole(m)} rows times a {whole(k)} × {whole(n)} weight matrix "
            f"costs {fmt.si(g.ops.m_as('FLOP'), 'FLOP')} and moves "
            f"{fmt.si(g.data_bytes.m_as('B'), 'B')}: **{intensity(g.arithmetic_intensity.m_as('FLOP/B'))}**, left of the H100's "
            f"ridge at {intensity(cases.ridge('cloud'))}. The roof there is "
            f"{flops(g.attainable_flops.m_as('FLOP/s'))}, **{fmt.percent(g.mfu_ceiling)}** of "
            "the peak")


def rows_for(fraction: float) -> int:
    """The fewest rows at which Act I's multiply can reach ``fraction`` of the H100's peak."""
    ceiling = lambda m: cases.gemm("cloud", cases.mlp_up_shape(cases.ACT1_MODEL, m)).mfu_ceiling  # noqa: E731
    lo, hi = 0, 1
    while ceiling(hi) < fraction:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ceiling(mid) >= fraction else (mid, hi)
    return hi


def act1_options(g) -> dict:
    s = act1_sentence(g)
    reuse = cases.ridge("cloud") / g.arithmetic_intensity.m_as("FLOP/B")
    low = ACT1_BANDS["B"][0]
    return {
        "A": ("60% to 100%: close to the peak",
              f"{s}. {whole(ACT1_ROWS)} rows sounds like a big batch, but each weight fetched "
              f"from memory is used only {whole(ACT1_ROWS)} times, and the H100 needs "
              f"{fmt.ratio(reuse)} more reuse before its arithmetic, not its memory, sets the "
              "pace."),
        "B": ("20% to 60%: a good part of the peak",
              f"Right. {s}: bandwidth, not the tensor cores, sets the speed, and no kernel "
              "tuning moves the roof."),
        "C": ("5% to 20%: a small part of the peak",
              f"Too pessimistic. {s}. Below {whole(rows_for(low))} rows the multiply would "
              f"sit under {fmt.percent(low, 0)}; {whole(ACT1_ROWS)} rows of reuse lift it "
              "higher."),
        "D": ("Under 5%: almost none of the peak",
              f"Far too pessimistic. {s}. Under 5% is where a single conversation's multiply "
              f"sits: at one row it reaches "
              f"{fmt.percent(cases.gemm('cloud', cases.mlp_up_shape(cases.ACT1_MODEL, 1)).mfu_ceiling)}."),
    }


# ---- Act II: the decode step's MFU ceiling --------------------------------------------------
ACT2_BANDS = {"A": (0.40, 1.01), "B": (0.15, 0.40), "C": (0.05, 0.15), "D": (0.0, 0.05)}


def act2_truth():
    s = cases.act2_truth()
    return s, bands.band_of(s.mfu_ceiling, ACT2_BANDS)


def gemm_range(s) -> tuple[float, float]:
    xs = [k.intensity for k in s.kernels if k.key in GEMM_KEYS]
    return min(xs), max(xs)


def attention_intensity(s) -> float:
    return next(k.intensity for k in s.kernels if k.key == "scores")


def act2_sentence(s) -> str:
    lo, hi = gemm_range(s)
    return (f"The weight multiplies sit at {fmt.num(lo)} to {intensity(hi)}, the attention "
            f"products at {intensity(attention_intensity(s))}, and attention takes "
            f"{fmt.percent(s.attention_share())} of the step's time. The step's ceiling is "
            f"**{fmt.percent(s.mfu_ceiling)}** of the H100's peak")


def act2_options(s) -> dict:
    t = act2_sentence(s)
    return {
        "A": (f"{fmt.percent(MFU_TARGET, 0)} or more: the target is met",
              f"{t}. {whole(ACT2_CASE[3])} rows lift the weight multiplies, but they stay left "
              "of the ridge, and attention does not move at all."),
        "B": ("15% to 40%: short of the target, not far",
              f"{t}. The weight multiplies alone would do better; attention's time, spent "
              "reading each conversation's cache, drags the whole step down."),
        "C": ("5% to 15%: well short of the target",
              f"{t}. Even this range is too generous: attention over a full context is the "
              "bulk of the step."),
        "D": ("Under 5%: nowhere near the target",
              f"Right. {t}: each conversation's attention reads its own cache, so batching "
              "does not raise attention's intensity."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui):
    g, correct = act1_truth()
    hw = MACHINES["cloud"]
    with ui.section("Act I · Calibration", "How much of the peak can one multiply reach? "
                    "(12-15 min)"):
        ui.stakeholder(
            "Inference lead, a chat service",
            f"We decode Llama 3 8B for {whole(ACT1_ROWS)} conversations at once on an H100. "
            "The profiler says the MLP's up-projection is our biggest kernel: "
            f"{whole(ACT1_ROWS)} token rows times a "
            f"{whole(MODELS['llama3_8b'].hidden_size)} × "
            f"{whole(MODELS['llama3_8b'].ffn_hidden)} weight matrix, in FP16. The datasheet "
            f"says {flops(cases.peak('cloud'))}. How close to that can this kernel get?")
        ui.markdown(
            "The roofline answers without running anything: a kernel that performs $O$ "
            "operations while moving $D$ bytes has arithmetic intensity $I = O/D$, and it "
            "can go no faster than $\\min(R,\\; I \\cdot BW)$. Commit to an estimate first.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"At most what fraction of the H100's peak FP16 rate can this multiply "
            f"({whole(ACT1_ROWS)} rows) reach?",
            act1_options(g), correct=correct)

        act1_chart(ui, g)
        ui.metrics([
            Metric("Arithmetic intensity", intensity(g.arithmetic_intensity.m_as("FLOP/B")),
                   note="FLOP per byte moved"),
            Metric("Ridge point", intensity(cases.ridge("cloud")),
                   note=f"{flops(cases.peak('cloud'))} ÷ {fmt.si(cases.bandwidth('cloud'), 'B/s')}"),
            Metric("Attainable rate", flops(g.attainable_flops.m_as("FLOP/s")), tone="warn",
                   note=f"{g.bound}-bound"),
            Metric("Ceiling on MFU", fmt.percent(g.mfu_ceiling), tone="info",
                   note="attainable ÷ peak"),
            Metric("Time bound", fmt.duration(g.total.m_as("s")),
                   note="bytes ÷ bandwidth"),
        ], key="act1.metrics")
        ui.reveal(pred, f"at most {fmt.percent(g.mfu_ceiling)} of the peak "
                        f"({intensity(g.arithmetic_intensity.m_as('FLOP/B'))} against a ridge "
                        f"of {intensity(cases.ridge('cloud'))})",
                  text=pred.feedback, key="act1.overlay")
        act1_reflection(ui, g)
        with ui.math_peek("the roofline for one multiply", key="act1.mathpeek"):
            ui.markdown(act1_mathpeek(g, hw))
    return pred


def act1_reflection(ui, g):
    need = cases.rows_to_ridge("cloud", cases.ACT1_MODEL)
    shape = cases.mlp_up_shape(cases.ACT1_MODEL, ACT1_ROWS)
    fp32 = cases.gemm_at("cloud", shape, "fp32")
    half = cases.gemm("cloud", (ACT1_ROWS, shape[1] // 2, shape[2]))
    ui.reflection(
        "act1.reflection",
        "Which change would let this multiply run at the H100's peak?",
        {
            "A": ("A GPU with twice the tensor-core FLOP/s and the same memory",
                  "The roof this kernel is under is the slanted one, $I \\cdot BW$: doubling "
                  f"the peak leaves it at {flops(g.attainable_flops.m_as('FLOP/s'))}. Only "
                  "kernels right of the ridge gain from more arithmetic."),
            "B": (f"About {whole(need)} rows in flight instead of {whole(ACT1_ROWS)}",
                  f"Yes. The intensity grows with the rows (each weight is reused once per "
                  f"row); at {whole(need)} rows it reaches the ridge of "
                  f"{intensity(cases.ridge('cloud'))} and the flat roof, the peak, takes over."),
            "C": ("Splitting the weight matrix into two half-width multiplies",
                  "Each half still reads its weights once for the same rows: the intensity "
                  f"stays at {intensity(half.arithmetic_intensity.m_as('FLOP/B'))} and the "
                  "kernel count doubles. Splitting changes neither coordinate of the point."),
            "D": ("Storing the weights in FP32 to keep the tensor cores fed",
                  "FP32 doubles the bytes, halving the intensity to "
                  f"{intensity(fp32.arithmetic_intensity.m_as('FLOP/B'))}, and the H100's FP32 "
                  f"peak is only {flops(cases.machine('cloud').compute.peak('fp32').m_as('FLOP/s'))}: "
                  f"the multiply's roof falls to {flops(fp32.attainable_flops.m_as('FLOP/s'))}."),
        }, correct="B")


def act1_chart(ui, g):
    x = g.arithmetic_intensity.m_as("FLOP/B")
    y = g.attainable_flops.m_as("FLOP/s")
    traces = roof_traces("cloud", emphasis=True)
    traces.append(plot.points([x], [y / 1e12], f"MLP up-projection, {whole(ACT1_ROWS)} rows",
                              plot.COLORS["bad"], symbol="star", size=16,
                              hovertext=[f"{intensity(x)}, {flops(y)}"], hoverinfo="text"))
    ui.figure({"data": traces, "layout": roof_layout(
        "Roofline of the H100 (FP16): attainable rate against arithmetic intensity")},
        key="act1.roofline", caption=(
            f"Roofline of the H100 at FP16, both axes logarithmic: the slanted roof is "
            f"intensity × {fmt.si(cases.bandwidth('cloud'), 'B/s')}, the flat roof the peak "
            f"{flops(cases.peak('cloud'))}; they meet at the ridge point, "
            f"{intensity(cases.ridge('cloud'))}. The Llama 3 8B MLP up-projection with "
            f"{whole(ACT1_ROWS)} rows sits at {intensity(x)}, under the slanted roof, at "
            f"{flops(y)}: {fmt.percent(g.mfu_ceiling)} of the peak."),
        table={"caption": "The kernel on the H100's roofline (engine, FP16)",
               "columns": ["quantity", "value"],
               "rows": [["floating-point operations", fmt.si(g.ops.m_as("FLOP"), "FLOP")],
                        ["bytes moved", fmt.si(g.data_bytes.m_as("B"), "B")],
                        ["arithmetic intensity", intensity(x)],
                        ["ridge point", intensity(cases.ridge("cloud"))],
                        ["attainable rate", flops(y)],
                        ["fraction of peak", fmt.percent(g.mfu_ceiling)]]})


def act1_mathpeek(g, hw) -> str:
    m, n, k = cases.mlp_up_shape(cases.ACT1_MODEL, ACT1_ROWS)
    x = g.arithmetic_intensity.m_as("FLOP/B")
    return (
        r"$$I = \frac{O}{D} = \frac{2MNK}{b\,(MK + KN + MN)}, \qquad "
        r"P = \min(R,\; I \cdot BW), \qquad I^{*} = \frac{R}{BW}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $M$ | rows: tokens in flight | {whole(m)} |\n"
        f"| $N$ | outputs: the MLP's inner width | {whole(n)} |\n"
        f"| $K$ | inputs: the model width | {whole(k)} |\n"
        "| $b$ | bytes per element (FP16) | 2 |\n"
        f"| $O$ | operations, $2MNK$ | {fmt.si(g.ops.m_as('FLOP'), 'FLOP')} |\n"
        f"| $D$ | bytes: read $A$ and $B$ once, write $C$ once | "
        f"{fmt.si(g.data_bytes.m_as('B'), 'B')} |\n"
        f"| $R$ | peak FP16 rate (dense) | {flops(cases.peak('cloud'))} |\n"
        f"| $BW$ | memory bandwidth | {fmt.si(cases.bandwidth('cloud'), 'B/s')} |\n"
        f"| $I^{{*}}$ | ridge point | {intensity(cases.ridge('cloud'))} |\n\n"
        f"$I$ = {intensity(x)} is below $I^{{*}}$, so $P = I \\cdot BW$ = {fmt.num(x)} × "
        f"{fmt.si(cases.bandwidth('cloud'), 'B/s')} = "
        f"{flops(g.attainable_flops.m_as('FLOP/s'))}, and $P/R$ = "
        f"{fmt.percent(g.mfu_ceiling)}. The weights, {fmt.si(2 * n * k, 'B')}, are "
        f"{fmt.percent(2 * n * k / g.data_bytes.m_as('B'))} of the bytes: with $M \\ll N, K$, "
        f"$I \\approx M$ at FP16.")


# ---- the roofline instrument ------------------------------------------------------------
def roof_traces(context: str, emphasis: bool, name: str | None = None) -> list:
    lo, hi = X_RANGE
    r, bw = cases.peak(context), cases.bandwidth(context)
    ridge = cases.ridge(context)
    xs = [lo, ridge, hi]
    ys = [min(r, x * bw) / 1e12 for x in xs]
    label = name or f"{DEVICE[context]} roofline"
    color = plot.COLORS[context] if emphasis else plot.COLORS["muted"]
    traces = [plot.line(xs, ys, label, color, dash="solid" if emphasis else "dash",
                        width=3 if emphasis else 1.5,
                        hovertext=[f"{intensity(x)}: {flops(min(r, x * bw))}" for x in xs],
                        hoverinfo="text")]
    if emphasis:
        traces.append(plot.points([ridge], [r / 1e12], f"{DEVICE[context]} ridge point",
                                  color, symbol="diamond", size=11,
                                  text=[f"ridge {fmt.num(ridge)} FLOP/B"],
                                  textposition="top left",
                                  hovertext=[f"ridge point {intensity(ridge)}"],
                                  hoverinfo="text"))
    return traces


def roof_layout(title: str, height: int = 420) -> dict:
    lo, hi = X_RANGE
    return plot.layout(
        title, height=height, showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("arithmetic intensity (FLOP per byte, log scale)", log=True),
        yaxis=plot.axis("attainable rate (TFLOP/s, log scale)", log=True))


def step_chart(ui, context, s, target):
    other = "edge" if context == "cloud" else "cloud"
    traces = roof_traces(context, emphasis=True) + roof_traces(other, emphasis=False)
    lo, hi = X_RANGE
    goal = target * cases.peak(context)
    traces.append(plot.line([lo, hi], [goal / 1e12] * 2, f"MFU target "
                            f"({fmt.percent(target, 0)} of the {DEVICE[context]} peak)",
                            plot.COLORS["bad"], dash="dot", width=1.5))
    for keys, label, color, symbol in ((GEMM_KEYS, "weight multiplies", plot.COLORS["ink"],
                                        "circle"),
                                       (cases.ATTENTION_KERNELS, "attention products",
                                        plot.COLORS["accent"], "square")):
        ks = [k for k in s.kernels if k.key in keys]
        traces.append(plot.points(
            [k.intensity for k in ks], [k.attainable / 1e12 for k in ks], label, color,
            symbol=symbol, size=12,
            hovertext=[f"{k.name}: {intensity(k.intensity)}, {flops(k.attainable)}" for k in ks],
            hoverinfo="text"))
    lo_g, hi_g = gemm_range(s)
    ui.figure({"data": traces, "layout": roof_layout(
        f"{short(s.model_key)}, {s.phase}: every kernel of one step on the "
        f"{DEVICE[context]}'s roofline")}, key="act2.roofline", caption=(
            f"Roofline of the {DEVICE[context]} (FP16; ridge {intensity(cases.ridge(context))}), "
            f"with the {DEVICE[other]}'s dashed for comparison. One {s.phase} step of "
            f"{short(s.model_key)} for {whole(s.batch)} conversations at "
            f"{whole(s.seq_len)} tokens: the weight multiplies sit at {fmt.num(lo_g)} to "
            f"{intensity(hi_g)}, the attention products at "
            f"{intensity(attention_intensity(s))}. The dotted line is the MFU target, "
            f"{flops(goal)}; the step as a whole reaches at most {flops(s.achieved)} "
            f"({fmt.percent(s.mfu_ceiling)} of the peak)."),
        table={"caption": "Kernels of the step on the roofline (engine, FP16)",
               "columns": ["kernel", "FLOP per byte", "attainable rate", "bound"],
               "rows": [[k.name, fmt.num(k.intensity), flops(k.attainable),
                         f"{k.result.bound}-bound"] for k in s.kernels]})


def kernel_table(ui, s):
    rows = []
    for k in s.kernels:
        m, n, kk = k.shape
        rows.append([k.name, f"{whole(m)} × {whole(n)} × {whole(kk)}",
                     whole(k.launches), fmt.num(k.intensity), flops(k.attainable),
                     f"{k.result.bound}-bound", fmt.percent(k.time / s.time)])
    ui.table(f"One {s.phase} step of {short(s.model_key)} on the {DEVICE[s.context]}, kernel "
             "by kernel (M × N × K; multiplies per step over all layers, sequences and heads)",
             ["kernel", "M × N × K", "multiplies per step", "FLOP per byte", "attainable rate",
              "bound", "share of step time"], rows, key="act2.kernels")


# ---- Act II ------------------------------------------------------------------------------
def act_two(ui, context):
    truth, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Where does a transformer step sit on the "
                    "roofline? (20-25 min)"):
        ui.stakeholder(
            "Head of the GPU platform team",
            "We bill every product for its GPU time, and a GPU under "
            f"{fmt.percent(MFU_TARGET, 0)} model FLOPs utilisation counts as wasted (our "
            "target is an illustrative round figure below the "
            f"{fmt.percent(cases.PALM_MFU)} PaLM reported in training). Your service puts {short(ACT2_CASE[1])} on H100s: "
            f"{whole(ACT2_CASE[3])} conversations at a time, each with its full "
            f"{whole(ACT2_CASE[4])}-token context. Show me it meets the target.")
        ui.markdown(
            "A step of a transformer is a sequence of kernels: per layer, the QKV projection, "
            "the attention scores $QK^\\top$ and weighted values $PV$, the output projection, "
            "the MLP's two multiplies; then the vocabulary head. **Prefill** reads each whole "
            "prompt at once; **decode** adds one token to every conversation per step. Each "
            "kernel is a point on the roofline; the step's MFU ceiling is its FLOP over the "
            "time of all its kernels at their roofs, divided by the peak.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{short(ACT2_CASE[1])} on the H100, decode, {whole(ACT2_CASE[3])} conversations "
            f"at {whole(ACT2_CASE[4])} tokens each: what is the highest MFU the roofline "
            "allows one step?",
            act2_options(truth), correct=correct)

        ui.markdown("Start with the prompts (prefill), then switch the phase to decode; move "
                    "the batch and the context, and switch the deployment context at the top.")
        model = ui.select("act2.model", "Model", MODEL_LABELS, default="gpt2_xl")
        phase = ui.select("act2.phase", "Phase", PHASE_LABELS, default="prefill")
        batch = ui.slider("act2.batch", "Conversations processed together", 1, 256, 1,
                          ACT2_CASE[3], unit="conversations")
        longest = MODELS[model].context_length
        seq_len = ui.slider("act2.context", "Context per conversation", 128, longest, 128,
                            min(ACT2_CASE[4], longest), unit="tokens")
        target = ui.slider("act2.target", "MFU target", 0.01, 0.60, 0.01, MFU_TARGET,
                           unit="%", scale=100)
        s = cases.step(context, model, phase, batch, seq_len)
        broken = cases.violations(s, target)
        if broken:
            failure(ui, context, s, target, broken)
        step_chart(ui, context, s, target)
        step_metrics(ui, context, s, target)
        kernel_table(ui, s)

        ui.reveal(pred, f"at most {fmt.percent(truth.mfu_ceiling)} of the peak "
                        f"({short(ACT2_CASE[1])}, decode, {whole(ACT2_CASE[3])} "
                        f"conversations at {whole(ACT2_CASE[4])} tokens, H100)",
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui, truth)
        with ui.math_peek("the step's MFU ceiling with this case's numbers",
                          key="act2.mathpeek"):
            ui.markdown(act2_mathpeek(s))
    return pred, {"model": model, "phase": phase, "batch": batch, "seq_len": seq_len,
                  "target": target, "step": s, "violations": broken}


def failure(ui, context, s, target, broken):
    names = {v.name for v in broken}
    memory = any("capacity" in n for n in names)
    mfu = "FLOP/s at the MFU target" in names
    hw = MACHINES[context]
    ways = []
    if memory:
        ways.append(
            f"The weights ({fmt.si(s.weight_bytes, 'B')}), the KV cache "
            f"({fmt.si(s.kv_bytes, 'B')}) and one layer's activations "
            f"({fmt.si(s.activation_bytes, 'B')}) exceed the {DEVICE[context]}'s "
            f"{fmt.si(hw.memory.capacity.m_as('B'), 'B')} of {hw.memory.kind}: fewer conversations, a shorter "
            "context or a smaller model fit; or switch the context to Cloud.")
    if mfu:
        ways.append(
            f"At its roofs this step reaches {flops(s.achieved)}, "
            f"{fmt.percent(s.mfu_ceiling)} of the peak, below the "
            f"{fmt.percent(target, 0)} target. No kernel tuning raises a roof: only a "
            "workload further right does (prefill, or more rows per weight in decode), or "
            "a lower target.")
    title = ("Out of memory, and the MFU target is above the roofline" if memory and mfu else
             "Out of memory: weights, KV cache and activations do not fit" if memory else
             "The MFU target is above the roofline")
    ui.failure(title, broken, text=" ".join(ways), key="act2.failure")


def step_metrics(ui, context, s, target):
    cap = MACHINES[context].memory.capacity.m_as("B")
    rate_unit = "tokens/s" if s.phase == "decode" else "prompt tokens/s"
    ui.metrics([
        Metric("Step time (at the roofs)", fmt.duration(s.time),
               note=f"{fmt.num(s.tokens_per_second)} {rate_unit}"),
        Metric("MFU ceiling", fmt.percent(s.mfu_ceiling),
               tone="danger" if s.mfu_ceiling < target else "success",
               note=f"target {fmt.percent(target, 0)}"),
        Metric("Attention's share of the time", fmt.percent(s.attention_share()),
               note=f"at {intensity(attention_intensity(s))}"),
        Metric("Memory: weights + KV cache + activations", fmt.si(s.memory_required, "B"),
               tone="danger" if s.memory_required > cap else None,
               note=f"of {fmt.si(cap, 'B')} {MACHINES[context].memory.kind}"),
    ], key="act2.metrics")


def act2_reflection(ui, truth):
    big = cases.step("cloud", ACT2_CASE[1], "decode", 256, ACT2_CASE[4])
    one = cases.step("cloud", ACT2_CASE[1], "decode", 1, ACT2_CASE[4])
    short_ctx = cases.step("cloud", ACT2_CASE[1], "decode", ACT2_CASE[3], 128)
    head = truth.time_share("head")
    overflow = ("" if big.fit.feasible else
                f" (and its {fmt.si(big.memory_required, 'B')} no longer fit the H100's "
                f"{fmt.si(MACHINES['cloud'].memory.capacity.m_as('B'), 'B')})")
    ui.reflection(
        "act2.reflection",
        f"Why does a larger batch not lift {short(ACT2_CASE[1])}'s decode step to the target?",
        {
            "A": ("Every conversation's attention reads its own KV cache, so its bytes grow "
                  "with the batch as fast as its FLOP",
                  "Yes. The weight multiplies share one copy of the weights across the batch; "
                  "attention shares nothing. Its intensity is "
                  f"{intensity(attention_intensity(one))} at 1 conversation and "
                  f"{intensity(attention_intensity(big))} at 256, where the step's ceiling is "
                  f"still {fmt.percent(big.mfu_ceiling)}{overflow}. A shorter context shrinks attention's "
                  f"share: at 128 tokens the ceiling is {fmt.percent(short_ctx.mfu_ceiling)}."),
            "B": ("The H100 runs out of tensor cores past a few dozen conversations",
                  "Tensor cores are not allocated per conversation; a multiply with more rows "
                  "keeps them busier. The limit is bytes per FLOP, not the number of units."),
            "C": ("The weight multiplies become less intense as the batch grows",
                  "The opposite: their intensity grows with the rows, from "
                  f"{intensity(gemm_range(one)[1])} at 1 conversation to "
                  f"{intensity(gemm_range(big)[1])} at 256."),
            "D": ("The vocabulary head dominates the step",
                  f"The vocabulary head takes {fmt.percent(head)} of this step's time. The "
                  f"attention products take {fmt.percent(truth.attention_share())}."),
        }, correct="A")


def act2_mathpeek(s) -> str:
    gemms = [k for k in s.kernels if k.key in GEMM_KEYS]
    att = [k for k in s.kernels if k.key in cases.ATTENTION_KERNELS]
    g_flop, a_flop = sum(k.flops for k in gemms), sum(k.flops for k in att)
    g_time, a_time = sum(k.time for k in gemms), sum(k.time for k in att)
    m = MODELS[s.model_key]
    group = m.heads // m.kv_heads
    return (
        r"$$\text{MFU}_{\max} = \frac{\sum_k O_k}{R \cdot \sum_k \max\!\left("
        r"\frac{D_k}{BW},\, \frac{O_k}{R}\right)}, \qquad "
        r"I_{\text{attention}} \approx g = \frac{h}{h_{kv}} \text{ (decode, FP16)}$$" "\n\n"
        f"for one {s.phase} step of {short(s.model_key)}, {whole(s.batch)} conversations at "
        f"{whole(s.seq_len)} tokens, on the {DEVICE[s.context]}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $O_k$ | operations of kernel $k$, weight multiplies (sum) | "
        f"{fmt.si(g_flop, 'FLOP')} |\n"
        f"| $O_k$ | attention products (sum) | {fmt.si(a_flop, 'FLOP')} |\n"
        f"| $D_k$ | bytes kernel $k$ moves (each operand once) | "
        f"{fmt.si(sum(k.result.data_bytes.m_as('B') * k.launches for k in s.kernels), 'B')} |\n"
        f"| $R$, $BW$ | peak FP16 rate, memory bandwidth | {flops(cases.peak(s.context))}, "
        f"{fmt.si(cases.bandwidth(s.context), 'B/s')} |\n"
        f"| $h$, $h_{{kv}}$ | query heads, key/value heads | {m.heads}, {m.kv_heads} "
        f"($g$ = {group}) |\n\n"
        f"Time at the roofs: weight multiplies {fmt.duration(g_time)}, attention "
        f"{fmt.duration(a_time)}, vocabulary head included in the first. MFU ceiling = "
        f"{fmt.si(s.flops, 'FLOP')} ÷ ({flops(cases.peak(s.context))} × "
        f"{fmt.duration(s.time)}) = **{fmt.percent(s.mfu_ceiling)}**. The ceiling is a bound: "
        "a measured MFU divides the FLOP the model needs by the time the step really took.")


# ---- closing -----------------------------------------------------------------------------
def closing(ui):
    g, _ = act1_truth()
    truth, _ = act2_truth()
    prefill = cases.step(*ACT2_CASE[:1], ACT2_CASE[1], "prefill", *ACT2_CASE[3:])
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-hw-acceleration-roofline draws the roofline and its ridge point; "
            "@sec-hw-acceleration-transformer works a transformer step kernel by kernel on "
            "another model and machine; @sec-ml-systems-memory-wall used the same bound to "
            "price an upgrade.\n"
            "- Next, Lab 12 (@sec-benchmarking) asks how to measure what this lab bounds: "
            "benchmarks that are valid, and Amdahl's law for the parts you speed up.\n"
            "- TinyTorch, Module 18 (Acceleration): the matrix multiply you speed up there is "
            "the kernel this lab places on the roofline.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. A kernel's place on the roofline is its intensity: Llama 3 8B's MLP multiply "
            f"with {whole(ACT1_ROWS)} rows sits at "
            f"{intensity(g.arithmetic_intensity.m_as('FLOP/B'))}, left of the H100's ridge, "
            f"and can reach {fmt.percent(g.mfu_ceiling)} of the peak at best.\n"
            "2. Batching moves a weight multiply right (each weight is reused once per row); "
            "it does not move decode attention, which reads every conversation's own cache.\n"
            f"3. The same {short(ACT2_CASE[1])} service has an MFU ceiling of "
            f"{fmt.percent(prefill.mfu_ceiling)} in prefill and "
            f"{fmt.percent(truth.mfu_ceiling)} in decode on the H100: a utilisation target "
            "is a statement about the workload's intensity before it is one about the code.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    g, _ = act1_truth()
    lo, hi = ACT1_BANDS[pred1.value]
    s = design["step"]
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (min((lo + hi) / 2, 1.0), g.mfu_ceiling), pred2,
        decision=(f"{short(design['model'])}, {design['phase']}, {whole(design['batch'])} "
                  f"conversations at {whole(design['seq_len'])} tokens, MFU target "
                  f"{fmt.percent(design['target'], 0)}, on {contexts.name(context)}"),
        result=s.mfu_ceiling * 100, unit="%", constraint_hit=bool(design["violations"]))
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{short(design['model'])}, {design['phase']}, {whole(design['batch'])} × "
                   f"{whole(design['seq_len'])} tokens"),
        ("MFU ceiling", fmt.percent(s.mfu_ceiling)
         + (" (does not fit)" if not s.fit.feasible else ""))))

"""Vol I · Lab 02 · Where the time goes (chapter: ml_systems).

Act I calibrates the memory wall across a GPU upgrade: a decode-time matrix multiply of about
5 FLOP per byte moves from an A100 to an H100, and its speed-up follows the ratio of memory
bandwidths, not the far larger ratio of peak compute. Act II places an inspection model in the
Cloud or at the Edge and reads its latency waterfall (network, queueing, data movement,
compute, overhead): the speed of light in fibre sets a floor no datacenter hardware removes,
and a 10 ms control deadline is missed when the datacenter is too far away; the Edge meets it
until too many cameras queue on its smaller GPU. Every number comes from the engine through
ml_systems_cases.py, which Chapter 2 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import ml_systems_cases as cases
from labs.vol1.ml_systems_cases import (ACT1_ROWS, FACTORY_SLA, FRAMES_PER_CAMERA, GPUS,
                                        LAB_UPGRADE, MACHINES, MODELS, gemm, mlp_shape, serve,
                                        spec_ratio, speedup)

LAB = Lab(
    id="vol1/02", chapter="ml_systems", title="Where the time goes",
    hook="A faster GPU, a nearer datacenter, a smaller model: which one buys the milliseconds "
         "you need depends on where the time goes, and some of it is set by the speed of light.",
    invariants=["Iron Law across the deployment spectrum", "memory wall", "latency waterfall",
                "speed-of-light delay"],
    minutes=40, contexts=("cloud", "edge"),
    reading=[
        ("@sec-ml-systems-spectrum", "the Iron Law in each deployment context"),
        ("@sec-ml-systems-memory-wall", "what an upgrade speeds up, and what it does not"),
        ("@sec-ml-systems-waterfall", "the five segments of a request's latency"),
        ("@sec-ml-systems-speed-of-light", "light in fibre, and the last hop"),
        ("@sec-ml-systems-placement", "cloud or edge: the network against the queue"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM in a datacenter",
                                  "edge": "Jetson Orin NX beside the camera"})
OLD, NEW = LAB_UPGRADE
SLA_S = FACTORY_SLA.m_as("s")

# ---- Act I: speed-up bands of the prediction (low, high): the one place the bounds live ----
ACT1_BANDS = {"A": (0.0, 1.2), "B": (1.2, 2.0), "C": (2.0, 4.0), "D": (4.0, math.inf)}
#: Rows of the multiply the speed-up curve is drawn at (requests or tokens in the batch).
ROW_GRID = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


def gpu_name(key: str) -> str:
    return GPUS[key].name


def act1_truth() -> tuple[float, str]:
    s = speedup(OLD, NEW, mlp_shape(ACT1_ROWS))
    return s, bands.band_of(s, ACT1_BANDS)


def act1_fact() -> str:
    """What the engine says about the prediction's multiply, in words."""
    shape = mlp_shape(ACT1_ROWS)
    a, b = gemm(OLD, shape), gemm(NEW, shape)
    ratios = spec_ratio(OLD, NEW)
    s = speedup(OLD, NEW, shape)
    if a.bound == b.bound == "memory":
        why = (f"Its {fmt.num(a.arithmetic_intensity.m_as('FLOP/B'))} FLOP per byte is far "
               f"below both ridge points ({fmt.num(cases.ridge(OLD))} and "
               f"{fmt.num(cases.ridge(NEW))} FLOP/B), so on both GPUs it waits on memory and "
               f"the speed-up is the ratio of bandwidths, "
               f"{fmt.si(GPUS[NEW].memory.bandwidth.m_as('B/s'), 'B/s')} over "
               f"{fmt.si(GPUS[OLD].memory.bandwidth.m_as('B/s'), 'B/s')}, not the "
               f"{fmt.ratio(ratios['compute'])} ratio of peak compute.")
    else:
        why = (f"It is {a.bound}-bound on the {gpu_name(OLD)} and {b.bound}-bound on the "
               f"{gpu_name(NEW)}, so the speed-up lies between the bandwidth ratio "
               f"({fmt.ratio(ratios['bandwidth'])}) and the compute ratio "
               f"({fmt.ratio(ratios['compute'])}).")
    return (f"The multiply takes {fmt.duration(a.total.m_as('s'))} on the {gpu_name(OLD)} and "
            f"{fmt.duration(b.total.m_as('s'))} on the {gpu_name(NEW)}: **{fmt.ratio(s)}** "
            f"faster. {why}")


def act1_options() -> dict:
    fact = act1_fact()
    return {
        "A": ("Barely faster: under 1.2x",
              f"{fact} A kernel stuck on something neither GPU improves (launch overhead, a "
              "host round trip) would gain nothing; this one gains what the memory gives."),
        "B": ("Somewhat faster: 1.2x to 2x",
              f"{fact} That sits in your band: a memory-bound kernel improves by exactly what "
              "the memory improves."),
        "C": ("Much faster: 2x to 4x, about the peak-compute ratio",
              f"{fact} The datasheet's compute ratio is what a compute-bound kernel would "
              "get; this one cannot use the extra arithmetic."),
        "D": ("Dramatically faster: 4x or more",
              f"{fact} Even the larger of the two datasheet ratios is "
              f"{fmt.ratio(max(spec_ratio(OLD, NEW).values()))}; a gain beyond it would need a "
              "change to the work itself (a lower precision, fewer bytes)."),
    }


# ---- Act II: the farthest datacenter bands (km) and the factory's controls ------------------
ACT2_BANDS = {"A": (5000.0, math.inf), "B": (2000.0, 5000.0), "C": (500.0, 2000.0),
              "D": (0.0, 500.0)}
#: The prediction's case: the controls' defaults.
ACT2_MODEL, ACT2_EXECUTION, ACT2_CAMERAS, ACT2_DISTANCE = "resnet50", "eager", 4, 500
#: The company's cloud region in the Act II reflection. ILLUSTRATIVE scenario choice: a region
#: across the continent from the plant.
REGION_KM = 3000
EXECUTION = {"eager": "Eager: one kernel launch per layer",
             "graph": "Compiled graph: one launch for the whole network"}
SEGMENTS = {"network": "Network (fibre round trip)", "queueing": "Queueing (waiting in line)",
            "data movement": "Data movement (frame over the camera link)",
            "compute": "Compute (D/BW + O/R on the accelerator)",
            "overhead": "Overhead (kernel launches, L)"}


def model_labels() -> dict:
    return {k: f"{m.name}, {fmt.num(m.parameters / 1e6)} M parameters"
            for k, m in MODELS.items()}


def act2_truth() -> tuple[float, str]:
    d = cases.farthest_datacenter(ACT2_MODEL, ACT2_EXECUTION, ACT2_CAMERAS)
    return d, bands.band_of(d, ACT2_BANDS)


def act2_fact() -> str:
    d, _ = act2_truth()
    near = serve("cloud", ACT2_MODEL, ACT2_EXECUTION, ACT2_CAMERAS, 0.0)
    per_km = cases.fibre_round_trip_per_km()
    return (f"With the datacenter next door the frame still needs {fmt.duration(near.total)} "
            f"(camera link, queue, ResNet-50 on the H100, launches), leaving "
            f"{fmt.duration(SLA_S - near.total)} of the {fmt.duration(SLA_S)} budget for the "
            f"network. Light in fibre needs {fmt.duration(per_km)} per km for the request "
            f"and its reply, so the farthest datacenter is about **{fmt.num(d)} km** away.")


def round_trip_text(km: float) -> str:
    return fmt.duration(cases.propagation(km).round_trip.m_as("s"))


def act2_options() -> dict:
    fact = act2_fact()
    return {
        "A": ("5,000 km or more: anywhere on the continent",
              f"{fact} Fibre is fast, but not that fast: 5,000 km there and back takes "
              f"{round_trip_text(5000.0)} in flight alone."),
        "B": ("2,000 to 5,000 km: a region or two away",
              f"{fact} 2,000 km there and back already takes {round_trip_text(2000.0)} in "
              "flight, before any router adds its share."),
        "C": ("500 to 2,000 km: a neighbouring region",
              f"{fact} That sits in your band; real routes are longer than the map's line and "
              "routers add their own delay, so the practical radius is smaller."),
        "D": ("Under 500 km: the same metro area",
              f"{fact} Light covers about 200 km per millisecond in fibre, so a 10 ms budget "
              "still reaches past the metro area when little else is spent."),
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
    s, correct = act1_truth()
    shape = mlp_shape(ACT1_ROWS)
    ratios = spec_ratio(OLD, NEW)
    with ui.section("Act I · Calibration", "What does a faster GPU speed up? (12-15 min)"):
        ui.stakeholder(
            "Head of inference, a chat-assistant start-up",
            f"We serve {cases.LLM.name} on {gpu_name(OLD)} GPUs and are pricing a move to "
            f"{gpu_name(NEW)} GPUs. The datasheets give the new part "
            f"{fmt.ratio(ratios['compute'])} the dense FP16 compute. Our profiler says the "
            f"hottest kernel is the MLP's up-projection while we generate tokens for "
            f"{ACT1_ROWS} conversations at once: a "
            f"{shape[0]} × {shape[2]:,} by {shape[2]:,} × {shape[1]:,} "
            f"multiply at about {fmt.num(gemm(OLD, shape).arithmetic_intensity.m_as('FLOP/B'), 2)} "
            "FLOP per byte. How much faster does that kernel get?")
        ui.markdown(
            "Chapter 1's Iron Law says a kernel's time is set by whichever of its data term "
            "$D/BW$ and compute term $O/R$ is larger. The upgrade changes $BW$ and $R$ by "
            "different factors (the A100 here is the SXM4 80 GB part). Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"How many times faster does this {ACT1_ROWS}-row multiply run on the "
            f"{gpu_name(NEW)} than on the {gpu_name(OLD)}?",
            act1_options(), correct=correct)

        rows = int(ui.slider("act1.rows", "Requests in flight (rows of the multiply)", 1, 4096,
                             1, ACT1_ROWS, unit="rows"))
        upgrade_chart(ui, rows)
        upgrade_table(ui, rows)
        a = gemm(OLD, shape)
        b = gemm(NEW, shape)
        ui.reveal(pred, f"{fmt.ratio(s)} faster ({ACT1_ROWS} rows: {fmt.duration(a.total.m_as('s'))} "
                        f"on the {gpu_name(OLD)}, {fmt.duration(b.total.m_as('s'))} on the "
                        f"{gpu_name(NEW)})", text=pred.feedback, key="act1.overlay")
        need = first_compute_bound_rows()
        ui.reflection(
            "act1.reflection",
            "The team wants this layer to get the full compute ratio of the upgrade. What has "
            "to change about the kernel?",
            {
                "A": ("Launch it from a faster host CPU",
                      "The host decides when the kernel starts, not how fast it runs once "
                      "started; the kernel's time here is its bytes over the bandwidth."),
                "B": ("Raise its arithmetic intensity past the new GPU's ridge point, by "
                      "batching many more requests per step",
                      f"Yes. Each extra row reuses the same weights, so FLOP per byte grows "
                      f"with the batch. The {gpu_name(NEW)}'s ridge is "
                      f"{fmt.num(cases.ridge(NEW))} FLOP/B; from about {need} rows the multiply "
                      "becomes compute-bound there and the speed-up climbs to the compute "
                      "ratio. Move the slider to see it."),
                "C": ("Keep the weights in FP32 for accuracy",
                      "FP32 doubles the bytes of every weight and halves the FLOP per byte: "
                      "the kernel moves further below the ridge, and every GPU runs it slower."),
                "D": ("Split it into more, smaller kernels so more cores work at once",
                      "Splitting the work does not change how many bytes each FLOP needs, and "
                      "every extra kernel adds a launch. The bytes per FLOP are the problem."),
            }, correct="B")
        with ui.math_peek("the roofline bound and the upgrade's speed-up", key="act1.mathpeek"):
            ui.markdown(mathpeek_upgrade(rows))
    return pred


def first_compute_bound_rows() -> str:
    """The smallest row count of the grid at which the new GPU is compute-bound, in words."""
    n = next((r for r in ROW_GRID if gemm(NEW, mlp_shape(r)).bound == "compute"), None)
    return f"{n:,}" if n is not None else f"more than {ROW_GRID[-1]:,}"


def upgrade_chart(ui, rows):
    grid = sorted(set(ROW_GRID) | {rows})
    xs = [gemm(OLD, mlp_shape(r)).arithmetic_intensity.m_as("FLOP/B") for r in grid]
    ys = [speedup(OLD, NEW, mlp_shape(r)) for r in grid]
    ratios = spec_ratio(OLD, NEW)
    here_x = gemm(OLD, mlp_shape(rows)).arithmetic_intensity.m_as("FLOP/B")
    here_y = speedup(OLD, NEW, mlp_shape(rows))
    traces = [plot.line(xs, ys, "speed-up of the multiply", plot.COLORS["cloud"], width=3),
              plot.points([here_x], [here_y], f"{rows:,} rows", plot.COLORS["bad"],
                          symbol="star", size=16)]
    top = max(ratios.values()) * 1.15
    shapes = [plot.hline(ratios["bandwidth"], plot.COLORS["muted"]),
              plot.hline(ratios["compute"], plot.COLORS["muted"]),
              plot.vline(cases.ridge(OLD), plot.COLORS["edge"]),
              plot.vline(cases.ridge(NEW), plot.COLORS["accent"])]
    # annotations on a log axis take log10 positions: place them by the plot's edge instead
    notes = [plot.note(0.01, ratios["bandwidth"], "bandwidth ratio", xref="paper", yshift=10,
                       xanchor="left"),
             plot.note(0.01, ratios["compute"], "peak-compute ratio", xref="paper", yshift=10,
                       xanchor="left")]
    ui.figure({"data": traces, "layout": plot.layout(
        f"{gpu_name(NEW)} over {gpu_name(OLD)}: speed-up against arithmetic intensity",
        height=380, shapes=shapes, annotations=notes, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("arithmetic intensity (FLOP per byte, log scale)", log=True),
        yaxis=plot.axis("speed-up (times)", range=[0, top]))},
        key="act1.speedup", caption=(
            f"Speed-up of the MLP up-projection on the {gpu_name(NEW)} over the "
            f"{gpu_name(OLD)}, for batches of 1 to {ROW_GRID[-1]:,} rows. Below both "
            f"ridge points (vertical lines at {fmt.num(cases.ridge(OLD))} and "
            f"{fmt.num(cases.ridge(NEW))} FLOP/B) it equals the bandwidth ratio, "
            f"{fmt.ratio(ratios['bandwidth'])}; above both it equals the peak-compute ratio, "
            f"{fmt.ratio(ratios['compute'])}. At {rows:,} rows "
            f"({fmt.num(here_x)} FLOP/B) it is {fmt.ratio(here_y)}."),
        table={"caption": "Speed-up by batch (engine, FP16)",
               "columns": ["rows", "FLOP per byte", f"time on {gpu_name(OLD)}",
                           f"time on {gpu_name(NEW)}", "speed-up"],
               "rows": [[f"{r:,}", fmt.num(x), fmt.duration(gemm(OLD, mlp_shape(r)).total.m_as("s")),
                         fmt.duration(gemm(NEW, mlp_shape(r)).total.m_as("s")), fmt.ratio(y)]
                        for r, x, y in zip(grid, xs, ys)]})


def upgrade_table(ui, rows):
    shape = mlp_shape(rows)
    cols = []
    for key in (OLD, NEW):
        hw, g = GPUS[key], gemm(key, shape)
        cols.append([fmt.si(hw.compute.peak("fp16").m_as("FLOP/s"), "FLOP/s"),
                     fmt.si(hw.memory.bandwidth.m_as("B/s"), "B/s"),
                     f"{fmt.num(cases.ridge(key))} FLOP/B",
                     fmt.si(g.attainable_flops.m_as("FLOP/s"), "FLOP/s"),
                     fmt.duration(g.total.m_as("s")), f"{g.bound}-bound"])
    names = ["Peak FP16 compute (dense)", "Memory bandwidth", "Ridge point (peak ÷ bandwidth)",
             "This multiply's attainable rate", "This multiply's time", "Which term binds"]
    ui.table(f"The two GPUs and the {rows:,}-row multiply "
             f"({fmt.si(gemm(OLD, shape).ops.m_as('FLOP'), 'FLOP')}, "
             f"{fmt.si(gemm(OLD, shape).data_bytes.m_as('B'), 'B')} moved)",
             ["", gpu_name(OLD), gpu_name(NEW)],
             [[n, a, b] for n, a, b in zip(names, *cols)], key="act1.gpus")


def mathpeek_upgrade(rows) -> str:
    shape = mlp_shape(rows)
    a, b = gemm(OLD, shape), gemm(NEW, shape)
    m, n, k = shape
    intensity = a.arithmetic_intensity.m_as("FLOP/B")
    lines = []
    for key, g in ((OLD, a), (NEW, b)):
        hw = GPUS[key]
        lines.append(
            f"| {hw.name} | {fmt.si(hw.compute.peak('fp16').m_as('FLOP/s'), 'FLOP/s')} | "
            f"{fmt.si(hw.memory.bandwidth.m_as('B/s'), 'B/s')} | "
            f"{fmt.si(intensity * hw.memory.bandwidth.m_as('B/s'), 'FLOP/s')} | "
            f"{fmt.si(g.attainable_flops.m_as('FLOP/s'), 'FLOP/s')} |")
    return (
        "A multiply $C_{M\\times N} = A_{M\\times K} B_{K\\times N}$ does $O = 2MNK$ FLOP and, "
        "reading each operand once and writing the result once at FP16 (2 bytes), moves "
        "$D = 2(MK + KN + MN)$ bytes. Its arithmetic intensity is $I = O/D$. A GPU with peak "
        "$R$ and bandwidth $BW$ can sustain at most\n\n"
        r"$$P = \min(R,\; I \cdot BW)$$" "\n\n"
        "so the upgrade's speed-up for the same work is\n\n"
        r"$$\text{speed-up} = \frac{\min(R_{\text{new}},\; I \cdot BW_{\text{new}})}"
        r"{\min(R_{\text{old}},\; I \cdot BW_{\text{old}})}$$" "\n\n"
        f"which is $BW_{{\\text{{new}}}}/BW_{{\\text{{old}}}}$ while $I$ is below both ridge "
        f"points $R/BW$, and $R_{{\\text{{new}}}}/R_{{\\text{{old}}}}$ once it is above both.\n\n"
        f"For $M$ = {m:,} rows, $N$ = {n:,}, $K$ = {k:,}: "
        f"$O$ = {fmt.si(a.ops.m_as('FLOP'), 'FLOP')}, $D$ = {fmt.si(a.data_bytes.m_as('B'), 'B')}, "
        f"$I$ = {fmt.num(intensity)} FLOP/B.\n\n"
        "| GPU | $R$ | $BW$ | $I \\cdot BW$ | $P$ |\n| --- | --- | --- | --- | --- |\n"
        + "\n".join(lines) +
        f"\n\nSpeed-up = {fmt.si(b.attainable_flops.m_as('FLOP/s'), 'FLOP/s')} ÷ "
        f"{fmt.si(a.attainable_flops.m_as('FLOP/s'), 'FLOP/s')} = "
        f"{fmt.ratio(speedup(OLD, NEW, shape))}.")


def act_two(ui, context):
    d_max, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Cloud or edge for a 10 ms loop? (20-25 min)"):
        ui.stakeholder(
            "Controls engineer, a bottling plant",
            f"Our inspection cameras photograph every bottle; a reject gate must act on a bad "
            f"one before it leaves the station, so we have {fmt.duration(SLA_S)} from frame to "
            f"decision. Each camera sends {FRAMES_PER_CAMERA} frames a second, a "
            f"{fmt.si(cases.frame_bytes(ACT2_MODEL), 'B')} crop over its Gigabit Ethernet "
            "link. IT wants the model on an H100 in the company's datacenter; the automation "
            "team has a Jetson Orin NX on the bench. Where should it run?")
        ui.markdown(
            f"The {fmt.duration(SLA_S)} deadline is this lab's scenario choice: the kind of "
            "budget a closed control loop on a production line sets, far tighter than the "
            "0.1 s in which a person feels a reply is instant. The line runs "
            f"{ACT2_CAMERAS} cameras today.")
        ui.callout("info",
                   "New instrument: the **latency waterfall**. It stacks the five segments a "
                   "request passes through, in order: the **network** (light in fibre, there "
                   "and back), **queueing** (waiting for the accelerator), **data movement** "
                   "(the frame over its link), **compute** (the Iron Law's $D/BW + O/R$) and "
                   "**overhead** (the Iron Law's $L$, kernel launches). Their sum is what the "
                   "reject gate waits for.", title="The latency waterfall")
        pred = ui.predict_choice(
            "act2.prediction",
            f"With {ACT2_CAMERAS} cameras and ResNet-50 launched eagerly on the H100, how far "
            "from the plant (along the fibre) can the datacenter be before the mean "
            f"frame-to-decision latency exceeds {fmt.duration(SLA_S)}?",
            act2_options(), correct=correct)

        distance = ui.slider("act2.distance", "Distance from the plant to the datacenter "
                             "(fibre route)", 0, 5000, 50, ACT2_DISTANCE, unit="km")
        cameras = int(ui.slider("act2.cameras", "Cameras on the line", 1, 32, 1, ACT2_CAMERAS,
                                unit="cameras"))
        model = ui.select("act2.model", "Model", model_labels(), default=ACT2_MODEL)
        execution = ui.select("act2.execution", "Execution", EXECUTION, default=ACT2_EXECUTION)
        s = serve(context, model, execution, cameras, float(distance))
        if not s.feasible:
            failure(ui, context, s, model, execution, cameras, distance)
        if s.stable:
            waterfall_chart(ui, context, s, model, distance)
        waterfall_metrics(ui, context, s, model, execution, cameras, distance)
        both_contexts_table(ui, model, execution, cameras, distance)

        ui.reveal(pred, f"About {fmt.num(d_max)} km ({ACT2_CAMERAS} cameras, ResNet-50 eager on "
                        f"the H100, {fmt.duration(SLA_S)} budget)", text=pred.feedback,
                  key="act2.overlay")
        region = serve("cloud", ACT2_MODEL, ACT2_EXECUTION, ACT2_CAMERAS, float(REGION_KM))
        seg = {k: v.m_as("s") for k, v in region.waterfall.segments.items()}
        graph = serve("cloud", ACT2_MODEL, "graph", ACT2_CAMERAS, float(REGION_KM))
        ui.reflection(
            "act2.reflection",
            f"The company's cloud region is {fmt.num(REGION_KM)} km of fibre from the plant. "
            f"Which change lets the Cloud placement meet {fmt.duration(SLA_S)} from there?",
            {
                "A": ("A GPU twice as fast as the H100",
                      f"Compute and overhead together are "
                      f"{fmt.duration(seg['compute'] + seg['overhead'])} of the "
                      f"{fmt.duration(region.total)}; halving them leaves the "
                      f"{fmt.duration(seg['network'])} round trip in fibre untouched."),
                "B": ("Compile the model into one graph to cut the launches",
                      f"Compiling cuts the overhead from {fmt.duration(seg['overhead'])} to "
                      f"{fmt.duration(graph.waterfall.segments['overhead'].m_as('s'))}: the "
                      f"total falls to {fmt.duration(graph.total)}, still far over budget."),
                "C": ("None of these: the round trip in fibre alone is over budget, so the "
                      "model has to move closer",
                      f"Yes. {fmt.num(REGION_KM)} km there and back is "
                      f"{fmt.duration(seg['network'])} at the speed of light in glass, more "
                      f"than the whole {fmt.duration(SLA_S)}. Only a shorter path helps: the "
                      f"Edge, or a datacenter within about {fmt.num(d_max)} km."),
                "D": ("Send smaller frames",
                      f"The frame's trip over the camera link is "
                      f"{fmt.duration(seg['data movement'])}; even a free transfer leaves "
                      f"{fmt.duration(region.total - seg['data movement'])}."),
            }, correct="C")
        with ui.math_peek("the waterfall with this case's numbers", key="act2.mathpeek"):
            ui.markdown(mathpeek_waterfall(context, s, model, cameras, distance))
    return pred, {"model": model, "execution": execution, "cameras": cameras,
                  "distance": distance, "serving": s}


def quantity_text(q) -> str:
    """A banner amount: frame rates as images/s, everything else as the toolkit formats it."""
    if str(q.dimensionality) == "1 / [time]":
        return f"{fmt.num(q.m_as('1/s'))} images/s"
    return fmt.quantity(q)


def failure(ui, context, s, model, execution, cameras, distance):
    hw = MACHINES[context]
    lam = cases.arrival_rate(cameras)
    if not s.stable:
        title = "Overloaded: frames arrive faster than the accelerator finishes them"
        text = (f"{cameras} cameras send {fmt.num(lam)} frames/s; the {hw.name} finishes one "
                f"every {fmt.duration(s.service_time)}, at most "
                f"{fmt.num(1 / s.service_time)} a second. The line of waiting frames grows "
                "without bound, and no deadline can be met. ")
    else:
        seg = {k: v.m_as("s") for k, v in s.waterfall.segments.items()}
        title = f"SLA missed: the frame takes longer than {fmt.duration(SLA_S)}"
        worst = max(seg, key=seg.get)
        text = (f"The largest segment is {SEGMENTS[worst].split(' (')[0].lower()}, "
                f"{fmt.duration(seg[worst])} of {fmt.duration(s.total)}. ")
        if worst == "network":
            text += (f"That is light in fibre over {fmt.num(distance)} km and back: no GPU in "
                     "the datacenter shortens it. ")
        elif worst == "queueing":
            text += (f"The {hw.name} is busy {fmt.percent(s.queue.utilization, 0)} of the "
                     "time, so most frames arrive to find others ahead of them. ")
    if context == "cloud":
        d = cases.farthest_datacenter(model, execution, cameras)
        where = (f"bring the datacenter within {fmt.num(d)} km" if math.isfinite(d) and d > 0
                 else "use fewer cameras")
        text += f"To get out: {where}, or switch the context to the Edge."
    else:
        n = cases.most_cameras("edge", model, execution)
        ways = [f"run at most {n} cameras on this Jetson" if n else "use fewer cameras"]
        if model != "mobilenetv2":
            ways.append("choose the lighter MobileNetV2")
        if execution != "graph":
            ways.append("compile the model into one graph")
        text += (f"To get out: {', '.join(ways)}, or switch the context to the Cloud's "
                 "H100.")
    ui.failure(title, s.violations, text=text, key="act2.sla", show=quantity_text)


def waterfall_chart(ui, context, s, model, distance):
    seg = {k: v.m_as("s") * 1e3 for k, v in s.waterfall.segments.items()}
    names = [SEGMENTS[k] for k in seg] + ["End to end"]
    starts, t = [], 0.0
    for v in seg.values():
        starts.append(t)
        t += v
    widths = list(seg.values()) + [t]
    starts.append(0.0)
    over = t > SLA_S * 1e3
    colors = [plot.COLORS[context]] * len(seg) + [plot.COLORS["bad" if over else "good"]]
    sla_ms = SLA_S * 1e3
    figure = {"data": [plot.bar(widths, names, colors, orientation="h", base=starts,
                                text=[fmt.duration(w / 1e3) for w in widths])],
              "layout": plot.layout(
                  f"Latency waterfall: {contexts.name(context)}, {MODELS[model].name}",
                  height=360, margin={"t": 48, "r": 64, "b": 56, "l": 250},
                  shapes=[plot.vline(sla_ms, plot.COLORS["bad"], dash="dash")],
                  annotations=[plot.note(sla_ms, 1.02, f"{fmt.duration(SLA_S)} deadline",
                                         yref="paper", xanchor="right")],
                  xaxis=plot.axis("time from frame to decision (ms)",
                                  range=[0, max(t, sla_ms) * 1.2]),
                  yaxis=plot.axis("", autorange="reversed"))}
    where = (f"the datacenter {fmt.num(distance)} km away" if context == "cloud"
             else "the Jetson beside the camera (no long-haul network)")
    ui.figure(figure, key="act2.waterfall", caption=(
        f"Latency waterfall for one frame on {where}: "
        + "; ".join(f"{SEGMENTS[k].split(' (')[0].lower()} {fmt.duration(v / 1e3)}"
                    for k, v in seg.items())
        + f". End to end {fmt.duration(t / 1e3)}, "
        + ("over" if over else "within") + f" the {fmt.duration(SLA_S)} deadline (dashed line)."),
        table={"caption": "The waterfall's segments (engine)",
               "columns": ["segment", "starts at", "lasts"],
               "rows": [[n, fmt.duration(a / 1e3) if a else "0", fmt.duration(w / 1e3)]
                        for n, a, w in zip(names, starts, widths)]})


def waterfall_metrics(ui, context, s, model, execution, cameras, distance):
    q = s.queue
    items = [
        Metric("End to end (mean frame)", fmt.duration(s.total) if s.stable else "unbounded",
               tone="danger" if not s.feasible else "info",
               note=f"deadline {fmt.duration(SLA_S)}"),
        Metric("Accelerator load", fmt.percent(q.utilization, 0)
               + (" (overloaded)" if q.utilization >= 1 else " busy"),
               tone="danger" if q.utilization >= 1 else None,
               note=f"{fmt.num(cases.arrival_rate(cameras))} frames/s, one every "
                    f"{fmt.duration(s.service_time)} served"),
        Metric("Queueing", fmt.duration(q.mean_wait.m_as("s")) if s.stable else "unbounded",
               note="mean wait, M/D/1"),
    ]
    if context == "cloud":
        d = cases.farthest_datacenter(model, execution, cameras)
        items.append(Metric("Network round trip",
                            fmt.duration(cases.fibre_round_trip_per_km() * distance),
                            note=f"{fmt.num(distance)} km of fibre, twice"))
        items.append(Metric("Farthest datacenter within the deadline",
                            f"{fmt.num(d)} km" if math.isfinite(d) else "none",
                            note="these cameras, model and execution"))
    else:
        items.append(Metric("Network round trip", "0 s", note="the model runs beside the camera"))
    n = cases.most_cameras(context, model, execution, float(distance))
    items.append(Metric("Most cameras within the deadline", fmt.num(n) if n else "0",
                        note=f"on one {MACHINES[context].name}"))
    ui.metrics(items, key="act2.metrics")


def both_contexts_table(ui, model, execution, cameras, distance):
    rows = []
    for ctx in ("cloud", "edge"):
        s = serve(ctx, model, execution, cameras, float(distance))
        seg = [fmt.duration(v) if math.isfinite(v) else "unbounded"
               for v in s.segments.values()]
        total = fmt.duration(s.total) if s.stable else "unbounded"
        verdict = "meets it" if s.feasible else "misses it"
        rows.append([contexts.label(ctx, MACHINES[ctx].name)] + seg + [total, verdict])
    ui.table(f"The same settings in both contexts ({cameras} cameras, {MODELS[model].name}, "
             f"{execution} execution, datacenter at {fmt.num(distance)} km)",
             ["context", "network", "queueing", "data movement", "compute", "overhead",
              "end to end", f"{fmt.duration(SLA_S)} deadline"], rows, key="act2.contexts")


def mathpeek_waterfall(context, s, model, cameras, distance) -> str:
    r = s.iron
    hw = MACHINES[context]
    lam = cases.arrival_rate(cameras)
    rho = s.queue.utilization
    d = distance if context == "cloud" else 0
    per_km = cases.fibre_round_trip_per_km()
    prop = cases.propagation(1.0)
    head = (
        r"$$T = \underbrace{\frac{2\,d\,n_g}{c}}_{\text{network}} + "
        r"\underbrace{\frac{\rho}{1-\rho}\cdot\frac{1+c_v^2}{2}\,S}_{\text{queueing}} + "
        r"\underbrace{\frac{F}{B}}_{\text{data movement}} + "
        r"\underbrace{\frac{D}{BW} + \frac{O}{R}}_{\text{compute}} + "
        r"\underbrace{L}_{\text{overhead}}$$" "\n\n"
        f"for {MODELS[model].name} on the {hw.name}, {cameras} cameras"
        + (f", datacenter at {fmt.num(d)} km" if context == "cloud" else ", beside the camera")
        + ":\n\n| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $d$ | fibre route to the datacenter | {fmt.num(d)} km |\n"
        f"| $c/n_g$ | speed of light in fibre (group index $n_g$) | "
        f"{fmt.num(prop.speed.m_as('km/s'))} km/s |\n"
        f"| $S$ | service time of one frame, $D/BW + O/R + L$ | {fmt.duration(s.service_time)} |\n"
        f"| $\\lambda$ | frames arriving, {FRAMES_PER_CAMERA} per camera | {fmt.num(lam)} frames/s |\n"
        f"| $\\rho = \\lambda S$ | fraction of time the accelerator is busy | "
        f"{fmt.percent(rho, 0)} |\n"
        "| $c_v$ | spread of the service time (0: every frame takes the same time) | "
        f"{fmt.num(cases.SERVICE_CV)} |\n"
        f"| $F$ | bytes of one frame (224 × 224 × 3 at 8 bits) | "
        f"{fmt.si(cases.frame_bytes(model), 'B')} |\n"
        f"| $B$ | camera link | {fmt.si(cases.CAMERA_LINK.m_as('b/s'), 'b/s')} |\n"
        f"| $D/BW$, $O/R$ | the Iron Law's data and compute terms | "
        f"{fmt.duration(r.t_memory.m_as('s'))}, {fmt.duration(r.t_compute.m_as('s'))} |\n"
        f"| $L$ | launch overhead, {r.kernels} launch{'es' if r.kernels > 1 else ''} | "
        f"{fmt.duration(r.t_overhead.m_as('s'))} |\n\n")
    if not s.stable:
        return head + (f"Here $\\rho$ = {fmt.num(lam)} × {fmt.duration(s.service_time)} "
                       f"= {fmt.num(rho, 3)} ≥ 1: the queueing term has no finite value.")
    seg = {k: fmt.duration(v.m_as("s")) for k, v in s.waterfall.segments.items()}
    return head + (
        f"Network {seg['network']} ({fmt.duration(per_km)} per km there and back) + queueing "
        f"{seg['queueing']} + data movement {seg['data movement']} + compute {seg['compute']} "
        f"+ overhead {seg['overhead']} = **{fmt.duration(s.total)}**.")


def closing(ui):
    s1, _ = act1_truth()
    d_max, _ = act2_truth()
    ratios = spec_ratio(OLD, NEW)
    region = serve("cloud", ACT2_MODEL, ACT2_EXECUTION, ACT2_CAMERAS, float(REGION_KM))
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-ml-systems-memory-wall works an upgrade with no extra compute at all; "
            "@sec-ml-systems-speed-of-light and @sec-ml-systems-placement work a phone's "
            "photo search over 5G with the same waterfall.\n"
            "- @sec-model-serving returns to queueing with tails (P99) and batching; "
            "@sec-hw-acceleration draws the roofline this lab only computes.\n"
            "- Next, Lab 03 (@sec-ml-workflow) follows a deployed model through its life: "
            "monitoring, drift and retraining.\n"
            "- TinyTorch's profiling module: you time your own operations and count their "
            "bytes and FLOPs, which is how the compute segment of a waterfall is measured.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. A memory-bound kernel speeds up by the bandwidth ratio: "
            f"{fmt.ratio(s1)} from the {gpu_name(OLD)} to the {gpu_name(NEW)}, against "
            f"{fmt.ratio(ratios['compute'])} more peak compute. Check the arithmetic intensity "
            "against the ridge point before pricing an upgrade.\n"
            "2. A request's latency is a waterfall of network, queueing, data movement, "
            "compute and overhead; the Iron Law prices only the last two.\n"
            f"3. Light in fibre costs {fmt.duration(cases.fibre_round_trip_per_km() * 1000)} "
            f"per 1,000 km there and back: {fmt.duration(region.waterfall.segments['network'].m_as('s'))} "
            f"for {fmt.num(REGION_KM)} km, so a {fmt.duration(SLA_S)} loop cannot reach past "
            f"about {fmt.num(d_max)} km whatever the datacenter holds.\n"
            "4. The Edge removes the network but serves from a smaller machine: past a few "
            "cameras its queue, not its network, misses the deadline.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    s1, _ = act1_truth()
    s = design["serving"]
    where = (f"on the Cloud H100 {fmt.num(design['distance'])} km away" if context == "cloud"
             else "on the Edge Jetson beside the camera")
    decision = (f"{MODELS[design['model']].name}, "
                f"{'compiled graph' if design['execution'] == 'graph' else 'eager'}, "
                f"{design['cameras']} cameras, {where}")
    result = s.total * 1e3 if s.stable else None
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (bands.log_middle(ACT1_BANDS, pred1.value), s1), pred2,
        decision=decision, result=result, unit="ms", constraint_hit=not s.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", decision),
        ("Frame to decision", fmt.duration(s.total) if s.stable else "unbounded (overloaded)")))

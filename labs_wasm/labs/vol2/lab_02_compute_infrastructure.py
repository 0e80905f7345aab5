"""Vol II · Lab 02 · The bandwidth cliff (chapter: compute_infrastructure).

Act I calibrates the cliff at the edge of the NVLink domain: the same eight H100 GPUs
all-reduce Llama 3 70B's FP16 gradients through NVSwitch (NVLink 4) or through PCIe Gen5
switches, and across servers over InfiniBand NDR; a ring all-reduce moves the same bytes on
every tier, so its time follows the link's bandwidth. Act II asks where tensor parallelism
may live: its all-reduces sit on the critical path of every layer, so a tensor-parallel
group that spills over InfiniBand (or lives on PCIe) spends more time communicating than
computing, while too small a group does not fit the model in memory. Every number comes
from the engine (AllReduceModel, LinkTransferModel, DistributedModel, ParallelismModel) and
its link, node and cluster registries, through compute_infrastructure_cases.py, which
Chapter 18 shares. The communication rule (all-reduces no longer than compute) and the
cluster's size are illustrative scenario choices and are labelled so.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import compute_infrastructure_cases as cases
from labs.vol2.compute_infrastructure_cases import (CLUSTER_SERVERS, GPUS_PER_SERVER, LINKS,
                                                    MODELS, SERVERS, TP_DEGREES)

LAB = Lab(
    id="vol2/02", chapter="compute_infrastructure", title="The bandwidth cliff",
    hook="Inside a server, GPUs talk over NVLink; outside it, over PCIe and the network. "
         "How steep is the drop, and which work can survive on the far side of it?",
    invariants=["NVLink vs PCIe bandwidth cliff", "Ring all-reduce: latency plus bytes over "
                "the slowest link", "Tensor parallelism inside the NVLink domain"],
    minutes=40, contexts=("single_node", "multi_node"),
    reading=[
        ("@sec-v2-compute-infrastructure-node", "what is inside an 8-GPU server"),
        ("@sec-v2-compute-infrastructure-hierarchy", "the bandwidth hierarchy, HBM to network"),
        ("@sec-v2-compute-infrastructure-transfer", "latency and bandwidth of one transfer"),
        ("@sec-v2-compute-infrastructure-allreduce", "exchanging gradients with a ring "
                                                     "all-reduce"),
        ("@sec-v2-compute-infrastructure-tensor-parallel", "why tensor parallelism stays "
                                                           "inside the NVLink domain"),
    ],
)

CONTEXT_LABELS = contexts.labels({
    "single_node": "one 8-GPU H100 server",
    "multi_node": f"{CLUSTER_SERVERS} H100 servers on InfiniBand NDR"})
TIER_NAMES = {"nvlink": "NVLink 4 (DGX H100)", "pcie": "PCIe Gen5 (PCIe server)",
              "ib": "InfiniBand NDR (8 servers)"}
TIER_COLORS = {"nvlink": plot.COLORS["cloud"], "pcie": plot.COLORS["accent"],
               "ib": plot.COLORS["fleet"]}
SERVER_LABELS = {"nvlink": "DGX H100: NVLink 4 through NVSwitch",
                 "pcie": "H100 PCIe server: PCIe Gen5 switches only"}
SERVER_SHORT = {"nvlink": "DGX H100", "pcie": "H100 PCIe server"}
SERVER_PLURAL = {"nvlink": "DGX H100 servers", "pcie": "H100 PCIe servers"}
MODEL_LABELS = {"llama3_8b": "Llama 3 8B", "llama3_70b": "Llama 3 70B"}
TP_WORDS = {1: "1 (no tensor parallelism)", 8: "8 (one whole server)",
            16: "16 (two servers)", 32: "32 (four servers)"}


def tp_options(context: str) -> dict[str, str]:
    return {str(t): TP_WORDS.get(t, str(t)) for t in TP_DEGREES[context]}


def gb(x_bytes: float) -> str:
    return fmt.si(x_bytes, "B")


def bw(x: float) -> str:
    return fmt.si(x, "B/s")


def secs(x: float) -> str:
    return fmt.duration(x)


# ---- Act I: the same exchange on the PCIe server -----------------------------------------
ACT1_MODEL = "llama3_70b"
#: Options are bands of the PCIe server's all-reduce time, seconds (high exclusive).
ACT1_BANDS = {"A": (0.0, 1.0), "B": (1.0, 2.5), "C": (2.5, 10.0), "D": (10.0, float("inf"))}


def act1_truth():
    nv = cases.exchange(ACT1_MODEL, "nvlink")
    pc = cases.exchange(ACT1_MODEL, "pcie")
    return nv, pc, bands.band_of(pc.time.m_as("s"), ACT1_BANDS)


def act1_sentence(nv, pc) -> str:
    m = cases.gradient_bytes(ACT1_MODEL)
    return (f"Each GPU sends 2 × 7/8 of the {gb(m)}, {gb(pc.bytes_sent_per_device.m_as('B'))}, "
            f"over its own link: at {bw(LINKS['pcie'].bandwidth.m_as('B/s'))} per direction "
            f"that is **{secs(pc.time.m_as('s'))}** on the PCIe server, against "
            f"{secs(nv.time.m_as('s'))} at NVLink's {bw(LINKS['nvlink'].bandwidth.m_as('B/s'))}")


def act1_options(nv, pc) -> dict:
    s = act1_sentence(nv, pc)
    return {
        "A": ("Under 1 s: about what the DGX H100 takes",
              f"{s}. Same GPUs, same bytes, but the exchange now runs on a link with a "
              "seventh of the bandwidth; the GPUs' speed does not enter."),
        "B": ("1 to 2.5 s: two to four times longer",
              f"{s}. A factor of two to four would be the gap between PCIe generations; "
              "the gap between PCIe and NVLink is wider."),
        "C": ("2.5 to 10 s: several times longer",
              f"Right. {s}. The ring moves the same bytes on either server, so the time "
              "scales with the link's bandwidth alone."),
        "D": ("Over 10 s: more than twenty times longer",
              f"Too pessimistic. {s}. Traffic between the server's two PCIe switches does pass "
              "through the CPUs, but each GPU still has its full x16 link, and a ring needs "
              "only one link per GPU in each direction."),
    }


# ---- Act II: tensor parallel 16 across two servers ----------------------------------------
ACT2_CASE = ("multi_node", "llama3_70b", "nvlink", 16)
#: Options are bands of (tensor-parallel all-reduce time) / (compute time) per step.
ACT2_BANDS = {"A": (0.0, 0.25), "B": (0.25, 1.0), "C": (1.0, 2.0), "D": (2.0, float("inf"))}


def act2_truth():
    r = cases.step(*ACT2_CASE)
    return r, bands.band_of(cases.comm_ratio(r), ACT2_BANDS)


def act2_sentence(r) -> str:
    r8 = cases.step("multi_node", "llama3_70b", "nvlink", 8)
    return (f"At tensor parallel 16 every layer's all-reduces cross InfiniBand NDR at "
            f"{bw(LINKS['ib'].bandwidth.m_as('B/s'))}: **{secs(cases.tp_time(r))}** of "
            f"all-reduce per step against **{secs(cases.compute_time(r))}** of compute. At "
            f"tensor parallel 8, inside one server on NVLink, the same step spends "
            f"{secs(cases.tp_time(r8))} in all-reduces against {secs(cases.compute_time(r8))}"
            " of compute")


def act2_options(r) -> dict:
    s = act2_sentence(r)
    return {
        "A": ("Under a quarter of the compute time",
              f"{s}. The all-reduces are small per layer, but there are six per layer per "
              "micro-batch, and InfiniBand is a ninth of NVLink's bandwidth."),
        "B": ("A quarter of the compute time up to equal to it",
              f"{s}. Doubling the group halves each GPU's share of the arithmetic for every "
              "sequence, while the bytes it sends for that sequence stay almost the same, and "
              "they now go over a link nine times slower."),
        "C": ("Between one and two times the compute time",
              f"{s}. Close, but the slower link and the halved arithmetic compound: the step "
              "spends more than twice as long talking as computing."),
        "D": ("More than twice the compute time",
              f"Right. {s}. The group left the NVLink domain, and every layer now waits on "
              "the network."),
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
    nv, pc, correct = act1_truth()
    m = cases.gradient_bytes(ACT1_MODEL)
    with ui.section("Act I · Calibration", "How steep is the cliff at the server's edge? "
                    "(12-15 min)"):
        ui.stakeholder(
            "Infrastructure lead, a model-training lab",
            "We size servers with one test: all-reduce a buffer as large as Llama 3 70B's "
            f"FP16 gradients, {gb(m)}, across all eight GPUs, the exchange one data-parallel "
            f"step of that model needs. On our DGX H100 it takes {secs(nv.time.m_as('s'))}. "
            "Procurement found a cheaper server with the same eight H100 GPUs as PCIe cards, "
            "joined by PCIe Gen5 switches and no NVLink. How long will the same test take "
            "there?")
        ui.markdown(
            "A ring all-reduce passes each GPU's share of the buffer around a ring of the "
            "eight GPUs, twice: every GPU sends and receives almost twice the buffer, each over "
            "its own link. The GPUs' arithmetic hardly matters; the links do. Commit to an "
            "estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"The same all-reduce of {gb(m)} across the eight GPUs of the PCIe server takes "
            "about how long?", act1_options(nv, pc), correct=correct)

        cliff_chart(ui, context)
        exchange_chart(ui, nv, pc)
        ui.reveal(pred, f"{secs(pc.time.m_as('s'))} on the PCIe server "
                        f"({secs(nv.time.m_as('s'))} on the DGX H100)",
                  text=pred.feedback, key="act1.overlay")
        act1_reflection(ui, pc)
        with ui.math_peek("the ring all-reduce with this case's numbers", key="act1.mathpeek"):
            ui.markdown(act1_mathpeek(nv, pc))
    return pred


def cliff_chart(ui, context):
    traces = []
    rows = []
    for tier in ("nvlink", "pcie", "ib"):
        pts = cases.cliff(tier)
        traces.append(plot.line([n for n, _ in pts], [b / 1e9 for _, b in pts],
                                LINKS[tier].name, TIER_COLORS[tier], width=3,
                                hovertext=[f"{LINKS[tier].name}: {gb(n)} at {bw(b)}"
                                           for n, b in pts], hoverinfo="text"))
        half = cases.half_bandwidth_size(tier)
        rows.append([LINKS[tier].name, bw(LINKS[tier].bandwidth.m_as("B/s")),
                     secs(LINKS[tier].latency.m_as("s")), gb(half),
                     bw(cases.transfer(tier, 1e6).effective_bandwidth.m_as("B/s"))])
    hbm = cases.hbm_bandwidth()
    xs = [cases.SIZES[0], cases.SIZES[-1]]
    traces.append(plot.line(xs, [hbm / 1e9] * 2, "H100 HBM3 (memory, not a link)",
                            plot.COLORS["muted"], dash="dash", width=1.5))
    nv_bw = LINKS["nvlink"].bandwidth.m_as("B/s")
    pc_bw = LINKS["pcie"].bandwidth.m_as("B/s")
    ib_bw = LINKS["ib"].bandwidth.m_as("B/s")
    where = ("In the single-node context only the NVLink and PCIe lines apply: no byte "
             "leaves the server." if context == "single_node" else
             "Your context adds the bottom line: every byte that leaves a server crosses "
             "InfiniBand.")
    ui.figure({"data": traces, "layout": plot.layout(
        "The cliff: bandwidth a transfer achieves against its size", height=420,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("message size (bytes, log scale)", log=True),
        yaxis=plot.axis("achieved bandwidth (GB/s per direction, log scale)", log=True))},
        key="act1.cliff", caption=(
            "NVLink vs PCIe cliff: one point-to-point transfer takes latency + bytes ÷ "
            "bandwidth, so small messages pay mostly latency and large ones approach the "
            f"link's bandwidth. Large transfers reach {bw(nv_bw)} on NVLink 4, {bw(pc_bw)} on "
            f"PCIe Gen5 ({fmt.ratio(nv_bw / pc_bw)} less) and {bw(ib_bw)} on InfiniBand NDR "
            f"({fmt.ratio(nv_bw / ib_bw)} less), all per direction; the H100's own memory "
            f"streams {bw(hbm)}. {where}"),
        table={"caption": "The three link tiers (engine registry, per GPU, per direction)",
               "columns": ["link", "bandwidth", "latency", "size that reaches half the "
                           "bandwidth", "achieved with a 1 MB message"], "rows": rows})


def exchange_chart(ui, nv, pc):
    ib = cases.exchange(ACT1_MODEL, "ib")
    results = {"nvlink": nv, "pcie": pc, "ib": ib}
    names = [TIER_NAMES[t] for t in results]
    times = [r.time.m_as("s") for r in results.values()]
    ui.figure({"data": [plot.bar(names, times, [TIER_COLORS[t] for t in results],
                                 text=[secs(t) for t in times])],
               "layout": plot.layout("All-reduce of Llama 3 70B's FP16 gradients over 8 GPUs",
                                     height=340, yaxis=plot.axis("time (s)"))},
              key="act1.exchange", caption=(
                  f"The same ring all-reduce of {gb(cases.gradient_bytes(ACT1_MODEL))} over "
                  f"eight GPUs: {secs(times[0])} inside a DGX H100, {secs(times[1])} inside "
                  f"the PCIe server and {secs(times[2])} across eight servers, one GPU each, "
                  "over InfiniBand NDR."),
              table={"caption": "Ring all-reduce of the gradients on each tier (engine)",
                     "columns": ["where the 8 GPUs are", "link bandwidth per direction",
                                 "bytes each GPU sends", "time"],
                     "rows": [[TIER_NAMES[t], bw(r.effective_bandwidth.m_as("B/s")),
                               gb(r.bytes_sent_per_device.m_as("B")), secs(r.time.m_as("s"))]
                              for t, r in results.items()]})
    ui.metrics([
        Metric("DGX H100 (NVLink 4)", secs(times[0]), tone="info"),
        Metric("PCIe server (PCIe Gen5)", secs(times[1]), tone="warn",
               note=f"{fmt.ratio(times[1] / times[0])} the NVLink time"),
        Metric("8 servers (InfiniBand NDR)", secs(times[2]),
               note=f"{fmt.ratio(times[2] / times[0])} the NVLink time"),
        Metric("Bytes each GPU sends", gb(nv.bytes_sent_per_device.m_as("B")),
               note="the same on every tier"),
    ], key="act1.metrics")


def act1_reflection(ui, pc):
    nv_bw = LINKS["nvlink"].bandwidth.m_as("GB/s")
    pc_bw = LINKS["pcie"].bandwidth.m_as("GB/s")
    bridged = cases.ring_on(ACT1_MODEL, min(nv_bw, pc_bw), LINKS["pcie"].latency.m_as("us"))
    ui.reflection(
        "act1.reflection",
        "The vendor offers NVLink bridges that join the PCIe server's GPUs in pairs. How "
        "much faster does the eight-GPU ring all-reduce become?",
        {
            "A": ("About seven times: it now runs at NVLink speed",
                  "Only the links inside each pair are NVLink. A ring of eight GPUs has eight "
                  "hops; the four between pairs still cross PCIe, and every hop carries the "
                  "same bytes in turn."),
            "B": ("About twice: half of the hops are now NVLink",
                  "Halving the slow hops would help if they ran one after the other with "
                  "different data, but the ring is a pipeline: every hop carries a chunk at "
                  "each step, and the pipeline moves at the pace of its slowest hop."),
            "C": ("Hardly at all: the slowest link sets the ring's pace",
                  f"Right. The ring is limited by its PCIe hops at {fmt.num(pc_bw)} GB/s: "
                  f"it takes {secs(bridged.time.m_as('s'))} with the bridges, the same as "
                  "without them. Bridged pairs help a job whose GPUs only talk within each "
                  "pair."),
            "D": ("It gets slower: the bridges add latency",
                  "A bridge is a direct link with lower latency than the PCIe path, and at "
                  "this size latency is a rounding error: the bandwidth term is "
                  f"{secs(pc.bandwidth_term.m_as('s'))}, the latency term "
                  f"{secs(pc.latency_term.m_as('s'))}."),
        }, correct="C")


def act1_mathpeek(nv, pc) -> str:
    m = cases.gradient_bytes(ACT1_MODEL)
    p = GPUS_PER_SERVER
    rows = []
    for tier, r in (("nvlink", nv), ("pcie", pc)):
        link = LINKS[tier]
        rows.append(f"| {link.name} | {secs(link.latency.m_as('s'))} | "
                    f"{bw(link.bandwidth.m_as('B/s'))} | {secs(r.latency_term.m_as('s'))} | "
                    f"{secs(r.bandwidth_term.m_as('s'))} | {secs(r.time.m_as('s'))} |")
    return (
        r"$$T = 2(p-1)\,\alpha + \frac{2(p-1)}{p}\cdot\frac{M}{\beta}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $p$ | GPUs in the ring | {p} |\n"
        f"| $M$ | bytes all-reduced: Llama 3 70B's parameters × 2 B | {gb(m)} |\n"
        r"| $\alpha$ | latency of one message on the link | NVLink 4 "
        f"{secs(LINKS['nvlink'].latency.m_as('s'))}, PCIe Gen5 "
        f"{secs(LINKS['pcie'].latency.m_as('s'))} |\n"
        r"| $\beta$ | link bandwidth per GPU, per direction | NVLink 4 "
        f"{bw(LINKS['nvlink'].bandwidth.m_as('B/s'))}, PCIe Gen5 "
        f"{bw(LINKS['pcie'].bandwidth.m_as('B/s'))} |\n\n"
        "| link | α | β | latency term | bandwidth term | T |\n"
        "| --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n\n"
        f"Each GPU sends $2(p-1)/p \\cdot M$ = {gb(nv.bytes_sent_per_device.m_as('B'))} on "
        "either server: the bytes are the same, so the ratio of the times is the ratio of "
        f"the bandwidths, {fmt.num(LINKS['nvlink'].bandwidth.m_as('GB/s'))} ÷ "
        f"{fmt.num(LINKS['pcie'].bandwidth.m_as('GB/s'))} = "
        f"{fmt.ratio(pc.time.m_as('s') / nv.time.m_as('s'))}. The latency term, "
        f"$2(p-1)\\alpha$, is microseconds against seconds.")


# ---- Act II ------------------------------------------------------------------------------
def act_two(ui, context):
    truth, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Where may tensor parallelism live? "
                    "(20-25 min)"):
        ui.stakeholder(
            "Training lead",
            "Llama 3 70B does not fit on one GPU, so we split every layer's matrices across a "
            "tensor-parallel group (Megatron-LM style). At a group of 8 each GPU still holds "
            f"{gb(cases.step(*ACT2_CASE[:3], 8).memory_per_gpu.m_as('B'))}. The team wants a "
            f"group of 16, two DGX H100 servers, on our {CLUSTER_SERVERS}-server InfiniBand "
            "cluster, to halve that. What does it do to a training step?")
        ui.markdown(
            "Tensor parallelism splits each layer's weight matrices across the group. Every "
            "layer then ends with an all-reduce of its activations, twice in the forward pass "
            "and twice in the backward (plus the forward's two again when activations are "
            "recomputed): the layers cannot go on until it completes. Commit to an estimate.")
        pred = ui.predict_choice(
            "act2.prediction",
            "Llama 3 70B, tensor parallel 16 across two DGX H100 servers (InfiniBand NDR "
            "between them): per training step, how long do the tensor-parallel all-reduces "
            "take compared with the compute?", act2_options(truth), correct=correct)

        model = ui.select("act2.model", "Model", MODEL_LABELS, default="llama3_8b")
        server = ui.select("act2.server", "Server", SERVER_LABELS, default="nvlink")
        tp = int(ui.select("act2.tp", "Tensor-parallel degree (GPUs that split each layer)",
                           tp_options(context), default="1"))
        r = cases.step(context, model, server, tp)
        broken = cases.violations(r)
        tp_chart(ui, context, model, server, tp)
        step_instruments(ui, context, model, server, tp, r)
        if broken:
            ui.failure(failure_title(broken), broken, key="act2.failure",
                       text=failure_text(context, model, server, tp, r, broken))
        ui.reveal(pred, f"{secs(cases.tp_time(truth))} of all-reduce against "
                        f"{secs(cases.compute_time(truth))} of compute per step",
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("compute against communication in one layer", key="act2.mathpeek"):
            ui.markdown(act2_mathpeek(context, model, server, tp, r))
    return pred, {"context": context, "model": model, "server": server, "tp": tp,
                  "ratio": cases.comm_ratio(r), "hit": bool(broken)}


def tp_chart(ui, context, model, server, tp):
    degrees = TP_DEGREES[context]
    split = [t for t in degrees if t > 1]   # degree 1 has no all-reduce (nothing to draw on a log axis)
    traces, rows = [], []
    for s in ("nvlink", "pcie"):
        ratios = [cases.comm_ratio(cases.step(context, model, s, t)) for t in split]
        traces.append(plot.line(
            split, ratios, SERVER_SHORT[s], TIER_COLORS[s], width=3, mode="lines+markers",
            hovertext=[f"{SERVER_SHORT[s]}, tensor parallel {t}: all-reduce "
                       f"{fmt.percent(x, 0)} of compute" for t, x in zip(split, ratios)],
            hoverinfo="text"))
        rows += [[SERVER_SHORT[s], str(t), LINKS[cases.tp_link(context, s, t)].name,
                  fmt.percent(x, 0)] for t, x in zip(split, ratios)]
    here = cases.comm_ratio(cases.step(context, model, server, tp))
    if tp > 1:
        traces.append(plot.points([tp], [here], f"your design ({SERVER_SHORT[server]}, {tp})",
                                  plot.COLORS["bad"] if here > cases.COMM_LIMIT else
                                  plot.COLORS["good"], symbol="star", size=16))
    shapes = [plot.hline(cases.COMM_LIMIT, plot.COLORS["bad"])]
    # shapes take data values on a log axis, annotations take log10 positions
    notes = [plot.note(0.01, math.log10(cases.COMM_LIMIT), "all-reduce time = compute time",
                       xref="paper", yshift=10, xanchor="left")]
    if context == "multi_node":
        edge = GPUS_PER_SERVER * 1.4          # between one server's degree and two servers'
        shapes.append(plot.vline(edge, plot.COLORS["muted"]))
        notes.append(plot.note(math.log10(edge), 1, "leaves the server: InfiniBand",
                               yref="paper", xanchor="left", yanchor="top"))
    nv8 = cases.comm_ratio(cases.step(context, model, "nvlink", 8))
    pc8 = cases.comm_ratio(cases.step(context, model, "pcie", 8))
    tail = ""
    if context == "multi_node":
        nv16 = cases.comm_ratio(cases.step(context, model, "nvlink", 16))
        tail = (f" At 16, across two servers, the DGX H100's all-reduces take "
                f"{fmt.percent(nv16, 0)} of the compute time.")
    ui.figure({"data": traces, "layout": plot.layout(
        f"{MODEL_LABELS[model]}: tensor-parallel all-reduce time as a share of compute",
        height=400, showlegend=True, legend={"orientation": "h", "y": -0.25},
        shapes=shapes, annotations=notes,
        xaxis=plot.axis("tensor-parallel degree (log scale)", log=True,
                        tickvals=split, ticktext=[str(t) for t in split]),
        yaxis=plot.axis("all-reduce time ÷ compute time (log scale)", log=True))},
        key="act2.tp_cliff", caption=(
            f"The cliff for tensor parallelism, {MODEL_LABELS[model]} in the "
            f"{contexts.name(context).lower()} context: per training step, the time in "
            "tensor-parallel all-reduces divided by the compute time, at each degree, on "
            f"both servers (degree 1 splits nothing and sends nothing). At 8 the DGX H100 spends {fmt.percent(nv8, 0)} and the PCIe "
            f"server {fmt.percent(pc8, 0)} of the compute time in all-reduces.{tail} Above "
            "the red line (an illustrative design rule) the step spends more time "
            "communicating than computing."),
        table={"caption": "All-reduce time as a share of compute time (engine)",
               "columns": ["server", "tensor-parallel degree", "link the group uses",
                           "all-reduce ÷ compute"], "rows": rows})


def step_instruments(ui, context, model, server, tp, r):
    hw = SERVERS[server].hardware
    mem = r.memory_per_gpu.m_as("B")
    cap = hw.memory.capacity.m_as("B")
    ratio = cases.comm_ratio(r)
    link = LINKS[cases.tp_link(context, server, tp)]
    ui.metrics([
        Metric("Memory per GPU", gb(mem), tone="danger" if mem > cap else None,
               note=f"of {gb(cap)} {hw.memory.kind}"),
        Metric("Compute per step", secs(cases.compute_time(r)),
               note="arithmetic, including recomputation"),
        Metric("Tensor-parallel all-reduces", secs(cases.tp_time(r)),
               tone="danger" if ratio > cases.COMM_LIMIT else None,
               note=f"over {link.name}" if tp > 1 else "none at degree 1"),
        Metric("All-reduce ÷ compute", fmt.percent(ratio, 0),
               tone="danger" if ratio > cases.COMM_LIMIT else "info"),
        Metric("Step time", secs(r.step_time.m_as("s")),
               note=f"{fmt.num(r.tokens_per_second.m_as('1/s'))} tokens/s on "
                    f"{r.accelerators:,} GPUs"),
    ], key="act2.metrics")
    parts = r.step_breakdown
    names = {"compute": "Compute (the model's arithmetic)",
             "recompute": "Recomputing activations",
             "tp_communication": "Tensor-parallel all-reduces",
             "dp_communication": "Data-parallel gradient all-reduce",
             "pipeline_bubble": "Pipeline bubble (no pipeline here)"}
    step_s = r.step_time.m_as("s")
    rows = [[names[k], secs(parts[k].m_as("s")), fmt.percent(parts[k].m_as("s") / step_s)]
            for k in names if k in parts]
    ui.table(f"One training step of {MODEL_LABELS[model]} (optimizer state sharded over the "
             f"data-parallel GPUs, activations recomputed; data parallel {r.dp} × tensor "
             f"parallel {r.tp})",
             ["part of the step", "time", "share"], rows, key="act2.breakdown")


def failure_title(broken) -> str:
    names = {v.name for v in broken}
    if any("capacity" in n for n in names) and cases.TP_CONSTRAINT in names:
        return "Out of memory, and the all-reduces outlast the compute"
    if cases.TP_CONSTRAINT in names:
        return "More time communicating than computing"
    return "Out of memory: the model's share does not fit one GPU"


def failure_text(context, model, server, tp, r, broken) -> str:
    names = {v.name for v in broken}
    parts = []
    if any("capacity" in n for n in names):
        if context == "single_node" and model == "llama3_70b":
            parts.append(
                f"{MODEL_LABELS[model]}'s training state does not fit in one server's "
                f"{GPUS_PER_SERVER} GPUs at any tensor-parallel degree: switch the context to "
                "the multi-node cluster, or train Llama 3 8B.")
        else:
            parts.append(
                f"Each GPU needs {gb(r.memory_per_gpu.m_as('B'))}: raise the tensor-parallel "
                "degree to split the weights over more GPUs.")
    if cases.TP_CONSTRAINT in names:
        link = LINKS[cases.tp_link(context, server, tp)]
        parts.append(
            f"The group's all-reduces run over {link.name} and take "
            f"{secs(cases.tp_time(r))} per step, longer than the {secs(cases.compute_time(r))}"
            " of compute they split (the rule here, illustrative: no longer than the compute). "
            + ("Keep the group inside one server (8 or fewer)." if tp > GPUS_PER_SERVER else
               "Lower the degree, or use the NVLink server."))
    return " ".join(parts)


def act2_reflection(ui):
    wide = cases.traffic("llama3_70b", 16, 1, 1)
    deep = cases.traffic("llama3_70b", 8, 2, 1)
    tp_b = wide.tp_bytes_per_gpu.m_as("B")
    pp_b = deep.pp_bytes_per_gpu.m_as("B")
    ui.reflection(
        "act2.reflection",
        "Megatron-LM trains such models with tensor parallelism inside each server and "
        "pipeline parallelism (consecutive layers on different servers) across them. Why "
        "does the pipeline tolerate InfiniBand when tensor parallelism does not?",
        {
            "A": ("InfiniBand is faster for point-to-point messages than for all-reduces",
                  "The link is the same for both; a point-to-point message and an all-reduce "
                  "step move bytes at the same bandwidth. What differs is how many bytes "
                  "must cross it."),
            "B": ("A pipeline sends only each stage's boundary activations, not an "
                  "all-reduce in every layer",
                  f"Right. For one 8,192-token sequence of Llama 3 70B, tensor parallel 16 "
                  f"sends {gb(tp_b)} per GPU in all-reduces (six per layer, "
                  f"{MODELS['llama3_70b'].layers} layers); tensor parallel 8 with a two-stage pipeline sends "
                  f"{gb(pp_b)} per GPU between the stages, {fmt.ratio(tp_b / pp_b)} less."),
            "C": ("A pipeline has no idle time, so it hides the network",
                  "A pipeline does idle: its bubble, (p−1)/(m+p−1) of the step for p stages "
                  "and m micro-batches, is the price it pays. It tolerates the network "
                  "because it sends so little over it."),
            "D": ("Pipeline stages need less memory, so they compute faster",
                  "Memory per GPU does not set the speed of arithmetic. Both layouts split "
                  "the same FLOP over the same GPUs; they differ in the bytes that cross "
                  "servers."),
        }, correct="B")


def act2_mathpeek(context, model, server, tp, r) -> str:
    m = MODELS[model]
    hw = SERVERS[server].hardware
    peak = hw.compute.peak_flops.m_as("FLOP/s")
    link = LINKS[cases.tp_link(context, server, tp)]
    act = cases.tp_bytes_per_layer(model)
    n_ar = 6 if cases.CHECKPOINTING == "full" else 4
    return (
        r"$$\frac{T_{\text{comm}}}{T_{\text{comp}}} = "
        r"\frac{n_{AR}\,L\,\left[2(t-1)\,\alpha + \frac{2(t-1)}{t}\cdot\frac{s\,h\,b}{\beta}"
        r"\right]}{(1+\rho)\,\dfrac{6\,N\,s}{t\,R\,\eta}}$$" "\n\n"
        f"per sequence of {MODEL_LABELS[model]}, tensor parallel $t$ = {tp}, on the "
        f"{SERVER_SHORT[server]}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $n_{{AR}}$ | all-reduces per layer (2 forward, 2 backward, 2 recomputed) | {n_ar} |\n"
        f"| $L$ | layers | {m.layers} |\n"
        f"| $s$, $h$, $b$ | tokens per sequence, width, bytes per value (FP16) | "
        f"{m.context_length:,}, {m.hidden_size:,}, 2 |\n"
        f"| $s\\,h\\,b$ | one all-reduce's message | {gb(act)} |\n"
        f"| $\\alpha$, $\\beta$ | the group's link: latency, bandwidth per direction | "
        f"{link.name}: {secs(link.latency.m_as('s'))}, {bw(link.bandwidth.m_as('B/s'))} |\n"
        f"| $N$ | parameters | {fmt.num(m.parameters / 1e9)} billion |\n"
        f"| $R$ | peak FP16 rate of one GPU | {fmt.si(peak, 'FLOP/s')} |\n"
        f"| $\\eta$ | fraction of peak achieved (MFU, the engine's estimate) | {fmt.num(r.mfu)} |\n"
        f"| $\\rho$ | recomputation's extra arithmetic | "
        f"{fmt.num(r.recompute_time_per_step.m_as('s') / r.compute_time_per_step.m_as('s'))} |\n\n"
        f"Per sequence (each GPU handles {r.microbatches} per step): "
        f"{secs(cases.tp_time(r) / r.microbatches)} of all-reduce against "
        f"{secs(cases.compute_time(r) / r.microbatches)} of compute; per step "
        f"{secs(cases.tp_time(r))} against {secs(cases.compute_time(r))}, "
        f"{fmt.percent(cases.comm_ratio(r), 0)}. Doubling $t$ doubles the denominator's "
        "speed (each GPU computes half as much) while $2(t-1)/t$ barely moves: the ratio "
        "roughly doubles with the degree, and multiplies by $\\beta$'s drop when the group "
        f"leaves the server ({fmt.ratio(LINKS['nvlink'].bandwidth.m_as('B/s') / LINKS['ib'].bandwidth.m_as('B/s'))}"
        " from NVLink 4 to InfiniBand NDR).")


# ---- closing -----------------------------------------------------------------------------
def closing(ui):
    nv, pc, _ = act1_truth()
    truth, _ = act2_truth()
    r8 = cases.step("multi_node", "llama3_70b", "nvlink", 8)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-compute-infrastructure-hierarchy lays out the tiers this lab crossed; "
            "@sec-v2-compute-infrastructure-tensor-parallel works the tensor-parallel ratio "
            "for another model.\n"
            "- Next, Lab 03 (@sec-v2-network-fabrics) follows the bytes that leave the server "
            "into the fabric between thousands of them: bisection bandwidth and "
            "oversubscription.\n"
            "- The training memory these layouts split is Volume I's @sec-training-memory; "
            "the ring all-reduce returns in @sec-v2-collective-communication, and the full "
            "data × tensor × pipeline layout in @sec-v2-distributed-training.\n"
            "- TinyTorch, Module 07 (Training): the gradients your training loop computes "
            "there are the bytes this lab moves between GPUs.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Leaving NVLink is a cliff: the same all-reduce of Llama 3 70B's gradients "
            f"takes {secs(nv.time.m_as('s'))} inside a DGX H100 and "
            f"{secs(pc.time.m_as('s'))} over PCIe Gen5, because a ring's time is its bytes "
            "over its slowest link.\n"
            "2. Tensor parallelism puts an all-reduce in every layer, on the critical path: "
            f"at 8 GPUs inside a DGX H100 Llama 3 70B spends {fmt.percent(cases.comm_ratio(r8), 0)} "
            "of its compute time in them; at 16 across InfiniBand, "
            f"{fmt.percent(cases.comm_ratio(truth), 0)}.\n"
            "3. Memory pushes the tensor-parallel degree up and the links push it down: keep "
            "the group inside the NVLink domain, and cross servers with data and pipeline "
            "parallelism, which send far fewer bytes per step.")


def save_to_ledger(ui, context, pred1, pred2, design):
    _, pc, _ = act1_truth()
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1,
        (bands.log_middle(ACT1_BANDS, pred1.value), pc.time.m_as("s")), pred2,
        decision=(f"{MODEL_LABELS[design['model']]}, tensor parallel {design['tp']} on "
                  f"{SERVER_PLURAL[design['server']]}, {contexts.name(context).lower()}"),
        result=design["ratio"], unit="all-reduce time ÷ compute time",
        constraint_hit=design["hit"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{MODEL_LABELS[design['model']]}, tensor parallel {design['tp']}, "
                   f"{SERVER_SHORT[design['server']]}"),
        ("All-reduce ÷ compute", fmt.percent(design["ratio"], 0))))

"""Vol II · Lab 03 · The fabric between the GPUs (chapter: network_fabrics).

Act I calibrates the alpha-beta model of a link, T(n) = alpha + n / beta: a 4 KiB message is
almost all latency, so a link with twice the bandwidth delivers it barely sooner; only
messages well above the half-bandwidth size n_1/2 = alpha x beta see the factor of two.
Act II designs the scale-out network of the cluster as a fat tree (Al-Fares et al. 2008):
switch radix and edge oversubscription set the switch and optics count, the cost and the
bisection bandwidth, and an oversubscribed upper tier slows the gradient AllReduce past the
step's 1 s budget (illustrative). With 8 GPUs the job never leaves one node's NVLink and no
oversubscription touches it. Every number comes from the engine through
network_fabrics_cases.py, which Chapter 19 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import network_fabrics_cases as cases
from labs.vol2.network_fabrics_cases import (ALLREDUCE_BUDGET, CONTEXT_LINK, GPUS,
                                             GPUS_PER_NODE, MESSAGE_SIZES, MODEL,
                                             OVERSUBSCRIPTIONS, RADIXES, SCALE_OUT,
                                             SMALL_MESSAGE, allreduce, fabric, link, transfer)

LAB = Lab(
    id="vol2/03", chapter="network_fabrics", title="The fabric between the GPUs",
    hook="Twice the bandwidth should mean half the time. When does it, and what does a "
         "cheaper network cost a training step?",
    invariants=["alpha-beta latency model", "bisection bandwidth",
                "fat-tree oversubscription", "switch radix and the host limit"],
    minutes=40, contexts=("gpus_8", "gpus_1024"),
    reading=[
        ("@sec-v2-network-fabrics-alpha-beta", "the alpha-beta model and the half-bandwidth size"),
        ("@sec-v2-network-fabrics-topologies", "crossbars, Clos networks and fat trees"),
        ("@sec-v2-network-fabrics-bisection", "bisection bandwidth"),
        ("@sec-v2-network-fabrics-oversubscription", "what oversubscription saves and costs"),
        ("@sec-v2-network-fabrics-radix", "switch radix and the largest tree it builds"),
    ],
)

CONTEXT_LABELS = contexts.labels({"gpus_8": "one DGX H100, NVLink inside the node",
                                  "gpus_1024": "128 DGX H100 on an InfiniBand NDR fat tree"})
BUDGET_S = ALLREDUCE_BUDGET.m_as("s")
ALGORITHM_LABELS = {"ring": "Ring over every GPU",
                    "hierarchical": "Hierarchical: inside each node first, then across nodes"}
RADIX_LABELS = {str(k): f"{k}-port switches" for k in RADIXES}
SIZE_LABELS = {str(n): fmt.binary(n) for n in MESSAGE_SIZES}
ACT2_GPUS, ACT2_RADIX, ACT2_RATIO = 1024, 64, 4.0       # the Act II prediction's case


def link_name(key: str) -> str:
    return link(key).name


def ratio_text(o: float) -> str:
    return f"{fmt.num(o)}:1"


def gpus_text(n: int) -> str:
    return f"{n:,} GPUs"


def budget_text() -> str:
    return fmt.duration(BUDGET_S)


def speedup_text(x: float) -> str:
    """A speed-up with two decimals, so 1.015 reads "1.01x" (not "1.0x") and 1.999 "2.00x"."""
    return f"{x:.2f}x"


# ---- Act I: how much a twice-as-wide link speeds up a 4 KiB message ---------------------
ACT1_BANDS = {"A": (1.8, math.inf), "B": (1.3, 1.8), "C": (1.1, 1.3), "D": (1.0, 1.1)}


def act1_truth(context: str) -> tuple[float, float, float, str]:
    """(time today, time on the doubled link, speed-up, the correct band) for 4 KiB."""
    key = CONTEXT_LINK[context]
    t1 = transfer(key, SMALL_MESSAGE).time.m_as("s")
    t2 = transfer(key, SMALL_MESSAGE, 2.0).time.m_as("s")
    return t1, t2, t1 / t2, bands.band_of(t1 / t2, ACT1_BANDS)


def act1_predicted_value(option: str) -> float:
    """The speed-up an option stands for: its band's log middle; doubling the bandwidth
    can at most halve a transfer, so the open band stands for 2."""
    return 2.0 if ACT1_BANDS[option][1] == math.inf else bands.log_middle(ACT1_BANDS, option)


def act1_options(context: str) -> dict:
    key = CONTEXT_LINK[context]
    lk = link(key)
    t1, t2, s, _ = act1_truth(context)
    wire = SMALL_MESSAGE / lk.bandwidth.m_as("B/s")
    fact = (f"The engine gives {fmt.duration(t1)} today and **{fmt.duration(t2)}** on the "
            f"wider link: {fmt.percent(s - 1)} faster.")
    return {
        "A": ("About 2x faster: twice the bandwidth, half the time",
              f"{fact} Only the bytes-on-the-wire part halves, and for 4 KiB it is "
              f"{fmt.duration(wire)} of the {fmt.duration(t1)}; the latency "
              f"α = {fmt.duration(lk.latency.m_as('s'))} does not move."),
        "B": ("1.3x to 1.8x faster",
              f"{fact} A speed-up that large needs a message comparable to or larger than "
              f"α·β = {fmt.si(cases.half_bandwidth_size(key), 'B')}; 4 KiB is far smaller."),
        "C": ("1.1x to 1.3x faster",
              f"{fact} Even a tenth would need the wire time to be a fifth of the total; "
              f"here it is {fmt.percent(wire / t1)} of it."),
        "D": ("Less than 10% faster",
              f"{fact} That is your band: at 4 KiB the link's fixed latency is almost the "
              "whole transfer, and a wider link does not shorten it."),
    }


# ---- Act II: what 4:1 oversubscription saves on the 1,024-GPU fabric ----------------------
ACT2_BANDS = {"A": (0.75, 1.0), "B": (0.45, 0.75), "C": (0.25, 0.45), "D": (0.0, 0.25)}


def act2_truth() -> tuple[float, str]:
    saving = cases.cost_saving(ACT2_GPUS, ACT2_RADIX, ACT2_RATIO)
    return saving, bands.band_of(saving, ACT2_BANDS)


def act2_fact() -> str:
    full = fabric(ACT2_GPUS, ACT2_RADIX, 1.0)
    over = fabric(ACT2_GPUS, ACT2_RADIX, ACT2_RATIO)
    saving, _ = act2_truth()
    return (f"The full tree needs {full.switches} switches and {full.transceivers:,} "
            f"transceivers, {fmt.usd(full.cost.m_as('USD'))}; at {ratio_text(ACT2_RATIO)} "
            f"{over.switches} switches and {over.transceivers:,} transceivers, "
            f"{fmt.usd(over.cost.m_as('USD'))}: **{fmt.percent(saving, 0)} saved**.")


def act2_options() -> dict:
    fact = act2_fact()
    full = fabric(ACT2_GPUS, ACT2_RADIX, 1.0)
    return {
        "A": ("75% or more: a quarter of the upper bandwidth for about a quarter of the price",
              f"{fact} Oversubscription thins only the tiers above the leaves; the "
              f"{ACT2_GPUS:,} host links and their {2 * ACT2_GPUS:,} transceivers stay."),
        "B": ("45% to 75%: about half",
              f"{fact} Half of the full tree's {full.links:,} links are host links, and "
              "oversubscription does not remove one of them."),
        "C": ("25% to 45%",
              f"{fact} That is your band: the spine shrinks to a few switches, but every "
              "GPU still needs its own port, cable and optics on a leaf."),
        "D": ("Less than 25%: the switches are a small part of the bill",
              f"{fact} Switches are not a small part here, and removing uplinks removes "
              "optics as well as switch ports."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Fleet scenario", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    key = CONTEXT_LINK[context]
    lk = link(key)
    t1, t2, s, correct = act1_truth(context)
    bw = fmt.si(lk.bandwidth.m_as("B/s"), "B/s")
    with ui.section("Act I · Calibration", "Latency or bandwidth? (12-15 min)"):
        if context == "gpus_8":
            where = (f"inside one DGX H100, GPU to GPU through its NVSwitch on "
                     f"{link_name(key)}, {bw} each way")
            wider = "NVLink 5 doubles that bandwidth"
        else:
            where = (f"between nodes, on each GPU's own {link_name(key)} port, {bw} each way")
            wider = "the next InfiniBand generation (XDR, 800 Gb/s) doubles that bandwidth"
        ui.stakeholder(
            "Platform engineer, an LLM training team",
            f"Our job sends a steady stream of small {fmt.binary(SMALL_MESSAGE)} messages "
            f"{where}: synchronisation flags, small activations, pipeline bookkeeping. "
            f"The vendor says {wider}, at a premium. Will those messages arrive twice as fast?")
        ui.markdown(
            "A link has two numbers: its bandwidth β (bytes per second once data flows) and "
            "its latency α (the fixed time any message pays: the software stack, the network "
            "adapter, the switch hops, the fibre). Assume the wider link keeps today's "
            f"latency, {fmt.duration(lk.latency.m_as('s'))} for this link in the engine's "
            "registry. Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"A {fmt.binary(SMALL_MESSAGE)} message crosses {link_name(key)}. With twice the "
            "bandwidth and the same latency, how much sooner does it arrive?",
            act1_options(context), correct=correct)

        size = int(ui.select("act1.size", "Message size", SIZE_LABELS,
                             default=str(SMALL_MESSAGE)))
        transfer_chart(ui, context, size)
        transfer_metrics(ui, context, size)
        ui.reveal(pred, f"{fmt.duration(t1)} today, {fmt.duration(t2)} with twice the "
                        f"bandwidth: {fmt.percent(s - 1)} faster ({fmt.binary(SMALL_MESSAGE)} "
                        f"on {link_name(key)})", text=pred.feedback, key="act1.overlay")
        act1_reflection(ui, key)
        with ui.math_peek("the alpha-beta model with this case's numbers", key="act1.mathpeek"):
            ui.markdown(mathpeek_alpha_beta(key, size))
    return pred


def transfer_chart(ui, context, size):
    key = CONTEXT_LINK[context]
    half = cases.half_bandwidth_size(key)
    today = [transfer(key, n).time.m_as("s") * 1e6 for n in MESSAGE_SIZES]
    wide = [transfer(key, n, 2.0).time.m_as("s") * 1e6 for n in MESSAGE_SIZES]
    t1 = transfer(key, size).time.m_as("s")
    t2 = transfer(key, size, 2.0).time.m_as("s")
    color = plot.COLORS["cloud"] if context == "gpus_8" else plot.COLORS["fleet"]
    figure = {"data": [
        plot.line(list(MESSAGE_SIZES), today, "today's link", color),
        plot.line(list(MESSAGE_SIZES), wide, "twice the bandwidth, same latency",
                  plot.COLORS["accent"], dash="dash"),
        plot.points([size, size], [t1 * 1e6, t2 * 1e6], "your message", plot.COLORS["ink"]),
    ], "layout": plot.layout(
        f"Transfer time against message size on {link_name(key)}", height=380,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        shapes=[plot.vline(half, plot.COLORS["muted"], dash="dot")],
        annotations=[plot.note(half, 1, f"α·β = {fmt.si(half, 'B')}", yref="paper",
                               xanchor="left", xshift=4, yanchor="top")],
        xaxis=plot.axis("message size (bytes, log scale)", log=True),
        yaxis=plot.axis("time (µs, log scale)", log=True))}
    rows = [[fmt.binary(n), fmt.duration(a / 1e6), fmt.duration(b / 1e6), speedup_text(a / b)]
            for n, a, b in zip(MESSAGE_SIZES, today, wide)]
    ui.figure(figure, key="act1.transfer", caption=(
        f"Alpha-beta transfer time on {link_name(key)}, α = "
        f"{fmt.duration(link(key).latency.m_as('s'))} and β = "
        f"{fmt.si(link(key).bandwidth.m_as('B/s'), 'B/s')}, and on a link with twice β. Below "
        f"the half-bandwidth size α·β = {fmt.si(half, 'B')} the curves are flat and almost "
        f"touch: latency rules. Your {fmt.binary(size)} message takes {fmt.duration(t1)}, and "
        f"{fmt.duration(t2)} on the wider link ({speedup_text(t1 / t2)} as fast)."),
        table={"caption": "Transfer time by message size (engine, alpha-beta model)",
               "columns": ["message", "today", "twice the bandwidth", "speed-up"],
               "rows": rows})


def transfer_metrics(ui, context, size):
    key = CONTEXT_LINK[context]
    r1, r2 = transfer(key, size), transfer(key, size, 2.0)
    t1, t2 = r1.time.m_as("s"), r2.time.m_as("s")
    used = r1.effective_bandwidth.m_as("B/s") / link(key).bandwidth.m_as("B/s")
    ui.metrics([
        Metric("Time today", fmt.duration(t1), tone="info"),
        Metric("With twice the bandwidth", fmt.duration(t2)),
        Metric("Speed-up", speedup_text(t1 / t2), tone="warn" if t1 / t2 < 1.1 else None),
        Metric("Half-bandwidth size α·β", fmt.si(cases.half_bandwidth_size(key), "B"),
               note="a message this size gets half of β"),
        Metric("Share of the link's bandwidth used", fmt.percent(used),
               note=f"{fmt.si(r1.effective_bandwidth.m_as('B/s'), 'B/s')} of "
                    f"{fmt.si(link(key).bandwidth.m_as('B/s'), 'B/s')}"),
    ], key="act1.metrics")


def act1_reflection(ui, key):
    half = cases.half_bandwidth_size(key)
    big = MESSAGE_SIZES[-2]
    at_half = (transfer(key, half).time / transfer(key, half, 2.0).time).m_as("")
    ui.reflection(
        "act1.reflection",
        "For which messages does doubling the bandwidth come close to halving the time?",
        {
            "A": ("Every message: a transfer is bytes divided by bandwidth",
                  "Only the n/β part of the time halves. The latency α is paid once per "
                  f"message whatever its size; at {fmt.binary(SMALL_MESSAGE)} it is almost "
                  "all of it."),
            "B": ("Messages many times larger than the half-bandwidth size α·β",
                  f"Yes. On this link α·β = {fmt.si(half, 'B')}. A {fmt.binary(big)} "
                  f"message speeds up {speedup_text(cases.speedup(key, big))}; a gradient "
                  "bucket of tens of megabytes sees nearly the full factor of two."),
            "C": ("Messages about the half-bandwidth size α·β",
                  f"At n = α·β = {fmt.si(half, 'B')} the latency and the wire time are equal: "
                  f"(α + α) / (α + α/2) gives {speedup_text(at_half)}, not 2."),
            "D": ("None: on a datacenter link latency always dominates",
                  f"Above α·β = {fmt.si(half, 'B')} the wire time dominates: a "
                  f"{fmt.binary(big)} message speeds up "
                  f"{speedup_text(cases.speedup(key, big))}."),
        }, correct="B")


def mathpeek_alpha_beta(key, size) -> str:
    lk = link(key)
    a = lk.latency.m_as("s")
    b = lk.bandwidth.m_as("B/s")
    t1 = transfer(key, size).time.m_as("s")
    t2 = transfer(key, size, 2.0).time.m_as("s")
    return (
        r"$$T(n) = \alpha + \frac{n}{\beta}, \qquad S = \frac{\alpha + n/\beta}"
        r"{\alpha + n/(2\beta)}, \qquad n_{1/2} = \alpha\,\beta$$" "\n\n"
        f"for a {fmt.binary(size)} message on {lk.name}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $n$ | message size | {fmt.binary(size)} ({size:,} B) |\n"
        f"| $\\alpha$ | latency: the time any message pays | {fmt.duration(a)} |\n"
        f"| $\\beta$ | bandwidth, per direction | {fmt.si(b, 'B/s')} |\n"
        f"| $n/\\beta$ | time on the wire | {fmt.duration(size / b)} |\n"
        f"| $T(n)$ | transfer time today | {fmt.duration(t1)} |\n"
        f"| $T_{{2\\beta}}(n)$ | with twice the bandwidth | {fmt.duration(t2)} |\n"
        f"| $S$ | speed-up | {speedup_text(t1 / t2)} |\n"
        f"| $n_{{1/2}}$ | half-bandwidth size $\\alpha\\beta$ | "
        f"{fmt.si(cases.half_bandwidth_size(key), 'B')} |\n\n"
        "When $n \\ll n_{1/2}$, $S \\to 1$: the message is latency-bound. When "
        "$n \\gg n_{1/2}$, $S \\to 2$: it is bandwidth-bound. At $n = n_{1/2}$ the message "
        "reaches exactly half of $\\beta$, and doubling $\\beta$ gives $S = 4/3$.")


# ---- Act II -------------------------------------------------------------------------------
def act_two(ui, context):
    saving, correct = act2_truth()
    gpus = GPUS[context]
    grad = cases.gradient_bytes()
    with ui.section("Act II · Design challenge", "Buying the network (20-25 min)"):
        ui.stakeholder(
            "Head of infrastructure",
            f"We are buying the scale-out network for 128 DGX H100 servers, "
            f"{gpus_text(ACT2_GPUS)}, one {link_name(SCALE_OUT)} port per GPU. The quote is "
            f"a full fat tree of {ACT2_RADIX}-port switches; the vendor suggests "
            f"{ratio_text(ACT2_RATIO)} oversubscription to cut the bill. Every training step "
            f"AllReduces {MODEL.name}'s gradient, and we budget {budget_text()} for it.")
        ui.markdown(
            f"The gradient is {MODEL.parameters / 1e9:.2f} billion values in BF16: "
            f"{fmt.si(grad, 'B')} per step. The {budget_text()} budget is this lab's "
            "scenario choice (illustrative): the communication a step can absorb before it "
            "stops hiding behind the backward pass. Prices are the engine's cited estimates: "
            f"{fmt.usd(cases.switch_price(ACT2_RADIX).m_as('USD'))} per {ACT2_RADIX}-port "
            "switch and a transceiver with its share of cable per link end. "
            "Oversubscription here counts the worst case: every GPU sends across the tier "
            "above its leaf at once.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"For {gpus_text(ACT2_GPUS)} on {ACT2_RADIX}-port switches, what share of the "
            f"full (1:1) fat tree's cost does {ratio_text(ACT2_RATIO)} oversubscription save?",
            act2_options(), correct=correct)

        if context == "gpus_8":
            ui.callout("info",
                       "You are in the 8-GPU scenario: the prediction above is about the "
                       "1,024-GPU cluster; the instruments below build the fabric for one "
                       "DGX H100. Its eight network ports fit on one switch, and its gradient "
                       "AllReduce runs on NVLink inside the node.",
                       title="One node")
        ui.markdown(f"The controls start on the vendor's proposal, {ratio_text(ACT2_RATIO)} "
                    f"with {ACT2_RADIX}-port switches and a ring AllReduce over every GPU.")
        o = ui.slider("act2.oversubscription", "Oversubscription above the leaf switches",
                      OVERSUBSCRIPTIONS[0], OVERSUBSCRIPTIONS[-1], 0.5, ACT2_RATIO,
                      unit=":1", fmt=ratio_text)
        radix = int(ui.select("act2.radix", "Switch radix (ports per switch)", RADIX_LABELS,
                              default=str(ACT2_RADIX)))
        algorithm = ui.select("act2.algorithm", "AllReduce algorithm", ALGORITHM_LABELS,
                              default="ring")
        tree = fabric(gpus, radix, o)
        coll = allreduce(gpus, o, algorithm)
        violations = tuple(tree.violations) + tuple(coll.violations)
        if violations:
            failure(ui, context, o, radix, algorithm, tree, coll, violations)
        tradeoff_chart(ui, context, o, radix, algorithm)
        fabric_metrics(ui, context, tree, coll)
        fabric_table(ui, context, radix, o, tree)

        full = fabric(ACT2_GPUS, ACT2_RADIX, 1.0)
        over = fabric(ACT2_GPUS, ACT2_RADIX, ACT2_RATIO)
        ui.reveal(pred, f"{fmt.percent(saving, 0)} saved: {fmt.usd(full.cost.m_as('USD'))} "
                        f"at 1:1, {fmt.usd(over.cost.m_as('USD'))} at "
                        f"{ratio_text(ACT2_RATIO)} ({gpus_text(ACT2_GPUS)}, {ACT2_RADIX}-port "
                        "switches)", text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("the fat tree and the AllReduce with this design's numbers",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_design(context, o, radix, algorithm, tree, coll))
    return pred, {"gpus": gpus, "o": o, "radix": radix, "algorithm": algorithm,
                  "time": coll.time.m_as("s"), "cost": tree.cost.m_as("USD"),
                  "hit": bool(violations)}


def failure(ui, context, o, radix, algorithm, tree, coll, violations):
    gpus = GPUS[context]
    parts = []
    if not coll.feasible:
        per_gpu = fmt.si(coll.effective_bandwidth.m_as("B/s"), "B/s")
        parts.append(
            f"At {ratio_text(o)} each GPU's share of the tier above its leaf is {per_gpu}; "
            f"the {'ring' if algorithm == 'ring' else 'hierarchical AllReduce'} pushes "
            f"{fmt.si(coll.bytes_sent_per_device.m_as('B'), 'B')} per GPU and needs "
            f"{fmt.duration(coll.time.m_as('s'))} against the {budget_text()} budget.")
        ways = []
        best = cases.largest_passing(gpus, algorithm)
        if best is not None:
            ways.append(f"lower the oversubscription to {ratio_text(best)} or less")
        if algorithm == "ring" and allreduce(gpus, o, "hierarchical").feasible:
            ways.append("switch to the hierarchical AllReduce (it crosses the fabric with "
                        f"1/{GPUS_PER_NODE} of the bytes)")
        ways.append("switch the scenario to 8 GPUs, where the job never leaves NVLink")
        parts.append("To get out: " + "; ".join(ways[:-1]) + "; or " + ways[-1] + ".")
    if not tree.feasible:
        parts.append(f"{radix}-port switches build a fat tree of at most "
                     f"{tree.max_devices:,} hosts at {ratio_text(o)}: choose a larger radix.")
    title = ("The gradient AllReduce misses its step budget" if not coll.feasible
             else "The fat tree cannot hold every GPU")
    ui.failure(title, violations, text=" ".join(parts), key="act2.failure")


def tradeoff_chart(ui, context, o, radix, algorithm):
    gpus = GPUS[context]
    xs = list(OVERSUBSCRIPTIONS)
    times = {alg: [allreduce(gpus, x, alg).time.m_as("s") for x in xs]
             for alg in ALGORITHM_LABELS}
    costs = [fabric(gpus, radix, x).cost.m_as("USD") / 1e6 for x in xs]
    now = allreduce(gpus, o, algorithm).time.m_as("s")
    color = plot.COLORS["cloud"] if context == "gpus_8" else plot.COLORS["fleet"]
    data = [
        plot.line(xs, times["ring"], "ring AllReduce (s)", color,
                  width=3 if algorithm == "ring" else 1.5),
        plot.line(xs, times["hierarchical"], "hierarchical AllReduce (s)", color, dash="dash",
                  width=3 if algorithm == "hierarchical" else 1.5),
        plot.points([o], [now], "your design", plot.COLORS["bad"] if now > BUDGET_S
                    else plot.COLORS["good"]),
        plot.line(xs, costs, "network cost (million USD, right axis)", plot.COLORS["accent"],
                  dash="dot", yaxis="y2"),
    ]
    figure = {"data": data, "layout": plot.layout(
        f"Oversubscription trade-off, {gpus_text(gpus)}, {radix}-port switches", height=400,
        showlegend=True, legend={"orientation": "h", "y": -0.3},
        shapes=[plot.hline(BUDGET_S, plot.COLORS["bad"], dash="dash")],
        annotations=[plot.note(1, BUDGET_S, f"budget {budget_text()}", xref="paper",
                               xanchor="right", yanchor="bottom")],
        xaxis=plot.axis("oversubscription (x:1)"),
        yaxis=plot.axis("AllReduce time (s)", rangemode="tozero"),
        yaxis2=plot.axis("network cost (million USD)", overlaying="y", side="right",
                         showgrid=False, rangemode="tozero"))}
    rows = [[ratio_text(x), fmt.duration(r), fmt.duration(h), fmt.usd(c * 1e6)]
            for x, r, h, c in zip(xs, times["ring"], times["hierarchical"], costs)]
    if gpus <= GPUS_PER_NODE:
        story = (f"With {gpus_text(gpus)} every network port sits on one {radix}-port switch, "
                 f"so the network costs {fmt.usd(costs[0] * 1e6)} at any ratio, and the "
                 f"gradient AllReduce runs on NVLink in {fmt.duration(times['ring'][0])} "
                 "whatever the oversubscription.")
    else:
        story = (f"What oversubscription buys and costs for {gpus_text(gpus)} on {radix}-port "
                 f"switches: the network's cost falls from {fmt.usd(costs[0] * 1e6)} at 1:1 "
                 f"to {fmt.usd(costs[-1] * 1e6)} at {ratio_text(xs[-1])}, while the ring "
                 f"AllReduce of the gradient goes from {fmt.duration(times['ring'][0])} to "
                 f"{fmt.duration(times['ring'][-1])} and the hierarchical one from "
                 f"{fmt.duration(times['hierarchical'][0])} to "
                 f"{fmt.duration(times['hierarchical'][-1])}.")
    ui.figure(figure, key="act2.tradeoff", caption=(
        f"{story} The dashed red line is the {budget_text()} budget; your design needs "
        f"{fmt.duration(now)}."),
        table={"caption": "AllReduce time and network cost by oversubscription (engine)",
               "columns": ["oversubscription", "ring AllReduce", "hierarchical AllReduce",
                           "network cost"], "rows": rows})


def fabric_metrics(ui, context, tree, coll):
    t = coll.time.m_as("s")
    inside = GPUS[context] <= GPUS_PER_NODE
    ui.metrics([
        Metric("Gradient AllReduce", fmt.duration(t),
               tone="danger" if not coll.feasible else "success",
               note=(f"on NVLink, inside the node; budget {budget_text()}" if inside
                     else f"budget {budget_text()}")),
        Metric("Network cost", fmt.usd(tree.cost.m_as("USD")), tone="info",
               note=f"{fmt.usd(tree.cost_per_device.m_as('USD'))} per GPU"),
        Metric("Switches", f"{tree.switches:,}",
               note=f"{tree.tiers} tier{'s' if tree.tiers > 1 else ''}"),
        Metric("Bisection bandwidth", fmt.si(tree.bisection_bandwidth.m_as("B/s"), "B/s"),
               note=bisection_note(context)),
        Metric("Per GPU under all-to-all traffic",
               fmt.si(tree.per_device_all_to_all.m_as("B/s"), "B/s"),
               note=f"of its {fmt.si(link(SCALE_OUT).bandwidth.m_as('B/s'), 'B/s')} port"),
    ], key="act2.metrics")


def bisection_note(context) -> str:
    """What the scale-out bisection compares with: NVSwitch inside the node, or the full
    (1:1) fabric."""
    gpus = GPUS[context]
    if gpus <= GPUS_PER_NODE:
        nv = cases.bisection(gpus, CONTEXT_LINK["gpus_8"]).full_bisection.m_as("B/s")
        return f"NVLink inside the node: {fmt.si(nv, 'B/s')}"
    full = cases.bisection(gpus, SCALE_OUT).full_bisection.m_as("B/s")
    return f"full at 1:1: {fmt.si(full, 'B/s')}"


def fabric_table(ui, context, radix, o, tree):
    uplinks = radix - tree.hosts_per_edge_switch
    leaves = (f"{tree.edge_switches:,}, each with {tree.hosts_per_edge_switch} GPU ports and "
              f"{uplinks} uplinks" if tree.tiers > 1 else
              f"1, holding all {GPUS[context]} GPU ports (no uplinks)")
    rows = [
        ["Tiers", str(tree.tiers)],
        ["Leaf (edge) switches", leaves],
        ["Aggregation (spine) switches", f"{tree.aggregation_switches:,}"],
        ["Core switches", f"{tree.core_switches:,}"],
        ["Links (GPU links and switch-to-switch)", f"{tree.links:,}"],
        ["Transceivers (two per link)", f"{tree.transceivers:,}"],
        ["Switch cost", fmt.usd(tree.switch_cost.m_as("USD"))],
        ["Optics cost", fmt.usd(tree.optics_cost.m_as("USD"))],
        ["Total", fmt.usd(tree.cost.m_as("USD"))],
        [f"Largest fat tree of {radix}-port switches at {ratio_text(o)} (three tiers)",
         f"{tree.max_devices:,} GPUs"],
    ]
    ui.table(f"The fat tree for {gpus_text(GPUS[context])}: {radix}-port switches, "
             f"{ratio_text(o)} (engine; switch price per port illustrative away from 64 ports)",
             ["part", "count or cost"], rows, key="act2.fabric")


def act2_reflection(ui):
    ring = allreduce(ACT2_GPUS, ACT2_RATIO, "ring")
    hier = allreduce(ACT2_GPUS, ACT2_RATIO, "hierarchical")
    grad = cases.gradient_bytes()
    ui.reflection(
        "act2.reflection",
        f"At {ratio_text(ACT2_RATIO)} on {gpus_text(ACT2_GPUS)} the ring AllReduce takes "
        f"{fmt.duration(ring.time.m_as('s'))} and the hierarchical one "
        f"{fmt.duration(hier.time.m_as('s'))}. Why is the hierarchical one so much faster?",
        {
            "A": ("It has fewer latency steps",
                  f"It does, but the latency term is only "
                  f"{fmt.duration(ring.latency_term.m_as('s'))} of the ring's "
                  f"{fmt.duration(ring.time.m_as('s'))}: a gradient of "
                  f"{fmt.si(grad, 'B')} is bandwidth-bound."),
            "B": ("After reducing inside each node, each GPU sends only an eighth of the "
                  "gradient across the fabric",
                  f"Yes. NVLink reduces the {GPUS_PER_NODE} GPUs of a node first; then each "
                  f"GPU carries 1/{GPUS_PER_NODE} of the gradient through the oversubscribed "
                  f"tier. The slow link moves {GPUS_PER_NODE} times fewer bytes, so "
                  "oversubscription hurts it far less."),
            "C": ("It runs entirely on NVLink",
                  "NVLink stops at the node's edge. The cross-node part still uses the "
                  "fabric and still sees the oversubscription; it just carries less."),
            "D": ("Oversubscription does not apply to it",
                  "The engine divides its cross-node bandwidth by the same ratio. Raise the "
                  "oversubscription and its time grows too, only more slowly."),
        }, correct="B")


def mathpeek_design(context, o, radix, algorithm, tree, coll) -> str:
    gpus = GPUS[context]
    grad = cases.gradient_bytes()
    nd = link(SCALE_OUT)
    nv = link(CONTEXT_LINK["gpus_8"])
    d = tree.hosts_per_edge_switch
    fat = (
        r"$$d = \left\lfloor \frac{k\,o}{1+o} \right\rfloor,\qquad u = k - d,\qquad "
        r"B_{\mathrm{bis}} = \frac{N\,\beta}{2\,o}$$" "\n\n"
        f"with radix $k$ = {radix} ports, oversubscription $o$ = {fmt.num(o)}, $N$ = "
        f"{gpus:,} GPU ports of $\\beta$ = {fmt.si(nd.bandwidth.m_as('B/s'), 'B/s')}: "
        + (f"one switch holds all {gpus} ports, so there are no uplinks and nothing to "
           "oversubscribe, "
           if tree.tiers == 1 else f"$d$ = {d} GPU ports and $u$ = {radix - d} uplinks per "
           "leaf, ")
        + f"bisection {fmt.si(tree.bisection_bandwidth.m_as('B/s'), 'B/s')}. A non-blocking "
        f"three-tier tree of $k$-port switches holds $k^3/4$ = "
        f"{fabric(2, radix, 1.0).max_devices:,} hosts.\n\n")
    if gpus <= GPUS_PER_NODE:
        coll_text = (
            r"$$T = 2(p-1)\,\alpha + \frac{2(p-1)}{p}\cdot\frac{M}{\beta}$$" "\n\n"
            f"Ring on {nv.name}: $p$ = {gpus}, $\\alpha$ = "
            f"{fmt.duration(nv.latency.m_as('s'))}, $\\beta$ = "
            f"{fmt.si(nv.bandwidth.m_as('B/s'), 'B/s')}, $M$ = {fmt.si(grad, 'B')}: latency "
            f"{fmt.duration(coll.latency_term.m_as('s'))} + bandwidth "
            f"{fmt.duration(coll.bandwidth_term.m_as('s'))} = "
            f"{fmt.duration(coll.time.m_as('s'))}. No term has $o$ in it: the job never "
            "reaches the fabric.")
    elif algorithm == "ring":
        coll_text = (
            r"$$T = 2(p-1)\,\alpha + \frac{2(p-1)}{p}\cdot\frac{M}{\beta / o}$$" "\n\n"
            f"Ring over every GPU: $p$ = {gpus:,}, $\\alpha$ = "
            f"{fmt.duration(nd.latency.m_as('s'))}, $\\beta/o$ = "
            f"{fmt.si(coll.effective_bandwidth.m_as('B/s'), 'B/s')}, $M$ = "
            f"{fmt.si(grad, 'B')}: latency {fmt.duration(coll.latency_term.m_as('s'))} + "
            f"bandwidth {fmt.duration(coll.bandwidth_term.m_as('s'))} = "
            f"**{fmt.duration(coll.time.m_as('s'))}** against {budget_text()}.")
    else:
        nodes = gpus // GPUS_PER_NODE
        coll_text = (
            r"$$T = 2(g-1)\,\alpha_{\mathrm{in}} + 2(m-1)\,\alpha + \frac{2(g-1)}{g}\cdot"
            r"\frac{M}{\beta_{\mathrm{in}}} + \frac{2(m-1)}{m}\cdot\frac{M/g}{\beta / o}$$"
            "\n\n"
            f"Hierarchical: $g$ = {GPUS_PER_NODE} GPUs per node on {nv.name} "
            f"($\\beta_{{\\mathrm{{in}}}}$ = {fmt.si(nv.bandwidth.m_as('B/s'), 'B/s')}), "
            f"$m$ = {nodes} nodes on $\\beta/o$ = "
            f"{fmt.si(coll.effective_bandwidth.m_as('B/s'), 'B/s')}, $M$ = "
            f"{fmt.si(grad, 'B')}: latency {fmt.duration(coll.latency_term.m_as('s'))} + "
            f"bandwidth {fmt.duration(coll.bandwidth_term.m_as('s'))} = "
            f"**{fmt.duration(coll.time.m_as('s'))}** against {budget_text()}.")
    return fat + coll_text


def closing(ui):
    nd_half = cases.half_bandwidth_size(SCALE_OUT)
    saving, _ = act2_truth()
    best = cases.largest_passing(ACT2_GPUS, "ring")
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-network-fabrics-alpha-beta derives the half-bandwidth size; "
            "@sec-v2-network-fabrics-oversubscription works a fat tree's cost and bisection "
            "on a larger cluster; @sec-introduction-iron-law is the same two-term law for "
            "memory.\n"
            "- Next, Lab 04 (@sec-v2-data-storage) follows the bytes one level further out, "
            "from the network to storage.\n"
            "- TinyTorch, Module 07 (Training): the loop whose gradients a data-parallel "
            "fleet must AllReduce every step.")
    third = (f"3. A flat ring over {gpus_text(ACT2_GPUS)} meets the {budget_text()} budget "
             f"only up to {ratio_text(best)}; a topology-aware AllReduce keeps most bytes on "
             "NVLink and tolerates far more." if best is not None else
             f"3. A flat ring over {gpus_text(ACT2_GPUS)} misses the {budget_text()} budget "
             "even at 1:1; a topology-aware AllReduce keeps most bytes on NVLink.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. A message below the half-bandwidth size α·β "
            f"({fmt.si(nd_half, 'B')} on {link_name(SCALE_OUT)}) is latency-bound: more "
            "bandwidth barely helps it; fewer, larger messages do.\n"
            f"2. Oversubscription thins only the tiers above the leaves: "
            f"{ratio_text(ACT2_RATIO)} saves {fmt.percent(saving, 0)} of the "
            f"{ACT2_GPUS:,}-GPU fabric's cost and divides the bandwidth across it by "
            f"{fmt.num(ACT2_RATIO)}.\n" + third)


def save_to_ledger(ui, context, pred1, pred2, design):
    _, _, s, _ = act1_truth(context)
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (act1_predicted_value(pred1.value), s), pred2,
        decision=(f"{design['radix']}-port switches at {ratio_text(design['o'])}, "
                  f"{'ring' if design['algorithm'] == 'ring' else 'hierarchical'} AllReduce, "
                  f"{gpus_text(design['gpus'])}"),
        result=design["time"], unit="s", constraint_hit=design["hit"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{design['radix']}-port, {ratio_text(design['o'])}, "
                   f"{fmt.usd(design['cost'])}"),
        ("AllReduce", fmt.duration(design["time"]) + (" (over budget)" if design["hit"]
                                                      else ""))))

"""Vol II · Lab 06 · The gradient exchange (chapter: collective_communication).

Act I calibrates what an AllReduce algorithm is worth: 128 GPUs averaging a 16 GB gradient
through one parameter server take about p times as long as a ring AllReduce, because the
server's one link carries every GPU's gradient in and every sum out, while each GPU of a ring
sends just under twice the gradient whatever p is. Act II sweeps the message size: the ring's
latency grows with p and the tree's with log p, so small messages favour the tree and large
ones the ring, with a crossover that grows with p squared; gradient buckets that are too small
pay the latency term thousands of times per step, and the AllReduce then exceeds the step's
communication budget (half its compute time). The two contexts are the two algorithms. Every
number comes from the engine through collective_communication_cases.py, which Chapter 22
shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import collective_communication_cases as cases
from labs.vol2.collective_communication_cases import (ALGORITHM_NAMES, BUCKETS, LAB_NODES,
                                                      LAB_SEQUENCES, SWEEP, gpus, step)

LAB = Lab(
    id="vol2/06", chapter="collective_communication", title="The gradient exchange",
    hook="Every training step, every GPU must end up with the same averaged gradient. Who "
         "sends what to whom decides whether that takes milliseconds or a minute.",
    invariants=["AllReduce α-β model", "ring: bandwidth-optimal", "tree: logarithmic latency",
                "ring/tree crossover"],
    minutes=40, contexts=("ring", "tree"),
    reading=[
        ("@sec-v2-collective-communication-alpha-beta", "the alpha-beta cost of a message"),
        ("@sec-v2-collective-communication-parameter-server", "why one server does not scale"),
        ("@sec-v2-collective-communication-ring", "ring AllReduce and its bandwidth optimality"),
        ("@sec-v2-collective-communication-crossover", "tree latency and the crossover size"),
        ("@sec-v2-collective-communication-bucketing", "buckets, overlap and the step budget"),
    ],
)

CONTEXT_LABELS = contexts.labels({"ring": "2(p − 1) steps, bandwidth-optimal",
                                  "tree": "double binary tree, 2⌈log₂ p⌉ steps"})
OTHER = {"ring": "tree", "tree": "ring"}
BUCKET_LABELS = {k: (fmt.binary(v) if v else "the whole gradient in one message")
                 for k, v in BUCKETS.items()}
BUCKET_LABELS["25m"] += " (PyTorch DDP's default)"
BUCKET_ORDER = list(BUCKETS)
GRAD = cases.gradient_bytes()


def size(message_bytes: float) -> str:
    """A bucket or message size: binary for the power-of-two buckets, decimal for the whole
    gradient (16.1 GB, as the stakeholder says it)."""
    return gb(message_bytes) if message_bytes >= GRAD else fmt.binary(message_bytes)


def in_buckets(bucket: str) -> str:
    """How the gradient is sent: "in 4 MiB buckets", or "as one message"."""
    b = BUCKETS[bucket]
    return f"in {fmt.binary(b)} buckets" if b else "as one message"

MODEL_NAME = cases.MODELS[cases.MODEL].name
SEQ_LEN = cases.MODELS[cases.MODEL].context_length
COLORS = {"ring": plot.COLORS["fleet"], "tree": plot.COLORS["accent"],
          "hierarchical": plot.COLORS["good"], "parameter_server": plot.COLORS["bad"]}
#: Nodes of the Act I chart: 2 to 128 DGX H100 (16 to 1,024 GPUs), every hop on the fabric.
CHART_NODES = (2, 4, 8, 16, 32, 64, 128)


def gb(x: float) -> str:
    return fmt.si(x, "B")


def count(n: int) -> str:
    """A whole count with thousands separators, every digit kept (1,024, not 1,020)."""
    return f"{n:,}"


def gpu_text(nodes: int) -> str:
    return f"{count(gpus(nodes))} GPUs"


def algo(name: str) -> str:
    return ALGORITHM_NAMES[name].split(" (")[0].lower()


# ---- Act I: one parameter server against the ring, bands of (server time / ring time) ---------
ACT1_BANDS = {"A": (1.0, 5.0), "B": (5.0, 40.0), "C": (40.0, 500.0), "D": (500.0, math.inf)}


def act1_truth() -> tuple[float, float, float, str]:
    """(server s, ring s, server / ring, the correct band) for the whole gradient, 128 GPUs."""
    ps = cases.seconds("parameter_server", GRAD, LAB_NODES)
    ring = cases.seconds("ring", GRAD, LAB_NODES)
    return ps, ring, ps / ring, bands.band_of(ps / ring, ACT1_BANDS)


def act1_options() -> dict:
    ps, ring, ratio, _ = act1_truth()
    p = gpus(LAB_NODES)
    fact = (f"One parameter server takes **{fmt.duration(ps)}**, the ring "
            f"**{fmt.duration(ring)}**: {fmt.ratio(ratio)} as long.")
    return {
        "A": ("Under 5x: the server only adds a hop",
              f"{fact} The hop is not the cost: the server's one NDR port must take in "
              f"{p - 1} gradients and send out {p - 1} sums, one after another."),
        "B": ("5x to 40x",
              f"{fact} A few tens is what a few nodes give (the ratio is close to the number "
              f"of GPUs); at {p} GPUs the server's link is {p - 1} gradients deep each way."),
        "C": ("40x to 500x",
              f"{fact} That is your band: the server's link carries (p − 1) gradients in and "
              "(p − 1) out, each ring GPU sends 2(p − 1)/p of one gradient, so the ratio is "
              "almost exactly p."),
        "D": ("Over 500x: every pair of GPUs adds traffic",
              f"{fact} The traffic grows with p, not with the p² pairs: each GPU talks only "
              "to the server, and the server's link is the whole cost."),
    }


# ---- Act II: the ring/tree crossover at 128 GPUs, bands of bytes --------------------------------
ACT2_BANDS = {"A": (0.0, 1e6), "B": (1e6, 1e8), "C": (1e8, 1e9), "D": (1e9, math.inf)}


def act2_truth() -> tuple[float, str]:
    m = cases.crossover(LAB_NODES)
    return m, bands.band_of(m, ACT2_BANDS)


def act2_options() -> dict:
    m, _ = act2_truth()
    ring = cases.allreduce("ring", m, LAB_NODES)
    tree = cases.allreduce("tree", m, LAB_NODES)
    few = {n: gb(cases.crossover(n)) for n in (1, 2, cases.CHAPTER_NODES)}
    fact = (f"At {gpu_text(LAB_NODES)} the ring's latency term is "
            f"{fmt.duration(ring.latency_term.m_as('s'))} per message against the tree's "
            f"{fmt.duration(tree.latency_term.m_as('s'))}; the tree's extra bandwidth term "
            f"only makes up that gap at **{gb(m)}**.")
    return {
        "A": ("Below 1 MB: trees are for tiny messages",
              f"{fact} Even the eight GPUs of one node, on NVLink, cross at {few[1]}; the "
              "ring's latency grows with every GPU added, and the crossover with p²."),
        "B": ("1 MB to 100 MB",
              f"{fact} That range fits two nodes ({gpu_text(2)} cross at {few[2]}); the "
              "crossover grows with p², so sixteen nodes push it far higher."),
        "C": ("100 MB to 1 GB",
              f"{fact} The chapter's {gpu_text(cases.CHAPTER_NODES)} cross at "
              f"{few[cases.CHAPTER_NODES]}; four times the GPUs move the crossover about "
              "sixteen times higher."),
        "D": ("Above 1 GB: the tree wins almost everything",
              f"{fact} That is your band: the crossover grows with p², and at this size "
              "every gradient bucket a framework sends is below it."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "AllReduce algorithm", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, (bucket, design) = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, bucket, design)


def act_one(ui, context):
    ps, ring, ratio, correct = act1_truth()
    alpha, beta, _ = cases.link_of(LAB_NODES)
    with ui.section("Act I · Calibration", "One server or a ring? (12-15 min)"):
        ui.stakeholder(
            "Head of ML platform, a model lab",
            f"We are moving {MODEL_NAME} training onto {LAB_NODES} DGX H100 nodes, "
            f"{gpu_text(LAB_NODES)} on InfiniBand NDR. Our old code averages the gradients "
            f"through one parameter server: every GPU sends its {gb(GRAD)} gradient to GPU 0, "
            "which adds them up and sends the sum back to everyone. Someone says a ring "
            "AllReduce would be 'somewhat faster'. How much faster, really?")
        ui.markdown(
            "Price every message with the alpha-beta model: a fixed latency α per message plus "
            f"its bytes over the link's bandwidth β. Each GPU has one NDR port: α ≈ "
            f"{fmt.duration(alpha)}, β = {fmt.si(beta, 'B/s')} per direction. The gradient is "
            f"{gb(GRAD)} (2 bytes per parameter). Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"For the {gb(GRAD)} gradient on {gpu_text(LAB_NODES)}, how many times as long "
            "does the one-server exchange take as a ring AllReduce?",
            act1_options(), correct=correct)

        scaling_chart(ui, context)
        ui.metrics([
            Metric("One parameter server", fmt.duration(ps), tone="danger"),
            Metric("Ring AllReduce", fmt.duration(ring),
                   tone="info" if context == "ring" else None),
            Metric("Tree AllReduce", fmt.duration(cases.seconds("tree", GRAD, LAB_NODES)),
                   tone="info" if context == "tree" else None),
            Metric("Server ÷ ring", fmt.ratio(ratio), note=f"p = {gpus(LAB_NODES)} GPUs"),
        ], key="act1.metrics")
        ui.reveal(pred, f"{fmt.duration(ps)} through one server against {fmt.duration(ring)} "
                        f"for the ring: {fmt.ratio(ratio)} as long ({gpu_text(LAB_NODES)}, "
                        f"{gb(GRAD)})", text=pred.feedback, key="act1.overlay")
        act1_reflection(ui)
        with ui.math_peek("one server against the ring, with this case's numbers",
                          key="act1.mathpeek"):
            ui.markdown(mathpeek_server(ps, ring, alpha, beta))
    return pred


def scaling_chart(ui, context):
    names = ("parameter_server", "ring", "tree", "hierarchical")
    xs = [gpus(n) for n in CHART_NODES]
    times = {a: [cases.seconds(a, GRAD, n) for n in CHART_NODES] for a in names}
    traces = [plot.line(xs, times[a], ALGORITHM_NAMES[a], COLORS[a],
                        width=4 if a == context else 2,
                        dash="solid" if a in ("ring", "tree", context) else "dash")
              for a in names]
    here, i = gpus(LAB_NODES), CHART_NODES.index(LAB_NODES)
    traces.append(plot.points([here, here], [times["parameter_server"][i], times["ring"][i]],
                              f"{here} GPUs", plot.COLORS["ink"], symbol="star", size=14))
    figure = {"data": traces, "layout": plot.layout(
        f"AllReduce of the {gb(GRAD)} gradient against the number of GPUs", height=400,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("GPUs (8 per DGX H100 node, log scale)", log=True),
        yaxis=plot.axis("time per AllReduce (s, log scale)", log=True))}
    rows = [[count(x)] + [fmt.duration(times[a][i]) for a in names] for i, x in enumerate(xs)]
    ps, ring = times["parameter_server"], times["ring"]
    ui.figure(figure, key="act1.scaling", caption=(
        f"AllReduce time of a {gb(GRAD)} gradient from {xs[0]} to {count(xs[-1])} GPUs. One "
        f"parameter server grows from {fmt.duration(ps[0])} to {fmt.duration(ps[-1])}, in "
        f"proportion to the GPUs; the ring stays near {fmt.duration(ring[0])} "
        f"({fmt.duration(ring[-1])} at {count(xs[-1])} GPUs); the tree follows the ring; the "
        "hierarchical algorithm, NVLink inside each node and all eight NDR ports across, is "
        f"fastest ({fmt.duration(times['hierarchical'][i])} at {here} GPUs)."),
        table={"caption": f"AllReduce of {gb(GRAD)} by algorithm (engine, alpha-beta model)",
               "columns": ["GPUs"] + [ALGORITHM_NAMES[a] for a in names], "rows": rows})


def act1_reflection(ui):
    small, big = LAB_NODES, CHART_NODES[-1]
    r0, r1 = (cases.allreduce("ring", GRAD, n) for n in (small, big))
    t0, t1 = r0.time.m_as("s"), r1.time.m_as("s")
    grow = t1 / t0
    ui.reflection(
        "act1.reflection",
        f"Keep the {gb(GRAD)} gradient and grow the job from {gpu_text(small)} to "
        f"{gpu_text(big)}. What happens to the ring AllReduce's time?",
        {
            "A": (f"It grows about {gpus(big) // gpus(small)}x, like the number of GPUs",
                  f"That is the parameter server's behaviour. The ring goes from "
                  f"{fmt.duration(t0)} to {fmt.duration(t1)}, {fmt.percent(grow - 1, 1)} more."),
            "B": ("It barely changes: each GPU still sends just under twice the gradient",
                  f"Right. Each GPU sends 2(p − 1)/p of the gradient, "
                  f"{gb(r0.bytes_sent_per_device.m_as('B'))} at {gpus(small)} GPUs and "
                  f"{gb(r1.bytes_sent_per_device.m_as('B'))} at {count(gpus(big))}; only the "
                  f"latency term grows, from {fmt.duration(r0.latency_term.m_as('s'))} to "
                  f"{fmt.duration(r1.latency_term.m_as('s'))}. The time goes from "
                  f"{fmt.duration(t0)} to {fmt.duration(t1)}."),
            "C": ("It shrinks about 8x: each GPU has a smaller share to send",
                  f"Each GPU's share of the ring is smaller, but it passes (p − 1) shares "
                  f"twice round the ring, so it still sends "
                  f"{gb(r1.bytes_sent_per_device.m_as('B'))}; the time is "
                  f"{fmt.duration(t1)}, not less."),
            "D": ("It grows with the square of the GPUs",
                  f"No pair of GPUs talks except neighbours on the ring: it goes from "
                  f"{fmt.duration(t0)} to {fmt.duration(t1)}."),
        }, correct="B")


def mathpeek_server(ps, ring, alpha, beta) -> str:
    p = gpus(LAB_NODES)
    return (
        "A message of $M$ bytes over one link costs $\\alpha + M/\\beta$. With one parameter "
        "server, its link receives $p - 1$ gradients, then sends $p - 1$ sums, one after "
        "the other; in a ring each GPU sends $p - 1$ chunks of $M/p$ to reduce (reduce-"
        "scatter) and $p - 1$ more to share the result (all-gather):\n\n"
        r"$$T_{\text{server}} = 2(p-1)\left(\alpha + \frac{M}{\beta}\right), \qquad "
        r"T_{\text{ring}} = 2(p-1)\,\alpha + 2\,\frac{p-1}{p}\,\frac{M}{\beta}, \qquad "
        r"\frac{T_{\text{server}}}{T_{\text{ring}}} \to p \text{ when } M/\beta \gg p\,\alpha$$"
        "\n\n| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $p$ | GPUs | {p} |\n"
        f"| $M$ | gradient bytes (2 per parameter) | {gb(GRAD)} |\n"
        f"| $\\alpha$ | latency per message (one NDR hop) | {fmt.duration(alpha)} |\n"
        f"| $\\beta$ | bandwidth per GPU, per direction | {fmt.si(beta, 'B/s')} |\n"
        f"| $T_{{\\text{{server}}}}$ | one parameter server | {fmt.duration(ps)} |\n"
        f"| $T_{{\\text{{ring}}}}$ | ring AllReduce | {fmt.duration(ring)} |\n\n"
        f"$M/\\beta$ = {fmt.duration(GRAD / beta)}: the server pays it $2(p-1)$ = {2 * (p - 1)} "
        f"times, the ring $2(p-1)/p$ = {fmt.num(2 * (p - 1) / p, 3)} times. The ratio is "
        f"{fmt.num(ps / ring, 4)}, just under $p$ = {p}.")


# ---- Act II ---------------------------------------------------------------------------------
def act_two(ui, context):
    m_star, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Message size, ring or tree, and the step "
                    "budget (20-25 min)"):
        ui.stakeholder(
            "Training lead, the same lab",
            f"The ring is in. Next question: our collective library lets us pin the "
            f"algorithm, ring or tree, and our gradient messages range from a few megabytes "
            f"to the whole {gb(GRAD)}. The rule of thumb is 'tree for small messages, ring "
            f"for large'. Where is the line on our {gpu_text(LAB_NODES)}?")
        ui.markdown(
            "A ring takes $2(p-1)$ latency steps and sends $2\\frac{p-1}{p}M$ per GPU; a "
            "double binary tree takes $2\\lceil\\log_2 p\\rceil$ steps and sends $2M$. Commit "
            "before you sweep.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"On {gpu_text(LAB_NODES)} ({LAB_NODES} nodes on NDR), above what message size "
            "does a ring AllReduce become faster than the tree?",
            act2_options(), correct=correct)

        ui.markdown(
            f"**Your design.** {MODEL_NAME} trains data-parallel; its {gb(GRAD)} gradient is "
            "sent in buckets, one AllReduce each, while the backward pass runs. The team's "
            f"budget (illustrative): the gradient AllReduce may take at most "
            f"{fmt.percent(cases.BUDGET_FRACTION, 0)} of the step's compute time (6 N FLOP "
            f"per token at {fmt.percent(cases.mfu(), 0)} of the H100's peak), so the GPUs "
            "compute at least two thirds of the time even with no overlap. The context "
            "toggle at the top picks the algorithm.")
        bucket = ui.select("act2.bucket", "Gradient bucket (one AllReduce each)",
                           BUCKET_LABELS, default="25m")
        nodes = int(ui.slider("act2.nodes", "DGX H100 nodes (8 GPUs each)", 1, 128, 1,
                              LAB_NODES, unit="nodes"))
        seqs = int(ui.slider("act2.sequences", "Global batch per step", 128, 2048, 128,
                             LAB_SEQUENCES, unit="sequences",
                             fmt=lambda v: f"{count(int(v))} × {count(SEQ_LEN)} tokens"))
        d = step(context, bucket, nodes, seqs)
        if not d.feasible:
            failure(ui, context, d, bucket)
        sweep_chart(ui, context, d)
        step_chart(ui, bucket, d)
        step_metrics(ui, context, d)
        algorithms_table(ui, context, bucket, d)

        ring = cases.allreduce("ring", m_star, LAB_NODES)
        tree = cases.allreduce("tree", m_star, LAB_NODES)
        ui.reveal(pred, f"The ring overtakes the tree above {gb(m_star)} at "
                        f"{gpu_text(LAB_NODES)} (both take {fmt.duration(ring.time.m_as('s'))} "
                        f"there; latency terms {fmt.duration(ring.latency_term.m_as('s'))} "
                        f"and {fmt.duration(tree.latency_term.m_as('s'))})",
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("ring, tree and buckets with this design's numbers",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_design(context, d))
    return pred, (bucket, d)


def smallest_bucket(algorithm: str, bucket: str, d) -> str | None:
    """The smallest bucket at least as large as the design's that meets the budget."""
    for key in BUCKET_ORDER[BUCKET_ORDER.index(bucket):]:
        if step(algorithm, key, d.nodes, d.sequences).feasible:
            return key
    return None


def most_nodes(algorithm: str, bucket: str, d) -> int:
    """The most nodes (at most the design's) that meet the budget: communication grows and the
    budget shrinks with the nodes, so bisect. 0 when even one node misses."""
    lo, hi = 0, d.nodes
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if step(algorithm, bucket, mid, d.sequences).feasible:
            lo = mid
        else:
            hi = mid - 1
    return lo


def fewest_sequences(algorithm: str, bucket: str, d) -> int:
    """The smallest global batch on the slider (a multiple of 128, up to 2,048) that meets the
    budget: the compute time grows in proportion to the batch. 0 when none does."""
    need = math.ceil(d.sequences * d.total / d.budget / 128) * 128
    for seqs in range(max(need, d.sequences + 128), 2049, 128):
        if step(algorithm, bucket, d.nodes, seqs).feasible:
            return seqs
    return 0


def either(ways: list[str]) -> str:
    """"a", "a, or b", "a, b, or c" (the items may hold "or" themselves)."""
    if len(ways) < 2:
        return ways[0]
    return ", ".join(ways[:-1]) + ", or " + ways[-1]


def failure(ui, context, d, bucket):
    lat_share = d.latency / d.total
    why = (f"{count(d.buckets)} buckets each pay the {algo(context)}'s latency, "
           f"{fmt.duration(d.latency)} of latency terms in all" if lat_share > 0.5 else
           f"the bandwidth terms alone take {fmt.duration(d.bandwidth)}: every GPU sends about "
           f"twice the gradient each step, and {gpu_text(d.nodes)} leave too little compute "
           "per GPU to hide it")
    ways = []
    b = smallest_bucket(context, bucket, d)
    if b and b != bucket:
        ways.append(f"send buckets of {fmt.binary(BUCKETS[b])} or larger" if BUCKETS[b] else
                    "send the whole gradient as one message")
    if step(OTHER[context], bucket, d.nodes, d.sequences).feasible:
        ways.append(f"switch the algorithm to {contexts.name(OTHER[context])}")
    n = most_nodes(context, bucket, d)
    if n:
        ways.append(f"use {n} node{'s' if n > 1 else ''} ({gpu_text(n)}) or fewer")
    s = fewest_sequences(context, bucket, d)
    if s:
        ways.append(f"grow the global batch to {count(s)} sequences")
    if not ways:
        ways.append("move the controls back towards their defaults")
    text = (f"The {algo(context)} AllReduce of the {gb(GRAD)} gradient "
            f"{in_buckets(bucket)} takes {fmt.duration(d.total)} per "
            f"step on {gpu_text(d.nodes)}, against a budget of {fmt.duration(d.budget)} (half "
            f"of {fmt.duration(d.compute)} of compute): {why}. To get out: "
            + either(ways) + ".")
    ui.failure("Communication over budget: the AllReduce exceeds half the step's compute",
               d.violations, text=text, key="act2.budget")


def sweep_chart(ui, context, d):
    """AllReduce time per message against its size, ring and tree, at the design's nodes."""
    n = d.nodes
    xs = list(SWEEP)
    ys = {a: [cases.seconds(a, m, n) for m in xs] for a in ("ring", "tree")}
    m_star = cases.crossover(n)
    traces = [plot.line(xs, ys[a], ALGORITHM_NAMES[a], COLORS[a], width=4 if a == context else 2)
              for a in ("ring", "tree")]
    here = d.bucket
    traces.append(plot.points([here], [cases.seconds(context, here, n)],
                              f"your bucket ({contexts.name(context).lower()})",
                              plot.COLORS["bad"] if not d.feasible else plot.COLORS["good"],
                              symbol="star", size=16))
    shapes, notes = [], []
    if xs[0] <= m_star <= xs[-1]:
        shapes.append(plot.vline(m_star, plot.COLORS["ink"], dash="dash"))
        # Left of the line: to its right the text would stretch the axis decades past the data.
        notes.append(plot.note(math.log10(m_star), 0.98, f"crossover {gb(m_star)}",
                               yref="paper", xanchor="right", xshift=-4))
    figure = {"data": traces, "layout": plot.layout(
        f"AllReduce time against message size on {gpu_text(n)}", height=380, shapes=shapes,
        annotations=notes, showlegend=True, legend={"orientation": "h", "y": -0.28},
        xaxis=plot.axis("message size (bytes, log scale)", log=True),
        yaxis=plot.axis("time per AllReduce (s, log scale)", log=True))}
    where = (f"They cross at {gb(m_star)}: below it the tree is faster, above it the ring."
             if math.isfinite(m_star) else "The ring is faster at every size here.")
    shown = [2 ** 12, 2 ** 16, 2 ** 20, 2 ** 24, 2 ** 28, 2 ** 32, 2 ** 34]
    ui.figure(figure, key="act2.sweep", caption=(
        f"AllReduce time of one message from {fmt.binary(xs[0])} to {fmt.binary(xs[-1])} on "
        f"{gpu_text(n)}, ring and tree. Small messages are latency-bound (flat: "
        f"{fmt.duration(ys['ring'][0])} for the ring, {fmt.duration(ys['tree'][0])} for the "
        f"tree at {fmt.binary(xs[0])}); large ones bandwidth-bound (the lines rise with the "
        f"size). {where} Your bucket, {size(here)}, takes "
        f"{fmt.duration(cases.seconds(context, here, n))} with the {algo(context)}."),
        table={"caption": f"AllReduce time by message size on {gpu_text(n)} (engine)",
               "columns": ["message", "ring", "tree"],
               "rows": [[fmt.binary(m), fmt.duration(cases.seconds("ring", m, n)),
                         fmt.duration(cases.seconds("tree", m, n))] for m in shown]})


def step_chart(ui, bucket, d):
    """Per step: latency and bandwidth terms of both algorithms against the budget."""
    both = {a: step(a, bucket, d.nodes, d.sequences) for a in ("ring", "tree")}
    names = [ALGORITHM_NAMES[a] for a in both]
    lat = [x.latency for x in both.values()]
    bw = [x.bandwidth for x in both.values()]
    figure = {"data": [
        plot.bar(names, lat, plot.COLORS["accent"], name="latency terms (α)",
                 text=[fmt.duration(x) for x in lat]),
        plot.bar(names, bw, plot.COLORS["fleet"], name="bandwidth terms (M/β)",
                 text=[fmt.duration(x) for x in bw])],
        "layout": plot.layout(
            "Gradient AllReduce per step against the budget", height=340, barmode="stack",
            shapes=[plot.hline(d.budget, plot.COLORS["bad"])],
            annotations=[plot.note(0.5, d.budget, f"budget {fmt.duration(d.budget)}",
                                   xref="paper", yshift=10)],
            showlegend=True, legend={"orientation": "h", "y": -0.2},
            yaxis=plot.axis("time per step (s)", range=[0, 1.25 * max(
                d.budget, *(x.total for x in both.values()))]))}
    ui.figure(figure, key="act2.step", caption=(
        f"Communication per step for {count(d.buckets)} bucket"
        f"{'s' if d.buckets > 1 else ''} on {gpu_text(d.nodes)}: the ring takes "
        f"{fmt.duration(both['ring'].total)} ({fmt.duration(both['ring'].latency)} of it "
        f"latency), the tree {fmt.duration(both['tree'].total)} "
        f"({fmt.duration(both['tree'].latency)} latency), against a budget of "
        f"{fmt.duration(d.budget)}."),
        table={"caption": "Gradient AllReduce per step (engine)",
               "columns": ["algorithm", "latency terms", "bandwidth terms", "total",
                           "budget"],
               "rows": [[ALGORITHM_NAMES[a], fmt.duration(x.latency),
                         fmt.duration(x.bandwidth), fmt.duration(x.total),
                         "within" if x.feasible else "over"] for a, x in both.items()]})


def step_metrics(ui, context, d):
    one = cases.allreduce(context, d.bucket, d.nodes)
    ui.metrics([
        Metric("AllReduce per step", fmt.duration(d.total),
               tone="danger" if not d.feasible else "success",
               note=f"budget {fmt.duration(d.budget)}"),
        Metric("Share of compute", fmt.percent(d.share, 0),
               note=f"compute {fmt.duration(d.compute)} per step"),
        Metric("Buckets per step", count(d.buckets),
               note=f"{size(d.bucket)} each"),
        Metric("One bucket's AllReduce", fmt.duration(d.per_bucket),
               note=f"latency {fmt.duration(one.latency_term.m_as('s'))}"),
        Metric("Bus bandwidth", fmt.si(one.bus_bandwidth.m_as("B/s"), "B/s"),
               note=f"link {fmt.si(one.effective_bandwidth.m_as('B/s'), 'B/s')} per GPU"),
        Metric("Ring/tree crossover", gb(cases.crossover(d.nodes))
               if math.isfinite(cases.crossover(d.nodes)) else "none",
               note=gpu_text(d.nodes)),
    ], key="act2.metrics")


def algorithms_table(ui, context, bucket, d):
    rows = []
    for a in cases.ALGORITHMS:
        x = d if a == context else step(a, bucket, d.nodes, d.sequences)
        rows.append([ALGORITHM_NAMES[a] + (" (this context)" if a == context else ""),
                     fmt.duration(x.per_bucket), fmt.duration(x.total),
                     fmt.percent(x.share, 0), "within budget" if x.feasible else "over budget"])
    ui.table(f"The gradient sent {in_buckets(bucket)} with each algorithm, "
             f"{gpu_text(d.nodes)}, {count(d.sequences)} sequences per step",
             ["algorithm", "one bucket", "per step", "of compute", "verdict"], rows,
             key="act2.algorithms")


def act2_reflection(ui):
    small = step("ring", "4m", LAB_NODES)
    big = step("ring", "16m", LAB_NODES)
    tiny = step("ring", "1m", LAB_NODES)
    wider = step("ring", "4m", 2 * LAB_NODES)
    ui.reflection(
        "act2.reflection",
        f"With the ring on {gpu_text(LAB_NODES)}, {fmt.binary(small.bucket)} buckets take "
        f"{fmt.duration(small.total)} per step against a {fmt.duration(small.budget)} budget. "
        "Without switching to the tree, what brings it within budget?",
        {
            "A": ("Smaller buckets, so communication starts earlier in the backward pass",
                  f"Starting earlier helps overlap, but every bucket pays the ring's latency: "
                  f"{fmt.binary(tiny.bucket)} buckets mean {count(tiny.buckets)} AllReduces "
                  f"and {fmt.duration(tiny.total)} per step."),
            "B": ("Larger buckets: fewer messages, so fewer latency terms",
                  f"Right. {fmt.binary(big.bucket)} buckets cut the AllReduces from "
                  f"{count(small.buckets)} to {count(big.buckets)} per step and the "
                  f"latency terms from {fmt.duration(small.latency)} to "
                  f"{fmt.duration(big.latency)}: {fmt.duration(big.total)} in all, within "
                  "budget. Frameworks bucket gradients for exactly this reason."),
            "C": ("A fabric with twice the bandwidth per GPU",
                  f"The latency terms alone take {fmt.duration(small.latency)}, "
                  f"{'more than' if small.latency > small.budget else 'most of'} the "
                  f"{fmt.duration(small.budget)} budget; bandwidth only shrinks the "
                  f"{fmt.duration(small.bandwidth)} of bandwidth terms."),
            "D": ("More GPUs, so each has less of the batch to compute",
                  f"Less compute per GPU shrinks the budget and a longer ring adds latency: on "
                  f"{gpu_text(2 * LAB_NODES)} the same buckets take "
                  f"{fmt.duration(wider.total)} against {fmt.duration(wider.budget)}."),
        }, correct="B")


def mathpeek_design(context, d) -> str:
    alpha, beta, link = cases.link_of(d.nodes)
    p = gpus(d.nodes)
    logp = math.ceil(math.log2(p))
    m_star = cases.crossover(d.nodes)
    return (
        r"$$T_{\text{ring}}(M) = 2(p-1)\,\alpha + 2\,\frac{p-1}{p}\,\frac{M}{\beta}, \qquad "
        r"T_{\text{tree}}(M) = 2\lceil\log_2 p\rceil\,\alpha + 2\,\frac{M}{\beta}$$" "\n\n"
        "They are equal at the crossover size\n\n"
        r"$$M^{*} = p\,\bigl(p - 1 - \lceil\log_2 p\rceil\bigr)\,\alpha\,\beta,$$" "\n\n"
        "which grows with $p^2$. A step sends the gradient $G$ in $n_b = \\lceil G/M\\rceil$ "
        "buckets; its communication is $n_b\\,T(M)$, against the budget $\\tfrac12 T_c$ with "
        "$T_c = 6\\,N\\,B / (p\\,R\\,\\eta)$ for $B$ tokens per step.\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $p$ | GPUs ({d.nodes} node{'s' if d.nodes > 1 else ''}) | {count(p)} |\n"
        f"| $\\alpha$, $\\beta$ | latency and bandwidth of one hop ({link}) | "
        f"{fmt.duration(alpha)}, {fmt.si(beta, 'B/s')} |\n"
        f"| $\\lceil\\log_2 p\\rceil$ | tree depth | {logp} |\n"
        f"| $M^*$ | crossover size | "
        f"{gb(m_star) if math.isfinite(m_star) else 'none'} |\n"
        f"| $G$, $M$ | gradient, bucket | {gb(GRAD)}, {size(d.bucket)} |\n"
        f"| $n_b$ | buckets per step | {count(d.buckets)} |\n"
        f"| $T(M)$ | one bucket, {algo(context)} | {fmt.duration(d.per_bucket)} |\n"
        f"| $n_b\\,T$ | per step: latency + bandwidth terms | {fmt.duration(d.latency)} + "
        f"{fmt.duration(d.bandwidth)} = {fmt.duration(d.total)} |\n"
        f"| $T_c$ | compute per step ({count(d.sequences * SEQ_LEN)} tokens) | "
        f"{fmt.duration(d.compute)} |\n"
        f"| $\\tfrac12 T_c$ | budget | {fmt.duration(d.budget)} |\n")


def closing(ui):
    _, _, ratio, _ = act1_truth()
    m_star, _ = act2_truth()
    small = step("ring", "4m", LAB_NODES)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-collective-communication-ring derives the ring's two phases and why no "
            "algorithm sends less; @sec-v2-collective-communication-crossover works the "
            "crossover on a smaller cluster; @sec-v2-collective-communication-hierarchical "
            "shows why the hierarchical algorithm beats both on DGX nodes.\n"
            "- @sec-v2-distributed-training uses these costs to choose data, tensor and "
            "pipeline parallelism.\n"
            "- Next, Lab 07 (@sec-v2-fault-tolerance): at thousands of GPUs something fails "
            "every few hours, and checkpoints decide how much work is lost.\n"
            "- TinyTorch, Module 06 (Optimizers): the optimizer step you write there is what "
            "consumes the averaged gradient an AllReduce delivers.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. One parameter server is about p times slower than a ring: "
            f"{fmt.ratio(ratio)} at {gpu_text(LAB_NODES)}. Its link carries every gradient; "
            "a ring GPU sends just under twice the gradient at any scale.\n"
            "2. The ring is bandwidth-optimal but pays 2(p − 1) latency steps; the tree pays "
            f"2⌈log₂ p⌉. At {gpu_text(LAB_NODES)} they cross at {gb(m_star)}, and the "
            "crossover grows with p².\n"
            f"3. Buckets amortise latency: {fmt.binary(small.bucket)} ring buckets cost "
            f"{fmt.duration(small.latency)} of latency per step on {gpu_text(LAB_NODES)}; "
            "size buckets so the latency terms are small next to the bandwidth terms.")


def save_to_ledger(ui, context, pred1, pred2, bucket, d):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    _, _, ratio, _ = act1_truth()
    decision = (f"{contexts.name(context)} AllReduce, gradient sent {in_buckets(bucket)}, "
                f"{d.nodes} node{'s' if d.nodes > 1 else ''} ({gpu_text(d.nodes)}), "
                f"{count(d.sequences)} sequences per step")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (bands.log_middle(ACT1_BANDS, pred1.value), ratio),
        pred2, decision=decision, result=d.total * 1e3, unit="ms",
        constraint_hit=not d.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Design", decision),
        ("AllReduce per step", f"{fmt.duration(d.total)} (budget {fmt.duration(d.budget)})")))

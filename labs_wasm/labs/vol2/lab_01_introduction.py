"""Vol II · Lab 01 · From one node to a fleet (chapter: introduction).

Act I calibrates what scale does to availability: 1,000 GPUs each up 99.9% of the time are all
up together only about a third of the time (A^N), and at the failure rate of the Llama 3 405B
run such a cluster loses a GPU every couple of days, a 8,192-GPU one every few hours. A
synchronous job needs all of them, so at scale failure is the normal state.
Act II sizes a cluster for a training run: C = 6ND at a fraction eta of peak gives the ideal
time; the engine's fleet model adds communication, the pipeline bubble and recomputation, so the
effective MFU falls as nodes are added and a 70B model on 15T tokens needs more than twice the nodes the
ideal suggests to finish in 60 days. The contexts change the economics and the reachable
scale: Cloud rents DGX-class nodes by the GPU-hour, at most one capacity block (64 nodes);
Fleet owns them for three years, purchase and electricity against a budget. The failure:
the deadline missed (too few nodes, or a rental too small), memory exceeded, or the
three-year budget exceeded (too many nodes owned). Every number comes from the engine through
introduction_cases.py, which Volume II's Chapter 1 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import introduction_cases as cases
from labs.vol2.introduction_cases import (ACT1_AVAILABILITY, ACT1_GPUS, ACT2_ETA, ACT2_MODEL,
                                          ACT2_TOKENS, AVAILABILITIES, BUDGET_USD,
                                          DEADLINE_DAYS, ETAS, GPUS_PER_NODE, NODE_COUNTS,
                                          OWNERSHIP_YEARS, RENTAL_MAX_NODES, all_up, design,
                                          reliability)

LAB = Lab(
    id="vol2/01", chapter="introduction", title="From one node to a fleet",
    hook="A thousand GPUs are not a thousand times one GPU: they fail together, wait for each "
         "other, and are paid for by the hour or by the year. How big must a cluster be, and "
         "what does it cost?",
    invariants=["C = 6ND", "availability product Aᴺ", "scaling efficiency", "rent vs own"],
    minutes=40, contexts=("cloud", "fleet"),
    reading=[
        ("@sec-v2-introduction-compute", "C = 6ND: two FLOP forward, four backward"),
        ("@sec-v2-introduction-time", "from FLOP to days: the fraction of peak"),
        ("@sec-v2-introduction-scaling", "why N GPUs do not give N times the speed"),
        ("@sec-v2-introduction-failures", "the availability product and fleet MTBF"),
        ("@sec-v2-introduction-cost", "renting by the hour against owning for years"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "DGX-class nodes rented by the GPU-hour",
                                  "fleet": "DGX H100 nodes owned for three years"})
MODEL_LABELS = {"llama3_8b": "Llama 3 8B", "llama3_70b": "Llama 3 70B",
                "gpt3_175b": "GPT-3 175B"}
NODE_LABELS = {str(k): f"{k:,} node{'s' if k > 1 else ''} ({k * GPUS_PER_NODE:,} GPUs)"
               for k in NODE_COUNTS}
ETA_LABELS = {str(e): f"{fmt.percent(e, 0)} of peak" + (" (engine default)" if e == 0.4 else "")
              for e in ETAS}
AVAILABILITY_LABELS = {str(a): fmt.percent(a, 2 if a > 0.999 else 1) for a in AVAILABILITIES}
#: Act I's GPU count starts on the context's cluster: one rented node, or the template fleet.
ACT1_DEFAULT_GPUS = {"cloud": GPUS_PER_NODE, "fleet": cases.TEMPLATE.total_accelerators}
#: Act II starts where a team of each kind would: the largest rental with the model it can train
#: in time in Cloud; the template's 1,024 nodes with the prediction's model in Fleet.
ACT2_DEFAULT_NODES = {"cloud": RENTAL_MAX_NODES, "fleet": cases.TEMPLATE.nodes}
ACT2_DEFAULT_MODEL = {"cloud": "llama3_8b", "fleet": ACT2_MODEL}
TOKENS_T = (0.1, 20.0, 0.1)        # slider: trillions of training tokens (min, max, step)
PEAK = cases.GPU.compute.peak_flops.m_as("FLOP/s")


YEARS = {3: "three", 4: "four", 5: "five"}.get(OWNERSHIP_YEARS, str(OWNERSHIP_YEARS))


def share_text(p: float) -> str:
    """A share of time; tiny ones keep their digits (0.0275%, not 0.0%)."""
    return fmt.percent(p) if p >= 1e-3 else f"{fmt.num(p * 100, 3)}%"


def money(usd: float) -> str:
    return f"${fmt.num(usd / 1e6)} million" if usd >= 1e6 else fmt.usd(usd)


def days_text(d: float) -> str:
    return f"{fmt.num(d)} day{'s' if d != 1 else ''}"


def nodes_text(k: int) -> str:
    return f"{k:,} node{'s' if k != 1 else ''} ({k * GPUS_PER_NODE:,} GPUs)"


def tokens_text(tokens: float) -> str:
    return f"{fmt.num(tokens / 1e12)} trillion tokens" if tokens >= 1e12 else \
        f"{fmt.num(tokens / 1e9)} billion tokens"


def show(q) -> str:
    """A constraint's amount as a student reads it: days, dollars, nodes, bytes."""
    dim = str(q.dimensionality)
    if dim == "[time]":
        return days_text(q.m_as("day"))
    if dim == "[currency]":
        return money(q.m_as("USD"))
    if dim == "dimensionless":
        return f"{q.m_as(''):,.0f} nodes"
    return fmt.quantity(q)


# ---- Act I: the share of time all GPUs are up, in bands ------------------------------------
ACT1_BANDS = {"A": (0.9, math.inf), "B": (0.6, 0.9), "C": (0.2, 0.6), "D": (0.0, 0.2)}


def act1_truth() -> tuple[float, str]:
    share = all_up(ACT1_AVAILABILITY, ACT1_GPUS)
    return share, bands.band_of(share, ACT1_BANDS)


def band_middle(key: str) -> float:
    lo, hi = ACT1_BANDS[key]
    return (lo + min(hi, 1.0)) / 2


def act1_fact() -> str:
    share, _ = act1_truth()
    down = ACT1_GPUS * (1 - ACT1_AVAILABILITY)
    return (f"{fmt.percent(ACT1_AVAILABILITY)} multiplied by itself {ACT1_GPUS:,} times is "
            f"**{fmt.percent(share)}**: that is the share of time all {ACT1_GPUS:,} GPUs are up "
            f"together, and on average {fmt.num(down)} of them is down at any moment.")


def act1_options() -> dict:
    fact = act1_fact()
    return {
        "A": ("More than 90%: a 0.1% failure rate is negligible",
              f"{fact} One part in a thousand is negligible for one GPU; a synchronous job "
              "needs every one of them, so the small gaps add up across the cluster."),
        "B": ("Between 60% and 90%",
              f"{fact} It is tempting to read 0.1% per GPU as a small loss overall; the "
              "availabilities multiply, and a thousand factors just under one compound."),
        "C": ("Between 20% and 60%",
              f"{fact} That is your band: the product of a thousand small losses."),
        "D": ("Less than 20%: almost never",
              f"{fact} Lower than intuition, but not that low: the product falls below 20% "
              "only when the cluster is larger or each GPU less available."),
    }


# ---- Act II: the fewest nodes for the deadline, in bands of powers of two -----------------
ACT2_BANDS = {"A": (1, 256), "B": (256, 512), "C": (512, 1024), "D": (1024, math.inf)}


def act2_truth() -> tuple[int, str]:
    best = cases.fewest_nodes(ACT2_MODEL, ACT2_TOKENS, ACT2_ETA).best_config
    return best["nodes"], bands.band_of(best["nodes"], ACT2_BANDS)


def act2_numbers() -> dict:
    """The prediction's case: the ideal node count (C = 6ND at eta, no waiting) and the
    engine's fewest nodes, with the days of that size and of half of it."""
    need, _ = act2_truth()
    c = cases.compute(ACT2_MODEL, ACT2_TOKENS).training_flops.m_as("FLOP")
    gpu_hours = cases.ideal(ACT2_MODEL, ACT2_TOKENS, 1, ACT2_ETA).hours
    ideal_nodes = gpu_hours / (DEADLINE_DAYS * 24) / GPUS_PER_NODE
    return {"need": need, "flop": c, "gpu_hours": gpu_hours, "ideal_nodes": ideal_nodes,
            "ideal_pow2": min(k for k in NODE_COUNTS if k >= ideal_nodes),
            "half": need // 2, "slow": cases.days(ACT2_MODEL, ACT2_TOKENS, need // 2, ACT2_ETA),
            "fast": cases.days(ACT2_MODEL, ACT2_TOKENS, need, ACT2_ETA),
            "mfu_half": cases.sizes(ACT2_MODEL, ACT2_ETA)[need // 2].effective_mfu}


def act2_fact() -> str:
    n = act2_numbers()
    return (f"C = 6ND = {fmt.num(n['flop'])} FLOP. At {fmt.percent(ACT2_ETA, 0)} of "
            f"{fmt.si(PEAK, 'FLOP/s')} per GPU that is {fmt.num(n['gpu_hours'] / 1e6)} million "
            f"GPU-hours: {fmt.num(n['ideal_nodes'])} nodes for {DEADLINE_DAYS} days if the GPUs "
            f"never waited and never recomputed. Each step also recomputes activations "
            f"(a third more arithmetic) and exchanges gradients: with {nodes_text(n['half'])} "
            f"the engine's fleet model gives {days_text(n['slow'])} (effective MFU "
            f"{fmt.percent(n['mfu_half'])}), and **{nodes_text(n['need'])}** are the fewest "
            f"that finish in time, in {days_text(n['fast'])}.")


def act2_options() -> dict:
    n = act2_numbers()
    fact = act2_fact()
    gpt3 = cases.compute(cases.CHAPTER_MODEL, cases.CHAPTER_TOKENS).training_flops.m_as("FLOP")
    return {
        "A": ("128 nodes (1,024 GPUs) or fewer",
              f"{fact} A thousand GPUs is a large cluster, but this run needs "
              f"{fmt.num(n['flop'] / gpt3, 2)} times GPT-3's training compute."),
        "B": ("256 nodes (2,048 GPUs)",
              f"{fact} Even with no waiting at all the run needs {fmt.num(n['ideal_nodes'])} "
              "nodes."),
        "C": ("512 nodes (4,096 GPUs)",
              f"{fact} C = 6ND alone points to {fmt.num(n['ideal_pow2'])} nodes; it leaves out "
              "the recomputed activations and the time the GPUs spend exchanging gradients."),
        "D": ("1,024 nodes (8,192 GPUs) or more",
              f"{fact} That is your band: {fmt.num(n['need'] / n['ideal_nodes'], 2)} times the "
              "ideal count, because recomputation costs time at every size and each added node "
              "adds communication as well as arithmetic."),
    }


# ---- the page -----------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, d = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, d)


def act_one(ui, context):
    share, correct = act1_truth()
    with ui.section("Act I · Calibration", "All up at once (12-15 min)"):
        ui.stakeholder(
            "Head of ML infrastructure, a model lab",
            "Our training runs used one rented node: eight GPUs, and I can't remember a day "
            f"when one of them was down. The board just approved a {ACT1_GPUS:,}-GPU cluster. "
            f"The vendor says each GPU, with its host and links, is up "
            f"{fmt.percent(ACT1_AVAILABILITY)} of the time. Our training job stops whenever "
            "any GPU stops. How much of the time will it be able to run?")
        ui.markdown(
            "A synchronous training step needs every GPU: each one holds a shard of the work, "
            "and the step waits for the slowest. So the question is the share of time **all** "
            "of them are up at once. Treat failures as independent (one GPU's failure says "
            "nothing about another's). Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"Each of {ACT1_GPUS:,} GPUs is up {fmt.percent(ACT1_AVAILABILITY)} of the time, "
            f"independently. What share of the time are all {ACT1_GPUS:,} up at once?",
            act1_options(), correct=correct)

        gpus = int(ui.slider("act1.gpus", "GPUs that must all be up", GPUS_PER_NODE,
                             2 * cases.TEMPLATE.total_accelerators, GPUS_PER_NODE,
                             ACT1_DEFAULT_GPUS[context], unit="GPUs"))
        a = float(ui.select("act1.availability", "Each GPU is up", AVAILABILITY_LABELS,
                            default=str(ACT1_AVAILABILITY)))
        availability_chart(ui, context, gpus, a)
        rel = reliability(gpus)
        ui.metrics([
            Metric("All up at once", share_text(all_up(a, gpus)), tone="info",
                   note=f"{AVAILABILITY_LABELS[str(a)]} to the power {gpus:,}"),
            Metric("GPUs down on average", fmt.num(gpus * (1 - a)),
                   note=f"{gpus:,} × {fmt.percent(1 - a, 2 if a > 0.999 else 1)}"),
            Metric("Fleet MTBF", fmt.duration(rel.fleet_mtbf.m_as("s")),
                   note=f"one GPU: {fmt.num(rel.mtbf.m_as('hour'))} h (Llama 3 failure rate)"),
            Metric("Interruptions per day", fmt.num(rel.failures_per_day), tone="warn"),
        ], key="act1.metrics")
        ui.reveal(pred, f"{fmt.percent(share)} of the time all {ACT1_GPUS:,} GPUs are up "
                        f"({fmt.percent(ACT1_AVAILABILITY)} each)",
                  text=pred.feedback, key="act1.overlay")
        act1_reflection(ui)
        with ui.math_peek("the availability product with this case's numbers",
                          key="act1.mathpeek"):
            ui.markdown(mathpeek_availability(gpus, a))
    return pred


def availability_chart(ui, context, gpus, a):
    xs = sorted({2 ** i for i in range(3, 15)} | {ACT1_GPUS, gpus})
    colors = {0.99: plot.COLORS["bad"], 0.999: plot.COLORS[context], 0.9999: plot.COLORS["good"]}
    traces = [plot.line(xs, [100 * all_up(av, n) for n in xs], f"each up {AVAILABILITY_LABELS[str(av)]}",
                        colors[av], width=3 if av == a else 1.5,
                        dash="solid" if av == a else "dot")
              for av in AVAILABILITIES]
    traces.append(plot.points([ACT1_GPUS], [100 * all_up(ACT1_AVAILABILITY, ACT1_GPUS)],
                              "the question", plot.COLORS["ink"], symbol="diamond", size=12))
    traces.append(plot.points([gpus], [100 * all_up(a, gpus)], "your cluster",
                              plot.COLORS["accent"], size=12))
    figure = {"data": traces, "layout": plot.layout(
        "Share of time every GPU is up", height=380, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("GPUs that must all be up (log scale)", log=True),
        yaxis=plot.axis("all up at once (%)", range=[0, 102]))}
    rows = [[f"{n:,}"] + [share_text(all_up(av, n)) for av in AVAILABILITIES]
            for n in (GPUS_PER_NODE, 64, 512, ACT1_GPUS, 4096, cases.TEMPLATE.total_accelerators,
                      2 * cases.TEMPLATE.total_accelerators)]
    ui.figure(figure, key="act1.allup", caption=(
        "The availability product: the share of time N GPUs are all up when each is up A of "
        f"the time is A to the power N. {ACT1_GPUS:,} GPUs at "
        f"{fmt.percent(ACT1_AVAILABILITY)} are all up {fmt.percent(all_up(ACT1_AVAILABILITY, ACT1_GPUS))} "
        f"of the time; your setting, {gpus:,} GPUs at {AVAILABILITY_LABELS[str(a)]}, "
        f"{share_text(all_up(a, gpus))}."),
        table={"caption": "Share of time all GPUs are up (engine, series availability)",
               "columns": ["GPUs"] + [f"each up {AVAILABILITY_LABELS[str(av)]}"
                                      for av in AVAILABILITIES],
               "rows": rows})


def act1_reflection(ui):
    share, _ = act1_truth()
    four = all_up(0.9999, ACT1_GPUS)
    four_big = all_up(0.9999, cases.TEMPLATE.total_accelerators)
    llama = reliability(cases.LLAMA3_GPUS)
    ours = reliability(ACT1_GPUS)
    ui.reflection(
        "act1.reflection",
        f"So a {ACT1_GPUS:,}-GPU job cannot count on every GPU being up. What keeps it "
        "training?",
        {
            "A": ("Buy GPUs with four nines (99.99%) instead",
                  f"It helps at this size ({fmt.percent(four)} all up at {ACT1_GPUS:,} GPUs) "
                  f"and fades with the next: at {cases.TEMPLATE.total_accelerators:,} GPUs four "
                  f"nines give {fmt.percent(four_big)}. Parts cannot get reliable as fast as "
                  "clusters get large."),
            "B": ("Expect failures: save the job's state often and restart on spare nodes",
                  f"Yes. At scale a failure is routine: at the Llama 3 run's failure rate "
                  f"{ACT1_GPUS:,} GPUs see one every {fmt.duration(ours.fleet_mtbf.m_as('s'))} "
                  f"and {cases.LLAMA3_GPUS:,} GPUs one every "
                  f"{fmt.duration(llama.fleet_mtbf.m_as('s'))}. The job checkpoints, swaps the "
                  "failed node for a spare and resumes; how often to checkpoint is a "
                  "calculation of its own (@sec-v2-fault-tolerance)."),
            "C": ("Run each step only when all GPUs are up, and wait otherwise",
                  f"The job would wait {fmt.percent(1 - share)} of the time, and a repair "
                  "takes hours to days, not seconds: the cluster would mostly idle."),
            "D": ("Nothing: if each GPU is up 99.9% of the time, so is the cluster",
                  f"Availability multiplies: {fmt.percent(ACT1_AVAILABILITY)} per GPU is "
                  f"{fmt.percent(share)} for {ACT1_GPUS:,} of them together."),
        }, correct="B")


def mathpeek_availability(gpus: int, a: float) -> str:
    rel = reliability(gpus)
    p = all_up(a, gpus)
    return (
        r"$$P(\text{all up}) = A^{N} \approx e^{-N(1-A)}, \qquad "
        r"\text{MTBF}_{\text{fleet}} = \frac{\text{MTBF}}{N}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $A$ | share of time one GPU is up, MTBF / (MTBF + repair time) | "
        f"{AVAILABILITY_LABELS[str(a)]} |\n"
        f"| $N$ | GPUs the job needs at once | {gpus:,} |\n"
        f"| $A^N$ | share of time all are up (independent failures) | {share_text(p)} |\n"
        f"| $N(1-A)$ | GPUs down on average | {fmt.num(gpus * (1 - a))} |\n"
        f"| MTBF | one GPU's mean time between job-stopping failures (Llama 3 405B run) | "
        f"{fmt.num(rel.mtbf.m_as('hour'))} h |\n"
        f"| $\\text{{MTBF}}_{{\\text{{fleet}}}}$ | time between failures somewhere in the "
        f"cluster | {fmt.duration(rel.fleet_mtbf.m_as('s'))} |\n\n"
        f"$A^N$ = {AVAILABILITY_LABELS[str(a)]}$^{{{gpus}}}$ = {share_text(p)}; the "
        f"approximation gives $e^{{-{fmt.num(gpus * (1 - a))}}}$ = "
        f"{share_text(math.exp(-gpus * (1 - a)))}. The exponent $N(1-A)$ is what matters: "
        "doubling the GPUs needs each one's downtime halved to keep the same share.")


# ---- Act II -------------------------------------------------------------------------------
def act_two(ui, context):
    need, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Size the cluster, rent or own "
                    "(20-25 min)"):
        ui.stakeholder(
            "Chief financial officer, the same lab",
            f"Next year we pre-train a {MODEL_LABELS[ACT2_MODEL]}-class model on "
            f"{tokens_text(ACT2_TOKENS)}, and it has to be done in {DEADLINE_DAYS} days. Our "
            f"compute budget is {money(BUDGET_USD)} for the next {YEARS} years. "
            "How many nodes do we need, and do we rent them or buy them?")
        ui.markdown(
            f"The deadline and the budget are this lab's scenario choices (illustrative). A node "
            f"is a DGX H100: {GPUS_PER_NODE} H100 SXM GPUs on NVLink, the nodes on an "
            f"InfiniBand NDR fat tree, training with {fmt.num(cases.GLOBAL_BATCH_TOKENS / 2 ** 20)}M-token "
            "batches (Llama 3's). The arithmetic runs at a fraction η of peak; the engine's "
            "fleet model then adds what each step spends exchanging gradients and activations, "
            "waiting in the pipeline and recomputing activations. Clusters come in powers of "
            "two nodes here, as cloud capacity blocks do.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{MODEL_LABELS[ACT2_MODEL]} on {tokens_text(ACT2_TOKENS)} at "
            f"{fmt.percent(ACT2_ETA, 0)} of peak: what is the smallest cluster that finishes "
            f"within {DEADLINE_DAYS} days?",
            act2_options(), correct=correct)

        ui.markdown(_context_note(context))
        model = ui.select("act2.model", "Model", MODEL_LABELS,
                          default=ACT2_DEFAULT_MODEL[context])
        tokens_t = ui.slider("act2.tokens", "Training tokens D", *TOKENS_T,
                             ACT2_TOKENS / 1e12, unit="trillion tokens")
        nodes = int(ui.select("act2.nodes", "Cluster size", NODE_LABELS,
                              default=str(ACT2_DEFAULT_NODES[context])))
        eta = float(ui.select("act2.eta", "Arithmetic efficiency η (fraction of peak)",
                              ETA_LABELS, default=str(ACT2_ETA)))
        d = design(context, model, tokens_t * 1e12, nodes, eta)
        if not d.feasible:
            failure(ui, d)
        sizing_chart(ui, d)
        sizing_metrics(ui, d)
        rent_or_own(ui, d)

        n = act2_numbers()
        ui.reveal(pred, f"{nodes_text(need)}: {days_text(n['fast'])}; half as many take "
                        f"{days_text(n['slow'])}", text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("time to train and cost with this design's numbers",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_sizing(d))
    return pred, d


def _context_note(context: str) -> str:
    if context == "cloud":
        return (f"**Cloud:** you rent nodes at {fmt.usd(cases.RENT_PER_GPU_HOUR.m_as('USD/hour'))} "
                "per GPU-hour (an AWS capacity-block price for 8-H100 instances, late 2024) and "
                f"pay only for the run. One capacity block holds at most {RENTAL_MAX_NODES} "
                "nodes, placed together on one network; that is the largest cluster you can "
                "rent here.")
    return (f"**Fleet:** you buy the nodes and run them for {YEARS} years: the "
            f"purchase (about {fmt.usd(cases.GPU.unit_cost.m_as('USD'))} per H100, a street "
            "price) plus electricity at the engine's price and PUE, GPUs always on. The whole "
            f"{YEARS}-year cost counts against the budget, whether or not the nodes "
            "are busy.")


def failure(ui, d):
    names = [v.name for v in d.violations]
    parts = []
    if "deadline" in names:
        parts.append("the deadline is missed")
    if "nodes in one rental" in names:
        parts.append("no single rental is that large")
    if "3-year budget" in names:
        parts.append("the budget is exceeded")
    if not parts:
        parts.append("the model does not fit in memory")
    title = "The plan fails: " + " and ".join(parts)
    ui.failure(title, d.violations, text=_way_out(d), key="act2.failure", show=show)


def _way_out(d) -> str:
    table = cases.sizes(d.model_key, d.eta)
    ok = [k for k in NODE_COUNTS if table[k].fits and
          table[k].days_per_trillion * d.tokens / 1e12 <= DEADLINE_DAYS]
    text = []
    if d.violation("deadline") is None and not d.row.fits:
        smallest = min(k for k in NODE_COUNTS if table[k].fits)
        text.append(f"{MODEL_LABELS[d.model_key]}'s training state does not fit on "
                    f"{nodes_text(d.nodes)} at any split: it needs at least "
                    f"{nodes_text(smallest)}.")
    if d.violation("deadline") is not None:
        text.append(f"{nodes_text(d.nodes)} train {MODEL_LABELS[d.model_key]} on "
                    f"{tokens_text(d.tokens)} in {days_text(d.days)}.")
        if ok and (d.context == "fleet" or ok[0] <= RENTAL_MAX_NODES):
            text.append(f"The fewest nodes that finish within {DEADLINE_DAYS} days: "
                        f"{nodes_text(ok[0])}.")
        elif ok:
            text.append(f"Finishing within {DEADLINE_DAYS} days takes {nodes_text(ok[0])}, "
                        f"more than one rental holds. {_rental_reach(d)} Switch to Fleet to "
                        "own a larger cluster, or train a smaller model or fewer tokens.")
        else:
            text.append(f"No cluster up to {nodes_text(NODE_COUNTS[-1])} finishes this run "
                        f"within {DEADLINE_DAYS} days: train on fewer tokens or a smaller model.")
    if d.violation("nodes in one rental") is not None:
        text.append(f"One capacity block rents at most {RENTAL_MAX_NODES} nodes: choose "
                    f"{RENTAL_MAX_NODES} or fewer, or switch to Fleet and own a larger "
                    f"cluster. {_rental_reach(d)}")
    if d.violation("3-year budget") is not None:
        affordable = [k for k in NODE_COUNTS if cases.own(k).total_cost.m_as("USD") <= BUDGET_USD]
        if affordable:
            k = affordable[-1]
            text.append(f"Owning {nodes_text(d.nodes)} costs {money(d.ownership)} over "
                        f"{YEARS} years; the largest cluster within "
                        f"{money(BUDGET_USD)} is {nodes_text(k)} "
                        f"({money(cases.own(k).total_cost.m_as('USD'))}). Choose fewer nodes, "
                        "or switch to Cloud and rent.")
    faster = [e for e in ETAS if e > d.eta and d.row.fits and
              cases.days(d.model_key, d.tokens, d.nodes, e) <= DEADLINE_DAYS]
    if d.violation("deadline") is not None and faster:
        e = faster[0]
        text.append(f"Or raise η to {fmt.percent(e, 0)}, if the software can: the same nodes "
                    f"then finish in {days_text(cases.days(d.model_key, d.tokens, d.nodes, e))}.")
    return " ".join(text)


def _rental_reach(d) -> str:
    """What the largest rental can train of this model within the deadline."""
    biggest = cases.sizes(d.model_key, d.eta)[RENTAL_MAX_NODES]
    if not biggest.fits:
        return f"{MODEL_LABELS[d.model_key]} does not fit on {RENTAL_MAX_NODES} nodes."
    most = DEADLINE_DAYS / biggest.days_per_trillion * 1e12
    return (f"{nodes_text(RENTAL_MAX_NODES)} train {MODEL_LABELS[d.model_key]} on at most "
            f"{tokens_text(most)} within {DEADLINE_DAYS} days.")


def sizing_chart(ui, d):
    table = cases.sizes(d.model_key, d.eta)
    fits = [k for k in NODE_COUNTS if table[k].fits]
    ys = {k: table[k].days_per_trillion * d.tokens / 1e12 for k in fits}
    ideal = {k: cases.ideal(d.model_key, d.tokens, k * GPUS_PER_NODE, d.eta).total_time.m_as("day")
             for k in fits}
    good = [k for k in fits if verdict(d.context, d.model_key, d.tokens, k, d.eta) == "meets "
            "every constraint"]
    bad = [k for k in fits if k not in good]
    traces = [
        plot.line(fits, [ideal[k] for k in fits], "if the GPUs never waited (C = 6ND at η)",
                  plot.COLORS["muted"], dash="dash"),
        plot.line(fits, [ys[k] for k in fits], "engine: with communication and bubbles",
                  plot.COLORS[d.context]),
        plot.points(good, [ys[k] for k in good], "meets every constraint", plot.COLORS["good"],
                    size=9),
        plot.points(bad, [ys[k] for k in bad], "fails a constraint", plot.COLORS["bad"],
                    symbol="x", size=9),
    ]
    if d.days is not None:
        # Open, so a cluster size's dot under it stays visible.
        traces.append(plot.points([d.nodes], [d.days], "your design", plot.COLORS["accent"],
                                  marker={"color": plot.COLORS["accent"], "symbol": "diamond-open",
                                          "size": 16, "line": {"width": 3}}))
    shapes = [plot.hline(DEADLINE_DAYS, plot.COLORS["bad"])]
    notes = [plot.note(fits[0], DEADLINE_DAYS, f"deadline {DEADLINE_DAYS} days",
                       xanchor="left", yanchor="bottom", xlog=True, ylog=True)]
    if d.context == "cloud":
        shapes.append(plot.vline(RENTAL_MAX_NODES, plot.COLORS["muted"]))
        notes.append(plot.note(RENTAL_MAX_NODES, max(ys.values()), "largest rental",
                               xanchor="right", yanchor="top", xlog=True, ylog=True))
    else:
        affordable = [k for k in NODE_COUNTS if cases.own(k).total_cost.m_as("USD") <= BUDGET_USD]
        if affordable:
            shapes.append(plot.vline(affordable[-1], plot.COLORS["muted"]))
            notes.append(plot.note(affordable[-1], max(ys.values()), "largest within budget",
                                   xanchor="right", yanchor="top", xlog=True, ylog=True))
    figure = {"data": traces, "layout": plot.layout(
        f"Days to train {MODEL_LABELS[d.model_key]} on {tokens_text(d.tokens)}", height=400,
        showlegend=True, legend={"orientation": "h", "y": -0.28}, shapes=shapes,
        annotations=notes,
        xaxis=plot.axis("cluster size (nodes of 8 GPUs, log scale)", log=True,
                        tickvals=list(NODE_COUNTS), ticktext=[f"{k:,}" for k in NODE_COUNTS]),
        yaxis=plot.axis("days (log scale)", log=True))}
    cost_col = "rental for the run" if d.context == "cloud" else \
        f"{YEARS} years of ownership"
    rows = []
    for k in NODE_COUNTS:
        if not table[k].fits:
            rows.append([f"{k:,}", f"{k * GPUS_PER_NODE:,}", "does not fit", "", "", "",
                         verdict(d.context, d.model_key, d.tokens, k, d.eta)])
            continue
        rows.append([f"{k:,}", f"{k * GPUS_PER_NODE:,}", fmt.num(ys[k]), fmt.num(ideal[k]),
                     fmt.percent(table[k].effective_mfu),
                     money(size_cost(d.context, d.model_key, d.tokens, k, d.eta)),
                     verdict(d.context, d.model_key, d.tokens, k, d.eta)])
    first = min(ys, key=lambda k: abs(k - d.nodes)) if ys else None
    caption = (f"Days to train {MODEL_LABELS[d.model_key]} on {tokens_text(d.tokens)} at "
               f"η = {fmt.percent(d.eta, 0)} against the cluster size, on log scales, with the "
               f"{DEADLINE_DAYS}-day deadline. The dashed line is C = 6ND at η with no waiting; "
               "the solid one is the engine's fleet model. ")
    if d.days is not None:
        caption += (f"Your design, {nodes_text(d.nodes)}, takes {days_text(d.days)} against "
                    f"{days_text(ideal[d.nodes])} ideal.")
    elif first is not None:
        caption += f"Your design, {nodes_text(d.nodes)}, does not fit in memory."
    ui.figure(figure, key="act2.sizing", caption=caption, table={
        "caption": f"Every cluster size for this run ({contexts.name(d.context)})",
        "columns": ["nodes", "GPUs", "days", "ideal days", "effective MFU", cost_col, "verdict"],
        "rows": rows})


VERDICT_WORDS = {"deadline": "misses the deadline", "nodes in one rental": "too large to rent",
                 "3-year budget": "over budget", "budget": "over budget",
                 "memory": "memory exceeded"}


def verdict(context, model_key, tokens, nodes, eta) -> str:
    names = cases.broken(context, model_key, tokens, nodes, eta)
    return "; ".join(VERDICT_WORDS[n] for n in names) if names else "meets every constraint"


def size_cost(context, model_key, tokens, nodes, eta) -> float:
    """What a cluster size costs in this context: the run's rental, or three years owned."""
    if context == "cloud":
        return cases.rent(nodes, cases.days(model_key, tokens, nodes, eta)).total_cost.m_as("USD")
    return cases.own(nodes).total_cost.m_as("USD")


def sizing_metrics(ui, d):
    c = cases.compute(d.model_key, d.tokens).training_flops.m_as("FLOP")
    items = [Metric("Training compute C = 6ND", f"{fmt.num(c)} FLOP", tone="info",
                    note=f"{fmt.num(cases.MODELS[d.model_key].parameters / 1e9)}B parameters × "
                         f"{tokens_text(d.tokens)}")]
    if d.days is not None:
        missed = d.violation("deadline") is not None
        ideal = cases.ideal(d.model_key, d.tokens, d.nodes * GPUS_PER_NODE, d.eta)
        rel = reliability(d.nodes * GPUS_PER_NODE)
        items += [
            Metric("Days to train", days_text(d.days), tone="danger" if missed else "success",
                   note=f"deadline {DEADLINE_DAYS} days; ideal {days_text(ideal.total_time.m_as('day'))}"),
            Metric("Effective MFU", fmt.percent(d.row.effective_mfu),
                   note=f"η = {fmt.percent(d.eta, 0)}; split {d.row.dp:,} data × "
                        f"{d.row.tp} tensor × {d.row.pp} pipeline"),
            Metric("Failures during the run", fmt.num(rel.failures_per_day * d.days),
                   note=f"one every {fmt.duration(rel.fleet_mtbf.m_as('s'))} (Llama 3 rate)"),
        ]
    else:
        items.append(Metric("Days to train", "does not fit", tone="danger",
                            note=f"needs {fmt.num(d.row.memory_gb)} GB per GPU at best"))
    over = d.violation("3-year budget") is not None
    rented = d.context == "cloud"
    items.append(Metric("Rental for the run" if rented else
                        f"{YEARS.capitalize()} years of ownership",
                        money(d.cost) if d.days is not None or not rented else "no run",
                        tone="danger" if over else None,
                        note=f"budget {money(BUDGET_USD)}"))
    ui.metrics(items, key="act2.metrics")


def rent_or_own(ui, d):
    if d.days is None:
        return
    runs = OWNERSHIP_YEARS * 365.25 / d.days
    rows = [
        ["Rent these nodes for the run", money(d.rental),
         f"{fmt.num(d.nodes * GPUS_PER_NODE * d.days * 24 / 1e6)} million GPU-hours × "
         f"{fmt.usd(cases.RENT_PER_GPU_HOUR.m_as('USD/hour'))}"],
        [f"Own these nodes for {YEARS} years", money(d.ownership),
         f"purchase {money(cases.own(d.nodes).capex_share.m_as('USD'))} + electricity "
         f"{money(cases.own(d.nodes).energy_cost.m_as('USD'))}"],
        ["Owned, per run, if kept busy", money(d.ownership / runs),
         f"{fmt.num(runs)} runs like this fit in {YEARS} years"],
    ]
    ui.table(f"Rent or own {nodes_text(d.nodes)} for this run", ["option", "cost", "how"],
             rows, key="act2.rent_own")


def act2_reflection(ui):
    be = cases.break_even_utilization()
    owned_hour = cases.own(1).cost_per_device_hour.m_as("USD/hour")
    rent = cases.RENT_PER_GPU_HOUR.m_as("USD/hour")
    reflection_bands = {"A": (0.0, 0.1), "B": (0.1, 0.4), "C": (0.4, 0.7), "D": (0.7, math.inf)}
    correct = bands.band_of(be, reflection_bands)
    fact = (f"Owned for {YEARS} years and always on, an H100 costs "
            f"{fmt.usd(owned_hour)} per hour; rented, {fmt.usd(rent)} per hour used. Owning "
            f"wins once the GPUs are busy more than {fmt.percent(be, 0)} of the time.")
    ui.reflection(
        "act2.reflection",
        f"Owning costs the same whether the nodes are busy or idle; renting costs only the "
        f"hours used. Over {YEARS} years, how busy must owned GPUs be for owning to "
        "cost less than renting the same GPU-hours?",
        {
            "A": ("Busy less than 10% of the time is enough",
                  f"{fact} Ownership's fixed cost is spread over every hour of three years; at "
                  "10% busy each used hour carries ten hours of it."),
            "B": ("Busy between 10% and 40% of the time",
                  f"{fact} So a lab that keeps its cluster reasonably busy for three years "
                  "should own it, and one that trains a single model should rent."),
            "C": ("Busy between 40% and 70% of the time",
                  f"{fact} The rental price carries the provider's margin and idle capacity, "
                  "so the break-even comes earlier than half."),
            "D": ("Only a cluster busy more than 70% of the time pays",
                  f"{fact} Purchase and power are the whole cost of owning here; the rental "
                  "price is several times the owned cost per hour."),
        }, correct=correct)


def mathpeek_sizing(d) -> str:
    c = cases.compute(d.model_key, d.tokens)
    n = d.nodes * GPUS_PER_NODE
    base = (
        r"$$C = 6ND, \qquad T_{\text{ideal}} = \frac{C}{n\,R\,\eta}, \qquad "
        r"T = \frac{C}{n\,R\,\text{MFU}_{\text{eff}}}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | parameters | {fmt.num(c.parameters / 1e9)} billion |\n"
        f"| $D$ | training tokens | {tokens_text(d.tokens)} |\n"
        f"| $C$ | training FLOP: 2 per parameter per token forward, 4 backward | "
        f"{fmt.num(c.training_flops.m_as('FLOP'))} FLOP |\n"
        f"| $n$ | GPUs | {n:,} |\n"
        f"| $R$ | peak per GPU, dense FP16 | {fmt.si(PEAK, 'FLOP/s')} |\n"
        f"| $\\eta$ | fraction of peak the arithmetic sustains | {fmt.percent(d.eta, 0)} |\n")
    if d.days is None:
        return base + ("\nThis design does not fit in memory, so it has no time: the model's "
                       "weights, gradients, optimizer state and activations per GPU exceed "
                       f"{fmt.quantity(cases.GPU.memory.capacity)} at every split.")
    ideal = cases.ideal(d.model_key, d.tokens, n, d.eta).total_time.m_as("day")
    b = cases.breakdown(d.model_key, d.nodes, d.eta)
    total = sum(b.values())
    parts = {"compute": "arithmetic of 6N FLOP per token at η", "recompute":
             "recomputed activations (one more forward pass)", "bubble": "pipeline bubble",
             "communication": "exposed communication (gradients, activations)"}
    rows = "".join(f"| {parts[k]} | {fmt.duration(v)} | {fmt.percent(v / total)} |\n"
                   for k, v in b.items())
    return base + (
        f"| $\\text{{MFU}}_{{\\text{{eff}}}}$ | model FLOP per second over peak, all waiting "
        f"included | {fmt.percent(d.row.effective_mfu)} |\n\n"
        f"$T_{{\\text{{ideal}}}}$ = {fmt.num(c.training_flops.m_as('FLOP'))} FLOP ÷ "
        f"({n:,} × {fmt.si(PEAK, 'FLOP/s')} × {fmt.num(d.eta)}) = {days_text(ideal)}. One "
        f"step of {fmt.num(cases.GLOBAL_BATCH_TOKENS / 2 ** 20)}M tokens on this cluster, as "
        "the engine's fleet model times it:\n\n"
        "| part of the step | time | share |\n| --- | --- | --- |\n" + rows +
        f"\nOnly the first row is model arithmetic, so "
        f"$\\text{{MFU}}_{{\\text{{eff}}}} = \\eta \\times$ "
        f"{fmt.percent(b['compute'] / total)} = {fmt.percent(d.row.effective_mfu)}, and "
        f"$T$ = {days_text(d.days)} instead of {days_text(ideal)}.\n\n"
        "Cost: renting is $n$ × hours × price per GPU-hour = "
        f"{n:,} × {fmt.num(d.days * 24)} h × {fmt.usd(cases.RENT_PER_GPU_HOUR.m_as('USD/hour'))} "
        f"= {money(d.rental)}; owning is $n$ × (price + power × PUE × hours × "
        f"electricity price) = {money(d.ownership)} for {YEARS} years.")


# ---- closing ------------------------------------------------------------------------------
def closing(ui):
    share, _ = act1_truth()
    n = act2_numbers()
    be = cases.break_even_utilization()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-introduction-scaling explains why the engine's days exceed C = 6ND's; "
            "@sec-v2-introduction-failures works the availability product on other cluster "
            "sizes; @sec-v2-introduction-cost compares renting and owning.\n"
            "- Next, Lab 02 (@sec-v2-compute-infrastructure) opens the node: why NVLink "
            "inside it and PCIe or the network outside it make a cliff in bandwidth.\n"
            "- TinyTorch, Module 07 (Training): the training loop you write there is the one "
            "every GPU of a fleet runs in lock step; its forward and backward passes are the "
            "2 and the 4 of C = 6ND.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Availability multiplies: {ACT1_GPUS:,} GPUs at "
            f"{fmt.percent(ACT1_AVAILABILITY)} each are all up {fmt.percent(share)} of the "
            "time. At scale, failure is the normal state and jobs must survive it.\n"
            f"2. C = 6ND sets the arithmetic; the fleet sets how much of the peak is used. "
            f"{MODEL_LABELS[ACT2_MODEL]} on {tokens_text(ACT2_TOKENS)} in {DEADLINE_DAYS} days "
            f"needs {nodes_text(n['need'])}, {fmt.num(n['need'] / n['ideal_nodes'], 2)} times "
            "the count C = 6ND suggests if the GPUs never waited.\n"
            f"3. Renting costs the hours you use; owning costs the years you own. Owned GPUs "
            f"pay off once they are busy more than {fmt.percent(be, 0)} of the time.")


def save_to_ledger(ui, context, pred1, pred2, d):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    share, _ = act1_truth()
    decision = (f"{MODEL_LABELS[d.model_key]} on {tokens_text(d.tokens)} with "
                f"{nodes_text(d.nodes)} at {fmt.percent(d.eta, 0)} of peak, "
                f"{'rented' if context == 'cloud' else 'owned'}")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (band_middle(pred1.value), share), pred2,
        decision=decision, result=d.days, unit="days", constraint_hit=not d.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{nodes_text(d.nodes)}, {MODEL_LABELS[d.model_key]}"),
        ("Days to train", days_text(d.days) if d.days is not None else "does not fit"),
        ("Verdict", "meets every constraint" if d.feasible else
         "fails: " + ", ".join(v.name for v in d.violations))))

"""Vol II · Lab 08 · The price of a busy cluster (chapter: fleet_orchestration).

Act I calibrates utilisation against waiting: a team's shared DGX H100 node, fine-tuning jobs
whose length the engine computes (6ND at the default MFU), jobs arriving at random. At 95%
busy the M/M/1 queue makes a job wait rho / (1 - rho) = 19 job lengths on average; pooling two
nodes behind one queue roughly halves it. Act II schedules a whole cluster's work, interactive
and training jobs, under one FIFO queue or with interactive jobs first (non-preemptive
priority, Cobham's formula), and asks how high the utilisation target can go before an
interactive job waits more than 5 minutes or a training job more than 48 hours. FIFO fails
the interactive limit first; priority protects interactive work at almost any load and hands
the overload to training, which starves when the work submitted exceeds the cluster. Every
number comes from the engine through fleet_orchestration_cases.py, which Chapter 24 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import fleet_orchestration_cases as cases
from labs.vol2.fleet_orchestration_cases import (CLUSTERS, INTERACTIVE_LIMIT, LAB_NODE,
                                                 LAB_UTILIZATION, TRAINING_LIMIT, schedule,
                                                 span)

LAB = Lab(
    id="vol2/08", chapter="fleet_orchestration", title="The price of a busy cluster",
    hook="Finance wants every GPU busy; researchers want their jobs to start. Queueing says "
         "both cannot have it, and the scheduler decides who pays.",
    invariants=["utilisation vs queueing delay", "pooling", "priority classes (Cobham)",
                "starvation under overload"],
    minutes=40, contexts=("fifo", "priority"),
    reading=[
        ("@sec-v2-fleet-orchestration-wait", "why waits explode as a node fills up"),
        ("@sec-v2-fleet-orchestration-pooling", "many nodes behind one queue"),
        ("@sec-v2-fleet-orchestration-priority", "priority classes and who pays the wait"),
        ("@sec-v2-fleet-orchestration-starvation", "overload, starvation and fair share"),
        ("@sec-v2-fleet-orchestration-packing", "gang scheduling, fragmentation, backfilling"),
    ],
)

CONTEXT_LABELS = contexts.labels({"fifo": "one queue, first come first served",
                                  "priority": "interactive jobs first"})
CLUSTER_LABELS = {"research": f"Research cluster: {CLUSTERS['research'].nodes} DGX A100 nodes",
                  "frontier": f"Frontier-scale cluster: {CLUSTERS['frontier'].nodes:,} "
                              "DGX H100 nodes"}
ALLOCATION_LABELS = {f"{h:g}": f"{h:g} hour{'s' if h != 1 else ''}" for h in cases.ALLOCATIONS_H}
LIMIT_I = INTERACTIVE_LIMIT.m_as("s")
LIMIT_T = TRAINING_LIMIT.m_as("s")
CLASS_NAMES = {"interactive": "Interactive", "training": "Training"}


# ---- words for times ----------------------------------------------------------------------
def amount(q) -> str:
    """A banner amount: times as spans, the engine's capacity constraint in nodes of work."""
    if str(q.dimensionality) == "[time]":
        return span(q.m_as("s"))
    return f"{fmt.num(q.m_as(''))} nodes of work"


def hours(h: float) -> str:
    return span(h * 3600)


# ---- Act I: bands of the mean wait in job lengths ------------------------------------------
ACT1_BANDS = {"A": (0.0, 2.0), "B": (2.0, 8.0), "C": (8.0, 40.0), "D": (40.0, math.inf)}
NODE_KEY = "DGX_H100"


def act1_truth() -> tuple[float, float, str]:
    """(mean wait in job lengths, mean wait in hours, the correct band) at LAB_UTILIZATION."""
    s = cases.job_hours(NODE_KEY)
    w = cases.node_queue(LAB_UTILIZATION, s).mean_wait.m_as("h")
    return w / s, w, bands.band_of(w / s, ACT1_BANDS)


def act1_options() -> dict:
    s = cases.job_hours(NODE_KEY)
    ratio, w, _ = act1_truth()
    actual = (f"At {fmt.percent(LAB_UTILIZATION, 0)} busy a job waits **{hours(w)}** on "
              f"average, {fmt.num(ratio)} times the {hours(s)} a run takes.")

    def band(k):
        lo, hi = ACT1_BANDS[k]
        return hours(lo * s), hours(hi * s) if math.isfinite(hi) else ""

    return {
        "A": (f"Less than two runs' length (under {band('A')[1]})",
              f"Far too short. {actual} A node that is idle only "
              f"{fmt.percent(1 - LAB_UTILIZATION, 0)} of the time has almost no slack to "
              "absorb a burst of submissions, and the queue behind a burst drains slowly."),
        "B": (f"Two to eight runs' length ({band('B')[0]} to {band('B')[1]})",
              f"Too short. {actual} Between 90% and 99% busy the wait grows from "
              f"{fmt.num(cases.wait_in_jobs(0.9))} to {fmt.num(cases.wait_in_jobs(0.99))} "
              "job lengths: the last few points of utilisation cost the most."),
        "C": (f"Eight to forty runs' length ({band('C')[0]} to {band('C')[1]})",
              f"Right. {actual} The mean wait of one server is ρ/(1 − ρ) job lengths, "
              f"{fmt.num(LAB_UTILIZATION)}/{fmt.num(1 - LAB_UTILIZATION)} here."),
        "D": (f"More than forty runs' length (over {band('D')[0]})",
              f"Too long. {actual} The queue is stable at this load: it grows without bound "
              "only at 100%, and 95% is still five points short of that."),
    }


# ---- Act II: bands of FIFO's highest utilisation for the interactive limit ------------------
ACT2_BANDS = {"A": (0.0, 0.70), "B": (0.70, 0.80), "C": (0.80, 0.90), "D": (0.90, 1.0)}
ACT2_CASE = ("research", cases.LAB_INTERACTIVE_SHARE, cases.LAB_ALLOCATION_H)


def act2_truth() -> tuple[float, float, str]:
    """(FIFO's highest utilisation, priority's, the correct band) on the research cluster with
    the default mix."""
    cluster, share, alloc = ACT2_CASE
    fifo = cases.highest_utilization("fifo", cluster, share, alloc)
    prio = cases.highest_utilization("priority", cluster, share, alloc)
    return fifo, prio, bands.band_of(fifo, ACT2_BANDS)


def act2_options() -> dict:
    fifo, prio, _ = act2_truth()
    n = CLUSTERS["research"].nodes
    fact = (f"Under FIFO the interactive mean wait reaches {span(LIMIT_I)} at "
            f"**{fmt.percent(fifo)}** utilisation on the {n} nodes.")
    return {
        "A": ("Below 70%",
              f"Too pessimistic. {fact} {n} nodes share one queue, so a job waits only when "
              "all of them are busy at once, which is rarer than on one node."),
        "B": ("70% to 80%",
              f"Too pessimistic. {fact} Pooling {n} nodes makes a wait rare until late: "
              "even at 80% most jobs find a free node."),
        "C": ("80% to 90%",
              f"Right. {fact} Beyond it the wait climbs past the limit for everyone, because "
              "FIFO makes the researcher at the terminal wait behind every training "
              f"allocation that arrived first. With interactive jobs first, the same mix "
              f"keeps both limits up to {fmt.percent(prio)}."),
        "D": ("90% or higher",
              f"Too optimistic. {fact} At 90% the mean FIFO wait is "
              f"{span(schedule('fifo', 'research', 0.9, *ACT2_CASE[1:]).waits[0])}: pooling "
              f"helps, but not that much with {hours(ACT2_CASE[2])} allocations on {n} nodes."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Scheduling policy", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, s = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, s)


def act_one(ui):
    s = cases.job_hours(NODE_KEY)
    ratio, w, correct = act1_truth()
    job = cases.job(NODE_KEY)
    with ui.section("Act I · Calibration", "How long does a busy node make you wait? (12-15 min)"):
        ui.stakeholder(
            "Team lead, an applied-research group",
            f"We share one {LAB_NODE.name}. Our jobs are fine-tuning runs of "
            f"{cases.FINETUNE_MODEL.name} on {fmt.num(cases.FINETUNE_TOKENS / 1e6)} million "
            "tokens, "
            f"about {hours(s)} each. Finance says the node costs too much to sit idle and "
            f"wants it busy {fmt.percent(LAB_UTILIZATION, 0)} of the time. Fine by me, as long "
            "as people do not wait long for their runs to start. How long will they wait?")
        ui.markdown(
            f"The run length comes from the engine: 6ND = "
            f"{fmt.num(job.total_flops.m_as('FLOP'))} FLOP at {fmt.percent(job.mfu, 0)} of "
            f"the node's peak (the engine's default model FLOPs utilisation) on "
            f"{LAB_NODE.accelerators} GPUs. The runs vary in length around that mean, and "
            "people submit them whenever they are ready, not on a timetable: model the node "
            "as one server with random arrivals and exponential job lengths (M/M/1). This act "
            "is the same under both scheduling policies: with one kind of job there is no one "
            "to put first.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"At {fmt.percent(LAB_UTILIZATION, 0)} utilisation, how long does a run wait for "
            "the node on average, before it starts?",
            act1_options(), correct=correct)

        rho = ui.slider("act1.utilization", "Node utilisation", 0.5, 0.99, 0.01,
                        LAB_UTILIZATION, unit="%", scale=100)
        q = cases.node_queue(rho, s)
        pooled = cases.node_queue(rho, s, 2)
        wait_curve(ui, rho, s)
        wait_h = q.mean_wait.m_as("h")
        ui.metrics([
            Metric("Mean wait", hours(wait_h), tone="warn",
                   note=f"{fmt.num(wait_h / s)} run lengths"),
            Metric("Runs waiting (mean)", fmt.num(q.mean_queue_length),
                   note="Little's law: arrivals per hour × mean wait"),
            Metric("Chance a run waits", fmt.percent(q.prob_wait, 0)),
            Metric("Idle time", hours(24 * (1 - rho)) + " a day", tone="info"),
            Metric("Two nodes, one queue", hours(pooled.mean_wait.m_as("h")),
                   note="same utilisation, mean wait"),
        ], key="act1.metrics")
        ui.table(
            f"Mean wait for the {hours(s)} run on one node, by utilisation (engine, M/M/1)",
            ["utilisation", "mean wait (run lengths)", "mean wait", "runs waiting"],
            [[fmt.percent(u, 0), fmt.num(cases.wait_in_jobs(u)),
              hours(cases.node_queue(u, s).mean_wait.m_as("h")),
              fmt.num(cases.node_queue(u, s).mean_queue_length)]
             for u in (0.5, 0.8, 0.9, LAB_UTILIZATION, 0.99)], key="act1.table")
        ui.reveal(pred, f"mean wait {hours(w)}, {fmt.num(ratio)} run lengths, at "
                        f"{fmt.percent(LAB_UTILIZATION, 0)} busy", text=pred.feedback,
                  key="act1.overlay")
        act1_reflection(ui, s)
        with ui.math_peek("one node's wait with this case's numbers", key="act1.mathpeek"):
            ui.markdown(mathpeek_one_node(rho, s, q))
    return pred


UTIL_GRID = tuple(round(0.05 * k, 2) for k in range(1, 20)) + (0.96, 0.97, 0.98, 0.99)


def wait_curve(ui, rho, s):
    one = [cases.wait_in_jobs(u) for u in UTIL_GRID]
    two = [cases.wait_in_jobs(u, 2) for u in UTIL_GRID]
    x = [u * 100 for u in UTIL_GRID]
    here = cases.wait_in_jobs(rho)
    traces = [plot.line(x, one, "one node", plot.COLORS["fleet"], width=3),
              plot.line(x, two, "two nodes, one queue", plot.COLORS["muted"], dash="dash"),
              plot.points([rho * 100], [here], "your utilisation", plot.COLORS["bad"],
                          symbol="star", size=16)]
    ui.figure({"data": traces, "layout": plot.layout(
        "Mean wait against utilisation", height=360, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("utilisation (%)", range=[0, 100]),
        yaxis=plot.axis("mean wait (run lengths)", range=[0, max(40, here * 1.15)]))},
        key="act1.curve", caption=(
            "Mean wait before a run starts, in run lengths, against the node's utilisation: "
            "one node (M/M/1) and two nodes sharing one queue (M/M/2). The curve is flat at "
            f"first and turns up sharply past 80%. At {fmt.percent(rho, 0)} one node makes a "
            f"run wait {fmt.num(here)} run lengths ({hours(here * s)}); two pooled nodes "
            f"{fmt.num(cases.wait_in_jobs(rho, 2))} ({hours(cases.wait_in_jobs(rho, 2) * s)})."),
        table={"caption": "Mean wait in run lengths (engine: M/M/1 and M/M/2)",
               "columns": ["utilisation", "one node", "two nodes, one queue"],
               "rows": [[fmt.percent(u, 0), fmt.num(a), fmt.num(b)]
                        for u, a, b in zip(UTIL_GRID, one, two) if round(u * 100) % 10 == 0
                        or u >= 0.95]})


ACT1_REFLECTION_BANDS = {"A": (0.0, 0.2), "B": (0.2, 0.8), "C": (0.8, 1.2), "D": (1.2, math.inf)}


def act1_reflection(ui, s):
    one = cases.wait_in_jobs(LAB_UTILIZATION)
    two = cases.wait_in_jobs(LAB_UTILIZATION, 2)
    ratio = two / one
    facts = (f"At {fmt.percent(LAB_UTILIZATION, 0)} the pooled pair waits {hours(two * s)} "
             f"against one node's {hours(one * s)}.")
    ui.reflection(
        "act1.reflection",
        "The group buys a second node for twice the work, so each node is still "
        f"{fmt.percent(LAB_UTILIZATION, 0)} busy, and both nodes take runs from one shared "
        "queue. What happens to the mean wait?",
        {
            "A": ("It almost vanishes: a second node is always free",
                  f"Not at this load. {facts} Both nodes are busy at once most of the time, "
                  "so most runs still queue."),
            "B": ("It falls substantially: a run waits only when both nodes are busy",
                  f"Yes. {facts} Pooling lets one node's idle moment serve the other's queue. "
                  "The same effect, over hundreds of nodes, is what lets a large cluster run "
                  "hotter than a small one (Act II)."),
            "C": ("It stays the same: each node is as busy as before",
                  f"Utilisation is the same, but waiting is not. {facts} What matters is "
                  "whether every server is busy when a run arrives, which is rarer with two."),
            "D": ("It grows: twice the runs compete for the queue",
                  f"Twice the runs, and twice the servers to share them. {facts}"),
        }, correct=bands.band_of(ratio, ACT1_REFLECTION_BANDS))


def mathpeek_one_node(rho, s, q) -> str:
    lam = rho / s
    w = q.mean_wait.m_as("h")
    return (
        r"$$W_q \;=\; \frac{\rho}{1-\rho}\,S, \qquad L_q \;=\; \lambda\,W_q, "
        r"\qquad \rho \;=\; \lambda S$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $S$ | mean run length: 6ND ÷ ({LAB_NODE.accelerators} GPUs × peak × MFU) | "
        f"{hours(s)} |\n"
        f"| $\\rho$ | utilisation: fraction of time the node is busy | {fmt.percent(rho, 0)} |\n"
        f"| $\\lambda$ | runs submitted per hour, $\\rho / S$ | {fmt.num(lam)} |\n"
        f"| $W_q$ | mean wait before a run starts | {hours(w)} |\n"
        f"| $L_q$ | mean number of runs waiting (Little's law) | {fmt.num(q.mean_queue_length)} |\n\n"
        f"$W_q$ = {fmt.num(rho)} ÷ {fmt.num(1 - rho)} × {hours(s)} = {hours(w)}. "
        "The factor ρ/(1 − ρ) is the whole story: it is "
        + ", ".join(f"{fmt.num(cases.wait_in_jobs(u))} at {fmt.percent(u, 0)}"
                    for u in (0.5, 0.8, 0.9, 0.99)) +
        ", whatever the node or the job. The formula assumes random arrivals and "
        "exponential run lengths; with more regular runs the wait shrinks by "
        "(1 + cv²)/2 (Pollaczek-Khinchine), but it still diverges at 100%.")


# ---- Act II ------------------------------------------------------------------------------
def act_two(ui, context):
    fifo, prio, correct = act2_truth()
    research = CLUSTERS["research"]
    with ui.section("Act II · Design challenge", "Two kinds of work, one cluster (20-25 min)"):
        ui.stakeholder(
            "Head of the ML platform, a research lab",
            f"Our {research.nodes}-node cluster runs two kinds of work. Interactive jobs: a "
            "researcher at a terminal waiting for a debugging run or an evaluation. Training "
            "jobs: long runs nobody watches start. Finance wants a higher utilisation target. "
            f"I promise two things: interactive jobs start within {span(LIMIT_I)} on average, "
            f"and no training job waits more than {span(LIMIT_T)}. How far can we push it, "
            "and does the scheduling policy matter?")
        ui.markdown(
            "Every job takes one whole node (eight GPUs on one NVLink domain: the scheduler "
            "places the gang together) and holds it for a random time: a walltime slice, "
            "after which training jobs checkpoint and requeue, so interactive and training "
            f"allocations share one length distribution, {hours(cases.LAB_ALLOCATION_H)} on "
            "average by default. The limits, the allocation lengths and the interactive share "
            "of the work are this lab's scenario choices (illustrative). The scheduling "
            "policy is the toggle at the top: one queue in arrival order, or interactive jobs "
            "first (a running job is never interrupted).")
        pred = ui.predict_choice(
            "act2.prediction",
            f"On the {research.nodes}-node research cluster, with "
            f"{hours(cases.LAB_ALLOCATION_H)} allocations and one first-come-first-served "
            "queue: up to what utilisation do interactive jobs still start within "
            f"{span(LIMIT_I)} on average?",
            act2_options(), correct=correct)

        cluster = ui.select("act2.cluster", "Cluster", CLUSTER_LABELS, default="research")
        rho = ui.slider("act2.utilization", "Utilisation target (work submitted ÷ capacity)",
                        0.5, 1.1, 0.01, 0.8, unit="%", scale=100)
        share = ui.slider("act2.share", "Interactive share of the work", 0.05, 0.6, 0.05,
                          cases.LAB_INTERACTIVE_SHARE, unit="%", scale=100)
        alloc = float(ui.select("act2.allocation", "Mean allocation (walltime slice)",
                                ALLOCATION_LABELS, default=f"{cases.LAB_ALLOCATION_H:g}"))
        s = schedule(context, cluster, rho, share, alloc)
        if not s.feasible:
            failure(ui, s)
        wait_chart(ui, s)
        class_metrics(ui, s)
        class_table(ui, s)

        ui.reveal(pred, f"interactive wait reaches {span(LIMIT_I)} at {fmt.percent(fifo)} "
                        f"under FIFO ({research.nodes} nodes, {hours(cases.LAB_ALLOCATION_H)} "
                        f"allocations); interactive-first keeps both limits to "
                        f"{fmt.percent(prio)}", text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("priority classes with this design's numbers", key="act2.mathpeek"):
            ui.markdown(mathpeek_priority(s))
    return pred, s


def exits(s) -> list[str]:
    """Ways out of the failure with the student's other controls unchanged."""
    ways = []
    best = cases.highest_utilization(s.discipline, s.cluster, s.interactive_share,
                                     s.allocation_h)
    if best >= 0.5:
        ways.append(f"lower the utilisation target to {fmt.percent(math.floor(best * 100) / 100, 0)} "
                    "or less")
    if s.discipline == "fifo":
        other = schedule("priority", s.cluster, s.utilization, s.interactive_share,
                         s.allocation_h)
        if other.feasible:
            ways.append("switch the policy to Priority")
    shorter = [h for h in cases.ALLOCATIONS_H if h < s.allocation_h and
               schedule(s.discipline, s.cluster, s.utilization, s.interactive_share, h).feasible]
    if shorter:
        ways.append(f"shorten allocations to {hours(max(shorter))}")
    if s.cluster == "research" and schedule(s.discipline, "frontier", s.utilization,
                                            s.interactive_share, s.allocation_h).feasible:
        ways.append("pool the work on the larger cluster")
    return ways or ["lower the utilisation target"]


def failure(ui, s):
    wi, wt = s.waits
    if s.utilization >= 1:
        title = "Overloaded: more work is submitted than the cluster can do"
        if s.discipline == "priority":
            text = (f"The nodes serve interactive jobs first (mean wait {span(wi)}), and the "
                    "training jobs get what is left, which is less than they submit: their "
                    "queue grows without bound. They starve. ")
        else:
            text = ("In one arrival-order queue the backlog grows without bound, and every "
                    "job, interactive or training, waits longer and longer. ")
    elif wi > LIMIT_I and wt > LIMIT_T:
        title = "Both promises broken"
        text = (f"Interactive jobs wait {span(wi)} and training jobs {span(wt)} on average. ")
    elif wi > LIMIT_I:
        title = f"Interactive jobs wait more than {span(LIMIT_I)}"
        text = ((f"In one queue, a researcher's job waits behind every allocation that "
                 f"arrived first: {span(wi)} on average at {fmt.percent(s.utilization, 0)}. ")
                if s.discipline == "fifo" else
                (f"Even first in line, an interactive job waits {span(wi)} on average for a "
                 f"running allocation to end: with {hours(s.allocation_h)} allocations and "
                 f"interactive work {fmt.percent(s.interactive_share, 0)} of the load, nodes "
                 "free up too slowly. "))
    else:
        title = f"Training jobs wait more than {span(LIMIT_T)}"
        text = (f"Training jobs wait {span(wt)} on average: the cluster is so close to full "
                "that the low-priority queue barely drains. ")
    ways = exits(s)
    text += "To get out: " + ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + ways[-1] + "."
    ui.failure(title, s.violations, text=text, key="act2.failure", show=amount)


CURVE_GRID = tuple(round(0.5 + 0.02 * k, 2) for k in range(25)) + (0.99, 0.995)


def curve(discipline, cluster, share, alloc):
    return [schedule(discipline, cluster, u, share, alloc).waits for u in CURVE_GRID]


def wait_phrase(seconds: float) -> str:
    return (f"wait {span(seconds)} on average" if math.isfinite(seconds)
            else "wait without bound")


def minutes(seconds: float):
    return seconds / 60 if math.isfinite(seconds) else None


def wait_chart(ui, s):
    fifo = curve("fifo", s.cluster, s.interactive_share, s.allocation_h)
    prio = curve("priority", s.cluster, s.interactive_share, s.allocation_h)
    x = [u * 100 for u in CURVE_GRID]
    mine = s.discipline
    width = {m: 3 if m == mine else 1.5 for m in ("fifo", "priority")}
    traces = [
        plot.line(x, [minutes(w[0]) for w in fifo], "FIFO: every job", plot.COLORS["muted"],
                  dash="solid" if mine == "fifo" else "dash", width=width["fifo"]),
        plot.line(x, [minutes(w[0]) for w in prio], "Priority: interactive",
                  plot.COLORS["good"], dash="solid" if mine == "priority" else "dash",
                  width=width["priority"]),
        plot.line(x, [minutes(w[1]) for w in prio], "Priority: training",
                  plot.COLORS["accent"], dash="solid" if mine == "priority" else "dash",
                  width=width["priority"]),
    ]
    if s.utilization < 1:
        # Under FIFO both classes wait the same: a large star and a smaller diamond on top of
        # it, so the two points stay visible when they coincide.
        for w, name, symbol, size in zip(s.waits, ("interactive", "training"), ("star", "diamond"), (16, 9)):
            if math.isfinite(w) and w > 0:
                traces.append(plot.points([s.utilization * 100], [w / 60], f"this design: {name}",
                                          plot.COLORS["bad"] if not s.feasible else plot.COLORS["ink"],
                                          symbol=symbol, size=size))
    shapes = [plot.hline(LIMIT_I / 60, plot.COLORS["bad"]), plot.hline(LIMIT_T / 60, plot.COLORS["bad"]),
              plot.vline(min(s.utilization, 1.0) * 100, plot.COLORS["ink"])]
    notes = [plot.note(0.01, math.log10(LIMIT_I / 60), f"interactive limit {span(LIMIT_I)}",
                       xref="paper", yshift=10, xanchor="left"),
             plot.note(0.01, math.log10(LIMIT_T / 60), f"training limit {span(LIMIT_T)}",
                       xref="paper", yshift=10, xanchor="left")]
    nodes = s.nodes
    here = (f"At {fmt.percent(s.utilization, 0)} under "
            f"{'FIFO' if mine == 'fifo' else 'priority'}, interactive jobs "
            f"{wait_phrase(s.waits[0])} and training jobs {wait_phrase(s.waits[1])}.")
    ui.figure({"data": traces, "layout": plot.layout(
        f"Mean wait against utilisation, {nodes:,} nodes", height=400, showlegend=True,
        legend={"orientation": "h", "y": -0.25}, shapes=shapes, annotations=notes,
        xaxis=plot.axis("utilisation target (%)", range=[50, 101]),
        yaxis=plot.axis("mean wait (minutes, log scale)", log=True, range=[-3, 5]))},
        key="act2.curve", caption=(
            f"Mean wait before a job starts, in minutes on a log scale, against the "
            f"utilisation target, for {nodes:,} nodes, "
            f"{hours(s.allocation_h)} allocations and "
            f"{fmt.percent(s.interactive_share, 0)} interactive work: one FIFO queue (every "
            "job waits the same) and interactive-first priority (one line per class). The red "
            f"lines are the limits, {span(LIMIT_I)} and {span(LIMIT_T)}. " + here),
        table={"caption": "Mean wait by utilisation target (engine: Cobham's formula and FIFO "
                          "over the same mix)",
               "columns": ["utilisation", "FIFO, every job", "priority, interactive",
                           "priority, training"],
               "rows": [[fmt.percent(u, 1 if u > 0.98 else 0), span(f[0]), span(p[0]), span(p[1])]
                        for u, f, p in zip(CURVE_GRID, fifo, prio)
                        if round(u * 100) % 10 == 0 or u >= 0.98]})


def class_metrics(ui, s):
    wi, wt = s.waits
    r = s.result
    ui.metrics([
        Metric("Interactive mean wait", span(wi),
               tone="danger" if wi > LIMIT_I else "success", note=f"limit {span(LIMIT_I)}"),
        Metric("Training mean wait", span(wt),
               tone="danger" if wt > LIMIT_T else "success", note=f"limit {span(LIMIT_T)}"),
        Metric("Utilisation", fmt.percent(min(r.utilization, 1.0), 0), tone="info",
               note=(f"{fmt.num(r.utilization * s.nodes)} of {s.nodes:,} nodes' work "
                     "submitted")),
        Metric("Allocations per hour", fmt.num(sum(s.rates)),
               note=f"{fmt.num(s.rates[0])} interactive, {fmt.num(s.rates[1])} training"),
    ], key="act2.metrics")


def class_table(ui, s):
    other = schedule("priority" if s.discipline == "fifo" else "fifo", s.cluster,
                     s.utilization, s.interactive_share, s.allocation_h)
    mine, theirs = ("FIFO", "priority") if s.discipline == "fifo" else ("priority", "FIFO")
    limits = (LIMIT_I, LIMIT_T)
    rows = []
    for k, name in enumerate(cases.CLASSES):
        ok = s.waits[k] <= limits[k]
        rows.append([CLASS_NAMES[name], fmt.num(s.rates[k]),
                     fmt.percent(s.result.class_utilization[k], 0), span(s.waits[k]),
                     span(other.waits[k]), span(limits[k]), "kept" if ok else "broken"])
    ui.table(f"Each class under {mine}, and under {theirs} for comparison (engine)",
             ["class", "allocations per hour", "share of capacity", f"mean wait, {mine}",
              f"mean wait, {theirs}", "limit", f"limit under {mine}"], rows, key="act2.classes")


def act2_reflection(ui):
    share, alloc = cases.LAB_INTERACTIVE_SHARE, cases.LAB_ALLOCATION_H
    f = schedule("fifo", "research", 0.9, share, alloc)
    p = schedule("priority", "research", 0.9, share, alloc)
    sigma = p.result.class_utilization[0]
    facts = (f"At 90% on the research cluster, interactive-first cuts the interactive wait "
             f"from {span(f.waits[0])} to {span(p.waits[0])}, and training's grows from "
             f"{span(f.waits[1])} to {span(p.waits[1])}.")
    ui.reflection(
        "act2.reflection",
        "Putting interactive jobs first cut their wait by a large factor, yet training jobs "
        "wait only a little longer than under FIFO. Why is priority so cheap here?",
        {
            "A": ("Priority adds capacity: the nodes finish more work per hour",
                  f"The nodes do exactly the same work; only the order changes. {facts}"),
            "B": ("Interactive work is a small share of the load, and the total waiting is "
                  "only redistributed",
                  f"Yes. {facts} A scheduler that never idles with work waiting keeps the "
                  "load-weighted sum of waits fixed (Kleinrock's conservation law): the time "
                  f"taken off {fmt.percent(sigma, 0)} of the capacity is spread over the other "
                  f"{fmt.percent(p.result.class_utilization[1], 0)}, a factor "
                  f"1/(1 − {fmt.num(sigma)}) = {fmt.num(1 / (1 - sigma))} on training's wait."),
            "C": ("Interactive jobs are preempted when training jobs arrive",
                  "Nothing is preempted in either policy: a running allocation always ends "
                  f"its slice. {facts}"),
            "D": ("Training jobs are long, so a little extra waiting does not show",
                  "Every allocation here has the same length distribution; the explanation "
                  f"is in the load shares, not the lengths. {facts}"),
        }, correct="B")


def mathpeek_priority(s) -> str:
    r = s.result
    c = s.nodes
    mu = 1 / s.allocation_h
    a = r.utilization * c
    s1, rho = r.class_utilization[0], r.utilization
    if rho < 1:
        w0 = r.fifo_wait.m_as("h") * (1 - rho)
        nums = (f"Here $c$ = {c:,}, $\\mu$ = {fmt.num(mu)} per hour, offered load $A$ = "
                f"{fmt.num(a)} nodes, $\\sigma_1$ = {fmt.num(s1)}, $\\rho$ = {fmt.num(rho)}, so "
                f"$W_0$ = {span(w0 * 3600)}: FIFO waits {span(r.fifo_wait.m_as('s'))}, "
                f"interactive {span(r.mean_wait[0].m_as('s'))}, training "
                f"{span(r.mean_wait[1].m_as('s'))}.")
    else:
        nums = (f"Here $\\rho$ = {fmt.num(rho)} ≥ 1: more work is submitted than "
                f"{c:,} nodes can do. Interactive jobs still see $\\sigma_1$ = "
                f"{fmt.num(s1)} < 1 and wait {span(r.mean_wait[0].m_as('s'))}; training gets "
                "the capacity left over, less than it submits, and its wait is unbounded.")
    return (
        r"$$W_0 = \frac{C(c, A)}{c\,\mu}, \qquad W_{\text{FIFO}} = \frac{W_0}{1-\rho}, \qquad "
        r"W_1 = \frac{W_0}{1-\sigma_1}, \qquad W_2 = \frac{W_0}{(1-\sigma_1)(1-\rho)}$$" "\n\n"
        "| symbol | meaning |\n| --- | --- |\n"
        "| $c$ | nodes (servers) |\n| $\\mu$ | allocations one node completes per hour, "
        "1/(mean allocation) |\n"
        "| $A$ | offered load: allocations per hour ÷ $\\mu$, in nodes |\n"
        "| $C(c, A)$ | Erlang C: the chance an arriving job finds every node busy |\n"
        "| $W_0$ | mean wait for the first node to free up, given all are busy, times "
        "$C$ |\n"
        "| $\\sigma_1$ | interactive work's share of capacity |\n"
        "| $\\rho$ | all work's share of capacity (the utilisation target) |\n"
        "| $W_1, W_2$ | mean wait of interactive and training jobs under priority |\n\n"
        + nums + " Cobham (1954) for non-preemptive priority with one exponential length "
        "for every class. Multiply each wait by its class's load and add: the sum is the same "
        "under both policies.")


# ---- closing ----------------------------------------------------------------------------
def closing(ui):
    ratio, w, _ = act1_truth()
    fifo, prio, _ = act2_truth()
    big = cases.highest_utilization("fifo", "frontier", cases.LAB_INTERACTIVE_SHARE,
                                    cases.LAB_ALLOCATION_H)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-fleet-orchestration-wait derives ρ/(1 − ρ) on the chapter's own node; "
            "@sec-v2-fleet-orchestration-priority works Cobham's formula on a smaller cluster, "
            "and @sec-v2-fleet-orchestration-packing covers what this lab leaves out: jobs of "
            "many nodes, fragmentation and backfilling.\n"
            "- Volume I's @sec-model-serving-saturation met the same curve for requests to a "
            "model; here the customers are jobs and the servers are nodes.\n"
            "- Next, Lab 09 (@sec-v2-performance-engineering): once a job has its nodes, "
            "profile it before optimising it.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. One node at {fmt.percent(LAB_UTILIZATION, 0)} busy makes a job wait "
            f"{fmt.num(ratio)} job lengths ({hours(w)} for the fine-tuning run): utilisation "
            "targets near 100% are paid for in waiting.\n"
            f"2. Pooling raises the safe target: one FIFO queue over "
            f"{CLUSTERS['research'].nodes} nodes keeps interactive waits under "
            f"{span(LIMIT_I)} up to {fmt.percent(fifo)}, over "
            f"{CLUSTERS['frontier'].nodes:,} nodes up to {fmt.percent(big)}.\n"
            f"3. Priority decides who waits, not how much waiting there is: interactive-first "
            f"keeps both limits up to {fmt.percent(prio)} on the research cluster, and when the "
            "work submitted exceeds the cluster, the low class starves.")


def save_to_ledger(ui, context, pred1, pred2, s):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    ratio, _, _ = act1_truth()
    wi = s.waits[0]
    policy = "FIFO" if context == "fifo" else "interactive-first priority"
    decision = (f"{policy} on {s.nodes:,} nodes, utilisation target "
                f"{fmt.percent(s.utilization, 0)}, {fmt.percent(s.interactive_share, 0)} interactive work, "
                f"{hours(s.allocation_h)} allocations")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (bands.log_middle(ACT1_BANDS, pred1.value), ratio),
        pred2, decision=decision, result=wi / 60 if math.isfinite(wi) else None, unit="min",
        constraint_hit=not s.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{fmt.percent(s.utilization, 0)} target, {s.nodes:,} nodes"),
        ("Interactive wait", span(wi)),
        ("Training wait", span(s.waits[1]))))

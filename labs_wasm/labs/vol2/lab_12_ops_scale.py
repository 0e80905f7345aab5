"""Vol II · Lab 12 · When retries attack (chapter: ops_scale).

Act I calibrates how availability composes: a search request that needs five services, each up
99% of the month, is up only 0.99^5 of it, about 95%, and each service must be far better than
the promise made for the whole (the engine's series and parallel availability, and the error
budget an SLO leaves). Act II operates an image-classification tier through a fault that loses
30% of its responses: every lost response is retried, every retry costs a GPU the same work,
and at 79% busy the tier has no room for even one retry. Past capacity, refused attempts fail
and are retried too, and the load climbs to the engine's retry-storm fixed point. On Kubernetes
an autoscaler can add one 8-GPU node after a few minutes; on bare metal the provisioned GPUs
are all there is. Retry budgets, load shedding and headroom are the ways out. Every number
comes from the engine through ops_scale_cases.py, which Chapter 28 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import ops_scale_cases as cases
from labs.vol2.ops_scale_cases import (AVAILABILITIES, INCIDENT_MIN, LAB_AVAILABILITY,
                                       LAB_SERVICES, LAB_TARGET, RETRY_BUDGET, SCALE_OUT_GPUS,
                                       SCALE_UP_MIN, SLO, chain, incident, pct_a, phase)
from labs.vol2.ops_scale_cases import span as hours_min

LAB = Lab(
    id="vol2/12", chapter="ops_scale", title="When retries attack",
    hook="Every team meets its SLO and the product still misses its own; a fault that loses "
         "some responses turns the retries meant to hide it into the outage.",
    invariants=["availability in series and in parallel", "error budgets",
                "retry amplification", "retry storms and their defences"],
    minutes=40, contexts=("kubernetes", "bare_metal"),
    reading=[
        ("@sec-v2-ops-scale-slo", "SLIs, SLOs and the error budget"),
        ("@sec-v2-ops-scale-composition", "availability in series and in parallel"),
        ("@sec-v2-ops-scale-retries", "what a retry costs, and retries in layers"),
        ("@sec-v2-ops-scale-storm", "the retry storm and its fixed point"),
        ("@sec-v2-ops-scale-defences", "retry budgets, load shedding, circuit breakers"),
    ],
)

CASE = "lab"
N0 = cases.REPLICAS[CASE]
RATE = cases.RATE[CASE]
FAULT = cases.FAULT[CASE]
RETRIES = cases.RETRIES[CASE]
GPU = cases.MACHINES[CASE].name.replace("NVIDIA ", "").split(" ")[0]   # "L4"
CONTEXT_LABELS = contexts.labels({
    "kubernetes": f"an autoscaler adds up to {SCALE_OUT_GPUS} GPUs",
    "bare_metal": "the provisioned GPUs, fixed"})
AVAILABILITY_LABELS = {f"{a:g}": f"{round(a * 100, 4):g}%" for a in AVAILABILITIES}
BUDGET_LABELS = {"none": "None: retry every failure up to the limit",
                 "budget": f"Retries at most {fmt.percent(RETRY_BUDGET, 0)} of calls"}
SHEDDING_LABELS = {"queue": "Queue the excess (no load shedding)",
                   "shed": "Refuse the excess at once (load shedding)"}


def per_s(x: float, what: str = "calls") -> str:
    return f"{fmt.num(x)} {what}/s"


def amount(q) -> str:
    """A banner amount: attempts per second, or minutes of calls lost."""
    if str(q.dimensionality) == "[time]":
        return hours_min(q.m_as("min"))
    return per_s(q.m_as("1/s"), "attempts")


# ---- Act I: bands of the end-to-end availability ------------------------------------------
ACT1_BANDS = {"A": (0.985, 1.0 + 1e-12), "B": (0.97, 0.985), "C": (0.93, 0.97), "D": (0.0, 0.93)}
ACT1_ABOUT = {"A": 0.99, "B": 0.98, "C": 0.95, "D": 0.90}


def act1_truth() -> tuple[float, str]:
    a = chain(LAB_SERVICES, LAB_AVAILABILITY)
    return a, bands.band_of(a, ACT1_BANDS)


def act1_options() -> dict:
    a, _ = act1_truth()
    one = cases.downtime_min(LAB_AVAILABILITY)
    fact = (f"{fmt.num(LAB_AVAILABILITY)}^{LAB_SERVICES} = **{pct_a(a)}**: the request is down "
            f"about {hours_min(cases.downtime_min(a))} a month, against "
            f"{hours_min(one)} for any one service.")
    return {
        "A": ("About 99%: the request is as available as each of its services",
              f"Too high. {fact} A request that needs all five is down whenever any one of "
              "them is, and their bad minutes rarely coincide, so they add up."),
        "B": ("About 98%",
              f"Too high. {fact} Each service contributes its own 1% of downtime; five of "
              "them come to nearly 5%, not 2%."),
        "C": ("About 95%",
              f"Right. {fact} Availabilities in series multiply; for small outages the "
              "unavailabilities simply add: five times 1% is about 5%."),
        "D": ("About 90% or less",
              f"Too low. {fact} Ten percent of downtime would take ten services at 99%, or "
              "five at 98%."),
    }


# ---- Act II: the largest retry limit that keeps the tier within capacity ------------------
ACT2_OPTION_RETRIES = {"A": 3, "B": 2, "C": 1, "D": 0}


def act2_truth() -> tuple[int | None, str]:
    safe = cases.largest_safe_retries(CASE, FAULT)
    if safe is None or safe == 0:
        return safe, "D"
    return safe, next(k for k, r in ACT2_OPTION_RETRIES.items() if safe >= r)


def act2_options() -> dict:
    safe, _ = act2_truth()
    p1 = phase(CASE, FAULT, 1, False, N0)
    p3 = phase(CASE, FAULT, RETRIES, False, N0)
    u = cases.utilization(CASE)
    fact = (f"With no fault the {N0} GPUs are {fmt.percent(u, 1)} busy, so they can absorb "
            f"{fmt.num(1 / u)} attempts per call at most. One retry of the "
            f"{fmt.percent(FAULT, 0)} that fail already makes {fmt.num(p1.offered_per_request)} "
            f"attempts per call, {per_s(p1.offered, 'attempts')} against a capacity of "
            f"{per_s(p1.capacity, 'attempts')}.")
    verdict = ("**the largest safe limit is 0 retries**" if safe == 0 else
               "**no limit is safe: even without retries the tier is overloaded**"
               if safe is None else f"**the largest safe limit is {safe}**")
    return {
        "A": (f"{RETRIES} or more: the library's default is safe",
              f"Too optimistic: {verdict}. {fact} At {RETRIES} retries the formula gives "
              f"{fmt.num(p3.offered_per_request)} attempts per call before any feedback."),
        "B": ("2",
              f"Too optimistic: {verdict}. {fact} Two retries would need "
              f"{fmt.num(phase(CASE, FAULT, 2, False, N0).offered_per_request)} attempts per call."),
        "C": ("1",
              f"Close, but {verdict}. {fact} Headroom of "
              f"{fmt.percent(1 / u - 1, 0)} cannot carry {fmt.percent(FAULT, 0)} of extra "
              "attempts."),
        "D": ("0: any retry at all overloads the tier",
              f"Right: {verdict}. {fact} A retry is safe only when the failing share, retried, "
              "fits in the headroom: (1 + f + … + fʳ) × utilisation < 1."),
    }


# ---- the page ------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Platform", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, inc = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, inc)


def act_one(ui):
    a, correct = act1_truth()
    with ui.section("Act I · Calibration", "How available is a chain of services? (12-15 min)"):
        ui.stakeholder(
            "Head of search, an online marketplace",
            f"A search request passes through {LAB_SERVICES} services: the API gateway, the "
            "feature store, candidate retrieval, the ranking model and the page assembler. "
            f"Each team promises {fmt.percent(LAB_AVAILABILITY, 0)} availability over the "
            "month, and each keeps its promise. Product wants to tell our sellers that search "
            f"is up {fmt.percent(LAB_AVAILABILITY, 0)} of the month. Can I sign that?")
        ui.markdown(
            "A request that needs every service in its path succeeds only when all of them "
            "are up. Assume the services fail independently (different teams, machines and "
            "deployments). This act is the same on both platforms: availability composes the "
            "same way whoever schedules the services.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"Each of the {LAB_SERVICES} services is up {fmt.percent(LAB_AVAILABILITY, 0)} of "
            "the month, independently. What share of the month is the whole search request "
            "available?",
            act1_options(), correct=correct)

        n = ui.slider("act1.services", "Services in the request's path", 1, 12, 1, LAB_SERVICES)
        avail = float(ui.select("act1.availability", "Availability of each replica",
                                AVAILABILITY_LABELS, default=f"{LAB_AVAILABILITY:g}"))
        k = ui.slider("act1.replicas", "Independent replicas of each service (any one answers)",
                      1, 3, 1, 1)
        chain_chart(ui, n, avail, k)
        chain_metrics(ui, n, avail, k)
        ui.reveal(pred, f"{pct_a(a)} end to end ({fmt.num(LAB_AVAILABILITY)}^{LAB_SERVICES}), "
                        f"down {hours_min(cases.downtime_min(a))} a month",
                  text=pred.feedback, key="act1.overlay")
        act1_reflection(ui)
        with ui.math_peek("availability in series and in parallel, with your chain",
                          key="act1.mathpeek"):
            ui.markdown(mathpeek_chain(n, avail, k))
    return pred


SERVICE_GRID = tuple(range(1, 13))


def chain_chart(ui, n, avail, k):
    traces, rows = [], []
    colors = [plot.COLORS["bad"], plot.COLORS["accent"], plot.COLORS["cloud"],
              plot.COLORS["good"], plot.COLORS["fleet"]]
    for a, color in zip(AVAILABILITIES, colors):
        ys = [chain(m, a, k) * 100 for m in SERVICE_GRID]
        traces.append(plot.line(list(SERVICE_GRID), ys, f"each {AVAILABILITY_LABELS[f'{a:g}']}",
                                color, width=3 if a == avail else 1.5,
                                dash="solid" if a == avail else "dash"))
    here = chain(n, avail, k)
    traces.append(plot.points([n], [here * 100], "your chain", plot.COLORS["ink"],
                              symbol="star", size=16))
    for m in (1, 2, 3, 5, 8, 12):
        rows.append([str(m)] + [pct_a(chain(m, a, k)) for a in AVAILABILITIES])
    low = min(chain(12, AVAILABILITIES[0], k) * 100, 99.0)
    ui.figure({"data": traces, "layout": plot.layout(
        "End-to-end availability against the length of the chain", height=380, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        shapes=[plot.hline(LAB_AVAILABILITY * 100, plot.COLORS["muted"])],
        xaxis=plot.axis("services in series", dtick=1),
        yaxis=plot.axis("available (% of the month)", range=[math.floor(low) - 0.5, 100.2]))},
        key="act1.chain", caption=(
            "End-to-end availability of a request that needs every service, against the number "
            f"of services, one line per availability of a replica, each service run as {k} "
            f"independent replica{'s' if k > 1 else ''}. The dotted line is "
            f"{fmt.percent(LAB_AVAILABILITY, 0)}. Your chain, {n} service"
            f"{'s' if n > 1 else ''} at {AVAILABILITY_LABELS[f'{avail:g}']}, is up "
            f"{pct_a(here)} of the month."),
        table={"caption": f"End-to-end availability, {k} replica{'s' if k > 1 else ''} per "
                          "service (engine: series and parallel composition)",
               "columns": ["services"] + [f"each {AVAILABILITY_LABELS[f'{a:g}']}"
                                          for a in AVAILABILITIES],
               "rows": rows})


def chain_metrics(ui, n, avail, k):
    a = chain(n, avail, k)
    one = cases.service(avail, k)
    eb = cases.error_budget(LAB_AVAILABILITY)
    need = cases.needed_per_service(LAB_AVAILABILITY, n)
    ok = a >= LAB_AVAILABILITY
    ui.metrics([
        Metric("End-to-end availability", pct_a(a), tone="success" if ok else "danger",
               note=f"promise: {fmt.percent(LAB_AVAILABILITY, 0)}"),
        Metric("Down per month", hours_min(cases.downtime_min(a)),
               note=f"budget at {fmt.percent(LAB_AVAILABILITY, 0)}: "
                    f"{hours_min(eb.budget.m_as('min'))}"),
        Metric("Each service", pct_a(one),
               note=(f"{k} replicas of {AVAILABILITY_LABELS[f'{avail:g}']}" if k > 1
                     else "one replica")),
        Metric("Each service must reach", pct_a(need), tone="info",
               note=f"for {fmt.percent(LAB_AVAILABILITY, 0)} over {n} in series"),
    ], key="act1.metrics")


ACT1_REFLECTION = {"A": 0.999, "B": 0.9998, "C": 0.99995, "D": 0.995}


def act1_reflection(ui):
    need = cases.needed_per_service(LAB_TARGET, LAB_SERVICES)
    closest = min(ACT1_REFLECTION,
                  key=lambda o: abs(cases.nines(ACT1_REFLECTION[o]) - cases.nines(need)))
    eb_all = cases.error_budget(LAB_TARGET).budget.m_as("min")
    fact = (f"Each must reach {fmt.num(LAB_TARGET)}^(1/{LAB_SERVICES}) = {pct_a(need)}: the "
            f"request's {hours_min(eb_all)} of monthly budget split five ways, "
            f"{hours_min(eb_all / LAB_SERVICES)} each.")
    ui.reflection(
        "act1.reflection",
        f"Product now wants {pct_a(LAB_TARGET)} for the whole request, over the same "
        f"{LAB_SERVICES} services in series. What availability must each service reach?",
        {
            "A": (f"{pct_a(ACT1_REFLECTION['A'])}, the same as the whole",
                  f"Not enough. {fact} Five services at {pct_a(LAB_TARGET)} would give "
                  f"{pct_a(chain(LAB_SERVICES, LAB_TARGET))}."),
            "B": (pct_a(ACT1_REFLECTION["B"]),
                  f"Yes. {fact} The promise for the whole is a budget that the parts share."),
            "C": (pct_a(ACT1_REFLECTION["C"]),
                  f"More than needed. {fact} Asking for more costs each team redundancy it "
                  "does not need."),
            "D": (pct_a(ACT1_REFLECTION["D"]),
                  f"Far too little. {fact} Each service at {pct_a(ACT1_REFLECTION['D'])} would "
                  f"leave the request at {pct_a(chain(LAB_SERVICES, ACT1_REFLECTION['D']))}."),
        }, correct=closest)


def mathpeek_chain(n, avail, k) -> str:
    one = cases.service(avail, k)
    a = chain(n, avail, k)
    eb = cases.error_budget(LAB_AVAILABILITY)
    return (
        r"$$A_{\text{series}} = \prod_{i=1}^{n} a_i, \qquad "
        r"a_{\text{service}} = 1 - (1 - a)^{k}, \qquad "
        r"B = (1 - \text{SLO}) \times W$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $a$ | availability of one replica | {AVAILABILITY_LABELS[f'{avail:g}']} |\n"
        f"| $k$ | independent replicas of a service (any one answers) | {k} |\n"
        f"| $a_i$ | availability of service $i$ | {pct_a(one)} |\n"
        f"| $n$ | services the request needs, in series | {n} |\n"
        f"| $A_{{\\text{{series}}}}$ | end-to-end availability | {pct_a(a)} |\n"
        f"| $W$ | the SLO window | {cases.WINDOW_DAYS} days |\n"
        f"| $B$ | error budget at a {fmt.percent(LAB_AVAILABILITY, 0)} SLO | "
        f"{hours_min(eb.budget.m_as('min'))} |\n\n"
        f"Here $A = {fmt.num(one, 7)}^{{{n}}}$ = {pct_a(a)}, down "
        f"{hours_min(cases.downtime_min(a))} in {cases.WINDOW_DAYS} days. For small "
        "unavailabilities the product is close to a sum, $\\sum_i (1 - a_i) \\approx 1 - A$: "
        "each service spends its own share of the request's budget. Both formulas assume "
        "independent failures; replicas that share a zone, a configuration push or a "
        "dependency fail together, and then redundancy buys much less than the formula for "
        "$a_{\\text{service}}$ "
        "promises.")


# ---- Act II ----------------------------------------------------------------------------------
def act_two(ui, context):
    safe, correct = act2_truth()
    rate = cases.service_rate(CASE)
    with ui.section("Act II · Design challenge", "Retries that help, retries that hurt "
                                                 "(20-25 min)"):
        ui.stakeholder(
            "On-call engineer, the marketplace's image-classification tier",
            f"Our product-image classifier runs {cases.MODEL.name} on {N0} {GPU} GPUs (two "
            f"8-GPU servers) and takes {fmt.num(RATE)} image calls a second at peak. Last "
            f"night a flaky load balancer dropped {fmt.percent(FAULT, 0)} of the responses for "
            f"an hour, and our client library retries each failure up to {RETRIES} times. "
            "Were the retries our safety net or our outage? What limit would have been safe?")
        ui.markdown(
            f"One {GPU} classifies {per_s(rate, 'images')} in batches of {cases.BATCH} (the "
            "Iron Law's best case for this model), so the tier's capacity is "
            f"{per_s(cases.capacity(CASE, N0), 'images')}. A lost response was computed before "
            "it was lost: every attempt, first or retried, costs a GPU the same work. The "
            "platform is the toggle at the top. On **Kubernetes** an autoscaler can add one "
            f"more 8-GPU server, about {fmt.num(SCALE_UP_MIN)} minutes after the tier "
            "saturates (node boot, image pull, model load); on **bare metal** the provisioned "
            "GPUs are all there is during the incident. The traffic, the fault, the "
            f"{fmt.num(INCIDENT_MIN)}-minute incident, the {pct_a(SLO)} SLO and the "
            "scale-up time are this lab's scenario choices (illustrative).")
        pred = ui.predict_choice(
            "act2.prediction",
            f"While {fmt.percent(FAULT, 0)} of responses are lost, what is the largest retry "
            f"limit that keeps the attempts within the {N0} GPUs' capacity, before any "
            "capacity is added?",
            act2_options(), correct=correct)

        fault = ui.slider("act2.fault", "Responses lost during the incident", 0.05, 0.6, 0.05,
                          FAULT, unit="%", scale=100)
        retries = int(ui.slider("act2.retries", "Retry limit per call", 0, 5, 1, RETRIES))
        budget = ui.select("act2.budget", "Retry budget", BUDGET_LABELS, default="none")
        shedding = ui.select("act2.shedding", "When attempts exceed capacity", SHEDDING_LABELS,
                             default="queue")
        replicas = int(ui.slider("act2.replicas", f"{GPU} GPUs provisioned", 8, 32, 1, N0))
        inc = incident(context, CASE, fault, retries, budget == "budget", shedding == "shed",
                       replicas)
        if not inc.feasible:
            failure(ui, context, inc)
        elif inc.scaled:
            ui.callout("warn", (
                f"The first {fmt.num(inc.first_min)} minutes are a storm: "
                f"{per_s(inc.first.settled, 'attempts')} against "
                f"{per_s(inc.first.capacity, 'attempts')} of capacity, "
                f"{'every call timing out in the queue' if not inc.shedding else fmt.percent(inc.first.request_failure, 1) + ' of calls refused'}"
                f". Then the autoscaler's GPUs arrive: {inc.final.replicas} GPUs carry the "
                f"retries, and the incident costs {fmt.percent(inc.consumed, 1)} of the month's "
                "error budget."), title="Overloaded until the autoscaler catches up",
                key="act2.storm")
        load_chart(ui, context, inc)
        incident_metrics(ui, context, inc)
        timeline_table(ui, inc)
        ui.reveal(pred, act2_measured(safe), text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("the retry storm's fixed point, with your tier", key="act2.mathpeek"):
            ui.markdown(mathpeek_storm(inc))
    return pred, inc


def act2_measured(safe) -> str:
    """The measured answer: the largest safe limit and what one more retry offers."""
    if safe is None:
        p = phase(CASE, FAULT, 0, False, N0)
        return (f"no limit: without retries the {N0} GPUs already get "
                f"{fmt.percent(p.offered / p.capacity, 0)} of their capacity")
    nxt = phase(CASE, FAULT, safe + 1, False, N0)
    return (f"{safe} retr{'y' if safe == 1 else 'ies'}: a limit of {safe + 1} offers "
            f"{fmt.num(nxt.offered_per_request)} attempts per call, "
            f"{fmt.percent(nxt.offered / nxt.capacity, 0)} of the {N0} GPUs' capacity")


def exits(context, inc) -> list[str]:
    """Ways out of the failure, each checked with the engine, other controls unchanged."""
    f = inc.first
    ways = []
    args = (CASE, f.fault, f.retries, f.budget)
    if not f.budget and incident(context, CASE, f.fault, f.retries, True, inc.shedding,
                                 f.replicas).feasible:
        ways.append(f"set a retry budget of {fmt.percent(RETRY_BUDGET, 0)}")
    fewer = [r for r in range(f.retries) if incident(context, CASE, f.fault, r, f.budget,
                                                     inc.shedding, f.replicas).feasible]
    if fewer:
        ways.append(f"lower the retry limit to {max(fewer)}")
    more = [n for n in range(f.replicas + 1, 33) if incident(context, *args, inc.shedding,
                                                             n).feasible]
    if more:
        ways.append(f"provision {min(more)} GPUs")
    if context == "bare_metal" and incident("kubernetes", *args, inc.shedding,
                                            f.replicas).feasible:
        ways.append("move the tier to Kubernetes, where the autoscaler can add a server")
    return ways or ["lower the share of responses lost"]


def failure(ui, context, inc):
    fin = inc.final
    if fin.overloaded:
        where = (f"even with the autoscaler's server ({fin.replicas} GPUs, its quota)"
                 if context == "kubernetes" else f"on the {fin.replicas} fixed GPUs")
        title = "Retry storm: the attempts exceed the tier's capacity"
        text = (f"{where[0].upper()}{where[1:]}, the calls and their retries offer "
                f"{per_s(fin.offered, 'attempts')} against {per_s(fin.capacity, 'attempts')}. ")
        text += ((f"The retry budget holds the load at {per_s(fin.settled, 'attempts')}, "
                  f"{fmt.num(fin.per_request)} attempts per call, but the GPUs are too few even "
                  f"for that, for the whole {fmt.num(INCIDENT_MIN)} minutes. ")
                 if fin.budget else
                 ("The attempts the tier cannot serve fail too and are retried, so the load "
                  f"settles at {per_s(fin.settled, 'attempts')}, "
                  f"{fmt.num(fin.per_request)} attempts per call, for the whole "
                  f"{fmt.num(INCIDENT_MIN)} minutes. "))
        text += ("Nothing refuses the excess, so the queue grows without bound and every call "
                 "times out: the incident costs "
                 f"{hours_min(inc.bad_min)} of calls against a monthly budget of "
                 f"{hours_min(inc.budget.budget.m_as('min'))}. "
                 if not inc.shedding else
                 f"Load shedding refuses the excess at once, which limits the damage to "
                 f"{fmt.percent(fin.request_failure, 1)} of calls lost "
                 f"({fmt.percent(inc.consumed, 0)} of the month's error budget); the tier is "
                 "still overloaded, and a real one also wastes work on attempts whose callers "
                 "have timed out, which can keep a storm going after the fault is fixed. ")
    else:
        title = "Error budget exhausted"
        text = (f"The tier stays within capacity, but {hours_min(inc.bad_min)} of calls fail "
                f"in the incident, more than the month's budget of "
                f"{hours_min(inc.budget.budget.m_as('min'))}. ")
    ways = exits(context, inc)
    text += ("To get out: " + ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "")
             + ways[-1] + ".")
    ui.failure(title, inc.violations, text=text, key="act2.failure", show=amount)


def load_chart(ui, context, inc):
    f = inc.first
    phases = [phase(CASE, f.fault, r, f.budget, f.replicas) for r in cases.RETRY_CHOICES]
    x = list(cases.RETRY_CHOICES)
    k = 1e3
    traces = [
        plot.line(x, [p.offered / k for p in phases], "offered: calls × (1 + f + … + fʳ)",
                  plot.COLORS["muted"], dash="dash"),
        plot.line(x, [p.settled / k for p in phases], "settled: refused attempts retried too",
                  plot.COLORS["bad"], width=3),
        plot.points([f.retries], [f.settled / k], "your retry limit", plot.COLORS["ink"],
                    symbol="star", size=16),
    ]
    shapes = [plot.hline(f.capacity / k, plot.COLORS["cloud"])]
    notes = [plot.note(0.01, f.capacity / k, f"{f.replicas} GPUs", xref="paper", yshift=10,
                       xanchor="left")]
    quota = None
    if context == "kubernetes":
        quota = cases.capacity(CASE, inc.quota)
        shapes.append(plot.hline(quota / k, plot.COLORS["good"]))
        notes.append(plot.note(0.01, quota / k, f"{inc.quota} GPUs, the autoscaler's limit",
                               xref="paper", yshift=10, xanchor="left"))
    top = max(max(p.settled for p in phases), quota or 0, f.capacity) / k
    ui.figure({"data": traces, "layout": plot.layout(
        "Attempts per second against the retry limit", height=380, showlegend=True,
        legend={"orientation": "h", "y": -0.25}, shapes=shapes, annotations=notes,
        xaxis=plot.axis("retry limit per call", dtick=1),
        yaxis=plot.axis("thousand attempts per second", range=[0, top * 1.12]))},
        key="act2.load", caption=(
            f"Attempts per second reaching the {f.replicas} provisioned GPUs while "
            f"{fmt.percent(f.fault, 0)} of responses are lost, against the retry limit"
            f"{', with a ' + fmt.percent(RETRY_BUDGET, 0) + ' retry budget' if f.budget else ''}"
            ": the retry formula's offered load (dashed) and the load once refused attempts "
            "are retried too (solid). The blue line is the provisioned capacity, "
            f"{per_s(f.capacity, 'attempts')}"
            + (f"; the green line what the autoscaler can reach, {per_s(quota, 'attempts')}"
               if quota else "")
            + f". At your limit of {f.retries}, the load settles at "
            f"{per_s(f.settled, 'attempts')}, {fmt.num(f.per_request)} per call."),
        table={"caption": "Offered and settled attempts per second by retry limit (engine: "
                          "retry amplification with the tier's capacity)",
               "columns": ["retry limit", "offered", "settled", "attempts per call",
                           "over capacity"],
               "rows": [[str(r), per_s(p.offered, "attempts"), per_s(p.settled, "attempts"),
                         fmt.num(p.per_request), "yes" if p.overloaded else "no"]
                        for r, p in zip(x, phases)]})


def incident_metrics(ui, context, inc):
    f, fin = inc.first, inc.final
    ui.metrics([
        Metric("Capacity", per_s(f.capacity, "attempts"),
               note=f"{f.replicas} GPUs × {per_s(cases.service_rate(CASE), 'images')}"),
        Metric("Offered attempts", per_s(f.offered, "attempts"),
               tone="danger" if f.overloaded else "success",
               note=(f"{fmt.num(f.offered_per_request)} per call, "
                     f"{fmt.percent(f.offered / f.capacity, 0)} of the {f.replicas} GPUs")),
        Metric("Settled load", per_s(f.settled, "attempts"),
               tone="danger" if f.overloaded else None,
               note=f"{fmt.num(f.per_request)} per call on {f.replicas} GPUs; "
                    f"{fmt.percent(f.attempt_failure, 0)} of attempts fail"),
        Metric("Calls lost at first", fmt.percent(cases.lost_share(f, inc.shedding), 1),
               tone="danger" if f.overloaded else None,
               note=("timing out in the queue" if f.overloaded and not inc.shedding else
                     "after every retry failed" if not f.overloaded else
                     "refused or out of retries")),
        Metric("GPUs by the end", str(fin.replicas),
               tone="info",
               note=(f"autoscaler added {fin.replicas - f.replicas}" if inc.scaled else
                     "no capacity added" if context == "kubernetes" and not f.overloaded
                     else "fixed" if context == "bare_metal" else
                     f"at the autoscaler's limit of {inc.quota}")),
        Metric("Error budget used", fmt.percent(inc.consumed, 1),
               tone="danger" if inc.consumed > 1 else "warn" if inc.consumed > 0.2 else "success",
               note=f"{hours_min(inc.bad_min)} of "
                    f"{hours_min(inc.budget.budget.m_as('min'))} a month at {pct_a(SLO)}"),
    ], key="act2.metrics")


def timeline_table(ui, inc):
    rows = []
    parts = ([(inc.first_min, inc.first), (INCIDENT_MIN - inc.first_min, inc.final)]
             if inc.scaled else [(INCIDENT_MIN, inc.first)])
    for minutes, p in parts:
        lost = cases.lost_share(p, inc.shedding)
        rows.append([f"{fmt.num(minutes)} min", str(p.replicas), per_s(p.settled, "attempts"),
                     per_s(p.capacity, "attempts"), fmt.percent(lost, 1),
                     hours_min(minutes * lost)])
    ui.table(f"The {fmt.num(INCIDENT_MIN)}-minute incident, phase by phase (engine)",
             ["duration", "GPUs", "attempts", "capacity", "calls lost", "minutes of calls lost"],
             rows, key="act2.timeline")


def act2_reflection(ui):
    p = phase(CASE, FAULT, RETRIES, False, N0)
    facts = (f"With {RETRIES} retries the formula gives {fmt.num(p.offered_per_request)} "
             f"attempts per call; the storm settles at {fmt.num(p.per_request)}, because "
             f"the share of attempts failing rises from {fmt.percent(FAULT, 0)} to "
             f"{fmt.percent(p.attempt_failure, 0)}.")
    ui.reflection(
        "act2.reflection",
        f"On {N0} GPUs with the fault and {RETRIES} retries, the settled load is well above "
        "what the retry formula gives. Where do the extra attempts come from?",
        {
            "A": ("Clients retry sooner when the tier is slow",
                  f"How soon a client retries changes when the attempts arrive, not how many "
                  f"there are. {facts}"),
            "B": ("Attempts the overloaded tier cannot serve fail too, and are retried",
                  f"Yes. {facts} Overload adds failures, failures add retries, retries add "
                  "load: the feedback loop of a retry storm, which stops only at the retry "
                  "limit or when capacity catches up."),
            "C": ("The autoscaler's new GPUs receive attempts of their own",
                  f"New GPUs serve attempts; they do not create them, and this is before any "
                  f"arrive. {facts}"),
            "D": ("Backoff and jitter add attempts to spread the load",
                  f"Backoff and jitter spread the same attempts over time; they add none. "
                  f"{facts}"),
        }, correct="B")


def mathpeek_storm(inc) -> str:
    p = inc.first
    lam, cap = p.rate, p.capacity
    body = (
        r"$$a(f) = 1 + f + \dots + f^{r}, \qquad L = \lambda\,a(f), \qquad "
        r"f = 1 - (1 - f_0)\,\min\!\left(1, \frac{C}{L}\right)$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $\\lambda$ | calls per second | {per_s(lam)} |\n"
        f"| $f_0$ | share of responses the fault loses | {fmt.percent(p.fault, 0)} |\n"
        f"| $r$ | retry limit per call | {p.retries} |\n"
        f"| $C$ | capacity: GPUs × images per GPU per second | {per_s(cap, 'attempts')} |\n"
        f"| $L$ | attempts per second reaching the GPUs | {per_s(p.settled, 'attempts')} |\n"
        f"| $f$ | share of attempts failing, fault and overload together | "
        f"{fmt.percent(p.attempt_failure, 1)} |\n\n")
    if p.budget:
        body += (f"With the retry budget, $a$ is capped at 1 + {fmt.num(RETRY_BUDGET)}: "
                 f"retries may be at most {fmt.percent(RETRY_BUDGET, 0)} of calls, so "
                 f"$L \\le$ {per_s(lam * (1 + RETRY_BUDGET), 'attempts')}. ")
    if p.overloaded:
        body += (f"Start from $L = \\lambda\\,a(f_0)$ = {per_s(p.offered, 'attempts')}: above "
                 "$C$, so the excess fails, $f$ rises, $a(f)$ rises, and $L$ climbs until the "
                 f"two equations agree at {per_s(p.settled, 'attempts')}. The attempts that "
                 f"succeed, $L(1 - f)$, then number {per_s(lam * (1 - p.request_failure))}: "
                 "the capacity times the share of attempts the fault spares, $C(1 - f_0)$, "
                 "however many retries are allowed. Beyond the point of overload, more retries "
                 "add load and no successes.")
    else:
        body += (f"Here $L$ = {per_s(p.offered, 'attempts')} stays below $C$, so $f = f_0$ and "
                 f"a call fails only when all {p.retries + 1} attempts do"
                 + (f": $f_0^{{r+1}}$ = {fmt.percent(p.request_failure, 2)}."
                    if not p.budget else
                    f", or when the budget refuses its retries: "
                    f"{fmt.percent(p.request_failure, 1)} of calls."))
    return body


# ---- closing --------------------------------------------------------------------------------
def closing(ui):
    a, _ = act1_truth()
    safe, _ = act2_truth()
    p = phase(CASE, FAULT, RETRIES, False, N0)
    bare = incident("bare_metal", CASE, FAULT, RETRIES, False, False, N0)
    kube = incident("kubernetes", CASE, FAULT, RETRIES, False, False, N0)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-ops-scale-composition composes availability on the chapter's own chain "
            "of seven services; @sec-v2-ops-scale-storm solves the storm's fixed point for "
            "four H100s classifying live video; @sec-v2-ops-scale-metastable explains why a "
            "real storm can outlive its fault, which this lab's model does not.\n"
            "- Volume I: @sec-model-serving-tail-at-scale is the fan-out version of the same "
            "multiplication, for latency; @sec-ml-ops-rollout rolls a model out in stages so a "
            "bad one is caught before it reaches every replica.\n"
            "- Next, Lab 13 (@sec-v2-security-privacy): what a deployed model reveals about "
            "the data it was trained on.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Availability multiplies along a request: {LAB_SERVICES} services at "
            f"{fmt.percent(LAB_AVAILABILITY, 0)} give {pct_a(a)}, and a promise for the whole "
            "is a budget the parts must share.\n"
            f"2. A retry is safe only inside the headroom: at "
            f"{fmt.percent(cases.utilization(CASE), 0)} busy, "
            + ("not even one retry of a " if not safe else
               f"at most {safe} retr{'y' if safe == 1 else 'ies'} of a ")
            + f"{fmt.percent(FAULT, 0)} failure fits, and {RETRIES} retries settle at "
            f"{fmt.num(p.per_request)} attempts per call.\n"
            f"3. Fixed capacity must survive a storm alone (bare metal, no shedding: "
            f"{fmt.percent(bare.consumed, 0)} of the month's error budget in one hour); an "
            f"autoscaler shortens it to minutes ({fmt.percent(kube.consumed, 0)}). A retry "
            "budget or load shedding protects either.")


def save_to_ledger(ui, context, pred1, pred2, inc):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    a, _ = act1_truth()
    f = inc.first
    decision = (f"{contexts.name(context)}, {f.replicas} GPUs, retry limit {f.retries}, "
                f"{'a ' + fmt.percent(RETRY_BUDGET, 0) + ' retry budget' if f.budget else 'no retry budget'}, "
                f"{'load shedding' if inc.shedding else 'no load shedding'}, "
                f"{fmt.percent(f.fault, 0)} of responses lost")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (ACT1_ABOUT[pred1.value], a), pred2,
        decision=decision, result=inc.consumed * 100, unit="%",
        constraint_hit=not inc.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{f.replicas} GPUs, retry limit {f.retries}"
                   f"{', retry budget' if f.budget else ''}{', shedding' if inc.shedding else ''}"),
        ("Error budget used", fmt.percent(inc.consumed, 1))))

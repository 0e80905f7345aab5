"""Vol II · Lab 07 · Checkpoint against the clock (chapter: fault_tolerance).

Act I calibrates how often to checkpoint at scale: a GPT-3 175B job on 16,384 H100s fails
every three hours or so (fleet MTBF = per-GPU MTBF / N, per-GPU MTBF from the Llama 3 405B
run), and its checkpoint takes about a second on a 2 TB/s-class storage fabric, so the
Young-Daly optimum sqrt(2 C M) is minutes, not the half hour a team might pick; the new
instrument, the Young-Daly curve, shows the checkpoint overhead C/tau, the recomputed work
tau/(2M) and their sum against the interval, the minimum and the team's interval marked.
Act II gives the student the interval, the model (the checkpoint's size), the storage tier
and its width, and asynchronous writes, against a budget of 20% of the run lost to
checkpoints, recomputation and restarts: a slow store breaks the budget at 16,384 GPUs at any
interval, while on 8 GPUs (one failure in months) the same design is fine and the optimum
interval is a day or more. Every number comes from the engine through
fault_tolerance_cases.py, which Chapter 23 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import fault_tolerance_cases as cases
from labs.vol2.fault_tolerance_cases import (ACT1, ACT1_INTERVAL_MIN, ACT2, GPUS,
                                             NODE_HBM_B, RESTART_SETUP_S, TIERS,
                                             WASTE_BUDGET, design)

LAB = Lab(
    id="vol2/07", chapter="fault_tolerance", title="Checkpoint against the clock",
    hook="Sixteen thousand GPUs fail, between them, every few hours. How often should the "
         "job save its state, and what does it cost when the save is slow?",
    invariants=["fleet MTBF = MTBF/N", "Young-Daly interval √(2CM)",
                "checkpoint overhead vs lost work", "asynchronous checkpoints"],
    minutes=40, contexts=("gpus_8", "gpus_16k"),
    reading=[
        ("@sec-v2-fault-tolerance-failure-data", "what the Llama 3 and OPT-175B logs report"),
        ("@sec-v2-fault-tolerance-fleet-mtbf", "why a fleet fails N times as often"),
        ("@sec-v2-fault-tolerance-checkpoint-cost", "what a checkpoint holds and how long it takes"),
        ("@sec-v2-fault-tolerance-young-daly", "the Young-Daly interval and its derivation"),
        ("@sec-v2-fault-tolerance-async", "asynchronous and in-memory checkpoints"),
    ],
)

CONTEXT_LABELS = contexts.labels({"gpus_8": "one DGX H100 node",
                                  "gpus_16k": "a Llama 3-scale H100 cluster"})
MODEL_LABELS = {"llama3_8b": "Llama 3 8B", "llama3_70b": "Llama 3 70B",
                "gpt3_175b": "GPT-3 175B"}
TIER_LABELS = {"local_nvme": "Local NVMe drives", "parallel_fs": "Parallel file system appliances",
               "object_store": "Object store prefixes"}
TIER_UNIT = {"local_nvme": ("drive", "drives"), "parallel_fs": ("appliance", "appliances"),
             "object_store": ("prefix", "prefixes")}
TIER_SHORT = {"local_nvme": "local NVMe", "parallel_fs": "parallel-file-system",
              "object_store": "object-store"}
MODES = {"sync": "Synchronous: training waits for the write",
         "async": "Asynchronous: copy to host memory, write behind"}
#: Act II's starting design in each context: what a team of that size would start from.
DEFAULTS = {"gpus_8": {"model": "llama3_8b", "tier": "local_nvme"},
            "gpus_16k": {"model": ACT2["model"], "tier": ACT2["tier"]}}
INTERVAL = (1, 720, 1)            # minutes: min, max, step
INTERVAL_DEFAULT = 30
UNITS = (1, 64, 1)
CURVE_RANGE = (30.0, 3 * 86_400.0)   # seconds: the curve's interval axis


def gpus_text(n: int) -> str:
    return f"{n:,} GPUs"


def minutes(seconds: float) -> str:
    """An interval the way a team says it: seconds, minutes, hours from two hours, days from
    two days."""
    if seconds >= 2 * 86_400:
        return f"{fmt.num(seconds / 86_400)} days"
    if seconds >= 7200:
        return f"{fmt.num(seconds / 3600)} h"
    if seconds >= 60:
        return f"{fmt.num(seconds / 60)} min"
    return fmt.duration(seconds)


def mtbf_text(seconds: float) -> str:
    if seconds >= 2 * 86_400:
        return f"{fmt.num(seconds / 86_400)} days"
    return fmt.duration(seconds)


def pct(x: float) -> str:
    if 0 < x < 0.0005:
        return "< 0.1%"
    return fmt.percent(x, 1 if x < 0.995 else 0)


def pct_fine(x: float) -> str:
    """A share for a formula line: small shares keep two significant figures."""
    return f"{fmt.num(x * 100, 2)}%" if 0 < x < 0.001 else pct(x)


def total_cell(x: float) -> str:
    return pct(x) if x < 1 else "over 100%"


def per_day(d) -> str:
    f = d.failures_per_day
    return f"{fmt.num(f)} failures a day" if f >= 0.5 else f"{fmt.num(f * 365)} failures a year"


def storage_text(tier: str, units: int) -> str:
    one, many = TIER_UNIT[tier]
    bw = TIERS[tier].write_bandwidth.m_as("B/s") * units
    return (f"{units} {TIER_SHORT[tier]} {one if units == 1 else many} "
            f"({fmt.si(bw, 'B/s')} of writes)")


# ---- Act I: where is the optimum, against a 30-minute habit? ---------------------------------
#: Bands of the Young-Daly optimum interval, in minutes: (low, high) of each option.
ACT1_BANDS = {"A": (0.0, 10.0), "B": (10.0, 60.0), "C": (60.0, 360.0), "D": (360.0, math.inf)}


def act1_case(interval_s: float = ACT1_INTERVAL_MIN * 60):
    return cases.case(ACT1, interval_s)


def act1_truth():
    d = act1_case()
    return d, bands.band_of(d.optimum_s / 60, ACT1_BANDS)


def act1_fact() -> str:
    d = act1_case()
    best = act1_case(d.optimum_s)
    return (f"The fleet fails every {mtbf_text(d.mtbf_s)} on average and a checkpoint stalls "
            f"training for {fmt.duration(d.stall_s)}, so the optimum is "
            f"√(2 × {fmt.duration(d.stall_s)} × {mtbf_text(d.mtbf_s)}) = "
            f"**{minutes(d.optimum_s)}**. Every {ACT1_INTERVAL_MIN} minutes the job loses "
            f"{pct(d.waste)} of its time to stalls, recomputed work and restarts; at the "
            f"optimum, {pct(best.waste)} (restarts alone cost {pct(d.restart)} at any "
            "interval).")


def act1_options() -> dict:
    fact = act1_fact()
    return {
        "A": ("Under 10 minutes: checkpoint far more often",
              f"Right. {fact} At this scale lost work, not the checkpoint, is the expensive "
              "term."),
        "B": ("10 to 60 minutes: half an hour is about right",
              f"{fact} Half an hour would suit a fleet that fails every day or so; this one "
              "fails every few hours, and each failure throws away half an interval of work "
              "on average."),
        "C": ("1 to 6 hours: checkpoint less often",
              f"{fact} Checkpointing less often only pays when a checkpoint is expensive; a "
              "second of stall is cheap next to the recomputation a failure costs."),
        "D": ("Over 6 hours: the checkpoints cost more than the failures",
              f"{fact} An interval of hours would lose more than the fleet's MTBF in "
              "recomputation between failures."),
    }


# ---- Act II: can the budget be met with a slow store? ---------------------------------------
#: Bands of the least possible loss (at the best interval), fraction of the run.
ACT2_BANDS = {"A": (0.0, 0.05), "B": (0.05, 0.10), "C": (0.10, WASTE_BUDGET),
              "D": (WASTE_BUDGET, math.inf)}


def act2_case(interval_s: float | None = None):
    d = cases.case(ACT2, 1800.0)
    return d if interval_s is None else cases.case(ACT2, interval_s)


def act2_truth():
    d = act2_case()
    return d, bands.band_of(d.best_waste, ACT2_BANDS)


def act2_fact() -> str:
    d = act2_case()
    best = act2_case(d.best_s)
    return (f"Writing {fmt.si(d.size_b, 'B')} at {fmt.si(d.size_b / d.write_s, 'B/s')} stalls "
            f"the job {fmt.duration(d.stall_s)} per checkpoint, and a failure comes every "
            f"{mtbf_text(d.mtbf_s)}. The best interval is {minutes(d.best_s)}, and there the "
            f"job still loses **{pct(best.waste)}**: {pct(best.overhead)} in stalls, "
            f"{pct(best.rework)} in recomputed work and {pct(best.restart)} in restarts.")


def act2_options() -> dict:
    fact = act2_fact()
    budget = fmt.percent(WASTE_BUDGET, 0)
    return {
        "A": ("Under 5%: pick the right interval and it is cheap",
              f"{fact} The optimum balances the stall against lost work, but it cannot make "
              "a slow checkpoint cheap: the loss at the optimum grows with √(C/M)."),
        "B": ("5% to 10%", f"{fact} The restart alone costs several percent at a failure "
              "every three hours, before any stall or recomputation."),
        "C": (f"10% to {budget}: within the budget, if barely",
              f"{fact} The two terms of the optimum are each √(C/2M), and C is now minutes: "
              f"together with the restarts they break the {budget} budget."),
        "D": (f"Over {budget}: no interval meets the budget",
              f"Right. {fact} No interval helps: only a cheaper checkpoint (more storage "
              "bandwidth, or an asynchronous write) moves the curve down."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Fleet", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, d = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, d)


def act_one(ui):
    d, correct = act1_truth()
    with ui.section("Act I · Calibration", "How often should a 16,384-GPU job checkpoint? "
                    "(12-15 min)"):
        ui.stakeholder(
            "Training lead, a frontier-model lab",
            f"We start a {MODEL_LABELS[ACT1['model']]} run on {gpus_text(d.gpus)} next week. "
            f"The old runbook says: checkpoint every {ACT1_INTERVAL_MIN} minutes, as we did on "
            "the small cluster. Storage tells me a checkpoint takes about a second on the new "
            "fabric. Do we keep the half hour?")
        ui.markdown(
            f"The checkpoint holds the weights and the Adam state, {fmt.si(d.size_b, 'B')}, "
            f"written to {storage_text(ACT1['tier'], ACT1['units'])}: about the 2 TB/s "
            "sustained rate of the storage fabric Meta built for Llama 3. The failure rate is "
            "the one the Llama 3 405B run measured: 419 unexpected interruptions in 54 days on "
            "16,384 GPUs. Training waits while the checkpoint is written. Commit before you "
            "look.")
        pred = ui.predict_choice(
            "act1.prediction",
            "Balancing the time spent writing checkpoints against the work lost at each "
            "failure, what is the best checkpoint interval for this job?",
            act1_options(), correct=correct)

        young_daly_figure(ui, d, "act1.curve", mark_s=ACT1_INTERVAL_MIN * 60,
                          mark_label=f"every {ACT1_INTERVAL_MIN} min", budget=False)
        best = act1_case(d.optimum_s)
        ui.metrics([
            Metric("Fleet MTBF", mtbf_text(d.mtbf_s), tone="info", note=per_day(d)),
            Metric("Checkpoint stall C", fmt.duration(d.stall_s),
                   note=f"{fmt.si(d.size_b, 'B')} at {fmt.si(d.size_b / d.write_s, 'B/s')}"),
            Metric("Optimum interval √(2CM)", minutes(d.optimum_s), tone="success"),
            Metric(f"Lost every {ACT1_INTERVAL_MIN} min", pct(d.waste), tone="warn",
                   note=f"restarts {pct(d.restart)} of it"),
            Metric("Lost at the optimum", pct(best.waste), tone="success",
                   note=f"{fmt.num(d.gpus * (d.waste - best.waste))} GPUs' worth saved"),
        ], key="act1.metrics")
        ui.reveal(pred, f"optimum {minutes(d.optimum_s)} (fleet MTBF {mtbf_text(d.mtbf_s)}, "
                        f"stall {fmt.duration(d.stall_s)})", text=pred.feedback,
                  key="act1.overlay")
        act1_reflection(ui, d)
        with ui.math_peek("the Young-Daly interval with this case's numbers",
                          key="act1.mathpeek"):
            ui.markdown(mathpeek_young_daly(d, best))
    return pred


def act1_reflection(ui, d):
    doubled = cases.design(2 * d.gpus, d.model, d.tier, d.units, False, d.interval_s)
    r = doubled.optimum_s / d.optimum_s
    targets = {"A": 0.5, "B": 1 / math.sqrt(2), "C": 1.0, "D": 2.0}
    correct = min(targets, key=lambda k: abs(math.log(targets[k] / r)))
    fact = (f"At {gpus_text(doubled.gpus)} the fleet MTBF halves to {mtbf_text(doubled.mtbf_s)} "
            f"and the optimum moves from {minutes(d.optimum_s)} to "
            f"{minutes(doubled.optimum_s)}: {fmt.num(r, 2)} times as long.")
    ui.reflection(
        "act1.reflection",
        f"The lab doubles the job to {gpus_text(doubled.gpus)} on the same storage. What "
        "happens to the optimum interval?",
        {
            "A": ("It halves, like the fleet MTBF",
                  f"{fact} The MTBF halves, but the optimum goes with its square root."),
            "B": ("It shrinks by √2, to about 0.7 of what it was",
                  f"Right. {fact} The interval goes as √M, and M as 1/N." if correct == "B"
                  else f"{fact}"),
            "C": ("It stays: the checkpoint costs the same",
                  f"{fact} The checkpoint's cost is one half of the balance; the failure rate "
                  "is the other."),
            "D": ("It doubles: twice the GPUs write twice as fast",
                  f"{fact} The storage, not the GPUs, sets this write's speed, so C stays "
                  "the same while failures come twice as often."),
        }, correct=correct)


def young_daly_figure(ui, d, key, mark_s, mark_label, budget=True):
    """The Young-Daly curve: loss against the interval, minimum and a chosen interval marked."""
    lo, hi = CURVE_RANGE
    pts = cases.curve(d, 49, lo, hi)
    x = [p[0] / 60 for p in pts]

    def y(values):
        return [max(v, 1e-6) * 100 for v in values]

    over = y([p[1] for p in pts])
    lost = y([p[2] + p[3] for p in pts])
    total = y([p[4] for p in pts])
    at = cases.design(d.gpus, d.model, d.tier, d.units, d.asynchronous, float(mark_s))
    best = cases.design(d.gpus, d.model, d.tier, d.units, d.asynchronous, d.best_s)
    traces = [
        plot.line(x, over, "checkpoint stalls C/τ", plot.COLORS["edge"], dash="dash"),
        plot.line(x, lost, "recomputed work and restarts (τ/2 + R)/M", plot.COLORS["mobile"],
                  dash="dash"),
        plot.line(x, total, "total lost", plot.COLORS["fleet"], width=3),
        plot.points([best.interval_s / 60], [best.waste * 100], "best interval",
                    plot.COLORS["good"], symbol="diamond", size=14),
        plot.points([mark_s / 60], [at.waste * 100], mark_label,
                    plot.COLORS["bad"] if budget and not at.feasible else plot.COLORS["ink"],
                    symbol="star", size=16),
    ]
    shapes = []
    notes = []
    if budget:
        shapes.append(plot.hline(WASTE_BUDGET * 100, plot.COLORS["bad"]))
        notes.append(plot.note(0.01, math.log10(WASTE_BUDGET * 100),
                               f"budget {fmt.percent(WASTE_BUDGET, 0)}", xref="paper",
                               yshift=10, xanchor="left"))
    if d.asynchronous:
        shapes.append(plot.vline(d.write_s / 60, plot.COLORS["muted"], dash="dash"))
        notes.append(plot.note(math.log10(d.write_s / 60), 0.97, "write time", yref="paper",
                               xanchor="left", xshift=4))
    top = 150.0                      # percent: beyond 100% the first-order model has broken down
    bottom = max(min(total) / 5, 1e-3)
    ui.figure({"data": traces, "layout": plot.layout(
        f"Young-Daly curve: {MODEL_LABELS[d.model]} on {gpus_text(d.gpus)}", height=400,
        shapes=shapes, annotations=notes, showlegend=True,
        legend={"orientation": "h", "y": -0.3},
        xaxis=plot.axis("checkpoint interval τ (minutes, log scale)", log=True),
        yaxis=plot.axis("share of the run lost (%, log scale)", log=True,
                        range=[math.log10(bottom), math.log10(top)]))},
        key=key, caption=(
            f"Young-Daly curve for {MODEL_LABELS[d.model]} on {gpus_text(d.gpus)} (fleet MTBF "
            f"{mtbf_text(d.mtbf_s)}): the share of the run lost to checkpoint stalls falls as "
            "the interval grows, the share lost to recomputed work rises, and their sum has a "
            f"minimum. The best interval is {minutes(best.interval_s)}, losing "
            f"{pct(best.waste)}; {mark_label} loses {pct(at.waste)}."
            + (f" The budget is {fmt.percent(WASTE_BUDGET, 0)}." if budget else "")
            + (" Past 100%, at intervals longer than the fleet's MTBF, the first-order "
               "estimate no longer holds: most intervals end in a failure before their "
               "checkpoint." if pts[-1][4] >= 1 else "")),
        table={"caption": "Share of the run lost by checkpoint interval (engine, Young-Daly)",
               "columns": ["interval", "checkpoint stalls", "recomputed work", "restarts",
                           "total"],
               "rows": [[minutes(s), pct(r.overhead), pct(r.rework), pct(r.restart),
                         total_cell(r.waste)]
                        for s in table_intervals(d, mark_s)
                        for r in [cases.design(d.gpus, d.model, d.tier, d.units,
                                               d.asynchronous, float(s))]]})


def table_intervals(d, mark_s) -> list[float]:
    """A few round intervals, the chosen one and the best, in order."""
    rounds = [60.0, 600.0, 3600.0, 6 * 3600.0, 86_400.0]
    return sorted(set(rounds + [float(mark_s), d.best_s]))


def mathpeek_young_daly(d, best) -> str:
    return (
        "A failure costs, on average, half an interval of recomputed work plus the restart; "
        "each checkpoint costs its stall. Per unit of run time, with one failure every $M$:\n\n"
        r"$$\text{lost}(\tau) = \frac{C}{\tau} + \frac{\tau/2 + R}{M},\qquad "
        r"\frac{d\,\text{lost}}{d\tau} = -\frac{C}{\tau^2} + \frac{1}{2M} = 0 "
        r"\;\Rightarrow\; \tau^* = \sqrt{2CM}$$" "\n\n"
        "At the optimum the two terms are equal, each $\\sqrt{C/2M}$, and $R$ adds $R/M$ "
        "whatever the interval. The fleet's MTBF is one GPU's divided by their number, "
        "$M = M_{\\text{GPU}}/N$.\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $M_{{\\text{{GPU}}}}$ | one GPU's share of the failures (Llama 3 run) | "
        f"{fmt.num(cases.fleet(d.gpus).mtbf.m_as('hour'))} h |\n"
        f"| $N$ | GPUs | {d.gpus:,} |\n"
        f"| $M$ | fleet MTBF | {mtbf_text(d.mtbf_s)} |\n"
        f"| $C$ | checkpoint stall: {fmt.si(d.size_b, 'B')} at "
        f"{fmt.si(d.size_b / d.write_s, 'B/s')} | {fmt.duration(d.stall_s)} |\n"
        f"| $R$ | restart: relaunch (illustrative) + read back | {minutes(d.restart_s)} |\n"
        f"| $\\tau^*$ | $\\sqrt{{2CM}}$ | {minutes(d.optimum_s)} |\n\n"
        f"$\\tau^* = \\sqrt{{2 \\times {fmt.tex(fmt.num(d.stall_s))} \\times "
        f"{fmt.tex(fmt.num(d.mtbf_s, 5))}}}$ s = {minutes(d.optimum_s)}. Every "
        f"{ACT1_INTERVAL_MIN} minutes: $C/\\tau$ = {pct(d.overhead)}, $\\tau/2M$ = "
        f"{pct(d.rework)}, $R/M$ = {pct(d.restart)}, {pct(d.waste)} in all; at $\\tau^*$: "
        f"{pct(best.overhead)} + {pct(best.rework)} + {pct(best.restart)} = {pct(best.waste)}.")


# ---- Act II ---------------------------------------------------------------------------
def act_two(ui, context):
    truth, correct = act2_truth()
    budget = fmt.percent(WASTE_BUDGET, 0)
    with ui.section("Act II · Design challenge", f"Stay within {budget} (20-25 min)"):
        ui.stakeholder(
            "Head of infrastructure, the same lab",
            "Finance has a cheaper offer: write checkpoints to one object-store prefix "
            f"instead of the parallel file system. The board's rule is that no more than "
            f"{budget} of a run may be lost to checkpoints, recomputation and restarts. "
            "Can the big run live with the object store?")
        ui.markdown(
            f"The {budget} budget is this lab's scenario choice; Llama 3 reports more than 90% "
            f"effective training time, so {budget} is a generous ceiling. A restart costs a "
            f"relaunch of {minutes(RESTART_SETUP_S)} (illustrative) plus reading the "
            "checkpoint back.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{MODEL_LABELS[ACT2['model']]} on {gpus_text(truth.gpus)}, synchronous "
            f"checkpoints to one object-store prefix ({fmt.si(truth.size_b / truth.write_s, 'B/s')}). "
            "At the best interval, what share of the run is lost to checkpoint stalls, "
            "recomputed work and restarts?",
            act2_options(), correct=correct)

        if context == "gpus_8":
            ui.callout("info", (
                "You are in the 8-GPU context. The prediction above is about the big run; the "
                f"instruments below run your design on {CONTEXT_LABELS[context].split(' · ')[1]}, "
                f"which fails about once every {mtbf_text(cases.fleet(GPUS[context]).fleet_mtbf.m_as('s'))}. "
                "Switch the fleet above to compare."), title="One node", key="act2.context")
        defaults = DEFAULTS[context]
        interval_min = int(ui.slider("act2.interval", "Checkpoint interval", *INTERVAL,
                                     INTERVAL_DEFAULT, unit="min"))
        model = ui.select("act2.model", "Model (sets the checkpoint size)", MODEL_LABELS,
                          default=defaults["model"])
        tier = ui.select("act2.storage", "Storage", TIER_LABELS, default=defaults["tier"])
        units = int(ui.slider("act2.units", f"Storage width ({TIER_UNIT[tier][1]} in parallel)",
                              *UNITS, 1, unit=TIER_UNIT[tier][1]))
        mode = ui.toggle("act2.mode", "Checkpoint writes", MODES, default="sync")
        d = design(GPUS[context], model, tier, units, mode == "async", interval_min * 60.0)
        if context == "gpus_8" and 16 / 14 * d.size_b > NODE_HBM_B:
            ui.callout("info", (
                f"{MODEL_LABELS[model]}'s weights and Adam state ({fmt.si(d.size_b, 'B')}, "
                f"more with gradients) exceed the node's {fmt.si(NODE_HBM_B, 'B')} of HBM: "
                "a real 8-GPU job would offload the optimizer state to host memory or train "
                "a smaller model. The checkpoint arithmetic below is the same."),
                title="Does not fit in one node", key="act2.fit")
        if not d.feasible:
            failure(ui, context, d)
        young_daly_figure(ui, d, "act2.curve", mark_s=d.interval_s,
                          mark_label=f"your interval, {minutes(d.interval_s)},")
        design_metrics(ui, d)
        both_contexts_table(ui, d)

        best = act2_case(truth.best_s)
        ui.reveal(pred, f"{pct(best.waste)} lost at the best interval, {minutes(truth.best_s)} "
                        f"(budget {budget})", text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("the loss of this design, synchronous or asynchronous",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_design(d))
    return pred, d


def slider_interval(seconds: float) -> float:
    """The nearest interval the slider offers (whole minutes within its range), in seconds."""
    return 60.0 * min(max(INTERVAL[0], round(seconds / 60)), INTERVAL[1])


def at_best(gpus, model, tier, units, asynchronous):
    """The design at its best interval as the slider can set it (at least the write when
    asynchronous)."""
    first = cases.design(gpus, model, tier, units, asynchronous, 60.0)
    tau = slider_interval(first.best_s)
    if asynchronous and tau < first.write_s:
        tau = 60.0 * math.ceil(first.write_s / 60)
    return cases.design(gpus, model, tier, units, asynchronous, tau)


def ways_out(context, d) -> list[str]:
    """Moves that bring the design back within the budget, each checked with the engine: one
    control at a time where that suffices, else with the interval reset to its best."""
    ways = []
    g, m, t, u, a = d.gpus, d.model, d.tier, d.units, d.asynchronous
    if a and d.write_s > d.interval_s:
        longer = cases.design(g, m, t, u, a, 60.0 * math.ceil(d.write_s / 60))
        if longer.feasible:
            ways.append(f"lengthen the interval to at least {minutes(longer.interval_s)}")
    best = at_best(g, m, t, u, a)
    if best.feasible and best.interval_s != d.interval_s and not ways:
        ways.append(f"set the interval to {minutes(best.interval_s)}")
    if not a:
        same = cases.design(g, m, t, u, True, max(d.interval_s, 60.0 * math.ceil(d.write_s / 60)))
        alt = same if same.feasible else at_best(g, m, t, u, True)
        if alt.feasible:
            ways.append("write asynchronously" + (
                f" with an interval of {minutes(alt.interval_s)}"
                if alt.interval_s != d.interval_s else ""))
    for width in (2, 4, 8, 16, 32, 64):
        if width <= u:
            continue
        same = cases.design(g, m, t, width, a, d.interval_s)
        alt = same if same.feasible else at_best(g, m, t, width, a)
        if alt.feasible:
            ways.append(f"widen the storage to {width} {TIER_UNIT[t][1]}" + (
                f" with an interval of {minutes(alt.interval_s)}"
                if alt.interval_s != d.interval_s else ""))
            break
    if context == "gpus_16k":
        small = cases.design(GPUS["gpus_8"], m, t, u, a, d.interval_s)
        if small.feasible:
            ways.append("switch to the 8-GPU fleet, which fails every few months")
    return ways


def failure(ui, context, d):
    budget_v = next((v for v in d.violations if v.name.startswith("time lost")), None)
    write_v = next((v for v in d.violations if v.name == "checkpoint write time"), None)
    if write_v is not None:
        title = "Checkpoints pile up: each write outlasts the interval"
        text = (f"An asynchronous write of {fmt.si(d.size_b, 'B')} takes "
                f"{fmt.duration(d.write_s)} but the next checkpoint is due after "
                f"{minutes(d.interval_s)}: the writes never catch up. ")
    else:
        title = f"Over budget: more than {fmt.percent(WASTE_BUDGET, 0)} of the run is lost"
        text = ""
    if budget_v is not None and d.overhead >= 1:
        text += (f"Each checkpoint stalls the job {fmt.duration(d.stall_s)}, longer than the "
                 f"{minutes(d.interval_s)} of training between checkpoints: the job spends "
                 "more time writing than training. ")
    elif budget_v is not None and d.waste >= 1:
        text += (f"Every {minutes(d.interval_s)} is a large part of the fleet's MTBF of "
                 f"{mtbf_text(d.mtbf_s)}: the estimate passes 100% ({pct(d.rework)} in "
                 "recomputed work alone), so most intervals end in a failure before their "
                 "checkpoint, and the job barely advances. ")
    elif budget_v is not None:
        text += (f"At {minutes(d.interval_s)} the job loses {pct(d.overhead)} to checkpoint "
                 f"stalls, {pct(d.rework)} to recomputed work and {pct(d.restart)} to restarts: "
                 f"{fmt.num(d.gpus * d.waste)} of its {d.gpus:,} GPUs' worth of time. ")
    ways = ways_out(context, d)
    if ways:
        text += "To get out: " + ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + \
            ways[-1] + "."
    else:
        text += "Change the storage, the model or the fleet: nothing else on the controls fits."
    ui.failure(title, d.violations, text=text, key="act2.budget", show=quantity_text)


def quantity_text(q) -> str:
    if str(q.dimensionality) == "dimensionless":
        return pct(q.m_as(""))
    return fmt.quantity(q)


def design_metrics(ui, d):
    over = not d.feasible
    ui.metrics([
        Metric("Fleet MTBF", mtbf_text(d.mtbf_s), tone="info", note=per_day(d)),
        Metric("Checkpoint size", fmt.si(d.size_b, "B"), note="weights + Adam state"),
        Metric("Write time W", fmt.duration(d.write_s),
               note=f"at {fmt.si(d.size_b / d.write_s, 'B/s')}"),
        Metric("Stall C", fmt.duration(d.stall_s),
               note="copy to host memory" if d.asynchronous else "the whole write"),
        Metric("Restart R", minutes(d.restart_s), note="relaunch + read back"),
        Metric("Best interval", minutes(d.best_s), tone="success",
               note="the write time: τ ≥ W" if d.asynchronous and d.best_s > d.optimum_s
               else "√(2CM)"),
        Metric("Lost at your interval", pct(d.waste), tone="danger" if over else "success",
               note=f"budget {fmt.percent(WASTE_BUDGET, 0)}"),
    ], key="act2.metrics")


def both_contexts_table(ui, d):
    rows = []
    for ctx in CONTEXT_LABELS:
        x = design(GPUS[ctx], d.model, d.tier, d.units, d.asynchronous, d.interval_s)
        rows.append([contexts.name(ctx), mtbf_text(x.mtbf_s), minutes(x.best_s),
                     pct(x.waste), "within budget" if x.feasible else "over budget"])
    ui.table(f"The same design on both fleets ({MODEL_LABELS[d.model]}, "
             f"{storage_text(d.tier, d.units)}, {'asynchronous' if d.asynchronous else 'synchronous'}, "
             f"every {minutes(d.interval_s)})",
             ["fleet", "fleet MTBF", "best interval", "lost at your interval",
              f"{fmt.percent(WASTE_BUDGET, 0)} budget"], rows, key="act2.contexts")


def act2_reflection(ui):
    sync = act2_case()
    a = cases.design(sync.gpus, sync.model, sync.tier, sync.units, True, sync.interval_s)
    best = cases.design(a.gpus, a.model, a.tier, a.units, True, a.best_s)
    fact = (f"Asynchronous, the stall drops to {fmt.duration(a.stall_s)} and √(2CM) to "
            f"{fmt.duration(a.optimum_s)}, but the write to the object store still takes "
            f"{fmt.duration(a.write_s)}.")
    ui.reflection(
        "act2.reflection",
        "Turn on asynchronous writes for the object-store design at 16,384 GPUs. What now "
        "sets the shortest interval worth using?",
        {
            "A": ("The stall: it shrank, so checkpoint every few seconds",
                  f"{fact} A checkpoint every few seconds would start a new write long before "
                  "the last one finished."),
            "B": ("The write to storage: the next checkpoint cannot start before it ends",
                  f"Right. {fact} So the interval is at least that, and a failure loses the "
                  f"write time on top of half an interval; at {minutes(best.interval_s)} the "
                  f"job loses {pct(best.waste)}."),
            "C": ("The PCIe link: copying to host memory is the new bottleneck",
                  f"{fact} The copy over each GPU's link is what training waits for, and it is "
                  "the short part."),
            "D": ("Nothing: with asynchronous writes the interval no longer matters",
                  f"{fact} Lost work still grows with the interval: half an interval per "
                  "failure, plus the write in flight."),
        }, correct="B")


def mathpeek_design(d) -> str:
    kind = "asynchronous" if d.asynchronous else "synchronous"
    stall = (r"$C = S/(N\,B_{\text{link}})$, the copy of each GPU's shard to host memory"
             if d.asynchronous else r"$C = W$, the whole write")
    lag = r"(R + W)/M" if d.asynchronous else r"R/M"
    return (
        "Synchronous: training stops for the write, $C = W = S/\\min(B_{\\text{storage}}, "
        "N B_{\\text{link}})$. Asynchronous: training stops only to copy its shard to host "
        "memory; the write runs behind it, so it must end before the next checkpoint "
        "($\\tau \\ge W$), and a failure during it falls back one checkpoint further: on "
        "average $W$ more lost work.\n\n"
        r"$$\text{lost}(\tau) = \frac{C}{\tau} + \frac{\tau/2 + R\;[+\,W]}{M}$$" "\n\n"
        f"This design ({kind}; {stall}):\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $S$ | checkpoint: weights + Adam state | {fmt.si(d.size_b, 'B')} |\n"
        f"| $W$ | write time | {fmt.duration(d.write_s)} |\n"
        f"| $C$ | stall per checkpoint | {fmt.duration(d.stall_s)} |\n"
        f"| $R$ | restart: {minutes(RESTART_SETUP_S)} relaunch + read back | "
        f"{minutes(d.restart_s)} |\n"
        f"| $M$ | fleet MTBF, {gpus_text(d.gpus)} | {mtbf_text(d.mtbf_s)} |\n"
        f"| $\\tau$ | your interval | {minutes(d.interval_s)} |\n\n"
        f"$C/\\tau$ = {pct_fine(d.overhead)}; $\\tau/2M$ = {pct_fine(d.rework)}; "
        f"${lag}$ = {pct_fine(d.restart)}; lost = **{pct_fine(d.waste)}** against a budget of "
        f"{fmt.percent(WASTE_BUDGET, 0)}. The best interval here is {minutes(d.best_s)}"
        + (" (the write time: $\\sqrt{2CM}$ = " + fmt.duration(d.optimum_s) + " is shorter)"
           if d.asynchronous and d.best_s > d.optimum_s else "")
        + f", where the job loses {pct_fine(d.best_waste)}.")


def closing(ui):
    d1, _ = act1_truth()
    d2, _ = act2_truth()
    best2 = act2_case(d2.best_s)
    small = cases.design(GPUS["gpus_8"], d2.model, d2.tier, d2.units, False, 1800.0)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-fault-tolerance-fleet-mtbf turns a per-GPU failure rate into a fleet's; "
            "@sec-v2-fault-tolerance-young-daly derives the interval this lab plotted; "
            "@sec-v2-fault-tolerance-async explains why an asynchronous write is bounded by "
            "its own duration.\n"
            "- The checkpoint's size is the model state of @sec-training-mixed-precision "
            "without the gradients; @sec-v2-data-storage covers the storage tiers it is "
            "written to.\n"
            "- Next, Lab 08 (@sec-v2-fleet-orchestration) shares the fleet among many jobs: "
            "utilisation against queueing delay.\n"
            "- TinyTorch, Module 07 (Training): the training loop you write there is where a "
            "checkpoint saves the weights and the optimizer's state.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. A fleet fails N times as often as one GPU: {gpus_text(d1.gpus)} see a failure "
            f"every {mtbf_text(d1.mtbf_s)}; {gpus_text(GPUS['gpus_8'])}, every "
            f"{mtbf_text(small.mtbf_s)}.\n"
            f"2. The best interval is √(2CM): for {MODEL_LABELS[d1.model]} on "
            f"{gpus_text(d1.gpus)} with a {fmt.duration(d1.stall_s)} checkpoint it is "
            f"{minutes(d1.optimum_s)}, not half an hour.\n"
            f"3. The optimum cannot rescue a slow checkpoint: on one object-store prefix the "
            f"best interval still loses {pct(best2.waste)}. Bandwidth or asynchronous writes "
            "make the checkpoint cheaper; the interval only balances what it costs.\n"
            "4. An asynchronous write hides the stall but not the write: the interval must "
            "outlast it.")


def save_to_ledger(ui, context, pred1, pred2, d):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    d1, _ = act1_truth()
    decision = (f"{MODEL_LABELS[d.model]} on {gpus_text(d.gpus)}, "
                f"{'asynchronous' if d.asynchronous else 'synchronous'} checkpoints every "
                f"{minutes(d.interval_s)} to {storage_text(d.tier, d.units)}")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1,
        (bands.log_middle(ACT1_BANDS, pred1.value), d1.optimum_s / 60), pred2,
        decision=decision, result=d.waste * 100, unit="%", constraint_hit=not d.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Design", decision),
        ("Share of the run lost", pct(d.waste))))

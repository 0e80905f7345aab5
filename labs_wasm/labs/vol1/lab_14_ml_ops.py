"""Vol I · Lab 14 · Drift without labels (chapter: ml_ops).

Act I calibrates what an input-distribution alarm buys when labels arrive late: a traffic
camera's vehicle classifier slid from 94% to 87% over twelve weeks while the frames' mean
brightness drifted; the student predicts in which week a population stability index (PSI)
above 0.2 would have fired, and finds that PSI grows with the square of the shift, so a slow
drift crosses 0.2 late: after the accuracy floor, though before the delayed labels show it.
Act II prices the retraining cadence: the square-root optimum of retraining cost against lost
accuracy, checked against two limits, the accuracy floor (the model's data ages by the
interval plus the time to label, train and roll out) and the monthly retraining budget. On
the Edge fleet every update is a staged rollout to 2,000 cameras, which makes each
retraining dearer and slower: the cost optimum breaks the floor, and the window of intervals
that meet both limits shrinks.

The drift trajectory, the accuracy slide and every scenario value (floor, label prices and
turnaround, rollout times, loss per point, budget, fleet size) are ILLUSTRATIVE, shared with
Chapter 14 through ml_ops_cases.py; PSI, the decay, the cost trade-off, training time, GPU
price, model sizes and egress prices are the engine's.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, contexts, fmt, ledger, plot
from labs.vol1 import ml_ops_cases as cases
from labs.vol1.ml_ops_cases import (AGE, LABELLING, PSI_ALARM, PSI_MAJOR, PSI_MODERATE, SPEND,
                                    WEEKS)

S = cases.LAB

LAB = Lab(
    id="vol1/14", chapter="ml_ops", title="Drift without labels",
    hook="Labels arrive weeks after the frames they describe. What can the inputs alone tell "
         "you, and how often is retraining worth its price?",
    invariants=["PSI grows with the square of the shift", "label delay",
                "retraining cadence: K/T against V·d·T/2"],
    minutes=40, contexts=("cloud", "edge"),
    reading=[
        ("@sec-ml-ops-drift-types", "covariate, label and concept drift"),
        ("@sec-ml-ops-psi", "the population stability index and its square law"),
        ("@sec-ml-ops-label-delay", "why labelled accuracy arrives late"),
        ("@sec-ml-ops-rollout", "shadow, canary and staged rollouts on a fleet"),
        ("@sec-ml-ops-cadence", "the cost of the cadence and its two limits"),
    ],
)

CONTEXT_LABELS = contexts.labels({
    "cloud": "cameras stream to NVIDIA H100 servers",
    "edge": f"{fmt.num(S.fleet)} cameras, each a Jetson Orin NX"})
LABELLING_LABELS = {
    key: f"{key.capitalize()} labelling: {fmt.num(days)} days, {fmt.usd(price)} per image"
    for key, (days, price) in LABELLING.items()}
CONTEXT_PLACE = {"cloud": "in the datacenter", "edge": "on the camera fleet"}


def pct(x: float) -> str:
    return fmt.percent(x, 1)


def days(x: float) -> str:
    return f"{fmt.num(x)} day" + ("" if fmt.num(x) == "1" else "s")


def week_text(w: float) -> str:
    return f"week {fmt.num(w)}"


def show(q) -> str:
    """A constraint amount as a student reads it: times in days, money in dollars."""
    if str(q.dimensionality) == "[time]":
        return days(q.m_as("day"))
    return fmt.quantity(q)


def psi_text(x: float) -> str:
    return f"{x:.3f}"


# ---- Act I: in which week does PSI > 0.2 fire? ----------------------------------------------
#: The prediction's bands of weeks (first, last); D runs to "not within the quarter".
ACT1_BANDS = {"A": (1, 3), "B": (4, 6), "C": (7, 9), "D": (10, math.inf)}


def band_value(key: str) -> float:
    """The ledger's number for a band: its middle week (D: week 13, the quarter's end)."""
    lo, hi = ACT1_BANDS[key]
    return float(WEEKS) if hi == math.inf else (lo + hi) / 2


def act1_truth() -> tuple[int | None, str]:
    week = cases.alarm_week(S)
    key = "D" if week is None else next(k for k, (lo, hi) in ACT1_BANDS.items()
                                        if lo <= week <= hi)
    return week, key


def alarm_facts() -> dict:
    week, _ = act1_truth()
    return {"week": week, "psi": cases.weekly_psi(S, week), "acc": cases.accuracy(S, 7 * week),
            "floor_week": cases.floor_week(S), "labels_week": cases.labels_week(S),
            "early": cases.alarm_week(S, PSI_MODERATE), "late": cases.alarm_week(S, PSI_MAJOR),
            "final_psi": cases.weekly_psi(S, int(S.slide_weeks))}


def act1_options() -> dict:
    f = alarm_facts()
    fact = (f"PSI first exceeds {PSI_ALARM} in **{week_text(f['week'])}** (PSI "
            f"{psi_text(f['psi'])}, accuracy {pct(f['acc'])}); accuracy crossed the "
            f"{pct(S.floor)} floor in {week_text(f['floor_week'])}, and the labels showed it in "
            f"{week_text(f['labels_week'])}")
    linear_week = PSI_ALARM / f["final_psi"] * S.slide_weeks
    return {
        "A": ("Weeks 1 to 3: PSI is sensitive, it fires almost at once",
              f"Too early. {fact}. A shift of a few hundredths of a standard deviation moves "
              "each decile's share by well under a point, and PSI adds up the squares of "
              "such small moves: early in a slow drift it is close to zero."),
        "B": ("Weeks 4 to 6",
              f"Too early. {fact}. If PSI grew in step with the shift, it would pass "
              f"{PSI_ALARM} around {week_text(round(linear_week))}, the share of the way that "
              f"{PSI_ALARM} is of the final {psi_text(f['final_psi'])}. It grows with the "
              "square of the shift, so it stays low for longer."),
        "C": ("Weeks 7 to 9",
              f"Right. {fact}. PSI grows with the square of the shift, so the alarm comes "
              "late in a slow drift: after the floor, but before the delayed labels."),
        "D": ("Week 10 or later, or not within the quarter",
              f"Too late. {fact}. By week {fmt.num(S.slide_weeks)} PSI is "
              f"{psi_text(f['final_psi'])}, well past {PSI_ALARM}: the square law "
              "makes PSI climb fast once the shift is large."),
    }


# ---- Act II: the cost optimum on the fleet ----------------------------------------------------
ACT2_OPTIONS = {(False, False): "A", (True, False): "B", (False, True): "C", (True, True): "D"}


def act2_truth():
    """The prediction's case: the Edge fleet, standard labelling, retraining every T*."""
    t_star = cases.optimum(S, "edge", "standard")
    p = cases.plan(S, "edge", "standard", t_star)
    return p, ACT2_OPTIONS[(p.violation(AGE) is not None, p.violation(SPEND) is not None)]


def act2_options(p) -> dict:
    fact = (f"T* = **{days(p.interval)}**. The model is replaced {days(p.age)} after its data "
            f"was collected ({fmt.num(p.interval)} + {fmt.num(p.lag)} to label, train and roll "
            f"out), against {days(p.breach)} to the {pct(S.floor)} floor; retraining costs "
            f"{fmt.usd(p.spend)} a month against {fmt.usd(S.budget)}")
    return {
        "A": ("Neither: the cost optimum meets both limits",
              f"{fact}. The optimum balances money only; nothing in $\\sqrt{{2K/(Vd)}}$ knows "
              "about the floor or the lag, so it has to be checked against both."),
        "B": ("The accuracy floor: the model drifts below it before its replacement arrives",
              f"{fact}. The fleet's dearer retraining pushes T* out, and the week-long "
              "rollout is added on top: the oldest cameras serve below the floor."),
        "C": ("The budget: retraining that often costs more than the monthly budget",
              f"{fact}. A dearer retraining makes the optimum retrain *less* often, not more: "
              "T* grows with the square root of the cost."),
        "D": ("Both limits break",
              f"{fact}. One interval cannot be both too short for the budget and too long for "
              "the floor here: the two limits sit at opposite ends of the slider."),
    }


# ---- the page ---------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, p = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, p)


def act_one(ui):
    _, correct = act1_truth()
    f = alarm_facts()
    total_shift = cases.shift_at(S, S.slide_weeks)
    with ui.section("Act I · Calibration", "What the inputs knew before the labels did "
                                           "(12-15 min)"):
        ui.stakeholder(
            "Head of traffic analytics, a city's camera network",
            f"Our vehicle classifier ({S.model.name}) scored {pct(S.initial)} on frames like "
            f"its training data. Twelve weeks later the audit labels say {pct(S.slide_to)}, "
            f"and our product floor is {pct(S.floor)}. The labelling vendor needs "
            f"{days(LABELLING['standard'][0])} per batch, so we learned it late. We do log "
            "every frame's mean brightness: over those twelve weeks its average drifted "
            f"steadily, by {fmt.num(total_shift)} training standard deviations in all. Would "
            f"a PSI alarm at {PSI_ALARM} on that histogram have warned us, and when?")
        ui.markdown(
            "The **population stability index** compares this week's histogram of a feature "
            "with the training histogram, bin by bin, without a single label: "
            "$\\text{PSI} = \\sum_i (a_i - e_i)\\ln(a_i/e_i)$, where $e_i$ is the training "
            "share of bin $i$ and $a_i$ this week's. The bins here are the training "
            "deciles (10% of training frames each). Siddiqi's (2006) rule of thumb reads "
            f"{PSI_MODERATE} to {PSI_MAJOR} as a moderate shift and more as a major one; "
            f"{PSI_ALARM} is a common alarm level in between (the default of the CapyMOA "
            "library's PSI detector). The drift is an *illustrative*, steady "
            "trajectory: the brightness mean moves by the same amount every week, and "
            "accuracy falls in a straight line from "
            f"{pct(S.initial)} to {pct(S.slide_to)}.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"In which week would PSI on the brightness histogram first exceed {PSI_ALARM}?",
            act1_options(), correct=correct)

        psi_chart(ui)
        week = ui.slider("act1.week", "Week to inspect", 1, WEEKS, 1, int(S.slide_weeks),
                         unit="weeks after the snapshot")
        histogram(ui, week)
        ui.metrics([
            Metric(f"First week PSI > {PSI_ALARM}", fmt.num(f["week"]),
                   note=f"PSI {psi_text(f['psi'])}, accuracy {pct(f['acc'])}", tone="info"),
            Metric(f"First week below {pct(S.floor)}", fmt.num(f["floor_week"]),
                   note=f"the floor is reached on day {fmt.num(cases.time_to_breach(S))}",
                   tone="danger"),
            Metric("Week the labels show it", fmt.num(f["labels_week"]),
                   note=f"{days(LABELLING['standard'][0])} of label delay"),
            Metric(f"First week PSI > {PSI_MODERATE}", fmt.num(f["early"]),
                   note="the moderate line of the rule of thumb"),
            Metric(f"First week PSI > {PSI_MAJOR}", fmt.num(f["late"]),
                   note="the major line"),
        ], key="act1.metrics")
        ui.reveal(pred, f"{week_text(f['week'])}: PSI {psi_text(f['psi'])}, accuracy "
                        f"{pct(f['acc'])}; the floor was crossed in "
                        f"{week_text(f['floor_week'])}, the labels showed it in "
                        f"{week_text(f['labels_week'])}",
                  text=pred.feedback, key="act1.overlay")
        ui.reflection(
            "act1.reflection",
            f"The {PSI_ALARM} alarm fired after accuracy had crossed the floor. Which change "
            "would have warned *before* the floor, still without labels?",
            {
                "A": (f"Alarm at the rule of thumb's moderate line, {PSI_MODERATE}",
                      f"Yes. PSI passes {PSI_MODERATE} in {week_text(f['early'])}, before the "
                      f"floor in {week_text(f['floor_week'])}. The price is more alarms on "
                      "shifts that do not hurt accuracy: the alarm starts an investigation, "
                      "not a retraining."),
                "B": ("Fewer, wider bins: five instead of ten",
                      "Merging bins can only lower PSI: two bins that moved in opposite "
                      "directions cancel inside the merged bin. Coarser bins make the alarm "
                      "later, not earlier."),
                "C": (f"Wait for the major line, {PSI_MAJOR}, to avoid false alarms",
                      f"That fires in {week_text(f['late'])}, no sooner than the labels "
                      f"({week_text(f['labels_week'])}): an alarm that late adds nothing."),
                "D": ("Score the labelled accuracy more often",
                      "Each score still waits for its labels: checking more often shortens "
                      f"the wait between checks, not the {days(LABELLING['standard'][0])} "
                      "the labels take. Only the inputs are available at once."),
            }, correct="A")
        with ui.math_peek("PSI, bin by bin, and its square law", key="act1.mathpeek"):
            ui.markdown(mathpeek_psi(f["week"]))
    return pred


def psi_chart(ui):
    weeks = list(range(1, WEEKS + 1))
    values = [cases.weekly_psi(S, w) for w in weeks]
    accs = [cases.accuracy(S, 7 * w) * 100 for w in weeks]
    alarm = cases.alarm_week(S)
    colors = [plot.COLORS["bad"] if v > PSI_ALARM else plot.COLORS["accent"]
              if v > PSI_MODERATE else plot.COLORS["muted"] for v in values]
    traces = [plot.bar(weeks, values, colors, name="PSI of the week (illustrative drift)"),
              plot.line(weeks, accs, "accuracy (illustrative)", plot.COLORS["ink"],
                        yaxis="y2", mode="lines+markers"),
              plot.line([0.5, WEEKS + 0.5], [S.floor * 100] * 2, "accuracy floor",
                        plot.COLORS["bad"], dash="dot", yaxis="y2")]
    shapes = [plot.hline(x, plot.COLORS["muted"], dash="dash")
              for x in (PSI_MODERATE, PSI_ALARM, PSI_MAJOR)]
    notes = [plot.note(WEEKS + 0.4, x, f"{x}", xanchor="left") for x in
             (PSI_MODERATE, PSI_ALARM, PSI_MAJOR)]
    figure = {"data": traces, "layout": plot.layout(
        "Weekly PSI of the brightness histogram, and accuracy", height=380, shapes=shapes,
        annotations=notes, showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("weeks after the training snapshot", dtick=1),
        yaxis=plot.axis("PSI"),
        yaxis2=plot.axis("accuracy (%)", overlaying="y", side="right", showgrid=False))}
    ui.figure(figure, key="act1.psi", caption=(
        f"Illustrative drift: the brightness mean moves {fmt.num(S.shift_per_week)} training "
        f"standard deviations a week. PSI is {psi_text(values[3])} in week 4, "
        f"{psi_text(values[alarm - 1])} in {week_text(alarm)} (the first above {PSI_ALARM}) "
        f"and {psi_text(values[int(S.slide_weeks) - 1])} in week {fmt.num(S.slide_weeks)}. "
        f"Accuracy falls from {pct(S.initial)} to {pct(S.slide_to)} over the twelve weeks "
        f"and crosses the {pct(S.floor)} floor in {week_text(cases.floor_week(S))}. Dashed "
        f"lines: {PSI_MODERATE}, {PSI_ALARM} and {PSI_MAJOR}."),
        table={"caption": "Week by week (illustrative drift)",
               "columns": ["week", "brightness shift (training SDs)", "PSI", "level",
                           "accuracy"],
               "rows": [[str(w), fmt.num(cases.shift_at(S, w)), psi_text(v),
                         cases.psi(round(cases.shift_at(S, w), 12), S.spread).level,
                         pct(a / 100)] for w, v, a in zip(weeks, values, accs)]})


def histogram(ui, week: int):
    shift = round(cases.shift_at(S, week), 12)
    train, now = cases.shares(), cases.shares(shift, S.spread)
    r = cases.psi(shift, S.spread)
    names = [f"D{i + 1}" for i in range(len(train))]
    figure = {"data": [
        plot.bar(names, [x * 100 for x in train], plot.COLORS["muted"], name="training"),
        plot.bar(names, [x * 100 for x in now], plot.COLORS["accent"],
                 name=f"{week_text(week)} (illustrative)")],
        "layout": plot.layout(f"Brightness histogram in the training deciles, {week_text(week)}",
                              height=320, barmode="group", showlegend=True,
                              legend={"orientation": "h", "y": -0.25},
                              xaxis=plot.axis("training decile (darkest to brightest)"),
                              yaxis=plot.axis("share of frames (%)"))}
    top = max(range(len(train)), key=lambda i: r.per_bin[i])
    ui.figure(figure, key="act1.histogram", caption=(
        f"In {week_text(week)} the brightness mean has moved {fmt.num(shift)} training "
        f"standard deviations: the darkest decile holds {pct(now[0])} of frames (10.0% in "
        f"training), the brightest {pct(now[-1])}. PSI = {psi_text(r.psi)}, most of it from "
        f"decile {top + 1} ({psi_text(r.per_bin[top])})."),
        table={"caption": f"Decile shares and PSI terms, {week_text(week)}",
               "columns": ["decile", "training share", "this week's share", "PSI term"],
               "rows": [[names[i], pct(train[i]), pct(now[i]), f"{r.per_bin[i]:.4f}"]
                        for i in range(len(train))]})


def mathpeek_psi(week: int) -> str:
    shift = round(cases.shift_at(S, week), 12)
    r = cases.psi(shift, S.spread)
    train, now = cases.shares(), cases.shares(shift, S.spread)
    first, last = 0, len(train) - 1
    term = (lambda i: f"({fmt.num(now[i], 3)} - {fmt.num(train[i], 3)})"
                      f"\\ln\\frac{{{fmt.num(now[i], 3)}}}{{{fmt.num(train[i], 3)}}}")
    need = cases.shift_for(PSI_ALARM)
    return (
        r"$$\text{PSI} = \sum_{i=1}^{B} (a_i - e_i)\,\ln\frac{a_i}{e_i}"
        r"\;\approx\; \delta^2 \quad\text{(a mean shift of } \delta \text{ standard deviations)}$$"
        "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $B$ | bins: the training deciles | {cases.BINS} |\n"
        "| $e_i$ | share of training frames in bin $i$ | 0.1 each |\n"
        f"| $a_i$ | share of this week's frames in bin $i$ ({week_text(week)}) | "
        f"{fmt.num(now[first], 3)} to {fmt.num(now[last], 3)} |\n"
        f"| $\\delta$ | shift of the brightness mean, in training standard deviations | "
        f"{fmt.num(shift)} |\n\n"
        f"In {week_text(week)} the darkest decile's term is ${term(first)}$ = "
        f"{r.per_bin[first]:.4f} and the brightest's ${term(last)}$ = {r.per_bin[last]:.4f}; "
        f"the ten terms add up to PSI = {psi_text(r.psi)}, against $\\delta^2$ = "
        f"{fmt.num(shift ** 2, 3)}. Each term is positive: a bin that gains and a bin that "
        "loses both add to PSI.\n\n"
        f"The square law sets the alarm: PSI reaches {PSI_ALARM} at a shift of "
        f"{fmt.num(need)} standard deviations, so at {fmt.num(S.shift_per_week)} a week it "
        f"needs {fmt.num(need / S.shift_per_week)} weeks. A threshold twice as high needs "
        "only $\\sqrt{2}$ times the shift.")


# ---- Act II -------------------------------------------------------------------------------------
def act_two(ui, context):
    truth, correct = act2_truth()
    k_edge = cases.retrain_cost(S, "edge", "standard")
    with ui.section("Act II · Design challenge", "How often is retraining worth its price? "
                                                 "(20-25 min)"):
        ui.stakeholder(
            "Fleet operations lead",
            "We will retrain on a schedule. Each retraining buys "
            f"{fmt.num(S.fresh_labels)} fresh labelled frames, retrains on an H100 and needs "
            "an engineer's sign-off. On the Edge fleet the update then goes out in stages to "
            f"{fmt.num(S.fleet)} cameras: two engineer-days and "
            f"{days(cases.ROLLOUT_DAYS['edge'])} until the last camera has it, so one "
            f"retraining there costs {fmt.usd(k_edge['total'])}. Every point of accuracy we "
            f"lose costs us about {fmt.usd(S.loss_per_point)} a day in manual review. Finance "
            "wants the interval that minimises the total daily cost. Our limits: at most "
            f"{fmt.usd(S.budget)} a month on retraining, and never below {pct(S.floor)}.")
        ui.markdown(
            "Costs, the budget, the floor and the lead times are **illustrative**. Accuracy "
            "falls with the age of the model's training data, as in Act I: "
            f"{fmt.num(S.rate, 3)} points a day, so it reaches the floor "
            f"{days(cases.time_to_breach(S))} after the data was collected. A model goes live "
            "only after its labels come back, it is trained and signed off, and it is "
            "rolled out. With standard labelling that takes "
            f"{days(cases.lag_days('edge', 'standard'))} on the fleet "
            f"({fmt.num(LABELLING['standard'][0])} to label, "
            f"{fmt.num(cases.TRAIN_AND_REVIEW_DAYS)} to train and sign off, "
            f"{fmt.num(cases.ROLLOUT_DAYS['edge'])} to roll out) and "
            f"{days(cases.lag_days('cloud', 'standard'))} in the cloud, where a one-day canary "
            "replaces the staged rollout.")
        pred = ui.predict_choice(
            "act2.prediction",
            "On the Edge fleet with standard labelling, retraining at the cost-optimal "
            "interval $T^* = \\sqrt{2K/(Vd)}$: which limit breaks?",
            act2_options(truth), correct=correct)

        interval = ui.slider("act2.interval", "Days between retrainings", 5, 90, 1, 30,
                             unit="days")
        labelling = ui.select("act2.labelling", "Labelling service", LABELLING_LABELS,
                              default="standard")
        p = cases.plan(S, context, labelling, float(interval))
        if not p.feasible:
            ui.failure(failure_title(p), p.violations, failure_text(p), key="act2.failure",
                       show=show)
        cost_chart(ui, p)
        plan_metrics(ui, p)
        parts_table(ui, context, labelling)
        window_table(ui, context)

        ui.reveal(pred, f"T* = {days(truth.interval)} on the fleet: model age "
                        f"{days(truth.age)} against {days(truth.breach)} to the floor; "
                        f"{fmt.usd(truth.spend)} a month against {fmt.usd(S.budget)}",
                  text=pred.feedback, key="act2.overlay")
        ui.reflection(
            "act2.reflection",
            "Why is the cost-optimal interval longer on the Edge fleet than in the cloud?",
            reflection_options(), correct="A")
        with ui.math_peek("the cost of the cadence and its two limits", key="act2.mathpeek"):
            ui.markdown(mathpeek_cadence(p))
    return pred, p


def reflection_options() -> dict:
    kc = cases.retrain_cost(S, "cloud", "standard")["total"]
    ke = cases.retrain_cost(S, "edge", "standard")["total"]
    tc, te = cases.optimum(S, "cloud", "standard"), cases.optimum(S, "edge", "standard")
    lag_c, lag_e = cases.lag_days("cloud", "standard"), cases.lag_days("edge", "standard")
    gpu = cases.retrain_cost(S, "edge", "standard")["gpu"]
    return {
        "A": ("Each retraining costs more, and T* grows with the square root of that cost",
              f"Yes. K is {fmt.usd(ke)} on the fleet against {fmt.usd(kc)} in the cloud, "
              f"{fmt.ratio(ke / kc)} as much, so T* is $\\sqrt{{{fmt.num(ke / kc, 3)}}}$ = "
              f"{fmt.ratio(te / tc)} longer: {days(te)} against {days(tc)}."),
        "B": ("The fleet's accuracy drifts more slowly",
              f"The drift is the same in both contexts ({fmt.num(S.rate, 3)} points a day): "
              "the cameras see the same streets. What differs is the price of a retraining."),
        "C": ("The week-long rollout adds to the daily loss",
              f"It does, by the same amount whatever the interval (the lag is "
              f"{days(lag_e)} on the fleet, {days(lag_c)} in the cloud): a constant does not "
              "move the minimum. The lag moves the floor limit instead, which is why the "
              "optimum breaks it."),
        "D": ("The cameras retrain more slowly than an H100",
              "The cameras never retrain: both contexts retrain centrally on an H100, where "
              f"the GPU time costs {fmt.usd(gpu)} per retraining. The fleet's extra cost is "
              "the rollout."),
    }


def failure_title(p) -> str:
    names = {v.name for v in p.violations}
    if names == {AGE}:
        return "The model drifts below the accuracy floor before its replacement arrives"
    if names == {SPEND}:
        return "Retraining this often breaks the monthly budget"
    return "Below the floor and over budget"


def failure_text(p) -> str:
    parts = []
    limits = cases.whole_days(S, p.context, p.labelling)
    if p.violation(AGE):
        parts.append(
            f"Every {days(p.interval)} a new model is trained on data collected "
            f"{days(p.lag)} before it reaches every device, so the outgoing model is "
            f"{days(p.age)} old when it is replaced and serves at {pct(p.lowest)}, under the "
            f"{pct(S.floor)} floor (reached at {days(p.breach)}). Retrain more often"
            + (", or pick expedited labelling to shorten the lag." if p.labelling == "standard"
               else "."))
    if p.violation(SPEND):
        parts.append(
            f"At {fmt.usd(p.cost)} a retraining, every {days(p.interval)} is "
            f"{fmt.usd(p.spend)} a month against {fmt.usd(S.budget)}. Retrain less often.")
    if limits is None:
        parts.append(
            f"With {p.labelling} labelling {CONTEXT_PLACE[p.context]} no interval meets both "
            "limits: the budget's shortest interval is longer than the floor's longest. "
            + ("Switch to the other labelling service, or to the Cloud context."
               if p.context == "edge" else "Switch to the other labelling service."))
    else:
        lo, hi = limits
        parts.append(f"Only {days(lo)} meets both limits here." if lo == hi else
                     f"Intervals from {fmt.num(lo)} to {days(hi)} meet both limits here.")
    return " ".join(parts)


def cost_chart(ui, p):
    s_k = p.cost
    lag_cost = p.lag_cost
    xs = list(range(5, 91))
    retrain = [s_k / t for t in xs]
    loss = [S.loss_per_point * S.rate * t / 2 + lag_cost for t in xs]
    total = [cases.plan(S, p.context, p.labelling, float(t)).per_day for t in xs]
    t_star = cases.optimum(S, p.context, p.labelling)
    star = cases.plan(S, p.context, p.labelling, t_star)
    w = cases.window(S, p.context, p.labelling)
    shapes = [plot.vline(p.breach - p.lag, plot.COLORS["bad"], dash="dash"),
              plot.vline(s_k * cases.DAYS_PER_MONTH / S.budget, plot.COLORS["accent"],
                         dash="dash")]
    if w is not None:
        shapes.insert(0, {"type": "rect", "xref": "x", "yref": "paper", "x0": w[0],
                          "x1": w[1], "y0": 0, "y1": 1, "line": {"width": 0},
                          "fillcolor": "rgba(22,163,74,0.12)"})
    color = plot.COLORS[p.context]
    traces = [
        plot.line(xs, total, "total cost per day", color, width=3),
        plot.line(xs, retrain, "retraining, K/T", plot.COLORS["accent"], dash="dot"),
        plot.line(xs, loss, "lost accuracy, V·d·(T/2 + T_r)", plot.COLORS["muted"], dash="dot"),
        plot.points([t_star], [star.per_day], "cost optimum T*", plot.COLORS["ink"],
                    symbol="diamond"),
        plot.points([p.interval], [p.per_day], "your interval",
                    plot.COLORS["good"] if p.feasible else plot.COLORS["bad"], size=12)]
    figure = {"data": traces, "layout": plot.layout(
        f"Daily cost of retraining every T days ({contexts.name(p.context)}, "
        f"{p.labelling} labelling)", height=380, shapes=shapes, showlegend=True,
        legend={"orientation": "h", "y": -0.28},
        xaxis=plot.axis("days between retrainings, T"),
        yaxis=plot.axis("USD per day", rangemode="tozero"))}
    window_words = ("no interval meets both" if w is None else
                    f"the green band, {fmt.num(w[0])} to {fmt.num(w[1])} days, meets both")
    ui.figure(figure, key="act2.cost", caption=(
        f"Daily cost against the interval: {fmt.usd(s_k)} per retraining spread over T days, "
        f"plus the accuracy lost meanwhile. The minimum is at T* = {days(t_star)} "
        f"({fmt.usd(star.per_day)} a day). Your {days(p.interval)} cost "
        f"{fmt.usd(p.per_day)} a day. The red dashed line is the floor's longest interval "
        f"({days(p.breach - p.lag)}), the orange one the budget's shortest "
        f"({days(s_k * cases.DAYS_PER_MONTH / S.budget)}); {window_words}."),
        table={"caption": "Cost per day at a few intervals (illustrative scenario)",
               "columns": ["interval", "retraining per day", "lost accuracy per day",
                           "total per day", "limits met"],
               "rows": [[days(t), fmt.usd(p2.cost / t), fmt.usd(p2.per_day - p2.cost / t),
                         fmt.usd(p2.per_day), "yes" if p2.feasible else "no"]
                        for t in (7, 14, 21, 30, 45, 60, 90)
                        for p2 in [cases.plan(S, p.context, p.labelling, float(t))]]})


def plan_metrics(ui, p):
    t_star = cases.optimum(S, p.context, p.labelling)
    ui.metrics([
        Metric("Cost per retraining K", fmt.usd(p.cost),
               note=f"{p.labelling} labelling, {CONTEXT_PLACE[p.context]}"),
        Metric("Time to every device T_r", days(p.lag),
               note="labels + training and sign-off + rollout"),
        Metric("Retraining spend per month", fmt.usd(p.spend),
               tone="danger" if p.violation(SPEND) else "success",
               note=f"budget {fmt.usd(S.budget)}"),
        Metric("Model age at replacement", days(p.age),
               tone="danger" if p.violation(AGE) else "success",
               note=f"floor reached at {days(p.breach)}"),
        Metric("Accuracy just before replacement", pct(p.lowest),
               tone="danger" if p.violation(AGE) else None, note=f"floor {pct(S.floor)}"),
        Metric("Total cost per day", fmt.usd(p.per_day),
               note=f"{fmt.usd(p.per_year)} a year"),
        Metric("Cost-optimal interval T*", days(t_star), tone="info"),
    ], key="act2.metrics")


def parts_table(ui, context, labelling):
    k = cases.retrain_cost(S, context, labelling)
    run, _ = cases.retrain_compute(S)
    fleet_bytes = cases.update_bytes(S, context) * S.fleet if context == "edge" else 0.0
    rows = [
        ["Fresh labels", f"{fmt.num(S.fresh_labels)} images × "
                         f"{fmt.usd(LABELLING[labelling][1])}", fmt.usd(k["labels"])],
        ["GPU time", f"{fmt.duration(run.total_time.m_as('s'))} on one H100 at "
                     f"{fmt.usd(cases.TRAINER.price_per_hour.m_as('USD/hour'))} an hour",
         fmt.usd(k["gpu"])],
        ["Review and sign-off", "one engineer-day", fmt.usd(k["review"])],
    ]
    if context == "edge":
        rows += [
            ["Staged rollout", f"two engineer-days over {days(cases.ROLLOUT_DAYS['edge'])}",
             fmt.usd(k["rollout"])],
            ["Data to the fleet", f"{fmt.si(cases.update_bytes(S, 'edge'), 'B')} × "
                                  f"{fmt.num(S.fleet)} cameras = {fmt.si(fleet_bytes, 'B')} of "
                                  "cloud egress", fmt.usd(k["egress"])],
        ]
    rows.append(["Total K", "", fmt.usd(k["total"])])
    ui.table(f"What one retraining costs ({contexts.name(context)}, {labelling} labelling)",
             ["part", "how much", "USD"], rows, key="act2.parts")


def window_table(ui, context):
    rows = []
    for lab in LABELLING:
        limits = cases.whole_days(S, context, lab)
        rows.append([f"{lab.capitalize()} labelling", fmt.usd(cases.retrain_cost(S, context,
                                                                                 lab)["total"]),
                     days(cases.lag_days(context, lab)),
                     days(cases.optimum(S, context, lab)),
                     "none" if limits is None else days(limits[0]) if limits[0] == limits[1]
                     else f"{limits[0]} to {limits[1]} days"])
    ui.table(f"Intervals (whole days) that meet both limits on {contexts.name(context)}",
             ["labelling", "K per retraining", "T_r", "cost optimum T*",
              "intervals that meet both limits"], rows, key="act2.window")


def mathpeek_cadence(p) -> str:
    v, d = S.loss_per_point, S.rate
    t_star = cases.optimum(S, p.context, p.labelling)
    return (
        r"$$C(T) = \frac{K}{T} + \frac{V d\,T}{2} + V d\,T_r \qquad "
        r"T^{*} = \sqrt{\frac{2K}{V d}}$$" "\n\n"
        r"$$\text{floor: } T + T_r \le t_b \qquad \text{budget: } "
        r"K \cdot \frac{30.44\ \text{days}}{T} \le B$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $K$ | cost of one retraining | {fmt.usd(p.cost)} |\n"
        f"| $V$ | loss per point of accuracy per day | {fmt.usd(v)} |\n"
        f"| $d$ | accuracy lost per day of data age | {fmt.num(d, 3)} points |\n"
        f"| $T$ | days between retrainings | {days(p.interval)} |\n"
        f"| $T_r$ | days from data snapshot to every device serving | {days(p.lag)} |\n"
        f"| $t_b$ | data age at which accuracy reaches the floor | {days(p.breach)} |\n"
        f"| $B$ | retraining budget per month | {fmt.usd(S.budget)} |\n\n"
        f"$T^*$ = $\\sqrt{{2 \\times {fmt.tex(fmt.usd(p.cost).lstrip('$'))} / ({fmt.num(v)} \\times "
        f"{fmt.num(d, 3)})}}$ = {days(t_star)}. At your $T$ = {fmt.num(p.interval)}: "
        f"$K/T$ = {fmt.usd(p.cost / p.interval)}, $VdT/2$ = "
        f"{fmt.usd(v * d * p.interval / 2)}, $VdT_r$ = {fmt.usd(p.lag_cost)}, so $C$ = "
        f"{fmt.usd(p.per_day)} a day. The floor needs $T \\le$ {fmt.num(p.breach)} − "
        f"{fmt.num(p.lag)} = {fmt.num(p.breach - p.lag)} days; the budget needs $T \\ge$ "
        f"{fmt.num(p.cost * cases.DAYS_PER_MONTH / S.budget)} days. The lag term does not "
        "depend on $T$: it raises the curve without moving its minimum, and shortens the "
        "floor's limit instead. (A month is 30.44 days, 365.25 / 12.)")


# ---- closing ----------------------------------------------------------------------------------
def closing(ui):
    f = alarm_facts()
    truth, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-ml-ops-psi derives the square law you met in Act I; "
            "@sec-ml-ops-label-delay explains why the labels lag; @sec-ml-ops-cadence and "
            "@sec-ml-workflow-retraining-cost derive the square-root interval, and "
            "@sec-ml-ops-rollout the fleet's staged rollout.\n"
            "- Next, Lab 15 (@sec-responsible-engr) asks what a model's accuracy hides across "
            "groups, and what auditing it costs.\n"
            "- TinyTorch, Module 08 (DataLoader): the loader you write there is where a drift "
            "monitor taps each batch's feature histogram.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. PSI grows with the square of a shift: in a slow drift a {PSI_ALARM} alarm "
            f"fired in {week_text(f['week'])}, after the floor ({week_text(f['floor_week'])}) "
            f"but before the labels ({week_text(f['labels_week'])}). A {PSI_MODERATE} alarm "
            f"would have fired in {week_text(f['early'])}.\n"
            "2. The cost-optimal interval $\\sqrt{2K/(Vd)}$ balances money only: on the fleet "
            f"it is {days(truth.interval)}, and the model would be {days(truth.age)} old at "
            f"replacement against {days(truth.breach)} to the floor.\n"
            "3. The lag from data to devices (labels, training, rollout) does not move the "
            "cost optimum; it shortens the longest interval the floor allows. On a fleet the "
            "rollout is part of that lag.")


def save_to_ledger(ui, context, pred1, pred2, p):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    week, _ = act1_truth()
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (band_value(pred1.value), float(week)), pred2,
        decision=(f"retrain every {days(p.interval)} with {p.labelling} labelling, on "
                  f"{contexts.name(context)}"),
        result=p.per_day, unit="USD/day", constraint_hit=not p.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Cadence", f"every {days(p.interval)}, {p.labelling} labelling"),
        ("Cost", f"{fmt.usd(p.per_day)} a day"
         + ("" if p.feasible else " (a limit is broken)"))))

"""Vol I · Lab 03 · The silent decay (chapter: ml_workflow).

Act I calibrates how long a deployed model stays above its accuracy floor when the world
drifts and nobody measures it: the service stays healthy while the answers get worse. Act II
closes the loop: the student picks how often accuracy is checked and how fast a retrained
model ships, and meets two limits: the time spent below the floor after each breach (detection
delay + retraining time, both contexts) and, on phones, the monthly data that shipping every
retrained model costs. A fast loop that is safe in the datacenter breaks the phone's budget.

The decay curve is the engine's ILLUSTRATIVE AccuracyDecayModel; the scenario values (launch
accuracy, floor, drift rate, tolerated window, retraining times, data budget) are illustrative
teaching values shared with Chapter 3 (ml_workflow_cases.py). Model sizes, precisions and
devices come from the engine's registries.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import ml_workflow_cases as cases
from labs.vol1.ml_workflow_cases import (DATA_BUDGET_MB, DATA_CONSTRAINT, HORIZON_DAYS,
                                         LAB_DRIFT, LAB_MODEL, POLICIES, TOLERATED_DAYS)

LAB = Lab(
    id="vol1/03", chapter="ml_workflow", title="The silent decay",
    hook="A deployed model can get worse every day while every dashboard stays green. How "
         "long before it is wrong too often, and how fast must the loop close to catch it?",
    invariants=["the ML workflow is a loop", "silent accuracy decay",
                "time below the floor = detection delay + retraining"],
    minutes=40, contexts=("cloud", "mobile"),
    reading=[
        ("@sec-ml-workflow-loop", "the workflow as a loop, stage by stage"),
        ("@sec-ml-workflow-silent-failure", "why a model's failures are silent"),
        ("@sec-ml-workflow-decay", "the (illustrative) decay model and its time to breach"),
        ("@sec-ml-workflow-monitoring", "detection delay and the window below the floor"),
        ("@sec-ml-workflow-deployment", "closing the loop on a phone: the update budget"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "served from NVIDIA H100 servers",
                                  "mobile": "on the phone (Apple A17 Pro)"})
POLICY_LABELS = {
    "manual": f"Manual retraining: about {fmt.num(POLICIES['manual'])} days to a new model",
    "pipeline": f"Automated training pipeline, human sign-off: about "
                f"{fmt.num(POLICIES['pipeline'])} days",
    "automated": f"Fully automated training and deployment: about "
                 f"{fmt.num(POLICIES['automated'])} day",
}
POLICY_SHORT = {"manual": "manual retraining", "pipeline": "an automated training pipeline",
                "automated": "a fully automated loop"}
POLICY_ROW = {"manual": "Manual retraining", "pipeline": "Automated training pipeline",
              "automated": "Fully automated loop"}
ACCURACY = "accuracy on fresh labelled samples"


def pct(x: float) -> str:
    return fmt.percent(x, 1)


def days(x: float) -> str:
    return f"{fmt.num(x)} day" + ("" if fmt.num(x) == "1" else "s")


def show(q) -> str:
    """A constraint amount as a student reads it: times in days, bytes in MB."""
    if str(q.dimensionality) == "[time]":
        return days(q.m_as("day"))
    return fmt.quantity(q)


# ---- Act I: how long does the unmonitored model stay above its floor? --------------------
#: The prediction's bands in days (low, high); the ledger records the band's representative
#: value (its geometric middle; 3 days below a week, 180 above three months).
ACT1_BANDS = {"A": (0.0, 7.0), "B": (7.0, 21.0), "C": (21.0, 90.0), "D": (90.0, math.inf)}


def band_value(key: str) -> float:
    lo, hi = ACT1_BANDS[key]
    return 3.0 if lo == 0 else 180.0 if hi == math.inf else math.sqrt(lo * hi)


def act1_truth() -> tuple[float, str]:
    t = cases.time_to_breach(LAB_DRIFT)
    return t, bands.band_of(t, ACT1_BANDS)


def act1_options(t: float) -> dict:
    linear = cases.time_to_breach(LAB_DRIFT, "linear")
    below = cases.days_below(LAB_DRIFT)
    fact = (f"On the illustrative decay the model crosses {pct(LAB_DRIFT.floor)} after "
            f"**{days(t)}** ({days(linear)} if the loss stayed at "
            f"{fmt.num(LAB_DRIFT.rate)} points a day)")
    return {
        "A": ("Less than a week",
              f"Too pessimistic. {fact}. The margin is {fmt.num((LAB_DRIFT.initial - LAB_DRIFT.floor) * 100)} "
              "points and the loss is a fraction of a point a day, so it takes more than a "
              "week, but not much more."),
        "B": ("One to three weeks",
              f"Right. {fact}: the margin divided by the daily loss. After that it serves "
              f"below the floor for {days(below)} of its first {HORIZON_DAYS}, and nothing "
              "in the service reports it."),
        "C": ("Three weeks to three months",
              f"Too optimistic. {fact}. A fraction of a point a day sounds small, but a "
              f"{fmt.num((LAB_DRIFT.initial - LAB_DRIFT.floor) * 100)}-point margin is only "
              "a few weeks of it."),
        "D": ("More than three months",
              f"Far too optimistic. {fact}. Without a measurement, the model would then "
              f"serve below the floor for {days(below)} of its first quarter unnoticed."),
    }


# ---- Act II: the fastest loop on the phone ------------------------------------------------
#: The case the Act II prediction asks about: checks every day, the fully automated loop, on
#: the phones.
ACT2_CASE = ("mobile", 1, "automated")
WINDOW = "time below accuracy floor"
ACT2_VERDICT = {frozenset(): "A", frozenset({WINDOW}): "B", frozenset({DATA_CONSTRAINT}): "C",
                frozenset({WINDOW, DATA_CONSTRAINT}): "D"}


def act2_truth():
    run = cases.loop(*ACT2_CASE)
    return run, ACT2_VERDICT[frozenset(v.name for v in run.violations)]


def act2_options(run) -> dict:
    r = run.result
    fact = (f"Checked daily and fixed in a day, the model spends {days(r.time_below_floor.m_as('day'))} "
            f"below the floor per incident (the limit is {days(TOLERATED_DAYS)}), and each cycle "
            f"lasts {days(r.cycle_time.m_as('day'))}: {fmt.num(run.updates_per_month)} updates "
            f"of {fmt.si(run.update_bytes, 'B')} a month, **{fmt.si(run.bytes_per_month, 'B')}** "
            f"against a {fmt.num(DATA_BUDGET_MB)} MB budget")
    return {
        "A": ("Neither: the fastest loop is the safest",
              f"{fact}. Fast detection protects accuracy, but on a phone every fix is a "
              "download, and a faster loop ships more of them."),
        "B": ("The week below the floor: a day's delay is still too slow",
              f"{fact}. The window is small; what breaks is the data each fix costs."),
        "C": ("The data budget: the phones download too many updates",
              f"Right. {fact}. Catching every breach fast shortens the cycle, and every cycle "
              "ends in a download."),
        "D": ("Both limits break",
              f"{fact}. Only the data budget breaks: a daily check keeps the window short."),
    }


# ---- the page -------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, run = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, run)


def act_one(ui):
    t, correct = act1_truth()
    with ui.section("Act I · Calibration", "How long until an unmonitored model is wrong too "
                                           "often? (12-15 min)"):
        ui.stakeholder(
            "Product lead, a photo-sharing app",
            f"Our photo-tagging model ({LAB_MODEL.name}) launched at "
            f"{pct(LAB_DRIFT.initial)} {ACCURACY}. Below {pct(LAB_DRIFT.floor)} the wrong "
            "tags start to annoy people. Since launch nobody has re-measured accuracy: the "
            "service dashboards (requests, latency, errors) are all green. How long do we "
            "actually have?")
        ui.markdown(
            "New photos drift away from the ones the model was trained on (new phones, new "
            "trends, new seasons). Assume, as an **illustrative** rate, that accuracy falls "
            f"by **{fmt.num(LAB_DRIFT.rate)} percentage points a day** at launch and the loss "
            "slows in proportion as accuracy falls (exponential decay). Commit before you "
            "look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"With no monitoring, how long after launch does accuracy fall below the "
            f"{pct(LAB_DRIFT.floor)} floor?",
            act1_options(t), correct=correct)

        decay_chart(ui, t)
        ui.callout("info", "What the service dashboard showed all quarter: every request "
                   "answered, latency and error rate unchanged. The code never failed; the "
                   "answers did. Only a measurement of accuracy on fresh labelled data shows "
                   "the curve above.", title="Silent", key="act1.silent")
        act1_metrics(ui, t)
        ui.reveal(pred, f"{days(t)} to the floor; then {days(cases.days_below(LAB_DRIFT))} of "
                        f"the first {HORIZON_DAYS} below it", text=pred.feedback,
                  key="act1.overlay")
        ui.reflection(
            "act1.reflection",
            "Why did no alarm fire when the model crossed its floor?",
            {
                "A": ("The drift was too small to measure",
                      f"It was not small: {fmt.num((LAB_DRIFT.initial - LAB_DRIFT.floor) * 100)} "
                      "points within two weeks is easy to see on a few thousand labelled "
                      "samples. Nobody took the measurement."),
                "B": ("The service's health checks measure whether it answers, not whether the "
                      "answers are right",
                      "Yes. Latency, errors and uptime are properties of the code, and the "
                      "code kept working. Accuracy needs fresh labels, so it must be measured "
                      "on purpose: that is what monitoring adds to the loop."),
                "C": ("The model crashed and fell back to a default",
                      "Nothing crashed: the model kept producing confident tags for every "
                      "photo. That is why the failure is silent."),
                "D": ("Accuracy cannot be measured after deployment",
                      "It can, by labelling a sample of recent inputs (or collecting user "
                      "corrections). It costs labels and time, which is why the check "
                      "interval is a design choice (Act II)."),
            }, correct="B")
        with ui.math_peek("the decay and the time to breach", key="act1.mathpeek"):
            ui.markdown(mathpeek_decay(t))
    return pred


def decay_chart(ui, t):
    exp_pts = cases.curve(LAB_DRIFT)
    lin_pts = cases.curve(LAB_DRIFT, "linear")
    x = [d for d, _ in exp_pts]
    floor = LAB_DRIFT.floor * 100
    figure = {"data": [
        plot.line(x, [a * 100 for _, a in exp_pts], "exponential decay (illustrative)",
                  plot.COLORS["cloud"]),
        plot.line(x, [a * 100 for _, a in lin_pts], "linear decay (illustrative)",
                  plot.COLORS["muted"], dash="dash"),
        plot.line([0, HORIZON_DAYS], [floor, floor], "accuracy floor", plot.COLORS["bad"],
                  dash="dot"),
        plot.points([t], [floor], "falls below the floor", plot.COLORS["bad"],
                    text=[f"day {fmt.num(t)}"], textposition="top right"),
    ], "layout": plot.layout(
        "Unmonitored accuracy after launch (illustrative decay)", height=360, showlegend=True,
        legend={"orientation": "h", "y": -0.22},
        xaxis=plot.axis("days since launch"), yaxis=plot.axis("accuracy (%)"))}
    rows = [[str(d), pct(exp_pts[d][1]), pct(lin_pts[d][1])]
            for d in (0, 7, 14, 30, 60, HORIZON_DAYS)]
    ui.figure(figure, key="act1.decay", caption=(
        f"Illustrative accuracy decay of the photo-tagging model with no monitoring: from "
        f"{pct(LAB_DRIFT.initial)} at launch it crosses the {pct(LAB_DRIFT.floor)} floor on "
        f"day {fmt.num(t)} (exponential) or day {fmt.num(cases.time_to_breach(LAB_DRIFT, 'linear'))} "
        f"(linear), and reaches {pct(exp_pts[-1][1])} (exponential) by day {HORIZON_DAYS}. "
        "The rate is a teaching value, not a measurement."),
        table={"caption": "Accuracy by day since launch, no monitoring (illustrative)",
               "columns": ["day", "exponential decay", "linear decay"], "rows": rows})


def act1_metrics(ui, t):
    below = cases.days_below(LAB_DRIFT)
    ui.metrics([
        Metric("Days above the floor", days(t), tone="warn",
               note=f"linear: {days(cases.time_to_breach(LAB_DRIFT, 'linear'))}"),
        Metric(f"Accuracy on day {HORIZON_DAYS}", pct(cases.accuracy_after(LAB_DRIFT, HORIZON_DAYS)),
               tone="danger", note="illustrative decay, no retraining"),
        Metric(f"Days below the floor (first {HORIZON_DAYS})", days(below), tone="danger",
               note=f"{fmt.percent(below / HORIZON_DAYS, 0)} of the quarter"),
        Metric("Alerts raised", "0", tone="info", note="nothing measured accuracy"),
    ], key="act1.metrics")


def mathpeek_decay(t) -> str:
    d = LAB_DRIFT
    a0, fl, rate = d.initial, d.floor, d.rate / 100
    return (
        r"$$a(t) = a_0\, e^{-d\,t/a_0} \qquad\Longrightarrow\qquad "
        r"t_b = \frac{a_0}{d}\,\ln\frac{a_0}{a_{\min}}$$" "\n\n"
        "(the linear form, $a(t) = a_0 - d\\,t$, gives $t_b = (a_0 - a_{\\min})/d$):\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $a_0$ | accuracy at launch | {pct(a0)} |\n"
        f"| $a_{{\\min}}$ | the accuracy floor | {pct(fl)} |\n"
        f"| $d$ | accuracy lost per day at launch (illustrative) | {fmt.num(d.rate)} points/day |\n"
        f"| $t_b$ | days until accuracy falls below the floor | {days(t)} |\n\n"
        f"$t_b$ = ({fmt.num(a0)} / {fmt.num(rate)}) × ln({fmt.num(a0)} / {fmt.num(fl)}) = "
        f"{fmt.num(a0 / rate)} × {fmt.num(math.log(a0 / fl))} = {fmt.num(t)} days. The "
        f"linear form gives {fmt.num(a0 - fl)} / {fmt.num(rate)} = "
        f"{fmt.num(cases.time_to_breach(d, 'linear'))} days: with a margin this small the two "
        "shapes barely differ. The exponent's $d/a_0$ is the fraction of its accuracy the "
        f"model loses per day at launch ({fmt.percent(rate / a0, 2)}).")


# ---- Act II ---------------------------------------------------------------------------------
def act_two(ui, context):
    truth, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Close the loop fast enough, and cheaply "
                                                 "enough (20-25 min)"):
        ui.stakeholder(
            "Head of ML platform",
            "From now on we monitor: each check scores the model on a freshly labelled "
            f"sample, and a check that finds accuracy under {pct(LAB_DRIFT.floor)} starts a "
            f"retraining. Product tolerates at most {days(TOLERATED_DAYS)} below the floor "
            "per incident. On phones the model ships inside the app: every retrained model is "
            f"a {fmt.si(truth.update_bytes, 'B')} download ({LAB_MODEL.name} at "
            f"{cases.precision('mobile').upper()}), and the app may use "
            f"{fmt.num(DATA_BUDGET_MB)} MB a month for model updates. The team wants the "
            "fastest loop: check every day, fully automated retraining.")
        ui.markdown(
            "Both limits are **illustrative** product rules. The drift is Act I's. Each "
            "retraining restores the launch accuracy.")
        pred = ui.predict_choice(
            "act2.prediction",
            "On the phones (Mobile): checks every day and the fully automated loop (about "
            f"{days(POLICIES['automated'])} from a failed check to the new model). Which limit "
            "breaks?",
            act2_options(truth), correct=correct)

        interval = ui.slider("act2.interval", "Days between accuracy checks", 1, 60, 1, 7,
                             unit="days")
        policy = ui.select("act2.policy", "Retraining policy", POLICY_LABELS,
                           default="pipeline")
        run = cases.loop(context, interval, policy)
        if not run.feasible:
            ui.failure(failure_title(run), run.violations, failure_text(run),
                       key="act2.failure", show=show)
        loop_chart(ui, run)
        loop_metrics(ui, run)
        window_table(ui, context)

        r = truth.result
        ui.reveal(pred, f"{fmt.si(truth.bytes_per_month, 'B')} of updates a month against "
                        f"{fmt.num(DATA_BUDGET_MB)} MB; {days(r.time_below_floor.m_as('day'))} "
                        f"below the floor per incident, within {days(TOLERATED_DAYS)}",
                  text=pred.feedback, key="act2.overlay")
        ui.reflection(
            "act2.reflection",
            "On Mobile, which change widens the range of check intervals that meet both "
            "limits?",
            {
                "A": ("Ship smaller updates: a smaller model, or only the weights that changed",
                      "Yes. The data limit is updates per month times bytes per update; "
                      "halving the bytes lets the loop cycle twice as often, which opens the "
                      "short-interval end of the range while the window limit stays where it "
                      "is."),
                "B": ("Check accuracy less often",
                      "That moves you along the range, not wider: fewer checks mean fewer "
                      "updates, but a longer wait after each breach, and past a point the "
                      "window limit breaks."),
                "C": ("Retrain by hand, more carefully",
                      f"A manual retraining alone takes about {days(POLICIES['manual'])}, "
                      f"longer than the {days(TOLERATED_DAYS)} the product tolerates: no "
                      "interval works with it."),
                "D": ("Raise the accuracy floor, to react earlier",
                      "A higher floor is reached sooner, so cycles get shorter and the phones "
                      "download more updates a month: it narrows the range."),
            }, correct="A")
        with ui.math_peek("the loop's window and its data", key="act2.mathpeek"):
            ui.markdown(mathpeek_loop(run))
    return pred, run


def failure_title(run) -> str:
    names = {v.name for v in run.violations}
    if names == {WINDOW}:
        return "Below the accuracy floor for too long"
    if names == {DATA_CONSTRAINT}:
        return "Model updates exceed the phones' data budget"
    return "Too long below the floor, and over the data budget"


def failure_text(run) -> str:
    r = run.result
    parts = []
    if run.violation(WINDOW):
        parts.append(
            f"After each breach the model keeps serving wrong tags for "
            f"{days(r.time_below_floor.m_as('day'))} on average: half the "
            f"{days(run.interval)} between checks, plus {days(POLICIES[run.policy])} to "
            f"retrain and ship ({POLICY_ROW[run.policy].lower()}). "
            + ("No check interval is enough with this policy: pick a faster retraining policy."
               if POLICIES[run.policy] > TOLERATED_DAYS else
               "Check more often, or pick a faster retraining policy."))
    if run.violation(DATA_CONSTRAINT):
        parts.append(
            f"Each cycle ends in a {fmt.si(run.update_bytes, 'B')} download, "
            f"{fmt.num(run.updates_per_month)} times a month. Check less often (longer cycles "
            "mean fewer updates), or switch the context to Cloud, where a new model never "
            "leaves the datacenter.")
    return " ".join(parts)


def sawtooth(run, horizon: int = HORIZON_DAYS) -> tuple[list, list, list]:
    """Accuracy over ``horizon`` days of the monitored loop: the engine's decay curve from
    each go-live to the next (times in days, accuracy in %), and the go-live days."""
    r = run.result
    cycle = r.cycle_time.m_as("day")
    curve = cases.curve(LAB_DRIFT)
    xs, ys, lives = [], [], []
    start = 0.0
    while start < horizon:
        end = min(start + cycle, horizon)
        for day, acc in curve:
            if start + day >= end:
                break
            xs.append(start + day)
            ys.append(acc * 100)
        if start + cycle <= horizon:
            xs += [start + cycle, start + cycle]
            ys += [r.lowest_accuracy * 100, LAB_DRIFT.initial * 100]
            lives.append(start + cycle)
        start += cycle
    return xs, ys, lives


def loop_chart(ui, run):
    r = run.result
    xs, ys, lives = sawtooth(run)
    floor = LAB_DRIFT.floor * 100
    color = plot.COLORS[run.context]
    traces = [plot.line(xs, ys, "accuracy with monitoring (illustrative)", color),
              plot.line([0, HORIZON_DAYS], [floor, floor], "accuracy floor", plot.COLORS["bad"],
                        dash="dot")]
    if lives:
        traces.append(plot.points(lives, [LAB_DRIFT.initial * 100] * len(lives),
                                  "retrained model goes live" if run.context == "cloud"
                                  else "update downloaded to every phone", plot.COLORS["good"],
                                  symbol="triangle-up"))
    figure = {"data": traces, "layout": plot.layout(
        f"Monitored accuracy over {HORIZON_DAYS} days (illustrative decay)", height=340,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("days since launch"), yaxis=plot.axis("accuracy (%)"))}
    ui.figure(figure, key="act2.loop", caption=(
        f"Illustrative accuracy of the photo-tagging model with checks every "
        f"{days(run.interval)} and {POLICY_SHORT[run.policy]}: each cycle falls below "
        f"{pct(LAB_DRIFT.floor)} on day {fmt.num(r.time_to_breach.m_as('day'))}, is caught "
        f"{days(r.detection_delay.m_as('day'))} later on average, and is replaced "
        f"{days(POLICIES[run.policy])} after that, at {pct(r.lowest_accuracy)}; a cycle lasts "
        f"{days(r.cycle_time.m_as('day'))}, so {len(lives)} new "
        f"{'model goes' if len(lives) == 1 else 'models go'} live in {HORIZON_DAYS} days."),
        table={"caption": "Each retraining in the first quarter (illustrative)",
               "columns": ["go-live day", "accuracy just before", "accuracy after"],
               "rows": [[fmt.num(day), pct(r.lowest_accuracy), pct(LAB_DRIFT.initial)]
                        for day in lives]})


def loop_metrics(ui, run):
    r = run.result
    below = r.time_below_floor.m_as("day")
    data = run.violation(DATA_CONSTRAINT)
    items = [
        Metric("Days above the floor per cycle", days(r.time_to_breach.m_as("day"))),
        Metric("Mean detection delay", days(r.detection_delay.m_as("day")),
               note=f"worst case {days(r.worst_detection_delay.m_as('day'))}"),
        Metric("Mean time below the floor", days(below),
               tone="danger" if run.violation(WINDOW) else "success",
               note=f"limit {days(TOLERATED_DAYS)}; worst case "
                    f"{days(r.worst_time_below_floor.m_as('day'))}"),
        Metric("Time below the floor", fmt.percent(r.share_below_floor, 0),
               note="share of every cycle"),
        Metric("New models per month", fmt.num(run.updates_per_month)),
    ]
    if run.context == "mobile":
        items.append(Metric("Update data per phone per month", fmt.si(run.bytes_per_month, "B"),
                            tone="danger" if data else "success",
                            note=f"budget {fmt.num(DATA_BUDGET_MB)} MB; "
                                 f"{fmt.si(run.update_bytes, 'B')} per update"))
    else:
        items.append(Metric("Update data per phone per month", "none",
                            note="the model stays in the datacenter"))
    ui.metrics(items, key="act2.metrics")


def ok_intervals(context: str, policy: str) -> str:
    ok = [n for n in range(1, 61) if cases.loop(context, n, policy).feasible]
    if not ok:
        return "none"
    return f"{ok[0]} days" if len(ok) == 1 else f"{ok[0]} to {ok[-1]} days"


def window_table(ui, context):
    rows = [[POLICY_ROW[p], days(POLICIES[p]), ok_intervals(context, p)]
            for p in POLICIES]
    ui.table(f"Check intervals (1 to 60 days) that meet every limit on "
             f"{contexts.name(context)}", ["retraining policy", "time to a new model",
                                            "intervals that work"], rows, key="act2.window")


def mathpeek_loop(run) -> str:
    r = run.result
    n, rt = run.interval, POLICIES[run.policy]
    tb, cycle = r.time_to_breach.m_as("day"), r.cycle_time.m_as("day")
    return (
        r"$$T_{\text{below}} = \frac{N}{2} + T_r \qquad T_{\text{cycle}} = t_b + "
        r"\frac{N}{2} + T_r \qquad D_{\text{month}} = S \cdot "
        r"\frac{30.44\ \text{days}}{T_{\text{cycle}}}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | days between accuracy checks | {days(n)} |\n"
        f"| $N/2$ | mean detection delay: a breach falls anywhere between two checks | "
        f"{days(n / 2)} |\n"
        f"| $T_r$ | days from a failed check to the retrained model serving | {days(rt)} |\n"
        f"| $t_b$ | days from go-live to the breach (Act I) | {days(tb)} |\n"
        f"| $S$ | bytes of one update: {LAB_MODEL.name} at its deployed precision | "
        f"{fmt.si(run.update_bytes, 'B')} |\n\n"
        f"$T_{{\\text{{below}}}}$ = {fmt.num(n / 2)} + {fmt.num(rt)} = "
        f"{fmt.num(r.time_below_floor.m_as('day'))} days against a limit of "
        f"{fmt.num(TOLERATED_DAYS)}; $T_{{\\text{{cycle}}}}$ = {fmt.num(tb)} + "
        f"{fmt.num(r.time_below_floor.m_as('day'))} = {fmt.num(cycle)} days, so "
        f"{fmt.num(run.updates_per_month)} new models a month"
        + (f" and $D_{{\\text{{month}}}}$ = {fmt.si(run.bytes_per_month, 'B')} per phone "
           f"against {fmt.num(DATA_BUDGET_MB)} MB." if run.context == "mobile" else
           ", copied inside the datacenter: no phone downloads them.")
        + "\n\nA month here is 30.44 days (365.25 / 12). The worst case waits a whole "
        f"interval: $N + T_r$ = {fmt.num(r.worst_time_below_floor.m_as('day'))} days.")


# ---- closing ----------------------------------------------------------------------------------
def closing(ui):
    t, _ = act1_truth()
    truth, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-ml-workflow-loop walks the loop stage by stage, and "
            "@sec-ml-workflow-monitoring derives the window below the floor you used in "
            "Act II; @sec-ml-workflow-retraining-cost prices the cadence.\n"
            "- Next, Lab 04 (@sec-data-engineering) follows the data into the loop: the "
            "slowest pipeline stage bounds how fast fresh labelled data can arrive.\n"
            "- TinyTorch, Module 07 (Training): the training loop you write there is the "
            "step this loop re-runs every time a check fails.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Unmonitored, the photo model fell below its floor after {days(t)} and stayed "
            f"there for {days(cases.days_below(LAB_DRIFT))} of its first quarter, while "
            "every operational dashboard stayed green (illustrative decay).\n"
            "2. With monitoring, each breach costs half a check interval plus the retraining "
            "time below the floor: the interval and the pipeline set the window.\n"
            f"3. On phones every fix is a download: the fastest loop needs "
            f"{fmt.si(truth.bytes_per_month, 'B')} a month of updates against a "
            f"{fmt.num(DATA_BUDGET_MB)} MB budget. A loop is designed between two limits, not "
            "made as fast as possible.")


def save_to_ledger(ui, context, pred1, pred2, run):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    t, _ = act1_truth()
    below = run.result.time_below_floor.m_as("day")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (band_value(pred1.value), t), pred2,
        decision=(f"accuracy checks every {days(run.interval)}, "
                  f"{POLICY_ROW[run.policy].lower()}, on {contexts.name(context)}"),
        result=below, unit="days",
        constraint_hit=not run.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Loop", f"checks every {days(run.interval)}, {POLICY_ROW[run.policy].lower()}"),
        ("Below the floor", f"{days(below)} per incident"
         + ("" if run.feasible else " (a limit is broken)"))))

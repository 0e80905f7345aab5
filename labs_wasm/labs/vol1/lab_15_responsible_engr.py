"""Vol I · Lab 15 · Equal accuracy, unequal errors (chapter: responsible_engr).

Act I calibrates what an accuracy figure hides: a skin-check model that is about 85%
accurate for two groups misses a far larger share of one group's lesions, because accuracy
weights each kind of error by how common its class is. Act II is the launch review: choose a
referral threshold per group so that true- and false-positive rates sit within 10 points
(equalized odds) without dropping accuracy below the floor, and plan the audit that checks
it: how many labelled photos a two-proportion test needs, what they cost, and why the same
audit costs four times as much when the model runs on the phone and the photos never leave
it. The scenario (score distributions, groups, rules, prices) is illustrative and lives in
responsible_engr_cases.py, shared with Chapter 15; rates, gaps and sample sizes are the
engine's (GroupFairnessModel, ThresholdSweepModel, AuditSampleSizeModel).
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import responsible_engr_cases as cases
from labs.vol1.responsible_engr_cases import (AUDIT_BUDGET, AUDIT_CONFIDENCE, AUDIT_GAP,
                                              AUDIT_POWER, AUDIT_RATE, BASE_RATE, GROUPS,
                                              LABEL_PRICE, LAUNCH_THRESHOLD, MAX_GAP,
                                              MIN_ACCURACY, SHARE, VALIDATION_PHOTOS)

LAB = Lab(
    id="vol1/15", chapter="responsible_engr", title="Equal accuracy, unequal errors",
    hook="A skin-check model is equally accurate for everyone. Whose lesions does it miss, "
         "what does it cost to make its errors fair, and what does it cost to prove it?",
    invariants=["Equal accuracy can hide unequal error rates",
                "Fairness vs accuracy: thresholds per group",
                "Audit cost: the two-proportion sample size"],
    minutes=40, contexts=("cloud", "mobile"),
    reading=[
        ("@sec-responsible-engr-errors", "error rates per group, and why accuracy hides them"),
        ("@sec-responsible-engr-criteria", "demographic parity, equalized odds, equal "
                                           "opportunity, predictive parity"),
        ("@sec-responsible-engr-thresholds", "thresholds per group and what they cost"),
        ("@sec-responsible-engr-audit", "how many labels an audit needs"),
        ("@sec-responsible-engr-on-device", "what changes when the model runs on the phone"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "server model (ResNet-50 class)",
                                  "mobile": "on-device model (MobileNetV2 class)"})
MODEL_WORDS = {"cloud": "the server model", "mobile": "the on-device model"}
POWERS = {"0.8": "80% (the usual target)", "0.9": "90%"}
GROUP_COLORS = {"A": plot.COLORS["cloud"], "B": plot.COLORS["accent"]}


def pct(x: float, decimals: int = 1) -> str:
    return fmt.percent(x, decimals)


def points(x: float) -> str:
    """A difference between two rates, in percentage points."""
    return f"{fmt.num(x * 100, 3)} points"


def point_gap(x: float) -> str:
    """The same as an adjective: "a 5-point gap"."""
    return f"{fmt.num(x * 100, 3)}-point"


def score(t: float) -> str:
    """A threshold on the model's score (two decimals, as the sliders step)."""
    return f"{t:.2f}"


def show(q) -> str:
    """A violated constraint's amount: rates as percentages, money as dollars."""
    return pct(q.m_as("")) if str(q.dimensionality) == "dimensionless" else fmt.quantity(q)


# ---- Act I: the false-negative rates behind equal accuracy ---------------------------------
#: Bands of the Act I prediction: group B's false-negative rate over group A's.
ACT1_BANDS = {"A": (0.0, 1.25), "B": (1.25, 2.0), "C": (2.0, 4.0), "D": (4.0, math.inf)}


def band_middle(key: str) -> float:
    lo, hi = ACT1_BANDS[key]
    return 1.0 if lo == 0 else 6.0 if hi == math.inf else math.sqrt(lo * hi)


def act1_truth() -> tuple[float, str]:
    g = cases.launch_report().groups
    ratio = g["B"]["fnr"] / g["A"]["fnr"]
    return ratio, bands.band_of(ratio, ACT1_BANDS)


def missed(group: str) -> str:
    tp, fn, _, _ = cases.counts("cloud", LAUNCH_THRESHOLD, LAUNCH_THRESHOLD, VALIDATION_PHOTOS,
                                group)
    return f"{fn} of its {tp + fn} lesions"


def act1_options(ratio: float) -> dict:
    g = cases.launch_report().groups
    fact = (f"Group B's false-negative rate is **{pct(g['B']['fnr'])}** ({missed('B')} "
            f"missed) against group A's {pct(g['A']['fnr'])} ({missed('A')}): "
            f"{fmt.ratio(ratio)} as many of its lesions go unreferred.")
    return {
        "A": ("About the same: equal accuracy means equal errors",
              f"{fact} Accuracy pools two different errors, and weights each by how common "
              "its class is; equal totals can hide very different mixtures."),
        "B": ("Somewhat higher: up to twice group A's",
              f"{fact} The miss rate is worse than that, while group B's false-alarm rate "
              f"({pct(g['B']['fpr'])}) is better than group A's ({pct(g['A']['fpr'])}); the "
              "two cancel in the accuracy."),
        "C": ("Two to four times group A's",
              f"{fact} Right. Group B has fewer lesions (a fifth of its photos, against two "
              "fifths), so each missed one moves its accuracy less, and its fewer false alarms "
              "make up the rest."),
        "D": ("More than four times group A's",
              f"{fact} Large, but not that large: the model still refers more than half of "
              "group B's lesions at this threshold."),
    }


# ---- Act II: the audit's size ------------------------------------------------------------
#: Bands of the Act II prediction: labelled photos the audit needs, both groups together.
ACT2_BANDS = {"A": (0, 1_000), "B": (1_000, 5_000), "C": (5_000, 25_000),
              "D": (25_000, math.inf)}


def act2_truth() -> tuple[int, str]:
    total = cases.audit_total(AUDIT_GAP)
    return total, bands.band_of(total, ACT2_BANDS)


def audit_sentence(gap: float = AUDIT_GAP, power: float = AUDIT_POWER) -> str:
    photos = cases.audit_photos(gap, power)
    n = cases.audit_group(gap, BASE_RATE["A"], power).examples_per_group
    return (f"The test needs {fmt.num(n, 4)} photos that need a dermatologist in each group. "
            f"Group A's photos are {pct(BASE_RATE['A'], 0)} positives, so it takes "
            f"{fmt.num(photos['A'], 4)} labelled photos to find them; group B's are "
            f"{pct(BASE_RATE['B'], 0)}, so it takes {fmt.num(photos['B'], 4)}: "
            f"**{fmt.num(sum(photos.values()), 5)} photos** in all")


def act2_options(total: int) -> dict:
    fact = audit_sentence() + "."
    half = cases.audit_total(AUDIT_GAP / 2)
    return {
        "A": ("Fewer than 1,000",
              f"{fact} A few hundred photos estimate one accuracy to within a few points; a "
              "difference between two rates, each measured only on the photos that need a "
              "dermatologist, needs far more."),
        "B": ("1,000 to 5,000",
              f"{fact} That band holds the positives the test needs, but you cannot tell "
              "which photos are positive until they are labelled: every one is paid for."),
        "C": ("5,000 to 25,000",
              f"{fact} Right. The rarer group's positives drive the cost: group B alone is "
              f"{fmt.num(cases.audit_photos(AUDIT_GAP)['B'], 4)} photos."),
        "D": ("More than 25,000",
              f"{fact} Halving the gap to detect would get you there: the sample grows as "
              f"one over the gap squared, and a {point_gap(AUDIT_GAP / 2)} gap needs "
              f"{fmt.num(half, 5)} photos."),
    }


# ---- the page ----------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    rep = cases.launch_report()
    g = rep.groups
    ratio, correct = act1_truth()
    with ui.section("Act I · Calibration", "What does an accuracy figure hide? (12-15 min)"):
        ui.stakeholder(
            "Product lead, a skin-check app",
            "Users photograph a worrying spot; the model refers the photo to a dermatologist "
            "or reassures them. Our validation report has it at "
            f"{pct(g['A']['accuracy'])} accurate for group A (lighter skin tones) and "
            f"{pct(g['B']['accuracy'])} for group B (darker skin tones). The launch review "
            "asks me to confirm it works equally well for everyone. Can I sign?")
        ui.markdown(
            f"The report counts {fmt.num(VALIDATION_PHOTOS)} labelled photos drawn like the "
            f"app's users: {pct(SHARE['A'], 0)} from group A, {pct(SHARE['B'], 0)} from "
            f"group B. A photo is *positive* when a dermatologist says it needs a visit: "
            f"{pct(BASE_RATE['A'], 0)} of group A's photos and {pct(BASE_RATE['B'], 0)} of "
            f"group B's. The server model refers every photo whose score is above "
            f"{score(LAUNCH_THRESHOLD)}, for both groups. A **false negative** is a lesion "
            "sent home; a **false positive** is a healthy spot sent to a dermatologist. "
            "Commit to an estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"Group A's false-negative rate is {pct(g['A']['fnr'])}: that share of its "
            "lesions is not referred. How does group B's false-negative rate compare?",
            act1_options(ratio), correct=correct)

        ui.callout("info", (
            "The score distributions, group sizes and rates of this app are an **illustrative "
            "scenario** (binormal scores, Pepe 2003), built to show the mechanism; they are "
            "not measurements of any product. The rates and gaps are computed from them by "
            "the book's engine."), title="Illustrative scenario", key="act1.scenario")
        error_chart(ui, rep)
        confusion_table(ui)
        ui.metrics([
            Metric("Accuracy, A / B", f"{pct(g['A']['accuracy'])} / {pct(g['B']['accuracy'])}",
                   note=f"gap {fmt.num(rep.gaps['accuracy'] * 100, 1)} points"),
            Metric("False-negative rate, A / B", f"{pct(g['A']['fnr'])} / {pct(g['B']['fnr'])}",
                   tone="danger", note="lesions sent home"),
            Metric("False-positive rate, A / B", f"{pct(g['A']['fpr'])} / {pct(g['B']['fpr'])}",
                   note="healthy spots referred"),
            Metric("Referral rate, A / B",
                   f"{pct(g['A']['selection_rate'])} / {pct(g['B']['selection_rate'])}",
                   note="photos sent to a dermatologist"),
        ], key="act1.metrics")
        if context == "mobile":
            phone = cases.report("mobile", LAUNCH_THRESHOLD, LAUNCH_THRESHOLD,
                                 VALIDATION_PHOTOS).groups
            ui.callout("info", (
                f"The on-device model at the same threshold: accuracy {pct(phone['A']['accuracy'])} "
                f"and {pct(phone['B']['accuracy'])}, false-negative rates "
                f"{pct(phone['A']['fnr'])} and {pct(phone['B']['fnr'])}. Act II works with it."),
                title="On the phone", key="act1.phone")
        ui.reveal(pred, f"Group B's false-negative rate is {pct(g['B']['fnr'])}, group A's "
                        f"{pct(g['A']['fnr'])}, at accuracies of {pct(g['B']['accuracy'])} "
                        f"and {pct(g['A']['accuracy'])}", text=pred.feedback, key="act1.overlay")
        se = cases.standard_error(g["B"]["fnr"], int(g["B"]["base_rate"] * g["B"]["n"] + 0.5))
        ui.reflection(
            "act1.reflection",
            "Why can the two groups share an accuracy and differ this much in missed lesions?",
            {
                "A": ("Group B's photos are harder, so the model makes more errors of every kind",
                      f"Not of every kind: group B's false-positive rate, {pct(g['B']['fpr'])}, "
                      f"is lower than group A's, {pct(g['A']['fpr'])}. Its errors are a "
                      "different mixture, not simply more of them."),
                "B": ("Accuracy weights each error by how common its class is, and the groups' "
                      "classes are mixed differently",
                      "Yes. Accuracy is one minus the positives' share times the false-negative "
                      "rate minus the negatives' share times the false-positive rate. Group B "
                      "has half the positives, so its misses weigh half as much, and its fewer "
                      "false alarms make up the rest. A report must show both error rates per "
                      "group."),
                "C": ("The validation set is too small to tell the groups apart",
                      f"Group B has only {int(g['B']['base_rate'] * g['B']['n'] + 0.5)} "
                      f"lesions, so its false-negative rate is uncertain by about "
                      f"{points(se)} (one standard error), but the gap is "
                      f"{points(rep.gaps['fnr'])}: far beyond noise."),
                "D": ("Accuracy is measured only on the photos that need a dermatologist",
                      "That would be the true-positive rate. Accuracy counts every photo, the "
                      "healthy ones too, which is exactly why it can look equal."),
            }, correct="B")
        with ui.math_peek("accuracy as a weighted sum of two error rates", key="act1.mathpeek"):
            ui.markdown(mathpeek_accuracy(rep))
    return pred


def error_chart(ui, rep):
    g = rep.groups
    measures = [("accuracy", "Accuracy"), ("fnr", "False-negative rate"),
                ("fpr", "False-positive rate")]
    traces = [plot.bar([label for _, label in measures],
                       [g[grp][m] * 100 for m, _ in measures], GROUP_COLORS[grp],
                       name=f"Group {grp}", text=[pct(g[grp][m]) for m, _ in measures])
              for grp in GROUPS]
    figure = {"data": traces, "layout": plot.layout(
        "Same accuracy, different errors (server model, one threshold)", height=380,
        barmode="group", showlegend=True, legend={"orientation": "h", "y": -0.18},
        yaxis=plot.axis("percent of the group's photos (rates: of its class)",
                        range=[0, 100]))}
    ui.figure(figure, key="act1.errors", caption=(
        f"At the launch threshold the two groups' accuracies are {pct(g['A']['accuracy'])} "
        f"(A) and {pct(g['B']['accuracy'])} (B), but group B's false-negative rate is "
        f"{pct(g['B']['fnr'])} against {pct(g['A']['fnr'])}, and its false-positive rate "
        f"{pct(g['B']['fpr'])} against {pct(g['A']['fpr'])}."),
        table={"caption": "Rates per group (engine values from the validation counts)",
               "columns": ["group", "accuracy", "false-negative rate", "false-positive rate"],
               "rows": [[f"Group {grp}", pct(g[grp]["accuracy"]), pct(g[grp]["fnr"]),
                         pct(g[grp]["fpr"])] for grp in GROUPS]})


def confusion_table(ui):
    rows = []
    for grp in GROUPS:
        tp, fn, fp, tn = cases.counts("cloud", LAUNCH_THRESHOLD, LAUNCH_THRESHOLD,
                                      VALIDATION_PHOTOS, grp)
        rows.append([f"Group {grp}", fmt.num(tp + fn + fp + tn), fmt.num(tp + fn), fmt.num(tp),
                     fmt.num(fn), fmt.num(fp), fmt.num(tn)])
    ui.table("The validation report's counts (expected counts on the validation photos)",
             ["group", "photos", "need a dermatologist", "referred (true positive)",
              "sent home (false negative)", "healthy, referred (false positive)",
              "healthy, reassured (true negative)"], rows, key="act1.confusion")


def mathpeek_accuracy(rep) -> str:
    g = rep.groups
    rows = "\n".join(
        f"| {grp} | {pct(g[grp]['base_rate'], 0)} | {pct(g[grp]['fnr'])} | {pct(g[grp]['fpr'])} "
        f"| {pct(g[grp]['base_rate'] * g[grp]['fnr'])} | "
        f"{pct((1 - g[grp]['base_rate']) * g[grp]['fpr'])} | {pct(g[grp]['accuracy'])} |"
        for grp in GROUPS)
    return (
        r"$$\text{accuracy} = 1 - \big[\,p\cdot\mathrm{FNR} + (1-p)\cdot\mathrm{FPR}\,\big]$$"
        "\n\n"
        "| symbol | meaning |\n| --- | --- |\n"
        "| $p$ | share of the group's photos that need a dermatologist (its base rate) |\n"
        r"| $\mathrm{FNR}$ | false-negative rate: lesions sent home ÷ lesions |" "\n"
        r"| $\mathrm{FPR}$ | false-positive rate: healthy spots referred ÷ healthy spots |" "\n\n"
        "| group | $p$ | FNR | FPR | $p$·FNR | $(1-p)$·FPR | accuracy |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n" + rows + "\n\n"
        "Group B's larger miss rate is multiplied by its smaller base rate; its smaller "
        "false-alarm rate by its larger share of healthy photos. The two error budgets come "
        "out nearly equal, so the accuracies do, while the people behind the errors differ.")


# ---- Act II ------------------------------------------------------------------------------
def act_two(ui, context):
    total, correct = act2_truth()
    t_a0, t_b0 = cases.default_thresholds()
    with ui.section("Act II · Design challenge", "Thresholds, and the audit that checks them "
                                                 "(20-25 min)"):
        ui.stakeholder(
            "Head of clinical safety",
            "The ethics board will sign off on three conditions. One: true-positive and "
            f"false-positive rates within {points(MAX_GAP)} across the groups (equalized "
            f"odds). Two: overall accuracy of at least {pct(MIN_ACCURACY, 0)}. Three: before "
            "launch, an audit on freshly labelled photos that could detect a gap in "
            f"true-positive rates of at most {points(MAX_GAP)}, and we would like "
            f"{points(AUDIT_GAP)}, with {pct(AUDIT_POWER, 0)} power at "
            f"{pct(AUDIT_CONFIDENCE, 0)} confidence, within {fmt.usd(AUDIT_BUDGET)}. The team "
            f"proposes thresholds of {score(t_a0)} for group A and {score(t_b0)} for group B, "
            "tuned on the server model. Next release, the model moves onto the phone so the "
            "photos never leave it.")
        ui.markdown(
            "An audit compares the two groups' true-positive rates with a two-proportion test. "
            "Each rate is measured only on photos that need a dermatologist, so each group is "
            "sampled until it holds enough of them. The rates are not known in advance, so the "
            f"plan assumes the least favourable one ({pct(AUDIT_RATE, 0)}). Commit to an "
            "estimate first.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"How many photos must be labelled, both groups together, for the audit to detect "
            f"a {point_gap(AUDIT_GAP)} gap in true-positive rates with {pct(AUDIT_POWER, 0)} "
            f"power at {pct(AUDIT_CONFIDENCE, 0)} confidence?",
            act2_options(total), correct=correct)

        t_a = ui.slider("act2.threshold_a", "Referral threshold, group A (model score)",
                        0.0, 2.0, 0.05, t_a0, fmt=score)
        t_b = ui.slider("act2.threshold_b", "Referral threshold, group B (model score)",
                        0.0, 2.0, 0.05, t_b0, fmt=score)
        gap = ui.slider("act2.audit_gap", "Smallest gap in true-positive rates the audit "
                        "must detect", 0.02, MAX_GAP, 0.005, AUDIT_GAP, unit="points",
                        scale=100, fmt=points)
        power = float(ui.select("act2.power", "Audit power", POWERS, default="0.8"))
        d = cases.design(context, t_a, t_b, gap, power)
        if d["violations"]:
            ui.failure("The design fails the launch conditions", d["violations"],
                       key="act2.fail", show=show, text=failure_text(context, t_a, t_b, gap,
                                                                      power, d))
        if context == "mobile":
            ui.callout("info", (
                f"On the phone the photos stay on the device, so an audit photo comes from a "
                f"consented donation study: recruiting, consent and an incentive on top of the "
                f"dermatologist's review, {fmt.usd(LABEL_PRICE['mobile'])} a photo against "
                f"{fmt.usd(LABEL_PRICE['cloud'])} for a photo already on the server "
                "(illustrative prices). The on-device model, "
                f"{fmt.num(cases.parameters('mobile') / 1e6)} million parameters against "
                f"{fmt.num(cases.parameters('cloud') / 1e6)} million, separates group B's "
                "photos less well."), title="On the phone", key="act2.phone")
        fairness_instruments(ui, context, t_a, t_b, d)
        audit_instruments(ui, context, gap, power, d)

        photos = cases.audit_photos(AUDIT_GAP)
        ui.reveal(pred, f"{fmt.num(total, 5)} photos: {fmt.num(photos['A'], 4)} from group A "
                        f"and {fmt.num(photos['B'], 4)} from group B ({point_gap(AUDIT_GAP)} gap, "
                        f"{pct(AUDIT_POWER, 0)} power, {pct(AUDIT_CONFIDENCE, 0)} confidence)",
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("the equalized-odds gap and the audit's sample size",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_design(context, t_a, t_b, gap, power, d))
    return pred, {"t_a": t_a, "t_b": t_b, "gap": gap, "power": power,
                  "accuracy": d["accuracy"], "hit": bool(d["violations"])}


def failure_text(context, t_a, t_b, gap, power, d) -> str:
    names = {v.name for v in d["violations"]}
    out = []
    if "equalized odds gap" in names:
        r = d["sweep"]
        out.append(f"The rates differ by up to {points(r.equalized_odds_gap)} (true-positive "
                   f"{points(r.tpr_gap)}, false-positive {points(r.fpr_gap)}). Move the two "
                   "thresholds until both gaps are within "
                   f"{points(MAX_GAP)}"
                   + ("; on the phone group A's threshold has to move too." if context == "mobile"
                      else "."))
    if "overall accuracy" in names:
        out.append(f"Accuracy is {pct(d['accuracy'])}: the thresholds refer far too many or "
                   "far too few photos. Bring them back toward the middle of the scale.")
    if "audit budget" in names:
        best = cases.smallest_affordable_gap(context, power)
        fix = (f"the smallest gap this budget can detect here is {points(best)}" if best else
               "no gap up to the board's tolerance fits this budget at this power; lower the "
               "power to 80%")
        out.append(f"The audit needs {fmt.num(d['photos'], 5)} labelled photos at "
                   f"{fmt.usd(LABEL_PRICE[context])} each: {fmt.usd(d['cost'])}. Detect a "
                   f"coarser gap ({fix})"
                   + (", or switch to Cloud, where labels cost less." if context == "mobile"
                      else "."))
    return " ".join(out)


def fairness_instruments(ui, context, t_a, t_b, d):
    r = d["sweep"]
    g = r.groups
    curves = cases.roc(context)
    traces = [plot.line([0, 100], [0, 100], "chance", plot.COLORS["muted"], dash="dot",
                        width=1)]
    for grp in GROUPS:
        fpr, tpr = curves[grp]
        traces.append(plot.line([x * 100 for x in fpr], [y * 100 for y in tpr],
                                f"Group {grp}", GROUP_COLORS[grp], width=2.5))
    traces.append(plot.points([g[grp]["fpr"] * 100 for grp in GROUPS],
                              [g[grp]["tpr"] * 100 for grp in GROUPS], "Your thresholds",
                              plot.COLORS["bad"], symbol="star", size=15,
                              text=[f"{grp}: {score(t)}" for grp, t in zip(GROUPS, (t_a, t_b))]))
    ui.figure({"data": traces, "layout": plot.layout(
        f"Each group's trade-off ({MODEL_WORDS[context]})", height=420, showlegend=True,
        legend={"orientation": "h", "y": -0.2},
        xaxis=plot.axis("false-positive rate (%)", range=[0, 100]),
        yaxis=plot.axis("true-positive rate (%)", range=[0, 100]))},
        key="act2.roc", caption=(
            f"ROC curves of {MODEL_WORDS[context]} for each group (illustrative score "
            "model): a threshold picks one point on its group's curve. Yours: group A at "
            f"{score(t_a)} refers {pct(g['A']['tpr'])} of its lesions and "
            f"{pct(g['A']['fpr'])} of its healthy spots; group B at {score(t_b)} refers "
            f"{pct(g['B']['tpr'])} and {pct(g['B']['fpr'])}. The points are "
            f"{points(r.tpr_gap)} apart vertically and {points(r.fpr_gap)} horizontally."),
        table={"caption": "Your operating points",
               "columns": ["group", "threshold", "true-positive rate", "false-positive rate"],
               "rows": [[f"Group {grp}", score(t), pct(g[grp]["tpr"]), pct(g[grp]["fpr"])]
                        for grp, t in zip(GROUPS, (t_a, t_b))]})
    eo_bad = r.equalized_odds_gap > MAX_GAP
    ui.metrics([
        Metric("Equalized-odds gap", points(r.equalized_odds_gap),
               tone="danger" if eo_bad else "success", note=f"limit {points(MAX_GAP)}"),
        Metric("True-positive rate, A / B", f"{pct(g['A']['tpr'])} / {pct(g['B']['tpr'])}",
               note="lesions referred"),
        Metric("False-positive rate, A / B", f"{pct(g['A']['fpr'])} / {pct(g['B']['fpr'])}",
               note="healthy spots referred"),
        Metric("Overall accuracy", pct(d["accuracy"]),
               tone="danger" if d["accuracy"] < MIN_ACCURACY else "success",
               note=f"floor {pct(MIN_ACCURACY, 0)}"),
        Metric("Impact ratio (referral rates)", fmt.num(r.impact_ratio, 2),
               tone="warn" if not r.passes_four_fifths else "success",
               note=("below four-fifths" if not r.passes_four_fifths else
                     "meets four-fifths")),
    ], key="act2.fairness")


def audit_instruments(ui, context, gap, power, d):
    price = LABEL_PRICE[context]
    gaps = list(cases.GAP_GRID)
    costs = [cases.audit_cost(context, x, power) for x in gaps]
    ui.figure({"data": [
        plot.line([x * 100 for x in gaps], costs, "Audit cost", plot.COLORS[context], width=2.5),
        plot.points([gap * 100], [d["cost"]], "Your audit", plot.COLORS["bad"], symbol="star",
                    size=15)],
        "layout": plot.layout(
            "Audit cost against the gap it can detect", height=360, showlegend=True,
            legend={"orientation": "h", "y": -0.25},
            shapes=[plot.hline(AUDIT_BUDGET, plot.COLORS["bad"])],
            annotations=[plot.note(1, AUDIT_BUDGET, f"budget {fmt.usd(AUDIT_BUDGET)}",
                                   xref="paper", yshift=10, xanchor="right", ylog=True)],
            xaxis=plot.axis("smallest detectable gap in true-positive rates (points)"),
            yaxis=plot.axis("cost (USD, log scale)", log=True))},
        key="act2.audit", caption=(
            f"What the audit costs at {fmt.usd(price)} a labelled photo, "
            f"{pct(power, 0)} power and {pct(AUDIT_CONFIDENCE, 0)} confidence: the sample "
            "grows as one over the gap squared. Yours detects a gap of "
            f"{points(gap)} with {fmt.num(d['photos'], 5)} photos for "
            f"{fmt.usd(d['cost'])}; the budget is {fmt.usd(AUDIT_BUDGET)}."),
        table={"caption": "Audit cost by detectable gap",
               "columns": ["gap (points)", "photos", "cost"],
               "rows": [[fmt.num(x * 100), fmt.num(cases.audit_total(x, power), 5),
                         fmt.usd(c)] for x, c in zip(gaps[::4], costs[::4])]})
    photos = cases.audit_photos(gap, power)
    over = d["cost"] > AUDIT_BUDGET
    ui.metrics([
        Metric("Photos to label, A + B", f"{fmt.num(photos['A'], 5)} + {fmt.num(photos['B'], 5)}",
               note=f"{fmt.num(cases.audit_group(gap, BASE_RATE['A'], power).examples_per_group, 5)}"
                    " positives each"),
        Metric("Price per photo", fmt.usd(price),
               note="consented donation" if context == "mobile" else "photo on the server"),
        Metric("Audit cost", fmt.usd(d["cost"]), tone="danger" if over else "success",
               note=f"budget {fmt.usd(AUDIT_BUDGET)}"),
    ], key="act2.audit_metrics")


def act2_reflection(ui):
    best = cases.best_design("mobile")
    t_a0, t_b0 = cases.default_thresholds()
    at_default = cases.sweep("mobile", t_a0, t_b0).groups["A"]["tpr"]
    r = cases.sweep("mobile", *best)
    ui.reflection(
        "act2.reflection",
        f"On the phone, the most accurate thresholds that meet the board's rate rule are "
        f"{score(best[0])} for group A and {score(best[1])} for group B. They refer "
        f"{pct(r.groups['A']['tpr'])} of group A's lesions, against {pct(at_default)} at the "
        "team's proposal. Why did meeting the rule cost group A?",
        {
            "A": ("The phone computes more slowly, so it must refer fewer photos",
                  "Speed does not enter the rule: the rates depend on the score distributions "
                  "and the thresholds, not on how long a score takes."),
            "B": ("A threshold only moves a group along its own curve; the smaller model "
                  "separates group B less well, so the gaps close only by moving group A "
                  "toward group B",
                  "Yes: levelling down. Thresholds redistribute errors along each group's ROC "
                  "curve; they cannot make the model see group B's lesions better. The fix "
                  "that helps both groups is the model: more and better photos of group B, "
                  "or a model that keeps its accuracy on them when compressed."),
            "C": ("The audit budget forced the threshold up",
                  "The audit's size depends on the gap it must detect, the power and the base "
                  "rates, not on the thresholds; the two conditions are independent here."),
            "D": ("Equalized odds requires both groups to be referred at the same rate",
                  "That is demographic parity. Under equalized odds the referral rates still "
                  f"differ with the base rates: here group A's is "
                  f"{pct(r.groups['A']['selection_rate'])} and group B's "
                  f"{pct(r.groups['B']['selection_rate'])}, an impact ratio of "
                  f"{fmt.num(r.impact_ratio, 2)}."),
        }, correct="B")


def mathpeek_design(context, t_a, t_b, gap, power, d) -> str:
    r = d["sweep"]
    g = r.groups
    n = cases.audit_group(gap, BASE_RATE["A"], power).examples_per_group
    photos = cases.audit_photos(gap, power)
    p1, p2 = AUDIT_RATE - gap / 2, AUDIT_RATE + gap / 2
    return (
        r"$$\Delta_{\mathrm{EO}} = \max\big(|\mathrm{TPR}_A - \mathrm{TPR}_B|,\ "
        r"|\mathrm{FPR}_A - \mathrm{FPR}_B|\big),\qquad "
        r"\text{impact ratio} = \frac{\min_g s_g}{\max_g s_g}$$" "\n\n"
        f"Here $\\Delta_{{\\mathrm{{EO}}}}$ = max({points(r.tpr_gap)}, {points(r.fpr_gap)}) "
        f"= {points(r.equalized_odds_gap)} (limit {points(MAX_GAP)}); the referral rates "
        f"$s_g$ are {pct(g['A']['selection_rate'])} and {pct(g['B']['selection_rate'])}, an "
        f"impact ratio of {fmt.num(r.impact_ratio, 2)} (the four-fifths rule flags below "
        f"{fmt.num(cases.four_fifths())}).\n\n"
        "The audit's positives per group, for a two-sided test at confidence $1-\\alpha$ and "
        "power $1-\\beta$:\n\n"
        r"$$n = \frac{\Big(z_{1-\alpha/2}\sqrt{2\bar p\,(1-\bar p)} + "
        r"z_{1-\beta}\sqrt{p_1(1-p_1) + p_2(1-p_2)}\Big)^2}{\delta^2},"
        r"\qquad N_g = \frac{n}{\pi_g}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $\\delta$ | gap to detect | {points(gap)} |\n"
        f"| $p_1, p_2$ | the two rates, planned around {pct(AUDIT_RATE, 0)} | "
        f"{pct(p1, 2)}, {pct(p2, 2)} |\n"
        f"| $\\bar p$ | their mean | {pct(AUDIT_RATE, 0)} |\n"
        f"| $z_{{1-\\alpha/2}}$ | normal quantile for {pct(AUDIT_CONFIDENCE, 0)} confidence | "
        f"{cases.z(1 - (1 - AUDIT_CONFIDENCE) / 2):.2f} |\n"
        f"| $z_{{1-\\beta}}$ | normal quantile for {pct(power, 0)} power | "
        f"{cases.z(power):.2f} |\n"
        f"| $\\pi_g$ | group's base rate (A, B) | {pct(BASE_RATE['A'], 0)}, "
        f"{pct(BASE_RATE['B'], 0)} |\n\n"
        f"$n$ = {fmt.num(n, 5)} positives per group; $N_A$ = {fmt.num(photos['A'], 5)}, "
        f"$N_B$ = {fmt.num(photos['B'], 5)} labelled photos; at "
        f"{fmt.usd(LABEL_PRICE[context])} a photo the audit costs {fmt.usd(d['cost'])}. "
        "Halving $\\delta$ multiplies $n$, the photos and the cost by about four.")


def closing(ui):
    ratio, _ = act1_truth()
    total, _ = act2_truth()
    cloud_best = cases.smallest_affordable_gap("cloud")
    mobile_best = cases.smallest_affordable_gap("mobile")
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-responsible-engr-errors works the same arithmetic on a résumé screen; "
            "@sec-responsible-engr-thresholds shows why one threshold per group cannot equalize "
            "both error rates when a model separates the groups unequally; "
            "@sec-responsible-engr-audit derives the sample size; "
            "@sec-responsible-engr-model-cards is where these numbers get reported.\n"
            "- Next, Lab 16 (@sec-conclusion) reads your Design Ledger, this entry included, "
            "and puts every Volume I invariant side by side.\n"
            "- TinyTorch, Module 19 (Benchmarking): the evaluation harness you write there is "
            "where per-group rates belong, beside the average.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Equal accuracy is not equal treatment: at about 85% accuracy for both groups, "
            f"the server model sends home {fmt.ratio(ratio)} as large a share of group B's "
            "lesions as of group A's. Report both error rates, per group.\n"
            "2. Per-group thresholds move each group along its own ROC curve. They can bring "
            "the rates together at some cost in accuracy, but they cannot make a model "
            "separate a group it separates badly; on the phone they close the gap by "
            "levelling group A down.\n"
            f"3. An audit's size grows as one over the gap squared and as one over the rarer "
            f"group's base rate: detecting a {point_gap(AUDIT_GAP)} gap takes "
            f"{fmt.num(total, 5)} labelled photos. With the budget fixed, Cloud can detect "
            f"a gap of {points(cloud_best)} and Mobile, where labels cost more, only one of "
            f"{points(mobile_best)}.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    ratio, _ = act1_truth()
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (band_middle(pred1.value), ratio), pred2,
        decision=(f"Thresholds {score(design['t_a'])} (group A) and "
                  f"{score(design['t_b'])} (group B), an audit that detects a gap of "
                  f"{points(design['gap'])} at {pct(design['power'], 0)} power, on "
                  f"{contexts.name(context)}"),
        result=round(design["accuracy"] * 100, 2), unit="%", constraint_hit=design["hit"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Thresholds", f"A {score(design['t_a'])}, B {score(design['t_b'])}"),
        ("Accuracy", f"{pct(design['accuracy'])} "
                     f"({'fails' if design['hit'] else 'meets'} the launch conditions)")))

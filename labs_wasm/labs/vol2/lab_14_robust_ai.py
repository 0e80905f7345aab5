"""Vol II · Lab 14 · Robust or accurate (chapter: robust_ai).

Act I calibrates how fragile a standard image classifier is: Madry et al. 2018's standard
CIFAR-10 model, about 95% accurate on clean test images, keeps only a few percent under a
20-step PGD attack that moves each pixel by at most 8 of 255 grey levels; the instruments show
the perturbation's size (L-infinity budget, its L2 length, the linear-score argument of
Goodfellow et al. 2015). Act II hands the student adversarial training: the share of each batch
that is adversarial moves the model along the engine's line between standard and PGD training
(published endpoints, illustrative in between), and every adversarial example costs k extra
forward-backward passes. Against the Production targets a window of shares meets both the
clean and the robust target; against the Hardened targets no share does, the failure state.
Every number comes from the engine through robust_ai_cases.py, which Chapter 30 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import robust_ai_cases as cases
from labs.vol2.robust_ai_cases import (DATASETS, EPSILON_TEXT, EVAL_STEPS, TARGETS,
                                       TRAIN_STEPS_K, adversarial, context_window, design,
                                       endpoints, perturbation)

LAB = Lab(
    id="vol2/14", chapter="robust_ai", title="Robust or accurate",
    hook="An attacker may change each pixel by a few grey levels that no one can see. How much "
         "accuracy survives, and what does buying it back cost?",
    invariants=["adversarial robustness vs clean accuracy", "L∞ threat model ε",
                "PGD adversarial training costs k + 1 passes",
                "clean and robust targets: a window of settings"],
    minutes=40, contexts=("production", "hardened"),
    reading=[
        ("@sec-v2-robust-ai-adversarial", "why small perturbations add up"),
        ("@sec-v2-robust-ai-threat-models", "the L∞ budget ε and how attacks are evaluated"),
        ("@sec-v2-robust-ai-pgd", "PGD and adversarial training, worked on MNIST"),
        ("@sec-v2-robust-ai-tradeoff", "the clean-robust trade-off and its window of settings"),
        ("@sec-v2-robust-ai-cost", "what k + 1 passes per step cost a fleet"),
    ],
)

CONTEXT_LABELS = contexts.labels({
    "production": "clean ≥ {:.0f}%, robust ≥ {:.0f}%".format(
        TARGETS["production"]["clean"] * 100, TARGETS["production"]["robust"] * 100),
    "hardened": "clean ≥ {:.0f}%, robust ≥ {:.0f}%".format(
        TARGETS["hardened"]["clean"] * 100, TARGETS["hardened"]["robust"] * 100)})
DS = "cifar10"
K = TRAIN_STEPS_K[DS]
FRACTION = (0.0, 1.0, 0.05)      # share of each batch that is adversarial: min, max, step
FRACTION_DEFAULT = 0.40


def pct(x: float) -> str:
    return fmt.percent(x, 1)


def tgt(x: float) -> str:
    """A target as a team states it: whole percent."""
    return fmt.percent(x, 0)


def minutes(seconds: float) -> str:
    """Training time: minutes below two hours, hours above."""
    return fmt.duration(seconds) if seconds >= 7200 else f"{fmt.num(seconds / 60)} min"


def share(f: float) -> str:
    """A share of the batch as the slider says it (whole percent when it is on the step)."""
    return fmt.percent(f, 0) if abs(f * 100 - round(f * 100)) < 1e-9 else fmt.percent(f, 1)


def eps_words(ds: str = DS) -> str:
    p = perturbation(ds)
    return (f"ε = {EPSILON_TEXT[ds]}" + (f" ({fmt.num(p['levels'])} of 255 grey levels)"
                                         if ds == "cifar10" else ""))


# ---- Act I: how much survives a small PGD attack? -------------------------------------------
#: Bands of the standard model's accuracy under attack (fraction of test images correct).
ACT1_BANDS = {"A": (0.80, 1.01), "B": (0.50, 0.80), "C": (0.10, 0.50), "D": (0.0, 0.10)}


def band_middle(key: str) -> float:
    lo, hi = ACT1_BANDS[key]
    return (lo + min(hi, 1.0)) / 2


def act1_truth():
    clean, robust = endpoints(DS)["standard"]
    return clean, robust, bands.band_of(robust, ACT1_BANDS)


def act1_fact() -> str:
    clean, robust, _ = act1_truth()
    return (f"Under {EVAL_STEPS[DS]}-step PGD at {eps_words()} the standard model classifies "
            f"**{pct(robust)}** of the test images correctly, down from {pct(clean)} on clean "
            f"images: its error rate goes from {pct(1 - clean)} to {pct(1 - robust)}.")


def act1_options() -> dict:
    fact = act1_fact()
    return {
        "A": ("Above 80%: changes this small barely matter",
              f"{fact} A change too small to see is not a change too small to matter: the "
              "attack is not random, every pixel moves in the direction that hurts most."),
        "B": ("50% to 80%: a noticeable dent",
              f"{fact} A dent would be the outcome of random noise of the same size; an "
              "attacker who follows the gradient does far more damage."),
        "C": ("10% to 50%: most images are fooled",
              f"{fact} Closer, but still too kind: with twenty gradient steps inside the "
              "budget the attack finds a wrong answer for nearly every image."),
        "D": ("Below 10%: almost every image is fooled",
              f"Right. {fact} A standard model has no margin against a worst-case change, "
              "however small it looks."),
    }


# ---- Act II: can a mix of clean and adversarial examples meet both targets? ----------------
#: Bands of the least share that meets both hardened targets; D: no share does.
ACT2_BANDS = {"A": (0.0, 1 / 3), "B": (1 / 3, 2 / 3), "C": (2 / 3, 1.0 + 1e-9)}


def act2_truth():
    w = context_window("hardened")
    return w, ("D" if not w.feasible else bands.band_of(w.low, ACT2_BANDS))


def act2_fact() -> str:
    w = context_window("hardened")
    t = TARGETS["hardened"]
    (c0, r0), (c1, r1) = endpoints(DS)["standard"], endpoints(DS)["adversarial"]
    return (f"Robust accuracy of {tgt(t['robust'])} needs at least **{pct(w.f_min)}** of each "
            f"batch adversarial; clean accuracy of {tgt(t['clean'])} allows at most "
            f"**{pct(w.f_max)}**. Standard training gives {pct(c0)} clean and {pct(r0)} under "
            f"attack; full PGD training gives {pct(c1)} and {pct(r1)}.")


def act2_options() -> dict:
    fact = act2_fact()
    w, correct = act2_truth()
    cost = adversarial(DS, 1.0).cost_multiplier
    verdict = ("The two ranges do not overlap: no share meets both." if not w.feasible else
               f"Both are met from {pct(w.low)} to {pct(w.high)}.")
    return {
        "A": ("Under a third: a little adversarial data buys the robustness cheaply",
              f"{fact} {verdict} Robust accuracy rises only as fast as the share of "
              "adversarial examples does."),
        "B": ("A third to two thirds: a balanced mix",
              f"{fact} {verdict} A balanced mix sits between the two endpoints on both "
              "axes, and here that is below the robust target."),
        "C": (f"Two thirds or more: nearly full PGD training, at up to {fmt.num(cost)}x the "
              "compute",
              f"{fact} {verdict} The robust target is reached only where the clean accuracy "
              "has already fallen below its target."),
        "D": ("No share meets both targets",
              ("Right. " if correct == "D" else "") + f"{fact} {verdict} Along this "
              "trade-off, one target is bought with the other."),
    }


# ---- the page -------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Targets", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, design_ = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design_)


def act_one(ui):
    clean, robust, correct = act1_truth()
    p = perturbation(DS)
    with ui.section("Act I · Calibration", "How much accuracy survives a small attack? "
                    "(12-15 min)"):
        ui.stakeholder(
            "Head of trust and safety, a photo-sharing platform",
            "Our image classifier flags policy-breaking uploads, and it is "
            f"{pct(clean)} accurate on our test set. A red team says it can fool the model by "
            f"changing each pixel by at most {fmt.num(p['levels'])} grey levels out of 255, "
            "a change nobody can see. Before I escalate: how much of that accuracy does their "
            "attack actually take away?")
        ui.markdown(
            "The model stands in for Madry et al.'s (2018) wide residual network trained the "
            f"standard way on CIFAR-10 ({'×'.join(str(n) for n in cases.INPUT_SHAPE[DS])} "
            f"colour images, {p['d']:,} values each). The threat model: a white-box "
            f"attacker changes every input value by at most {eps_words()} in either "
            f"direction (an L∞ budget) and searches that box with {EVAL_STEPS[DS]} steps of "
            "projected gradient descent (PGD). Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"A standard-trained classifier is {pct(clean)} accurate on clean test images. "
            f"Under {EVAL_STEPS[DS]}-step PGD with {eps_words()}, what share of the test images "
            "does it still classify correctly?",
            act1_options(), correct=correct)

        accuracy_figure(ui)
        ui.metrics([
            Metric("Clean accuracy", pct(clean), tone="info", note="standard training"),
            Metric("Under PGD", pct(robust), tone="danger",
                   note=f"{EVAL_STEPS[DS]} steps, {eps_words()}"),
            Metric("Error rate", f"{pct(1 - clean)} → {pct(1 - robust)}", tone="warn",
                   note=f"{fmt.ratio((1 - robust) / (1 - clean))} as many mistakes"),
            Metric("Largest change per value", f"{fmt.num(p['levels'])} of 255",
                   note=f"ε = {fmt.num(p['epsilon'], 2)} on a 0-1 scale"),
            Metric("Largest L2 length", fmt.num(p["l2"]),
                   note=f"ε√d over {p['d']:,} values"),
        ], key="act1.metrics")
        size_table(ui)
        ui.reveal(pred, f"{pct(robust)} still correct under {EVAL_STEPS[DS]}-step PGD at "
                        f"ε = {EPSILON_TEXT[DS]}; {pct(clean)} on clean images", text=pred.feedback,
                  key="act1.overlay")
        ui.reflection(
            "act1.reflection",
            "Why does a change too small to see defeat the model?",
            {
                "A": ("The attack exploits a bug in how images are decoded",
                      "The attack changes the numbers the model reads, after any decoding; "
                      "it works on the model's own gradient, not on a file-format bug."),
                "B": ("Thousands of tiny changes, each in the direction that hurts, add up "
                      "in the model's score",
                      f"Yes. Moving each of {p['d']:,} values by ε along the sign of "
                      "a weight shifts a linear score by ε times the sum of the weights' "
                      f"magnitudes: {fmt.num(p['linear'])} times the average weight here. "
                      "High dimension turns an invisible change into a large one."),
                "C": ("The model is overfit: more clean training data would fix it",
                      "More clean data improves clean accuracy; it does not teach the model "
                      "to resist a worst-case change. Robustness has to be trained for, and "
                      "it needs more data than clean accuracy does (Schmidt et al. 2018)."),
                "D": ("The attack adds random noise the model has never seen",
                      "Random noise of the same size barely moves the accuracy: in thousands "
                      "of dimensions a random direction is almost orthogonal to the one that "
                      "hurts. The attack is damaging because it is not random."),
            }, correct="B")
        with ui.math_peek("PGD, and why small changes add up", key="act1.mathpeek"):
            ui.markdown(mathpeek_pgd())
    return pred


def accuracy_figure(ui):
    """Clean and attacked accuracy of the two standard models the engine holds."""
    names = [f"{DATASETS[ds]} ({eps_words(ds)})" for ds in DATASETS]
    clean = [endpoints(ds)["standard"][0] * 100 for ds in DATASETS]
    attacked = [endpoints(ds)["standard"][1] * 100 for ds in DATASETS]
    figure = {"data": [
        plot.bar(names, clean, plot.COLORS["cloud"], name="clean test images",
                 text=[f"{fmt.num(v)}%" for v in clean]),
        plot.bar(names, attacked, plot.COLORS["bad"], name="under PGD",
                 text=[f"{fmt.num(v)}%" for v in attacked]),
    ], "layout": plot.layout("Standard training: accuracy clean and under attack", height=360,
                             barmode="group", showlegend=True,
                             legend={"orientation": "h", "y": -0.2},
                             yaxis=plot.axis("test images correct (%)", range=[0, 110]))}
    rows = [[DATASETS[ds], eps_words(ds), f"{EVAL_STEPS[ds]}", pct(endpoints(ds)["standard"][0]),
             pct(endpoints(ds)["standard"][1])] for ds in DATASETS]
    c, r = endpoints(DS)["standard"]
    cm, rm = endpoints("mnist")["standard"]
    ui.figure(figure, key="act1.accuracy", caption=(
        f"Standard-trained models, clean and under a white-box PGD attack (Madry et al. 2018, "
        f"as the engine records them): CIFAR-10 falls from {pct(c)} to {pct(r)} at "
        f"{eps_words()}; MNIST from {pct(cm)} to {pct(rm)} at {eps_words('mnist')}."),
        table={"caption": "Standard training, clean and under PGD (engine, Madry et al. 2018)",
               "columns": ["dataset", "budget", "PGD steps", "clean", "under PGD"],
               "rows": rows})


def size_table(ui):
    rows = []
    for ds in DATASETS:
        p = perturbation(ds)
        rows.append([DATASETS[ds], f"{p['d']:,}", EPSILON_TEXT[ds], fmt.num(p["l2"]),
                     fmt.num(p["linear"])])
    ui.table("How large is the budget? (L∞ ε per value; d values per image)",
             ["dataset", "values per image d", "ε per value", "largest L2 length ε√d",
              "linear-score shift per unit mean weight, ε·d"], rows, key="act1.size")


def mathpeek_pgd() -> str:
    p = perturbation(DS)
    a = cases.STEP_SIZE[DS]
    return (
        "PGD climbs the loss $L$ by the sign of its gradient with respect to the input, then "
        "projects back into the budget (clipping every value to $[x_i - \\epsilon, x_i + "
        "\\epsilon]$):\n\n"
        r"$$x^{(t+1)} = \Pi_{\|x' - x\|_\infty \le \epsilon}\Big(x^{(t)} + \alpha\,"
        r"\operatorname{sign}\big(\nabla_x L(\theta, x^{(t)}, y)\big)\Big)$$" "\n\n"
        "Why so little is enough: for a linear score $w^\\top x$, the worst change in the "
        "budget is $\\eta = \\epsilon\\,\\operatorname{sign}(w)$, and\n\n"
        r"$$w^\top (x + \eta) - w^\top x = \epsilon \sum_{i=1}^{d} |w_i| = \epsilon\, d\, "
        r"\overline{|w|}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $x$ | the image, $d$ values in $[0, 1]$ | $d$ = {p['d']:,} |\n"
        f"| $\\epsilon$ | largest change of one value | {EPSILON_TEXT[DS]} = "
        f"{fmt.num(p['epsilon'], 3)} |\n"
        f"| $\\alpha$ | step size | 2/255 = {fmt.num(a, 3)} |\n"
        f"| $t$ | step, up to $k$ | $k$ = {EVAL_STEPS[DS]} to measure, "
        f"{TRAIN_STEPS_K[DS]} to train |\n"
        "| $\\overline{|w|}$ | average magnitude of a weight | |\n\n"
        f"Here $\\epsilon d$ = {fmt.num(p['epsilon'], 3)} × {p['d']:,} = "
        f"{fmt.num(p['linear'])}: the score can move by {fmt.num(p['linear'])} times the "
        "average weight, while no single value moves by more than "
        f"{fmt.num(p['levels'])} grey levels. The change's L2 length is at most "
        f"$\\epsilon\\sqrt d$ = {fmt.num(p['l2'])}. A network is not linear, but it is "
        "linear enough along these directions (Goodfellow et al. 2015) for the gradient to "
        "find them.")


# ---- Act II ---------------------------------------------------------------------------------
def act_two(ui, context):
    w_hard, correct = act2_truth()
    t_hard = TARGETS["hardened"]
    with ui.section("Act II · Design challenge", "Buy robustness back with adversarial "
                    "training (20-25 min)"):
        ui.stakeholder(
            "Chief information security officer, the same platform",
            "We will retrain with adversarial training. Product says clean accuracy may not "
            f"drop below {tgt(t_hard['clean'])}; for the moderation model I want at least "
            f"{tgt(t_hard['robust'])} under the red team's attack. If full adversarial "
            "training costs too much clean accuracy, we mix: part of each batch adversarial, "
            "part clean. That gives us both, surely?")
        ui.markdown(
            "Adversarial training replaces a share of each training batch with PGD examples "
            f"crafted against the current model ({K} steps each, as Madry et al. trained). The "
            "engine holds the two published ends of the trade-off (standard training and full "
            "PGD training) and joins them with a straight line: the points between are "
            "*illustrative*, the ends are measured. The targets of both contexts are this "
            "lab's scenario choices.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"Hardened targets: at least {tgt(t_hard['clean'])} clean and at least "
            f"{tgt(t_hard['robust'])} under the attack. Which share of adversarial examples "
            "in each batch meets both?",
            act2_options(), correct=correct)

        if context != "hardened":
            ui.callout("info", (
                "The prediction above is about the Hardened targets; the instruments below "
                f"check your setting against the {context_name(context)} targets "
                f"({tgt(TARGETS[context]['clean'])} clean, {tgt(TARGETS[context]['robust'])} "
                "under attack). Switch the targets at the top to compare."),
                title="Production targets", key="act2.context")
        f = ui.slider("act2.fraction", "Share of each training batch that is adversarial",
                      *FRACTION, FRACTION_DEFAULT, unit="%", scale=100)
        r = design(context, f)
        w = context_window(context)
        if r.violations:
            failure(ui, context, f, r, w)
        tradeoff_figure(ui, context, f, r, w)
        design_metrics(ui, context, f, r)
        both_contexts_table(ui, f)

        ui.reveal(pred, (f"no share meets both: at least {pct(w_hard.f_min)} adversarial for "
                         f"{tgt(t_hard['robust'])} robust, at most {pct(w_hard.f_max)} for "
                         f"{tgt(t_hard['clean'])} clean" if not w_hard.feasible else
                         f"from {pct(w_hard.low)} to {pct(w_hard.high)} adversarial"),
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("the window of settings, and what it costs", key="act2.mathpeek"):
            ui.markdown(mathpeek_window(context, f, r, w))
    return pred, {"fraction": f, "result": r, "window": w}


def slider_window(w) -> tuple[float, float] | None:
    """The window as the slider can set it (multiples of its step), or None."""
    step = FRACTION[2]
    lo = math.ceil(round(w.low / step, 9)) * step
    hi = math.floor(round(w.high / step, 9)) * step
    return (round(lo, 4), round(hi, 4)) if w.feasible and lo <= hi + 1e-9 else None


def failure(ui, context, f, r, w):
    t = TARGETS[context]
    now = (f"At {share(f)} adversarial the model reaches {pct(r.clean_accuracy)} clean and "
           f"{pct(r.robust_accuracy)} under attack. ")
    if not w.feasible:
        title = "No share of adversarial examples meets both targets"
        text = (now + f"Robust accuracy of {tgt(t['robust'])} needs at least "
                f"{pct(w.f_min)} of the batch adversarial; clean accuracy of "
                f"{tgt(t['clean'])} allows at most {pct(w.f_max)}. On this model and data the "
                "two ranges do not overlap, so no position of the slider helps. To get out: "
                f"switch to the Production targets{production_way()}, or change what the "
                "trade-off is made of "
                "(a larger model, more training data, a better training loss): that is a new "
                "model to train, beyond this lab's controls.")
    else:
        lo, hi = slider_window(w)
        missed = " and ".join(v.name for v in r.violations)
        title = f"Target missed: {missed}"
        text = (now + f"The {context_name(context)} targets are met from {pct(w.low)} to "
                f"{pct(w.high)} adversarial. To get out: set the share between {share(lo)} "
                f"and {share(hi)}.")
    ui.failure(title, r.violations, text=text, key="act2.targets", show=accuracy_text)


def tpct(x: float) -> str:
    """A percentage inside TeX math (the percent sign escaped)."""
    return pct(x).replace("%", r"\%")


def production_way() -> str:
    """How the Production targets are met on the slider ("" if they cannot be)."""
    win = slider_window(context_window("production"))
    return "" if win is None else f" with a share between {share(win[0])} and {share(win[1])}"


def accuracy_text(q) -> str:
    return pct(q.m_as(""))


def context_name(context: str) -> str:
    return contexts.name(context)


def curve(context: str, points: int = 21):
    t = TARGETS[context]
    xs = [i / (points - 1) for i in range(points)]
    rs = [adversarial(DS, round(x, 4), t["clean"], t["robust"]) for x in xs]
    return xs, rs


def tradeoff_figure(ui, context, f, r, w):
    t = TARGETS[context]
    xs, rs = curve(context)
    x_pct = [x * 100 for x in xs]
    traces = [
        plot.line(x_pct, [p.clean_accuracy * 100 for p in rs], "clean accuracy",
                  plot.COLORS["cloud"], width=3),
        plot.line(x_pct, [p.robust_accuracy * 100 for p in rs], "accuracy under PGD",
                  plot.COLORS["bad"], width=3),
        plot.points([f * 100, f * 100], [r.clean_accuracy * 100, r.robust_accuracy * 100],
                    "your share", plot.COLORS["ink"], symbol="diamond", size=13),
    ]
    shapes = [plot.hline(t["clean"] * 100, plot.COLORS["cloud"], dash="dash"),
              plot.hline(t["robust"] * 100, plot.COLORS["bad"], dash="dash")]
    notes = [plot.note(0.99, t["clean"] * 100, f"clean target {tgt(t['clean'])}",
                       xref="paper", xanchor="right", yshift=-10),
             plot.note(0.01, t["robust"] * 100, f"robust target {tgt(t['robust'])}",
                       xref="paper", xanchor="left", yshift=10)]
    if w.feasible:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": w.low * 100,
                       "x1": w.high * 100, "y0": 0, "y1": 1, "line": {"width": 0},
                       "fillcolor": "rgba(22, 163, 74, 0.14)"})
        notes.append(plot.note((w.low + w.high) * 50, 0.5, "both met", yref="paper"))
    window_text = (f"Both targets are met from {pct(w.low)} to {pct(w.high)} adversarial "
                   "(shaded)." if w.feasible else
                   f"The robust target needs at least {pct(w.f_min)} adversarial and the clean "
                   f"target allows at most {pct(w.f_max)}: no share meets both.")
    ui.figure({"data": traces, "layout": plot.layout(
        f"Clean and robust accuracy against the adversarial share ({context_name(context)} "
        "targets)", height=400, shapes=shapes, annotations=notes, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("share of each batch that is adversarial (%)", range=[-2, 102]),
        yaxis=plot.axis("CIFAR-10 test images correct (%)", range=[0, 100]))},
        key="act2.tradeoff", caption=(
            f"CIFAR-10, {eps_words()}: clean accuracy falls from {pct(rs[0].clean_accuracy)} "
            f"to {pct(rs[-1].clean_accuracy)} and accuracy under PGD rises from "
            f"{pct(rs[0].robust_accuracy)} to {pct(rs[-1].robust_accuracy)} as the share of "
            "adversarial examples goes from none to all (published ends, a straight line "
            f"between them: illustrative). {window_text} At your {share(f)}: "
            f"{pct(r.clean_accuracy)} clean, {pct(r.robust_accuracy)} robust."),
        table={"caption": "Accuracy and cost by adversarial share (engine)",
               "columns": ["adversarial share", "clean", "under PGD", "training compute",
                           "meets both targets"],
               "rows": [[share(x), pct(p.clean_accuracy), pct(p.robust_accuracy),
                         f"{fmt.num(p.cost_multiplier)}x", "yes" if p.feasible else "no"]
                        for x, p in zip(xs, rs) if round(x * 100) % 25 == 0 or
                        abs(x - f) < 1e-9]})


def design_metrics(ui, context, f, r):
    t = TARGETS[context]
    std = cases.standard_cifar()
    hours = r.training_time.m_as("hour")
    ui.metrics([
        Metric("Clean accuracy", pct(r.clean_accuracy),
               tone="success" if r.clean_accuracy >= t["clean"] else "danger",
               note=f"target {tgt(t['clean'])}"),
        Metric("Accuracy under PGD", pct(r.robust_accuracy),
               tone="success" if r.robust_accuracy >= t["robust"] else "danger",
               note=f"target {tgt(t['robust'])}"),
        Metric("Training compute", f"{fmt.num(r.cost_multiplier)}x",
               note=f"1 + {share(f)} × {K} PGD passes"),
        Metric("Training time, one H100", minutes(hours * 3600), tone="info",
               note=f"standard: {minutes(std.hours * 3600)}"),
        Metric("Rented cost", fmt.usd(cases.rent(hours)),
               note=f"at {fmt.usd(cases.GPU.price_per_hour.m_as('USD/hour'))} per GPU-hour"),
    ], key="act2.metrics")


def both_contexts_table(ui, f):
    rows = []
    for ctx in CONTEXT_LABELS:
        t = TARGETS[ctx]
        w = context_window(ctx)
        r = design(ctx, f)
        rows.append([contexts.name(ctx), tgt(t["clean"]), tgt(t["robust"]),
                     f"{pct(w.low)} to {pct(w.high)}" if w.feasible else "none",
                     "meets both" if not r.violations else "misses " + " and ".join(
                         v.name for v in r.violations)])
    ui.table(f"The same share, {share(f)} adversarial, against both sets of targets",
             ["targets", "clean at least", "robust at least", "shares that meet both",
              "verdict at your share"], rows, key="act2.contexts")


def act2_reflection(ui):
    ui.reflection(
        "act2.reflection",
        "No mix meets the Hardened targets. What moves the whole trade-off curve up?",
        {
            "A": ("More PGD steps for each training example",
                  f"Each extra step is one more forward-backward pass per example: at {K} "
                  "steps the attack used in training is already strong, and more steps buy "
                  "cost faster than robustness."),
            "B": ("A larger model and more training data",
                  "Yes. Madry et al. found that robustness needs capacity (a wider network "
                  "is more robust at the same budget), and Schmidt et al. (2018) that robust "
                  "generalisation needs more data than clean accuracy. Both multiply the "
                  "compute bill again."),
            "C": ("Measure robustness with a weaker attack, such as fewer PGD steps",
                  "That moves the measurement, not the model. Defences evaluated with weak "
                  "attacks are how robustness claims have failed (Athalye et al. 2018)."),
            "D": ("Train longer with standard training",
                  "Standard training, however long, minimises the loss on clean images; "
                  "it never sees the worst case inside the budget, so it never learns to "
                  "resist it."),
        }, correct="B")


def mathpeek_window(context, f, r, w) -> str:
    t = TARGETS[context]
    (c0, r0), (c1, r1) = endpoints(DS)["standard"], endpoints(DS)["adversarial"]
    std = cases.standard_cifar()
    verdict = (f"${tpct(w.f_min)} \\le {tpct(min(w.f_max, 1.0))}$: the window is "
               f"{pct(w.low)} to {pct(w.high)}." if w.feasible else
               f"${tpct(w.f_min)} > {tpct(w.f_max)}$: no share meets both.")
    return (
        "With a share $f$ of each batch adversarial, the engine puts the model on the line "
        "between the published ends:\n\n"
        r"$$C(f) = C_0 + (C_1 - C_0)\,f, \qquad R(f) = R_0 + (R_1 - R_0)\,f$$" "\n\n"
        "Both targets hold for\n\n"
        r"$$f_{\min} = \frac{R^* - R_0}{R_1 - R_0} \;\le\; f \;\le\; "
        r"f_{\max} = \frac{C_0 - C^*}{C_0 - C_1}$$" "\n\n"
        "and each training step costs $f k + 1$ forward-backward passes.\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $C_0$, $R_0$ | standard training: clean, under PGD | {pct(c0)}, {pct(r0)} |\n"
        f"| $C_1$, $R_1$ | PGD training: clean, under PGD | {pct(c1)}, {pct(r1)} |\n"
        f"| $C^*$, $R^*$ | {context_name(context)} targets | {tgt(t['clean'])}, "
        f"{tgt(t['robust'])} |\n"
        f"| $k$ | PGD steps per training example | {K} |\n"
        f"| $T_0$ | standard training, {fmt.num(cases.CIFAR_STEPS)} steps of "
        f"{cases.CIFAR_BATCH} images on one H100 | {minutes(std.hours * 3600)} |\n\n"
        f"$f_{{\\min}}$ = ({tgt(t['robust'])} − {pct(r0)}) / ({pct(r1)} − {pct(r0)}) = "
        f"{pct(w.f_min)}; $f_{{\\max}}$ = ({pct(c0)} − {tgt(t['clean'])}) / ({pct(c0)} − "
        f"{pct(c1)}) = {pct(w.f_max)}. {verdict}\n\n"
        f"At your $f$ = {share(f)}: $C$ = {pct(r.clean_accuracy)}, $R$ = "
        f"{pct(r.robust_accuracy)}, and the run costs $fk + 1$ = "
        f"{fmt.num(r.cost_multiplier)} times $T_0$ = "
        f"{minutes(r.training_time.m_as('hour') * 3600)} of one H100 "
        f"({fmt.num(std.mfu * 100)}% of peak, the engine's estimate).")


# ---- closing ---------------------------------------------------------------------------------
def closing(ui):
    clean, robust, _ = act1_truth()
    w = context_window("hardened")
    wp = context_window("production")
    full = adversarial(DS, 1.0, None, None, None, cases.standard_cifar().hours)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-robust-ai-pgd works PGD training on MNIST, where it costs almost no "
            "clean accuracy; @sec-v2-robust-ai-tradeoff derives the window of settings this "
            "lab plotted; @sec-v2-robust-ai-cost prices the k + 1 passes at ImageNet scale.\n"
            "- Robustness to natural shift is monitored the way drift is in "
            "@sec-ml-ops-drift-types; silent hardware faults are the failures of "
            "@sec-v2-fault-tolerance that no error log records (@sec-v2-robust-ai-sdc).\n"
            "- Next, Lab 15 (@sec-v2-sustainable-ai) prices compute in energy and carbon: the "
            "extra passes of adversarial training are part of that bill.\n"
            "- TinyTorch, Module 07 (Training): PGD training is your training loop with an "
            "inner loop that takes gradients with respect to the input instead of the weights.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. A standard CIFAR-10 model {pct(clean)} accurate on clean images keeps "
            f"{pct(robust)} under PGD at {eps_words()}: worst-case changes too small to see "
            "add up over thousands of input values.\n"
            f"2. Adversarial training trades clean accuracy for robust accuracy: full PGD "
            f"training reaches {pct(full.clean_accuracy)} clean and "
            f"{pct(full.robust_accuracy)} under attack, at {fmt.num(full.cost_multiplier)}x "
            "the training compute.\n"
            f"3. Targets define a window of settings: the Production targets are met from "
            f"{pct(wp.low)} to {pct(wp.high)} adversarial; the Hardened targets need at least "
            f"{pct(w.f_min)} for robustness but allow at most {pct(w.f_max)} for clean "
            "accuracy, so no setting meets both. Check the window exists before tuning "
            "inside it.\n"
            "4. To move the curve itself, change the model or the data (capacity, more "
            "examples): more compute again, never a free upgrade.")


def save_to_ledger(ui, context, pred1, pred2, d):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    _, robust, _ = act1_truth()
    r = d["result"]
    decision = (f"{share(d['fraction'])} of each batch adversarial ({K}-step PGD) against the "
                f"{context_name(context)} targets")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (band_middle(pred1.value) * 100, robust * 100), pred2,
        decision=decision, result=r.robust_accuracy * 100, unit="%",
        constraint_hit=bool(r.violations))
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Design", decision),
        ("Clean / under attack", f"{pct(r.clean_accuracy)} / {pct(r.robust_accuracy)}"),
        ("Training compute", f"{fmt.num(r.cost_multiplier)}x standard")))

"""Vol II · Lab 13 · The price of privacy (chapter: security_privacy).

Act I calibrates the Gaussian mechanism: a hospital releases one count from its records at
(epsilon = 1, delta = 1e-5), sensitivity one patient, and the classical calibration
sigma = sqrt(2 ln(1.25/delta)) Delta/epsilon adds noise of about five patients, not one; the
new instrument, the epsilon-delta trade-off, plots the noise against epsilon at this delta with
the board's epsilon marked (classical and exact calibrations). Act II trains the hospital's
model with DP-SGD: the student sets the noise multiplier, the batch (the sampling rate) and the
epochs (the steps); the RDP accountant gives the epsilon spent and the engine's illustrative
curve the accuracy it buys, against a budget and an accuracy floor. Raising the batch at the
same noise spends more privacy, not less; the budget differs between a model kept inside the
hospital and one served to the public, so the same design passes in one context and fails in
the other. Every number comes from the engine through security_privacy_cases.py, which
Chapter 29 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import security_privacy_cases as cases
from labs.vol2.security_privacy_cases import ACT2, BUDGET, COUNT, DEFAULT, DELTA, FLOOR, RECORDS

LAB = Lab(
    id="vol2/13", chapter="security_privacy", title="The price of privacy",
    hook="A hospital wants a model that cannot betray any one patient. How much noise does "
         "that take, and what does the noise cost?",
    invariants=["Gaussian mechanism σ ∝ Δ/ε", "ε-δ trade-off", "DP-SGD accountant",
                "privacy budget vs accuracy"],
    minutes=40, contexts=("on_prem", "cloud"),
    reading=[
        ("@sec-v2-security-privacy-threats", "what an attacker can learn from a trained model"),
        ("@sec-v2-security-privacy-definition", "what (ε, δ) promises"),
        ("@sec-v2-security-privacy-gaussian", "sensitivity and the Gaussian mechanism"),
        ("@sec-v2-security-privacy-dpsgd", "DP-SGD: clipping, noise, sampling and the accountant"),
        ("@sec-v2-security-privacy-accuracy", "what privacy costs in accuracy, and batch size"),
    ],
)

CONTEXT_LABELS = contexts.labels({"on_prem": "model used inside the hospital",
                                  "cloud": "model served by a public API"})
BATCHES = (64, 128, 256, 512, 1024, 2048, 4096, 8192)
BATCH_LABELS = {str(b): f"{b:,} records" for b in BATCHES}
NOISE = (0.5, 4.0, 0.1)       # noise multiplier slider: min, max, step
EPOCHS = (1, 60, 1)
EPS_GRID = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)   # the Act I table's epsilons


def eps_text(x: float) -> str:
    return f"ε = {fmt.num(x)}"


def pct(x: float) -> str:
    return fmt.percent(x, 1)


FLOOR_TEXT = fmt.percent(FLOOR, 0)


def patients(x: float) -> str:
    return f"{fmt.num(x)} patient{'' if x == 1 else 's'}"


def design_text(noise: float, batch: int, epochs: int) -> str:
    return f"noise multiplier {sigma_text(noise)}, batch {batch:,}, {epochs} epoch{'s' * (epochs != 1)}"


def sigma_text(noise: float) -> str:
    """A noise multiplier as the slider shows it (one decimal), or two for a solved one."""
    return f"{noise:.1f}" if abs(noise * 10 - round(noise * 10)) < 1e-9 else f"{noise:.2f}"


# ---- Act I: how much noise for one count? ------------------------------------------------------
#: Bands of the classical noise standard deviation, in patients.
ACT1_BANDS = {"A": (0.0, 1.5), "B": (1.5, 3.0), "C": (3.0, 10.0), "D": (10.0, math.inf)}


def act1_truth():
    g = cases.count_release()
    return g, bands.band_of(g.sigma, ACT1_BANDS)


def act1_fact() -> str:
    g = cases.count_release()
    return (f"σ = √(2 ln(1.25/δ)) · Δ/ε = √(2 ln(1.25 / 10⁻⁵)) × 1 / 1 = **{patients(g.sigma)}**; "
            f"95% of releases land within ±{patients(1.96 * g.sigma)} of the true count. The "
            f"exact calibration (Balle & Wang 2018) needs {fmt.num(g.analytic_sigma)}.")


def act1_options() -> dict:
    fact = act1_fact()
    return {
        "A": ("Under 1.5 patients: ε = 1 is a loose budget",
              f"{fact} One patient's worth of noise would let an observer tell apart two "
              "releases that differ by one patient far too often for ε = 1; δ this small "
              "forces the tail of the noise to be wide."),
        "B": ("1.5 to 3 patients",
              f"{fact} The factor √(2 ln(1.25/δ)) alone is near five at δ = 10⁻⁵; only "
              "a larger ε shrinks it."),
        "C": ("3 to 10 patients",
              f"Right. {fact} A count of thousands barely notices; a count of a rare "
              "diagnosis, a dozen patients, drowns."),
        "D": ("More than 10 patients",
              f"{fact} Since σ falls as 1/ε, ten patients of noise would be the calibration "
              f"for ε = {fmt.num(cases.count_release().sigma / 10, 2)}."),
    }


# ---- Act II: a sixteen-fold batch at the same noise --------------------------------------------
#: Bands of epsilon(big batch) / epsilon(small batch), same noise and epochs.
ACT2_BANDS = {"A": (0.0, 0.5), "B": (0.5, 1.5), "C": (1.5, 3.0), "D": (3.0, math.inf)}


def act2_truth():
    small = cases.run(ACT2["noise"], ACT2["batch"], ACT2["epochs"])
    big = cases.run(ACT2["noise"], ACT2["big_batch"], ACT2["epochs"])
    r = big.epsilon / small.epsilon
    return small, big, r, bands.band_of(r, ACT2_BANDS)


def act2_fact() -> str:
    small, big, r, _ = act2_truth()
    b0, b1, e = ACT2["batch"], ACT2["big_batch"], ACT2["epochs"]
    return (f"At batch {b0:,} the run takes {cases.steps(b0, e):,} steps at sampling rate "
            f"q = {fmt.num(b0 / RECORDS)} and spends {eps_text(small.epsilon)}; at batch "
            f"{b1:,}, {cases.steps(b1, e):,} steps at q = {fmt.num(b1 / RECORDS)} spend "
            f"**{eps_text(big.epsilon)}**, {fmt.num(r, 2)} times as much.")


def act2_options() -> dict:
    fact = act2_fact()
    return {
        "A": ("It falls, about sixteen-fold: sixteen times fewer noisy steps",
              f"{fact} Fewer steps help only as their square root, and each step now has a "
              "sixteen times larger chance of including any given patient, which costs "
              "privacy linearly."),
        "B": ("About the same: every record is still used ten times",
              f"{fact} Each record is used as often, but what protects it is the chance that "
              "a step leaves it out, and at the larger batch that chance shrinks."),
        "C": ("It rises, but less than three-fold",
              f"{fact} The rise follows √(q·E)/σ: sixteen times the sampling rate at the same "
              "epochs is about four times the ε."),
        "D": ("It rises about four-fold or more: each step samples far more of the data",
              f"Right. {fact} The accountant's ε grows about as √(q·E)/σ: sixteen times the "
              "sampling rate at the same epochs gives about four times the ε."),
    }


# ---- the page ---------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Where the model is used", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, d = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, d)


def act_one(ui):
    g, correct = act1_truth()
    with ui.section("Act I · Calibration", "How much noise does one private count need? "
                    "(12-15 min)"):
        ui.stakeholder(
            "Data protection officer, a teaching hospital",
            f"Every quarter we publish how many of our {RECORDS:,} patients were readmitted "
            "within 30 days. From now on each release must be differentially private with "
            f"ε = {fmt.num(COUNT['epsilon'])} and δ = 10⁻⁵, using Gaussian noise. How far "
            "off will the published count be?")
        ui.markdown(
            "A count's **sensitivity** is one: adding or removing one patient changes it by at "
            "most one. The Gaussian mechanism adds noise drawn from $\\mathcal{N}(0, \\sigma^2)$ "
            "with σ proportional to the sensitivity and inversely to ε; δ, the small "
            "probability with which the guarantee may fail, sets how wide the noise's tails "
            "must be. Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            "With the classical calibration of the Gaussian mechanism, what is the standard "
            "deviation σ of the noise added to the count?",
            act1_options(), correct=correct)

        tradeoff_figure(ui)
        ui.metrics([
            Metric("Noise σ, classical", patients(g.sigma), tone="info",
                   note="√(2 ln(1.25/δ)) Δ/ε"),
            Metric("Noise σ, exact", patients(g.analytic_sigma), tone="success",
                   note="Balle & Wang 2018"),
            Metric("95% of releases within", f"± {patients(1.96 * g.sigma)}",
                   note="1.96 σ, classical"),
            Metric("Factor √(2 ln(1.25/δ))", fmt.num(g.sigma * COUNT["epsilon"]),
                   note="δ = 10⁻⁵"),
        ], key="act1.metrics")
        ui.reveal(pred, f"σ = {patients(g.sigma)} (classical), {fmt.num(g.analytic_sigma)} "
                        "(exact)", text=pred.feedback, key="act1.overlay")
        act1_reflection(ui, g)
        with ui.math_peek("the Gaussian mechanism with this release's numbers",
                          key="act1.mathpeek"):
            ui.markdown(mathpeek_gaussian(g))
    return pred


def tradeoff_figure(ui):
    """The epsilon-delta trade-off: noise against epsilon at delta = 1e-5, the board's
    epsilon marked."""
    xs = [10 ** (-1.3 + 0.05 * i) for i in range(47)]        # 0.05 to 10
    classic = [cases.gaussian(x, DELTA).sigma for x in xs]
    exact = [cases.gaussian(x, DELTA).analytic_sigma for x in xs]
    proven = [(x, s) for x, s in zip(xs, classic) if x < 1]
    beyond = [(x, s) for x, s in zip(xs, classic) if x >= 1]
    g = cases.count_release()
    eps = COUNT["epsilon"]
    traces = [
        plot.line([p[0] for p in proven], [p[1] for p in proven],
                  "classical σ (proven for ε < 1)", plot.COLORS["cloud"], width=3),
        plot.line([p[0] for p in beyond], [p[1] for p in beyond],
                  "classical σ beyond its proof", plot.COLORS["cloud"], dash="dot"),
        plot.line(xs, exact, "exact σ (Balle & Wang 2018)", plot.COLORS["good"], dash="dash"),
        plot.points([eps, eps], [g.sigma, g.analytic_sigma], "the board's release",
                    plot.COLORS["bad"], symbol="star", size=15),
    ]
    ui.figure({"data": traces, "layout": plot.layout(
        "ε-δ trade-off: noise on a count against ε, at δ = 10⁻⁵", height=400,
        shapes=[plot.vline(eps, plot.COLORS["bad"])],
        annotations=[plot.note(0, 0.97, "board's ε", yref="paper", xanchor="left", xshift=4)],
        showlegend=True, legend={"orientation": "h", "y": -0.3},
        xaxis=plot.axis("privacy parameter ε (log scale)", log=True),
        yaxis=plot.axis("noise standard deviation σ, patients (log scale)", log=True))},
        key="act1.tradeoff", caption=(
            "The ε-δ trade-off for a count (sensitivity 1) at δ = 10⁻⁵: the noise falls as 1/ε. "
            f"At the board's ε = {fmt.num(eps)} the classical calibration adds σ = "
            f"{fmt.num(g.sigma)} patients and the exact one {fmt.num(g.analytic_sigma)}; the "
            "classical formula is proven only for ε below 1 (dotted beyond), and is never "
            "tighter than the exact one."),
        table={"caption": "Noise on a count by ε, δ = 10⁻⁵ (engine, Gaussian mechanism)",
               "columns": ["ε", "classical σ", "exact σ", "95% of releases within"],
               "rows": [[fmt.num(x), fmt.num(cases.gaussian(x, DELTA).sigma),
                         fmt.num(cases.gaussian(x, DELTA).analytic_sigma),
                         f"± {fmt.num(1.96 * cases.gaussian(x, DELTA).sigma)}"]
                        for x in EPS_GRID]})


def act1_reflection(ui, g):
    tight = cases.gaussian(COUNT["epsilon"], cases.TIGHT_DELTA, COUNT["sensitivity"])
    r = tight.sigma / g.sigma
    targets = {"A": 2.0, "B": math.sqrt(2), "C": 1e5, "D": 1.0}
    correct = min(targets, key=lambda k: abs(math.log(targets[k] / r)))
    fact = (f"At δ = 10⁻¹⁰ the classical σ is {fmt.num(tight.sigma)} against "
            f"{fmt.num(g.sigma)}: {fmt.num(r, 2)} times as large.")
    ui.reflection(
        "act1.reflection",
        "The board tightens δ from 10⁻⁵ to 10⁻¹⁰ and keeps ε = 1. What happens to σ?",
        {
            "A": ("It doubles, as it would if ε were halved",
                  f"{fact} ε divides σ directly; δ only enters through a logarithm under a "
                  "square root."),
            "B": ("It grows by a factor near √2: δ sits in a logarithm under a square root",
                  (f"Right. {fact} ln(1.25/δ) roughly doubles when δ is squared, so σ grows "
                   "by about √2. Tightening δ is cheap; tightening ε is not.")
                  if correct == "B" else fact),
            "C": ("It grows 100,000-fold, like 1/δ",
                  f"{fact} Were σ proportional to 1/δ, a small δ would be unaffordable; the "
                  "logarithm is what makes δ = 10⁻¹⁰ practical."),
            "D": ("It does not change: σ depends on ε only",
                  f"{fact} δ sets how far the noise's tail must reach to hide one patient "
                  "with all but probability δ."),
        }, correct=correct)


def mathpeek_gaussian(g) -> str:
    factor = g.sigma * g.epsilon / g.sensitivity
    return (
        "A mechanism $M$ is $(\\varepsilon, \\delta)$-differentially private when, for any two "
        "data sets $D, D'$ that differ in one record and any set of outcomes $S$:\n\n"
        r"$$\Pr[M(D) \in S] \le e^{\varepsilon}\,\Pr[M(D') \in S] + \delta$$" "\n\n"
        "The Gaussian mechanism releases $f(D) + \\mathcal{N}(0, \\sigma^2)$ with, classically "
        "(Dwork & Roth 2014, Thm A.1, proven for $\\varepsilon < 1$):\n\n"
        r"$$\sigma = \sqrt{2\ln(1.25/\delta)}\;\frac{\Delta}{\varepsilon}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $\\Delta$ | sensitivity: the most one record changes $f$ | {fmt.num(g.sensitivity)} "
        "patient |\n"
        f"| $\\varepsilon$ | privacy loss bound | {fmt.num(g.epsilon)} |\n"
        f"| $\\delta$ | probability the bound may fail | 10⁻⁵ |\n"
        f"| $\\sqrt{{2\\ln(1.25/\\delta)}}$ | the tail factor | {fmt.num(factor)} |\n"
        f"| $\\sigma$ | noise standard deviation | {patients(g.sigma)} |\n\n"
        f"$\\sigma$ = {fmt.num(factor)} × 1 / {fmt.num(g.epsilon)} = {patients(g.sigma)}. "
        "The exact calibration (Balle & Wang 2018) finds the smallest σ with "
        r"$\Phi\!\left(\frac{\Delta}{2\sigma} - \frac{\varepsilon\sigma}{\Delta}\right) - "
        r"e^{\varepsilon}\,\Phi\!\left(-\frac{\Delta}{2\sigma} - \frac{\varepsilon\sigma}{\Delta}"
        r"\right) \le \delta$" f" ($\\Phi$ the normal CDF): here {fmt.num(g.analytic_sigma)}, "
        "valid for every ε.")


# ---- Act II -----------------------------------------------------------------------------------
def act_two(ui, context):
    small, big, r, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Train within the budget, above the floor "
                    "(20-25 min)"):
        ui.stakeholder(
            "ML lead, the hospital's clinical AI team",
            f"We train the readmission model with DP-SGD on the {RECORDS:,} records: noise "
            f"multiplier {sigma_text(ACT2['noise'])}, batch {ACT2['batch']}, {ACT2['epochs']} "
            f"epochs. Our new GPUs idle at that batch, so I want batch {ACT2['big_batch']:,}: "
            f"same noise, same {ACT2['epochs']} epochs, sixteen times fewer noisy steps. That "
            "has to spend less privacy, right?")
        ui.markdown(
            "Each DP-SGD step samples every record with probability $q = B/N$ (the expected "
            "batch over the data set), clips each example's gradient to norm $C$, sums them, "
            "adds Gaussian noise of standard deviation $\\sigma C$ ($\\sigma$ is the *noise "
            "multiplier*) and divides by $B$. An *accountant* adds up the privacy lost over "
            f"the $T = E N / B$ steps of $E$ epochs. Here δ = 10⁻⁵ for the {RECORDS:,} records.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"Same noise multiplier ({sigma_text(ACT2['noise'])}) and epochs ({ACT2['epochs']}), "
            f"batch {ACT2['batch']} raised to {ACT2['big_batch']:,}: what happens to the ε the "
            "accountant reports for the training run?",
            act2_options(), correct=correct)

        ui.markdown(
            f"Now design the run. The budget is {eps_text(BUDGET[context])} for a "
            f"{CONTEXT_LABELS[context].split(' · ')[1]}; the model must reach "
            f"{FLOOR_TEXT} accuracy. Accuracy comes from the engine's *illustrative* DP-SGD "
            "curve: it rises with the ε spent, from 10% with no signal towards 95% without "
            "privacy, with the shape of Abadi et al. 2016; real curves depend on the task "
            "and the tuning. Both the budget and the floor are this lab's scenario choices.")
        noise = ui.slider("act2.noise", "Noise multiplier σ (noise ÷ clipping norm)", *NOISE,
                          DEFAULT["noise"])
        batch = int(ui.select("act2.batch", "Batch size (expected records per step)",
                              BATCH_LABELS, default=str(DEFAULT["batch"])))
        epochs = int(ui.slider("act2.epochs", "Epochs (passes over the records)", *EPOCHS,
                               DEFAULT["epochs"], unit="epochs"))
        d = cases.design(context, noise, batch, epochs)
        if d.violations:
            failure(ui, context, d, noise, batch, epochs)
        accuracy_figure(ui, context, d, noise, batch, epochs)
        design_metrics(ui, context, d, noise, batch, epochs)
        accounting_table(ui, d, noise, batch, epochs)
        both_contexts_table(ui, noise, batch, epochs)

        ui.reveal(pred, f"{eps_text(small.epsilon)} at batch {ACT2['batch']}, "
                        f"{eps_text(big.epsilon)} at batch {ACT2['big_batch']:,}",
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui, context)
        with ui.math_peek("the accountant with this run's numbers", key="act2.mathpeek"):
            ui.markdown(mathpeek_accountant(d, noise, batch, epochs))
    return pred, {"noise": noise, "batch": batch, "epochs": epochs, "result": d}


def nearest_fix(grid, at, eps_of, over: bool, limit: float):
    """The grid value nearest ``at``, in the direction that helps, whose run has its ε back on
    the right side of ``limit`` (at most the budget when ``over``, else at least the floor's
    ε). ε is monotone along each control's grid, so a bisection finds the crossing in a few
    accountant calls. Returns (value, ε) or None."""
    rising = eps_of(grid[-1]) > eps_of(grid[0])          # ε increases along the grid
    side = [g for g in grid if (g < at) == (rising == over)]
    if not side:
        return None
    if rising == over:
        side = side[::-1]                                # nearest first

    def ok(value):
        e = eps_of(value)
        return e <= limit if over else e >= limit

    if not ok(side[-1]):
        return None
    lo, hi = -1, len(side) - 1                           # side[hi] passes; side[lo] does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(side[mid]):
            hi = mid
        else:
            lo = mid
    return side[hi], eps_of(side[hi])


def ways_out(context, d, noise, batch, epochs) -> list[str]:
    """Single-control moves that bring the run within the budget and above the floor, each
    checked with the engine (the nearest such setting of each control)."""
    budget = BUDGET[context]
    over = d.epsilon > budget
    lo_eps = cases.floor_epsilon()
    n_noise = round((NOISE[1] - NOISE[0]) / NOISE[2])
    noises = [round(NOISE[0] + k * NOISE[2], 1) for k in range(n_noise + 1)]
    epochs_grid = list(range(EPOCHS[0], EPOCHS[1] + 1))
    ways = []
    for grid, at, eps_of, words in (
            (noises, noise, lambda n: cases.design(context, n, batch, epochs).epsilon,
             lambda v: f"{'raise' if over else 'lower'} the noise multiplier to {sigma_text(v)}"),
            (list(BATCHES), batch, lambda b: cases.design(context, noise, b, epochs).epsilon,
             lambda v: f"{'shrink' if over else 'grow'} the batch to {v:,}"),
            (epochs_grid, epochs, lambda e: cases.design(context, noise, batch, e).epsilon,
             lambda v: f"train for {v} epoch{'s' * (v != 1)}")):
        fix = nearest_fix(grid, at, eps_of, over, budget if over else lo_eps)
        if fix is not None and lo_eps <= fix[1] <= budget:
            ways.append(words(fix[0]))
    other = "cloud" if context == "on_prem" else "on_prem"
    if not cases.design(other, noise, batch, epochs).violations:
        ways.append(f"switch to {contexts.name(other)}, whose budget is "
                    f"{eps_text(BUDGET[other])}")
    return ways


def shower(violations):
    """How the banner reads a violated constraint's amounts: a privacy budget as an epsilon,
    an accuracy as a percentage (both are dimensionless; the floor lies below every budget,
    so a run violates one or the other)."""
    names = {v.name for v in violations}
    if names == {"accuracy"}:
        return lambda q: pct(q.m_as(""))
    if names == {"privacy budget"}:
        return lambda q: eps_text(q.m_as(""))
    return lambda q: fmt.num(q.m_as(""))


def failure(ui, context, d, noise, batch, epochs):
    over = d.epsilon > BUDGET[context]
    if over:
        title = "Over the privacy budget"
        text = (f"With {design_text(noise, batch, epochs)} the run spends "
                f"{eps_text(d.epsilon)}, more than the {eps_text(BUDGET[context])} allowed. "
                "More noise, a smaller batch or fewer epochs spend less. ")
    else:
        title = "Below the accuracy floor"
        text = (f"With {design_text(noise, batch, epochs)} the run spends only "
                f"{eps_text(d.epsilon)}, and the illustrative curve gives {pct(d.accuracy)}, "
                f"under the {FLOOR_TEXT} the model needs (it needs at least "
                f"{eps_text(cases.floor_epsilon())}). Less noise, a larger batch or more "
                "epochs spend more of the budget. ")
    ways = ways_out(context, d, noise, batch, epochs)
    if ways:
        text += "To get out: " + ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + \
            ways[-1] + "."
    else:
        text += "Move two controls together: no single one reaches the window."
    ui.failure(title, d.violations, text=text, key="act2.failure",
               show=shower(d.violations))


def accuracy_figure(ui, context, d, noise, batch, epochs):
    """The epsilon-delta trade-off of a training run: accuracy against the epsilon spent, the
    budget and the floor marked."""
    budget = BUDGET[context]
    top = max(20.0, d.epsilon * 1.5)
    xs = [0.1 * (top / 0.1) ** (i / 48) for i in range(49)]
    ys = [cases.accuracy(x) * 100 for x in xs]
    lo = cases.floor_epsilon()
    ok = not d.violations
    traces = [
        plot.line(xs, ys, "accuracy (illustrative curve)", plot.COLORS["fleet"], width=3),
        plot.points([d.epsilon], [d.accuracy * 100], "your run",
                    plot.COLORS["good"] if ok else plot.COLORS["bad"], symbol="star", size=16),
    ]
    shapes = [plot.vline(budget, plot.COLORS["bad"], dash="dash"),
              plot.hline(FLOOR * 100, plot.COLORS["accent"]),
              {"type": "rect", "xref": "x", "yref": "paper", "x0": lo, "x1": budget,
               "y0": 0, "y1": 1, "fillcolor": plot.COLORS["good"], "opacity": 0.08,
               "line": {"width": 0}}]
    notes = [plot.note(math.log10(budget), 0.05, f"budget {eps_text(budget)}", yref="paper",
                       xanchor="left", xshift=4),
             plot.note(0.01, FLOOR * 100, f"floor {FLOOR_TEXT}", xref="paper", yshift=10,
                       xanchor="left")]
    ui.figure({"data": traces, "layout": plot.layout(
        f"Privacy against accuracy, {contexts.name(context)}", height=400, shapes=shapes,
        annotations=notes, showlegend=True, legend={"orientation": "h", "y": -0.3},
        xaxis=plot.axis("ε spent by the training run (log scale)", log=True),
        yaxis=plot.axis("accuracy (%), illustrative", range=[0, 100]))},
        key="act2.tradeoff", caption=(
            "The ε-δ trade-off of a training run at δ = 10⁻⁵: the engine's illustrative "
            "accuracy curve against the ε the accountant reports. Runs between "
            f"{eps_text(lo)} (the {FLOOR_TEXT} floor) and {eps_text(budget)} (the budget) are "
            f"acceptable (shaded). Your run ({design_text(noise, batch, epochs)}) spends "
            f"{eps_text(d.epsilon)} for {pct(d.accuracy)}: "
            + ("acceptable." if ok else "outside the window.")),
        table={"caption": "Illustrative accuracy by ε spent (engine, DP-SGD utility curve)",
               "columns": ["ε spent", "accuracy", "verdict"],
               "rows": [[fmt.num(x), pct(cases.accuracy(x)),
                         "over budget" if x > budget else
                         ("below the floor" if cases.accuracy(x) < FLOOR else "acceptable")]
                        for x in sorted({0.5, 1.0, 2.0, lo, budget, 8.0, 16.0, d.epsilon})]})


def design_metrics(ui, context, d, noise, batch, epochs):
    over = d.epsilon > BUDGET[context]
    under = d.accuracy < FLOOR
    ui.metrics([
        Metric("Privacy spent ε", fmt.num(d.epsilon), tone="danger" if over else "success",
               note=f"budget {fmt.num(BUDGET[context])}, δ = 10⁻⁵"),
        Metric("Accuracy (illustrative)", pct(d.accuracy), tone="danger" if under else "success",
               note=f"floor {FLOOR_TEXT}"),
        Metric("Sampling rate q", fmt.num(batch / RECORDS), note=f"{batch:,} of {RECORDS:,}"),
        Metric("Steps T", f"{cases.steps(batch, epochs):,}", note=f"{epochs} × {RECORDS:,} / {batch:,}"),
        Metric("Noise on the averaged gradient", f"{fmt.num(noise / batch)} C",
               note="σC/B, C the clipping norm"),
    ], key="act2.metrics")


def accounting_table(ui, d, noise, batch, epochs):
    n_steps = cases.steps(batch, epochs)
    full = cases.full_batch(noise, n_steps)
    ui.table(
        f"Where your run's ε comes from ({design_text(noise, batch, epochs)})",
        ["accounting", "ε"],
        [["RDP accountant, records sampled with q = " + fmt.num(batch / RECORDS) + " (your run)",
          fmt.num(d.epsilon)],
         [f"the same {n_steps:,} steps with every record in every step (q = 1)",
          fmt.num(full.epsilon)],
         ["rule of thumb 2√(q E ln(1/δ)) / σ", fmt.num(cases.rule_of_thumb(noise, batch,
                                                                            epochs))]],
        key="act2.accounting")


def both_contexts_table(ui, noise, batch, epochs):
    rows = []
    for ctx in CONTEXT_LABELS:
        x = cases.design(ctx, noise, batch, epochs)
        verdict = ("over budget" if x.epsilon > BUDGET[ctx] else
                   "below the floor" if x.accuracy < FLOOR else "acceptable")
        rows.append([contexts.name(ctx), fmt.num(BUDGET[ctx]), fmt.num(x.epsilon),
                     pct(x.accuracy), verdict])
    ui.table(f"The same run in both contexts ({design_text(noise, batch, epochs)})",
             ["context", "budget ε", "ε spent", "accuracy (illustrative)", "verdict"], rows,
             key="act2.contexts")


def act2_reflection(ui, context):
    budget = BUDGET[context]
    b0, b1, e = ACT2["batch"], ACT2["big_batch"], ACT2["epochs"]
    s0 = cases.noise_for(budget, b0, e)
    s1 = cases.noise_for(budget, b1, e)
    r = (s0 / b0) / (s1 / b1)
    fact = (f"To spend exactly {eps_text(budget)} in {e} epochs, batch {b0} needs a noise "
            f"multiplier of {s0:.2f} and batch {b1:,} one of {s1:.2f}. On the "
            f"averaged gradient that is σC/B = {fmt.num(s0 / b0, 2)} C against "
            f"{fmt.num(s1 / b1, 2)} C: {fmt.num(r, 2)} times less noise at the large batch.")
    correct = "B" if r > 1 else "A"
    ui.reflection(
        "act2.reflection",
        f"Both runs spend the whole budget ({eps_text(budget)}) in {e} epochs, one at batch "
        f"{b0} and one at batch {b1:,}, so the illustrative curve gives them the same accuracy. "
        "Which would you expect to train the better model in practice?",
        {
            "A": (f"Batch {b0}: it gets by with a smaller noise multiplier",
                  f"{fact} The multiplier scales noise on the *sum* of the clipped gradients; "
                  "what the update feels is that noise divided by the batch."),
            "B": (f"Batch {b1:,}: its averaged gradient is far less noisy",
                  (f"Right. {fact} This is why recent DP training uses very large batches and "
                   "many steps (De et al. 2022; Sander et al. 2023), and why it needs far more "
                   "compute per step: sixteen times the examples, each with its own clipped "
                   "gradient.") if correct == "B" else fact),
            "C": ("Neither: equal ε means equal accuracy",
                  f"{fact} Equal ε means equal *privacy*. The lab's accuracy curve depends on ε "
                  "alone, a simplification; how the ε is spent matters in practice."),
            "D": (f"Batch {b0}: sixteen times more steps always learn more",
                  f"{fact} More steps help when each is informative; here each small-batch step "
                  "carries much more noise relative to its signal."),
        }, correct=correct)


def mathpeek_accountant(d, noise, batch, epochs) -> str:
    q = batch / RECORDS
    n_steps = cases.steps(batch, epochs)
    return (
        "DP-SGD's step is a *sampled Gaussian mechanism*: each record is in the batch with "
        "probability $q$, and the clipped sum gets noise $\\mathcal{N}(0, \\sigma^2 C^2)$. The "
        "accountant tracks its Rényi divergence $\\rho(\\alpha)$ at orders $\\alpha > 1$ "
        "(Mironov 2017; Mironov, Talwar & Zhang 2019), which adds up over steps, and converts "
        "at the end:\n\n"
        r"$$\varepsilon(\delta) = \min_{\alpha > 1}\Big[\,T\,\rho_{q,\sigma}(\alpha) + "
        r"\frac{\ln(1/\delta)}{\alpha - 1}\Big]$$" "\n\n"
        "For small $q$, $\\rho(\\alpha) \\approx q^2\\alpha/\\sigma^2$; minimising over "
        "$\\alpha$ with $T = E/q$ gives the rule of thumb "
        r"$\varepsilon \approx 2\sqrt{q\,E\,\ln(1/\delta)}/\sigma$." "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | records | {RECORDS:,} |\n"
        f"| $q = B/N$ | sampling rate | {fmt.num(q)} |\n"
        f"| $E$ | epochs | {epochs} |\n"
        f"| $T = \\lceil E N / B \\rceil$ | steps | {n_steps:,} |\n"
        f"| $\\sigma$ | noise multiplier | {sigma_text(noise)} |\n"
        f"| $\\delta$ | | 10⁻⁵ |\n"
        f"| $\\alpha^*$ | the order that gives the minimum | {fmt.num(d.order)} |\n"
        f"| $\\varepsilon$ | the accountant's privacy spent | {fmt.num(d.epsilon)} |\n\n"
        f"The rule of thumb gives {fmt.num(cases.rule_of_thumb(noise, batch, epochs))}. "
        "It scales as $\\sqrt{q E}/\\sigma$: at fixed epochs, more records per step cost "
        "privacy; more noise buys it back.")


def closing(ui):
    g, _ = act1_truth()
    small, big, r, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-security-privacy-gaussian calibrates the noise this lab plotted in Act I; "
            "@sec-v2-security-privacy-dpsgd derives the accountant of Act II, and "
            "@sec-v2-security-privacy-accuracy why larger batches help at a fixed ε.\n"
            "- The per-example gradients DP-SGD clips are the gradients of the training loop in "
            "@sec-training-loop, one per example instead of one per batch; "
            "@sec-v2-security-privacy-systems counts what holding them costs.\n"
            "- Next, Lab 14 (@sec-v2-robust-ai) turns from what a model reveals to what an "
            "attacker can make it do: adversarial robustness against clean accuracy.\n"
            "- TinyTorch, Module 06 (Optimizers): the SGD step you write there becomes DP-SGD "
            "by clipping each example's gradient and adding noise before the update.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Privacy costs noise in proportion to sensitivity over ε: one count at "
            f"ε = {fmt.num(COUNT['epsilon'])}, δ = 10⁻⁵ needs σ = {patients(g.sigma)} "
            f"(classical), {fmt.num(g.analytic_sigma)} exact.\n"
            "2. δ is cheap and ε is not: δ enters under a logarithm, ε divides the noise.\n"
            f"3. A training run's ε grows about as √(q·E)/σ: the same noise at a sixteen times "
            f"larger batch spent {fmt.num(r, 2)} times the ε "
            f"({fmt.num(small.epsilon)} → {fmt.num(big.epsilon)}).\n"
            "4. The budget and the accuracy floor bound ε from both sides; in the lab's "
            "curve accuracy depends on ε alone, but in practice large batches with more noise "
            "spend the same ε for a better model, at the price of compute.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    g, _ = act1_truth()
    d = design["result"]
    decision = (f"{design_text(design['noise'], design['batch'], design['epochs'])}, "
                f"{contexts.name(context)} budget {eps_text(BUDGET[context])}")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (bands.log_middle(ACT1_BANDS, pred1.value), g.sigma),
        pred2, decision=decision, result=d.epsilon, unit="ε",
        constraint_hit=bool(d.violations))
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", design_text(design["noise"], design["batch"], design["epochs"])),
        ("Privacy spent", f"{eps_text(d.epsilon)} of {fmt.num(BUDGET[context])}, "
                          f"accuracy {pct(d.accuracy)}")))

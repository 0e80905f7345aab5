"""Vol I · Lab 09 · The data selection trade-off (chapter: data_selection).

Act I: with a limited training budget, does ordering the data easy-to-hard (a paced
curriculum) reach the target sooner, and what is that worth in wall-clock on the context's
hardware? The instruments add the other regimes of Wu et al. 2021 (normal budget, noisy
labels). Act II: spend an annotation budget on the Pareto frontier of cost against accuracy,
and meet the budget that is too small to reach a viable model.

The learning curves are ILLUSTRATIVE (the engine's ``learning_curves``: regimes after Wu et al.
2021, shapes after Bengio et al. 2009, Hacohen & Weinshall 2019 and Settles 2009). Training
time comes from the engine's TrainingTimeModel on the registry hardware. The cases, prices
and curves are shared with Chapter 9 (data_selection_cases.py).
"""
from __future__ import annotations

import math

from mlsysim.resolvers.learning_curves import active_learning_accuracy, curriculum_accuracy

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import data_selection_cases as ds
from labs.vol1.data_selection_cases import (BASE_ACCURACY, BATCH, CROWD_PRICE, MODEL_CURVES,
                                            TRAIN_MODEL, annotation, curriculum, curve_kwargs,
                                            required_budget)

LAB = Lab(
    id="vol1/09", chapter="data_selection", title="The data selection trade-off",
    hook="Which examples you train on, in what order, and which ones you pay to label, can "
         "matter as much as the hardware. But every gain has a price, and a frontier.",
    invariants=["curriculum learning", "active learning", "annotation budget Pareto frontier"],
    minutes=40, contexts=("cloud", "edge"),
    reading=[
        ("@sec-data-selection-efficiency", "why data efficiency is a systems problem"),
        ("@sec-data-selection-curriculum", "curriculum learning, pacing, and when it helps"),
        ("@sec-data-selection-active-learning", "active learning and its costs"),
        ("@sec-data-selection-annotation-budget", "the cost model of annotation"),
        ("@sec-data-selection-pareto", "Pareto dominance and the frontier"),
    ],
)

HARDWARE = ds.MACHINES
CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM", "edge": "Jetson Orin NX 16GB"})

# ---- Act I constants --------------------------------------------------------------------
#: The target accuracy the Act I prediction is asked about (illustrative: on the engine's
#: illustrative curve, whose plateau is ``max_accuracy`` = 0.9).
ACT1_TARGET = 0.80
#: The regime the Act I prediction is asked about: a nightly retraining stopped at a fixed
#: number of steps. Chapter 9 says only that gains "appeared" in this regime (Wu et al. 2021,
#: Sec. 5); their size on the lab's curves is the prediction.
ACT1_REGIME = "limited_budget"
REGIMES = {"limited_budget": "Limited training budget", "normal": "Normal training budget",
           "noisy_labels": "Noisy labels"}
STRATEGIES = {"random": "Random order (baseline)", "easy_first": "Easy first, no pacing",
              "hard_first": "Hard first (anti-curriculum)", "curriculum": "Paced curriculum, easy to hard"}
# Speed-up bands of the Act I prediction: (low, high) of each option, the one place the bounds
# live; the ledger records the geometric middle of the chosen band as the predicted value.
ACT1_BANDS = {"A": (0.0, 1.1), "B": (1.1, 1.5), "C": (1.5, 4.0), "D": (4.0, math.inf)}


def band_middle(key: str) -> float:
    lo, hi = ACT1_BANDS[key]
    return 1.0 if lo == 0 else 10.0 if hi == math.inf else math.sqrt(lo * hi)


# ---- Act II constants -------------------------------------------------------------------
#: The budget the Act II prediction is asked about: 20,000 crowd labels (a case Chapter 9's
#: plan does not work out: it never compares the strategies at equal labels).
ACT2_BUDGET = 20_000 * CROWD_PRICE
AL_STRATEGIES = {"random": "Random sampling", "uncertainty": "Uncertainty sampling",
                 "diversity": "Diversity sampling (core-set)"}
#: Minimum viable accuracy of the product in each context. ILLUSTRATIVE product
#: requirements: the cloud service is held to a higher bar than the offline edge device.
MIN_VIABLE = {"cloud": 0.85, "edge": 0.80}


def train_hours(context: str, steps: float) -> float:
    if steps == math.inf:
        return math.inf
    return ds.training(context, steps * BATCH).hours


def act1_truth():
    r = curriculum(ACT1_TARGET, ACT1_REGIME)
    speedup = r.speedup_by_strategy["curriculum"]
    band = bands.band_of(speedup, ACT1_BANDS)
    return speedup, band


def band_text(k: str) -> str:
    lo, hi = ACT1_BANDS[k]
    return f"under {hi:g}x" if lo == 0 else f"{lo:g}x or more" if hi == math.inf else \
        f"{lo:g}x to {hi:g}x"


def act1_options(speedup: float, steps: dict) -> dict:
    fact = (f"On this lab's illustrative curves for a limited budget, a paced curriculum "
            f"reaches {fmt.percent(ACT1_TARGET, 0)} in {fmt.num(steps['curriculum'])} steps "
            f"against {fmt.num(steps['random'])} in random order: **{fmt.ratio(speedup)}**.")
    normal = curriculum(ACT1_TARGET, "normal").speedup_by_strategy["curriculum"]
    return {
        "A": (f"No real gain: {band_text('A')}, order does not matter",
              f"{fact} With a normal budget that would be right (the same curves give "
              f"{fmt.ratio(normal)}, as Wu et al. 2021 found on standard benchmarks); a "
              "budget cut short is where they found curricula help."),
        "B": (f"A modest gain: {band_text('B')}",
              f"{fact} More than a modest gain on these curves: when the run stops early, "
              "good early updates are a larger share of all the updates it gets."),
        "C": (f"A substantial gain: {band_text('C')}",
              f"{fact} That sits in your band. Remember it is an illustrative curve: a "
              "curriculum is a hypothesis to test against a random-order baseline."),
        "D": (f"An order of magnitude: {band_text('D')}",
              f"{fact} Reordering cannot remove most of the work: every example is still seen, "
              "and the model still has to learn the hard ones."),
    }


# ---- Act II physics ---------------------------------------------------------------------
def act2_truth():
    """Accuracy by strategy for the prediction's case (ResNet-50, crowd price)."""
    r = annotation(ACT2_BUDGET, CROWD_PRICE, "random", "resnet50")
    acc = r.accuracy_by_strategy
    ranked = sorted(acc, key=acc.get, reverse=True)
    tie = acc[ranked[0]] - acc[ranked[-1]] < 0.01  # "doesn't matter": within 1 point
    correct = "D" if tie else {"random": "A", "uncertainty": "B", "diversity": "C"}[ranked[0]]
    return r, acc, correct


def act2_options(r, acc) -> dict:
    table = ", ".join(f"{AL_STRATEGIES[s].lower()} {fmt.percent(a)}" for s, a in acc.items())
    fact = (f"With {fmt.usd(ACT2_BUDGET)} at {fmt.usd(CROWD_PRICE)} a label "
            f"({fmt.num(r.labels)} labels), the illustrative curves give {table}.")
    return {
        "A": ("Random sampling: spend it all on as many labels as possible",
              f"{fact} Random sampling buys the same number of labels but spends many on "
              "examples the model already gets right."),
        "B": ("Uncertainty sampling: label what the model is least sure about",
              f"{fact} Once the model is good enough to know what it does not know, each "
              "uncertain example moves the decision boundary more than a random one."),
        "C": ("Diversity sampling: label a batch that covers the pool",
              f"{fact} Diversity wins at small budgets, before an uncertainty model can choose "
              "well (cold start); at this budget uncertainty has caught up."),
        "D": ("It does not matter: all within 1 percentage point",
              f"{fact} The strategies differ by "
              f"{fmt.num((max(acc.values()) - min(acc.values())) * 100, 2)} points here."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    hw = HARDWARE[context]
    speedup, band = act1_truth()
    base = curriculum(ACT1_TARGET, ACT1_REGIME)
    with ui.section("Act I · Calibration", "Does the order of the data matter? (12-15 min)"):
        ui.stakeholder(
            "ML research lead, a vision start-up",
            f"We retrain {TRAIN_MODEL.name} every night on the day's new images, and the run is "
            f"stopped at a fixed budget of steps whether or not it has converged. Reaching "
            f"{fmt.percent(ACT1_TARGET, 0)} takes "
            f"{fmt.duration(train_hours(context, base.steps_by_strategy['random']) * 3600)} on "
            f"our {hw.name}. A colleague says sorting the data from easy to hard would get "
            "there much sooner. Is reordering worth it for us?")
        ui.markdown(
            "A *curriculum* scores every example's difficulty and feeds the easy ones first, "
            "admitting harder ones on a schedule (the pacing function). The total data is the "
            "same; only the order changes. Chapter 9 reports when curricula have helped; this "
            "run's budget is cut short. Commit to an estimate first.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"With this limited training budget, how much sooner does a paced easy-to-hard "
            f"curriculum reach {fmt.percent(ACT1_TARGET, 0)} accuracy than random order "
            "(steps to target)?",
            act1_options(speedup, base.steps_by_strategy), correct=band)

        ui.callout("info", "The curves below are **illustrative**: one set per regime of Wu, "
                   "Dyer and Neyshabur (2021), shaped after Bengio et al. (2009) and Hacohen "
                   "and Weinshall (2019). Use them to reason about consequences, not as a "
                   "promise for your task.", title="Illustrative model")
        regime = ui.select("act1.regime", "Training regime", REGIMES, default=ACT1_REGIME)
        target = ui.slider("act1.target", "Target accuracy", 0.5, 0.89, 0.01, ACT1_TARGET,
                           unit="%", scale=100, fmt=lambda v: fmt.percent(v, 0))
        strategy = ui.select("act1.strategy", "Highlight ordering", STRATEGIES,
                             default="curriculum")
        r = curriculum(target, regime)
        curriculum_instruments(ui, context, target, regime, strategy, r)

        ui.reveal(pred, f"{fmt.ratio(speedup)} sooner: {fmt.num(base.steps_by_strategy['curriculum'])} "
                        f"steps against {fmt.num(base.steps_by_strategy['random'])} (limited "
                        f"budget, {fmt.percent(ACT1_TARGET, 0)})", text=pred.feedback,
                  key="act1.overlay")
        normal = curriculum(ACT1_TARGET, "normal").speedup_by_strategy["curriculum"]
        ui.reflection(
            "act1.reflection",
            f"Switch the regime to a normal training budget: the curriculum's lead shrinks to "
            f"{fmt.ratio(normal)}. Why does a full budget wash the ordering out?",
            {
                "A": ("A full budget uses a larger batch, which cancels the ordering",
                      "The batch is the same in both regimes; what changes is how long the run "
                      "goes on. The time per step, and its Iron Law, do not change."),
                "B": ("With enough steps every ordering sees every example many times, so the "
                      "head start of easy examples stops mattering",
                      "Yes. Early on, easy examples give low-noise gradients while the model is "
                      "weak; run long enough and every ordering ends up training on everything, "
                      "many times. That is why Wu et al. (2021) found curricula help most when "
                      "the budget is cut short, or when noisy labels should be learned last."),
                "C": ("The pacing function switches itself off when the budget is normal",
                      "Pacing runs the same schedule in both regimes; it just becomes a small "
                      "part of a long run."),
                "D": ("Curricula only work for small models, and the budget changes the model",
                      "The model is ResNet-50 in both regimes; the evidence is about budgets and "
                      "label noise, not model size."),
            }, correct="B")
        with ui.math_peek("steps to a target, and what they cost", key="act1.mathpeek"):
            ui.markdown(mathpeek_curriculum(context, target, regime, r))
    return pred


def curriculum_instruments(ui, context, target, regime, highlight, r):
    steps = r.steps_by_strategy
    hours = {s: train_hours(context, v) for s, v in steps.items()}
    names = list(STRATEGIES)
    colors = [plot.COLORS["accent"] if s == highlight else plot.COLORS[context] for s in names]
    shown = [None if steps[s] == math.inf else steps[s] for s in names]

    def speed(s):
        x = r.speedup_by_strategy[s]
        return "faster than a random order that never gets there" if x == math.inf else \
            fmt.ratio(x)

    text = [("never (plateaus below target)" if steps[s] == math.inf else
             f"{fmt.num(steps[s])} steps · {speed(s)}") for s in names]
    # Horizontal bars: the orderings' names read whole beside their bars, even on a phone;
    # each bar carries its steps and speed-up in two short lines (the axis says "steps").
    labels = ["never" if steps[s] == math.inf else f"{fmt.num(steps[s])}<br>{speed(s)}"
              if r.speedup_by_strategy[s] != math.inf else fmt.num(steps[s]) for s in names]
    ui.figure({"data": [plot.bar(shown, [STRATEGIES[s] for s in names], colors, text=labels,
                                 orientation="h", textposition="inside", insidetextanchor="start",
                                 insidetextfont={"color": "#ffffff"}, hovertext=text,
                                 hoverinfo="y+text")],
               "layout": plot.layout(f"Steps to {fmt.percent(target, 0)} by ordering",
                                     height=340, xaxis=plot.axis("training steps"),
                                     yaxis=plot.axis("", autorange="reversed"))},
              key="act1.steps", caption=(
                  f"Training steps to reach {fmt.percent(target, 0)} accuracy on the illustrative "
                  f"curves ({REGIMES[regime].lower()}): "
                  + "; ".join(f"{STRATEGIES[s]}: {t}" for s, t in zip(names, text)) + "."))
    # Learning curves: accuracy against steps for each ordering, with the target line.
    reached = [v for v in steps.values() if v != math.inf]
    horizon = (max(reached) if reached else 4 * r.tau_steps) * 1.3
    xs = [horizon * i / 40 for i in range(41)]
    dash = {"random": "dash", "easy_first": "dot", "hard_first": "dashdot", "curriculum": "solid"}
    traces = [plot.line(xs, [curriculum_accuracy(s, x, regime=regime) * 100 for x in xs],
                        STRATEGIES[s],
                        plot.COLORS["accent"] if s == highlight else plot.COLORS["ink"],
                        dash=dash[s], width=3 if s == highlight else 1.5) for s in names]
    crossing = ("never crosses it" if steps["curriculum"] == math.inf else
                f"crosses it at {fmt.num(steps['curriculum'])} steps")
    random_crossing = ("never" if steps["random"] == math.inf else
                       f"at {fmt.num(steps['random'])}")
    ui.figure({"data": traces, "layout": plot.layout(
        f"Accuracy during training, {REGIMES[regime].lower()} (illustrative)", height=340,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        shapes=[plot.hline(target * 100, plot.COLORS["bad"])],
        xaxis=plot.axis("training step"), yaxis=plot.axis("accuracy (%)", range=[0, 100]))},
        key="act1.curves", caption=(
            "Accuracy against training steps for the four orderings (illustrative curves), with "
            f"the {fmt.percent(target, 0)} target as a red line. The paced curriculum {crossing}, "
            f"random order {random_crossing}."))
    hw = HARDWARE[context]
    one_step = ds.training(context, BATCH)
    ui.metrics([
        Metric("Random order", "never" if hours["random"] == math.inf
               else fmt.duration(hours["random"] * 3600),
               note=("plateaus below the target" if hours["random"] == math.inf else
                     f"{fmt.num(steps['random'])} steps on {hw.name}")),
        Metric(STRATEGIES[highlight], "never" if hours[highlight] == math.inf
               else fmt.duration(hours[highlight] * 3600), tone="info",
               note=("plateaus below the target" if hours[highlight] == math.inf else
                     f"{speed(highlight)} vs random")),
        Metric("Time per step", fmt.duration(one_step.time_per_step.m_as("s")),
               note=f"batch {BATCH}, MFU {fmt.percent(one_step.mfu, 0)} (engine estimate)"),
    ], key="act1.metrics")


def mathpeek_curriculum(context, target, regime, r) -> str:
    hw = HARDWARE[context]
    one = ds.training(context, BATCH)
    return (
        "Illustrative learning curve for an ordering with pace factor $s$ and plateau $c$:\n\n"
        r"$$\mathrm{acc}(t) = c\,a_{\max}\left(1 - e^{-t/(s\tau)}\right)$$" "\n\n"
        "so the steps to a target are\n\n"
        r"$$t^{*} = -s\tau\,\ln\!\left(1 - \frac{\text{target}}{c\,a_{\max}}\right)$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $a_{{\\max}}$ | best accuracy of the task (illustrative) | {fmt.percent(r.max_accuracy, 0)} |\n"
        f"| $\\tau$ | steps scale of random order (illustrative) | {fmt.num(r.tau_steps)} |\n"
        f"| $s$, $c$ | pace factor and plateau of each ordering | the engine's table for the "
        f"{REGIMES[regime].lower()} |\n"
        f"| target | the accuracy to reach | {fmt.percent(target, 0)} |\n\n"
        + (r"Speed-up $= t^{*}_{\text{random}} / t^{*}_{\text{curriculum}}$ = "
           f"{fmt.num(r.steps_by_strategy['random'])} / "
           f"{fmt.num(r.steps_by_strategy['curriculum'])} = "
           f"{fmt.ratio(r.speedup_by_strategy['curriculum'])}.\n\n"
           if math.isfinite(r.steps_by_strategy["random"])
           and math.isfinite(r.steps_by_strategy["curriculum"]) else
           "Here one of the orderings never reaches the target (its plateau $c\\,a_{\\max}$ is "
           "below it), so there is no finite speed-up.\n\n") +
        r"$$\text{wall-clock} = \text{steps} \times \frac{\text{batch} \times 3 \times "
        r"\text{forward FLOP}}{R \times \mathrm{MFU}}$$" "\n\n"
        "with 3 × forward for "
        f"forward + backward (Kaplan et al. 2020): {BATCH} × "
        f"{fmt.si(one.flops_per_sample.m_as('FLOP'), 'FLOP')} / "
        f"({fmt.si(hw.compute.peak_flops.m_as('FLOP/s'), 'FLOP/s')} × {one.mfu:g}) = "
        f"{fmt.duration(one.time_per_step.m_as('s'))} per step on the {hw.name}.")


def act_two(ui, context):
    truth, acc, correct = act2_truth()
    floor = MIN_VIABLE[context]
    with ui.section("Act II · Design challenge", "Spending an annotation budget (20-25 min)"):
        ui.stakeholder(
            "CTO, the same start-up",
            f"We have a pool of unlabelled images and {fmt.usd(ACT2_BUDGET)} for crowd "
            f"labels at {fmt.usd(CROWD_PRICE)} each. The product needs at least "
            f"{fmt.percent(floor, 0)} accuracy for the {contexts.name(context)} deployment. "
            "A competitor just hired a room of labellers to label everything they can. "
            "How should we spend ours?")
        ui.callout("info",
                   "New instrument: the **Pareto curve**. Each design is a point (cost, "
                   "accuracy). A design is *dominated* when another costs no more and is at "
                   "least as accurate, and is strictly better on one of the two. The designs "
                   "no one dominates form the **Pareto frontier**: the best accuracy each "
                   "budget can buy.", title="The Pareto curve")
        pred = ui.predict_choice(
            "act2.prediction",
            f"With {fmt.usd(ACT2_BUDGET)} at {fmt.usd(CROWD_PRICE)} per label, which strategy "
            "gives ResNet-50 the highest accuracy?",
            act2_options(truth, acc), correct=correct)

        budget = ui.slider("act2.budget", "Annotation budget", 250, 10_000, 250, int(ACT2_BUDGET),
                           unit="USD", fmt=fmt.usd)
        cost = ui.slider("act2.cost", "Cost per label", 0.05, 1.0, 0.05, CROWD_PRICE,
                         unit="USD", fmt=fmt.usd)
        strategy = ui.select("act2.strategy", "Selection strategy", AL_STRATEGIES,
                             default="random")
        model = ui.select("act2.model", "Model", {
            k: f"{m.name} ({fmt.num(m.parameters / 1e6)} M parameters)"
            for k, m in ds.MODELS.items()}, default="resnet50")

        design = annotation(budget, cost, strategy, model)
        need = required_budget(floor, cost, strategy, model)
        pareto_instruments(ui, context, budget, cost, strategy, model, design, need, floor)

        best = max(acc, key=acc.get)
        ui.reveal(pred, f"{AL_STRATEGIES[best]} is best: "
                        + ", ".join(f"{AL_STRATEGIES[s].lower()} {fmt.percent(a)}"
                                    for s, a in sorted(acc.items(), key=lambda kv: -kv[1]))
                        + f" ({fmt.usd(ACT2_BUDGET)}, ResNet-50)", text=pred.feedback,
                  key="act2.overlay")
        ui.reflection(
            "act2.reflection",
            "At the smallest budgets diversity sampling beats uncertainty sampling on these "
            "curves. Why?",
            {
                "A": ("Diversity sampling labels more examples for the same money",
                      "Every strategy pays the same price per label, so the same budget buys "
                      "the same number of labels. The difference is which ones."),
                "B": ("An uncertainty score needs a decent model, which needs labels first",
                      "Yes: the cold-start problem. With a few hundred labels the model's "
                      "uncertainty is itself unreliable, so it picks poorly; covering the pool "
                      "is the safer bet until the model improves."),
                "C": ("Uncertainty sampling only works on the edge device",
                      "The strategies are independent of where the model will be deployed; "
                      "the context changes the accuracy you need, not the curves."),
                "D": ("Diverse examples are easier to label, so labels are cheaper",
                      "The price per label is fixed by the annotation contract here; the "
                      "cold start of the uncertainty model is what costs accuracy."),
            }, correct="B")
        with ui.math_peek("labels, accuracy and the frontier", key="act2.mathpeek"):
            ui.markdown(mathpeek_budget(budget, cost, strategy, model, design, need, floor))
    return pred, {"budget": budget, "cost": cost, "strategy": strategy, "model": model,
                  "accuracy": design.accuracy, "required": need}


def pareto_instruments(ui, context, budget, cost, strategy, model, design, need, floor):
    top = 10_000
    budgets = [top * i / 40 for i in range(1, 41)]
    kw = curve_kwargs(model)
    curves, points = {}, []
    for s in AL_STRATEGIES:
        ys = [active_learning_accuracy(s, math.floor(b / cost + 1e-9), **kw) for b in budgets]
        curves[s] = ys
        points += [(b, y) for b, y in zip(budgets, ys)]
    frontier = [points[i] for i in ds.frontier(points)]
    dash = {"random": "dash", "uncertainty": "solid", "diversity": "dot"}
    traces = [plot.line(budgets, [y * 100 for y in ys], AL_STRATEGIES[s],
                        plot.COLORS["accent"] if s == strategy else plot.COLORS["muted"],
                        dash=dash[s], width=2) for s, ys in curves.items()]
    # The frontier runs along the best strategy's curve: drawn first, as a wide pale band,
    # so the curve it follows stays visible on top of it.
    traces.insert(0, plot.line([p[0] for p in frontier], [p[1] * 100 for p in frontier],
                               "Pareto frontier", plot.COLORS["ink"], width=10, opacity=0.25))
    traces.append(plot.points([budget], [design.accuracy * 100], "Your design",
                              plot.COLORS["bad"], symbol="star", size=16))
    shapes = [plot.hline(floor * 100, plot.COLORS["bad"])]
    if need != math.inf and need <= top:
        shapes.append(plot.vline(need, plot.COLORS["bad"]))
    ui.figure({"data": traces, "layout": plot.layout(
        "Accuracy against annotation cost (illustrative curves)", height=420, showlegend=True,
        legend={"orientation": "h", "y": -0.22}, shapes=shapes,
        xaxis=plot.axis("annotation cost (USD)"), yaxis=plot.axis("accuracy (%)"))},
        key="act2.pareto", caption=(
            f"Accuracy against annotation cost at {fmt.usd(cost)} per label for "
            f"{ds.MODELS[model].name}, one curve per strategy, with the Pareto frontier (the "
            f"upper envelope). Your design: {AL_STRATEGIES[strategy].lower()} with "
            f"{fmt.usd(budget)} buys {fmt.num(design.labels)} labels and reaches "
            f"{fmt.percent(design.accuracy)}. The red line is the minimum viable accuracy "
            f"({fmt.percent(floor, 0)})."))
    best_here = max(design.accuracy_by_strategy.values())
    on_frontier = design.accuracy >= best_here - 1e-12
    ui.metrics([
        Metric("Labels bought", fmt.num(design.labels), note=f"{fmt.usd(budget)} ÷ {fmt.usd(cost)}"),
        Metric("Accuracy", fmt.percent(design.accuracy),
               tone="success" if design.accuracy >= floor else "danger",
               note=f"need {fmt.percent(floor, 0)}"),
        Metric("Budget needed", "unreachable" if need == math.inf else fmt.usd(need),
               note=f"{AL_STRATEGIES[strategy].lower()} to {fmt.percent(floor, 0)}"),
        Metric("On the frontier?", "yes" if on_frontier else "no",
               tone="success" if on_frontier else "warn",
               note=f"best at this budget: {fmt.percent(best_here)}"),
    ], key="act2.metrics")
    if design.accuracy < floor:
        ui.banner(
            "Budget too small for a viable model", key="act2.budget_fail",
            text=(f"{AL_STRATEGIES[strategy]} with {fmt.usd(budget)} reaches "
                  f"{fmt.percent(design.accuracy)}, below the {fmt.percent(floor, 0)} the "
                  f"{contexts.name(context)} product needs. "
                  + ("No budget reaches it with this model: its curve plateaus lower."
                     if need == math.inf else
                     f"The engine's inverse solver puts the minimum at {fmt.usd(need)}.")
                  + " Raise the budget, lower the price per label, or change the strategy."),
            required="unreachable" if need == math.inf else fmt.usd(need),
            available=fmt.usd(budget))


def mathpeek_budget(budget, cost, strategy, model, design, need, floor) -> str:
    amax, scale = MODEL_CURVES[model]
    return (
        r"Labels bought: $n = \lfloor \text{budget} / \text{cost} \rfloor$ = "
        f"⌊{fmt.usd(budget)} / {fmt.usd(cost)}⌋ = {fmt.num(design.labels)}.\n\n"
        "Illustrative accuracy after $n$ labels:\n\n"
        r"$$\mathrm{acc}(n) = a_0 + (a_{\max} - a_0)\left(1 - e^{-n_{\text{eff}}/n_s}\right),"
        r"\qquad n_{\text{eff}} = n\left(1 + (g - 1)\,\frac{n}{n + n_{\text{cold}}}\right)$$"
        "\n\n"
        r"where $n_{\text{eff}}$ is the number of random labels worth as much as the $n$ chosen "
        "ones.\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $a_0$ | accuracy with no labels | {fmt.percent(BASE_ACCURACY, 0)} |\n"
        f"| $a_{{\\max}}$ | plateau of this model (illustrative) | {fmt.percent(amax, 0)} |\n"
        f"| $n_s$ | labels scale of this model (illustrative) | {fmt.num(scale)} |\n"
        r"| $g$, $n_{\text{cold}}$ | label efficiency and cold start of the strategy | engine "
        "table |\n\n"
        f"Here acc = {fmt.percent(design.accuracy)} for {AL_STRATEGIES[strategy].lower()}. "
        r"The inverse solver bisects on $n$ for $\mathrm{acc}(n) \ge$ "
        f"{fmt.percent(floor, 0)}: "
        + ("unreachable (the plateau is below it)." if need == math.inf else
           f"{fmt.usd(need)}.") +
        "\n\nA design (cost $c$, accuracy $q$) is on the **Pareto frontier** when no other "
        "design has $c' \\le c$ and $q' \\ge q$ with one strictly better; the engine sorts "
        "the designs by cost and keeps each one that beats every cheaper one. The curves are "
        "illustrative, shaped after Settles (2009).")


def closing(ui):
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-data-selection-curriculum and @sec-data-selection-active-learning give the "
            "techniques and the evidence for and against them; @sec-data-selection-pareto "
            "defines dominance and the frontier you used.\n"
            "- Next, Lab 10 (@sec-model-compression) draws a second frontier: accuracy against "
            "model size under quantization and pruning.\n"
            "- TinyTorch, Module 08 (DataLoader): the sampler you write there is where a "
            "curriculum's ordering, or an active-learning pool, plugs in.")
    with ui.section("Key takeaways"):
        ui.markdown(
            "1. The order of the data changes the number of steps to a target, not the cost of "
            "a step, and only in some regimes: with a budget cut short (or noisy labels) a "
            "paced curriculum gets there sooner on these illustrative curves; with a normal "
            "budget the order washes out, as Wu et al. (2021) found. Test it against a random "
            "baseline on your own task.\n"
            "2. An annotation budget buys labels; a strategy decides how much accuracy each "
            "label buys. The Pareto frontier shows the best any budget can do.\n"
            "3. Below the budget that reaches the minimum viable accuracy, no strategy saves "
            "the product: find that number with the inverse solver before you spend.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    speedup, _ = act1_truth()
    floor = MIN_VIABLE[context]
    hit = design["accuracy"] < floor
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (band_middle(pred1.value), speedup), pred2,
        decision=(f"{AL_STRATEGIES[design['strategy']]}, {fmt.usd(design['budget'])} at "
                  f"{fmt.usd(design['cost'])} a label, {ds.MODELS[design['model']].name}"),
        result=round(design["accuracy"] * 100, 2), unit="%", constraint_hit=hit)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{AL_STRATEGIES[design['strategy']]}, {fmt.usd(design['budget'])}"),
        ("Accuracy", f"{fmt.percent(design['accuracy'])} ({'below' if hit else 'meets'} "
                     f"{fmt.percent(floor, 0)})")))

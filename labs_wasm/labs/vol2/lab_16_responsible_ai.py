"""Vol II · Lab 16 · Whose errors? (chapter: responsible_ai).

Act I calibrates Chouldechova's identity, FPR = p/(1 - p) x (1 - PPV)/PPV x (1 - FNR): a
moderation classifier whose removals are equally precise in two languages, and which misses
the same share of violating posts in both, must remove legitimate posts in the language with
the higher base rate more often, by the ratio of the base rates' odds (2.7x here), whatever the
shared precision. Act II runs the classifier at fleet volume (a million reported posts a day):
the student picks the fairness criterion that sets language B's threshold and language A's
threshold, under one of two organisations' rules: the fewest wrong decisions with equal
removal precision (accuracy), or equal error rates first (equity). No design on the controls
meets both rules; each design that fails its organisation's rule is shown with its cost in
wrong decisions a day. Every number comes from the engine (ChouldechovaModel,
ThresholdSweepModel) through responsible_ai_cases.py, which Chapter 32 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import responsible_ai_cases as cases
from labs.vol2.responsible_ai_cases import (ACT1_FNR, ACT1_PPV, CATCH_FLOOR, LAB_BASE_RATE,
                                            LAB_POSTS_PER_DAY, LAB_SHARE, TOLERANCE)

LAB = Lab(
    id="vol2/16", chapter="responsible_ai", title="Whose errors?",
    hook="A classifier can make a removal mean the same thing in every language, or make the "
         "same mistakes in every language. When the languages' base rates differ, it cannot "
         "do both, and someone has to choose.",
    invariants=["Chouldechova's identity", "predictive parity vs equal error rates",
                "wrong decisions per day at fleet volume"],
    minutes=40, contexts=("accuracy", "equity"),
    reading=[
        ("@sec-v2-responsible-ai-impossibility", "Chouldechova's identity and Kleinberg's theorem"),
        ("@sec-v2-responsible-ai-identity", "what the identity lets you move, and what it does not"),
        ("@sec-v2-responsible-ai-choosing", "two organisations, two rules, and their price in errors a day"),
        ("@sec-v2-responsible-ai-documenting", "writing the choice down"),
        ("@sec-v2-responsible-ai-fleet", "many models, many groups, and rates that drift"),
    ],
)

CONTEXT_LABELS = contexts.labels({"accuracy": "fewest errors, equal removal precision",
                                  "equity": "equal error rates first"})
CRITERION_LABELS = {
    "same": "One threshold for both languages",
    "ppv": "Equal removal precision (share of removals that are right)",
    "fpr": "Equal false-positive rates (legitimate posts removed)",
    "fnr": "Equal false-negative rates (violating posts missed)",
    "balanced": "Both error rates as close as one threshold allows",
}
CRITERION_SHORT = {"same": "one threshold", "ppv": "equal removal precision",
                   "fpr": "equal false-positive rates", "fnr": "equal false-negative rates",
                   "balanced": "balanced error rates"}
CRITERION_COLORS = {"same": plot.COLORS["muted"], "ppv": plot.COLORS["cloud"],
                    "fpr": plot.COLORS["accent"], "fnr": plot.COLORS["tiny"],
                    "balanced": plot.COLORS["fleet"]}
RULES = {"accuracy": "removal precision within {tol} across the languages",
         "equity": "false-positive and false-negative rates each within {tol} across the "
                   "languages"}
GROUPS = ("A", "B")


def pct(x: float, decimals: int = 1) -> str:
    return fmt.percent(x, decimals)


def points(x: float) -> str:
    """A difference between two rates, in percentage points (one decimal)."""
    return f"{fmt.num(round(x * 100, 1), 3)} points"


def count(x: float) -> str:
    """An expected count of posts or decisions a day, to the whole post."""
    return f"{round(x):,}"


def per_day(x: float) -> str:
    return f"{count(x)} a day"


def score(t: float) -> str:
    return f"{t:.2f}"


def amount(q) -> str:
    """A banner amount: shares caught in percent, gaps between rates in points."""
    if str(q.units) in ("%", "percent"):
        return f"{q.magnitude:.1f}%"
    return points(q.m_as(""))


def rule_text(context: str) -> str:
    return RULES[context].format(tol=points(TOLERANCE))


# ---- Act I: bands of language B's FPR over language A's ------------------------------------
ACT1_BANDS = {"A": (0.0, 1.25), "B": (1.25, 2.0), "C": (2.0, 4.0), "D": (4.0, math.inf)}


def act1_truth() -> tuple[dict, float, str]:
    """({language: FPR}, B over A, the correct band) at the case's shared PPV and FNR."""
    fprs = cases.fpr_pair("lab", ACT1_PPV, ACT1_FNR)
    ratio = fprs["B"] / fprs["A"]
    return fprs, ratio, bands.band_of(ratio, ACT1_BANDS)


def odds(p: float) -> float:
    return p / (1 - p)


def act1_options() -> dict:
    fprs, ratio, _ = act1_truth()
    fact = (f"Language A's false-positive rate is {pct(fprs['A'])}, language B's "
            f"**{pct(fprs['B'])}**: {fmt.ratio(ratio)} as high.")
    odds_text = (f"the odds of a violating post, {fmt.num(odds(LAB_BASE_RATE['B']))} in "
                 f"language B against {fmt.num(odds(LAB_BASE_RATE['A']))} in language A")
    return {
        "A": ("About the same: equal precision and equal misses give equal false positives",
              f"Not with different base rates. {fact} With the precision and the miss rate "
              "fixed, the identity leaves the false-positive rate proportional to "
              f"{odds_text}."),
        "B": ("Higher, but less than twice language A's",
              f"Too small. {fact} The ratio is not the ratio of the base rates "
              f"({fmt.ratio(LAB_BASE_RATE['B'] / LAB_BASE_RATE['A'])}) but of their odds, "
              f"p/(1 − p): {odds_text}."),
        "C": ("Two to four times language A's",
              f"Right. {fact} With equal precision and equal miss rates, the false-positive "
              f"rates stand in the ratio of {odds_text}: "
              f"{fmt.num(odds(LAB_BASE_RATE['B']))}/{fmt.num(odds(LAB_BASE_RATE['A']))}."),
        "D": ("More than four times language A's",
              f"Too large. {fact} The ratio is the ratio of the odds of a violating post, "
              f"{fmt.num(odds(LAB_BASE_RATE['B']))}/{fmt.num(odds(LAB_BASE_RATE['A']))}; "
              "it does not compound the base rates further."),
    }


# ---- Act II: bands of the equity rule's extra wrong decisions over the accuracy rule's ------
ACT2_BANDS = {"A": (-math.inf, 0.002), "B": (0.002, 0.02), "C": (0.02, 0.10),
              "D": (0.10, math.inf)}


def act2_truth():
    """(accuracy rule's best design, equity rule's best, extra a day, extra share, band)."""
    acc, eq = cases.best_design("lab", "accuracy"), cases.best_design("lab", "equity")
    extra, share = cases.equity_cost("lab")
    return acc, eq, extra, share, bands.band_of(share, ACT2_BANDS)


def design_words(d) -> str:
    return (f"{CRITERION_SHORT[d.criterion]}, language A at {score(d.t1)}, language B at "
            f"{score(d.t2)}")


def act2_options() -> dict:
    acc, eq, extra, share, _ = act2_truth()
    fact = (f"The best design under the equity rule ({design_words(eq)}) makes "
            f"{count(eq.errors)} wrong decisions a day against {count(acc.errors)} today: "
            f"**{count(extra)} more, {pct(share)}**.")
    moved = redistribution(acc, eq)
    return {
        "A": ("Practically none (under 0.2% more)",
              f"Too small. {fact} No design meets both rules, so moving to the equity rule "
              "gives up some of the accuracy the policy team's design had."),
        "B": ("A little (0.2% to 2% more)",
              f"Right. {fact} The total barely moves; who bears the errors does: {moved}"),
        "C": ("A noticeable share (2% to 10% more)",
              f"Too large. {fact} Both designs sit near the most accurate thresholds; the "
              "rules decide how the errors are shared between the languages more than how many "
              f"there are. {redistribution(acc, eq, capital=True)}"),
        "D": ("A large share (over 10% more)",
              f"Far too large. {fact} Equal error rates do not wreck accuracy when the "
              "classifier separates the two languages about equally well. "
              f"{redistribution(acc, eq, capital=True)}"),
    }


def redistribution(acc, eq, capital: bool = False) -> str:
    a, e = acc.per_day, eq.per_day
    return (f"{'L' if capital else 'l'}anguage B's legitimate posts removed go from "
            f"{count(a['B']['fp'])} to "
            f"{count(e['B']['fp'])} a day, language A's violating posts missed from "
            f"{count(a['A']['fn'])} to {count(e['A']['fn'])} a day.")


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "The organisation's rule", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, d = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, d)


def act_one(ui):
    fprs, ratio, correct = act1_truth()
    with ui.section("Act I · Calibration", "Equal precision, equal misses: and the false "
                                           "positives? (12-15 min)"):
        ui.stakeholder(
            "Head of Trust and Safety, a social platform",
            f"Our classifier decides {count(LAB_POSTS_PER_DAY)} reported posts a day in two "
            f"languages: {pct(LAB_SHARE['A'], 0)} in language A, {pct(LAB_SHARE['B'], 0)} in "
            f"language B. Expert review finds {pct(LAB_BASE_RATE['A'], 0)} of language A's "
            f"reported posts break the policy and {pct(LAB_BASE_RATE['B'], 0)} of language "
            f"B's. We tuned it so that in both languages {pct(ACT1_PPV, 0)} of removals are "
            f"right and {pct(ACT1_FNR, 0)} of violating posts slip through. Our advisory "
            "council asks whether legitimate posts are removed equally often in both "
            "languages. Same precision, same misses: surely yes?")
        ui.markdown(
            "Three rates describe the classifier in each language: the **removal precision** "
            "(positive predictive value, PPV: the share of removals that were right), the "
            "**false-negative rate** (FNR: violating posts left up) and the **false-positive "
            "rate** (FPR: legitimate posts removed). The scenario is illustrative. Commit to "
            "an answer before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"With removal precision {pct(ACT1_PPV, 0)} and false-negative rate "
            f"{pct(ACT1_FNR, 0)} in both languages, how does language B's false-positive rate "
            "compare with language A's?",
            act1_options(), correct=correct)

        ppv = ui.slider("act1.ppv", "Removal precision (PPV), both languages", 0.5, 0.95, 0.05,
                        ACT1_PPV, unit="%", scale=100)
        fnr = ui.slider("act1.fnr", "False-negative rate, both languages", 0.05, 0.6, 0.05,
                        ACT1_FNR, unit="%", scale=100)
        identity_chart(ui, ppv, fnr)
        identity_metrics(ui, ppv, fnr)
        ui.reveal(pred, f"language A {pct(fprs['A'])}, language B {pct(fprs['B'])}: "
                        f"{fmt.ratio(ratio)} as high (precision {pct(ACT1_PPV, 0)}, "
                        f"false-negative rate {pct(ACT1_FNR, 0)} in both)",
                  text=pred.feedback, key="act1.overlay")
        act1_reflection(ui)
        with ui.math_peek("Chouldechova's identity with this case's numbers",
                          key="act1.mathpeek"):
            ui.markdown(mathpeek_identity(ppv, fnr))
    return pred


FNR_AXIS = tuple(round(0.05 * k, 2) for k in range(21))


def identity_chart(ui, ppv, fnr):
    traces, rows = [], []
    color = {"A": plot.COLORS["cloud"], "B": plot.COLORS["accent"]}
    for g in GROUPS:
        p = LAB_BASE_RATE[g]
        ys = [cases.chouldechova(p, ppv, x).fpr * 100 for x in FNR_AXIS]
        traces.append(plot.line([x * 100 for x in FNR_AXIS], ys,
                                f"language {g} (base rate {pct(p, 0)})", color[g], width=2.5))
    here = cases.fpr_pair("lab", ppv, fnr)
    traces.append(plot.points([fnr * 100] * 2, [here[g] * 100 for g in GROUPS],
                              "your miss rate", plot.COLORS["bad"], symbol="star", size=15))
    for x in (0.1, 0.25, 0.4, 0.6):
        f = cases.fpr_pair("lab", ppv, x)
        rows.append([pct(x, 0), pct(f["A"]), pct(f["B"]), fmt.ratio(f["B"] / f["A"])])
    ui.figure({"data": traces, "layout": plot.layout(
        f"False-positive rate implied at removal precision {pct(ppv, 0)}", height=380,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("false-negative rate, both languages (%)", range=[0, 100]),
        yaxis=plot.axis("false-positive rate (%)"))},
        key="act1.identity", caption=(
            f"Chouldechova's identity: at a shared removal precision of {pct(ppv, 0)}, each "
            "language's false-positive rate falls on a straight line in the false-negative "
            "rate, reaching zero only when every violating post is missed. Language B's line "
            "is steeper because more of its reported posts violate. At your false-negative "
            f"rate of {pct(fnr, 0)}: language A {pct(here['A'])}, language B {pct(here['B'])}, "
            f"{fmt.ratio(here['B'] / here['A'])} as high."),
        table={"caption": f"False-positive rates at removal precision {pct(ppv, 0)} (engine)",
               "columns": ["false-negative rate", "language A", "language B", "B over A"],
               "rows": rows})


def identity_metrics(ui, ppv, fnr):
    f = cases.fpr_pair("lab", ppv, fnr)
    need = cases.ppv_for_fpr(LAB_BASE_RATE["B"], f["A"], fnr)
    legit = {g: LAB_POSTS_PER_DAY * LAB_SHARE[g] * (1 - LAB_BASE_RATE[g]) for g in GROUPS}
    ui.metrics([
        Metric("Legitimate posts removed, A", pct(f["A"]),
               note=per_day(f["A"] * legit["A"])),
        Metric("Legitimate posts removed, B", pct(f["B"]), tone="warn",
               note=per_day(f["B"] * legit["B"])),
        Metric("Language B over language A", fmt.ratio(f["B"] / f["A"]), tone="info",
               note="the same at every precision"),
        Metric("B's precision for equal false positives", pct(need),
               note=f"instead of {pct(ppv, 0)}"),
    ], key="act1.metrics")


def act1_reflection(ui):
    ratio = act1_truth()[1]
    ui.reflection(
        "act1.reflection",
        "The ratio stays the same as you move both sliders. What would let the two languages "
        "have equal precision, equal false-negative rates and equal false-positive rates at "
        "once?",
        {
            "A": ("Raise the shared precision: a more precise classifier removes fewer "
                  "legitimate posts",
                  "It lowers both false-positive rates, in proportion: language B's stays "
                  f"{fmt.ratio(ratio)} language A's at any precision short of 100%."),
            "B": ("Only equal base rates, or a classifier that makes no errors at all",
                  "Yes. The identity ties the three rates through the base rate; with the "
                  "base rates apart, the only way out is the degenerate one: a perfect "
                  "classifier (no false positives, no misses). Otherwise one of the three "
                  "must give, and choosing which is the organisation's decision."),
            "C": ("A separate threshold for each language",
                  "Thresholds move each language along its own trade-off; the identity holds "
                  "at every threshold, so any setting that equalizes two of the rates leaves "
                  "the third apart."),
            "D": ("More training data in language B",
                  "Better data can make the classifier more accurate in language B, but the "
                  "base rate is a property of the reported posts, not of the model: as long "
                  "as the classifier errs, the identity still holds."),
        }, correct="B")


def mathpeek_identity(ppv, fnr) -> str:
    f = cases.fpr_pair("lab", ppv, fnr)
    pa, pb = LAB_BASE_RATE["A"], LAB_BASE_RATE["B"]
    return (
        r"$$\mathrm{PPV} = \frac{p\,(1-\mathrm{FNR})}{p\,(1-\mathrm{FNR}) + (1-p)\,\mathrm{FPR}}"
        r"\quad\Longrightarrow\quad \mathrm{FPR} = \frac{p}{1-p}\cdot"
        r"\frac{1-\mathrm{PPV}}{\mathrm{PPV}}\cdot(1-\mathrm{FNR})$$" "\n\n"
        "| symbol | meaning |\n| --- | --- |\n"
        "| $p$ | base rate: share of a language's reported posts that violate the policy |\n"
        "| $\\mathrm{PPV}$ | removal precision: share of removals that were right |\n"
        "| $\\mathrm{FNR}$ | false-negative rate: violating posts left up ÷ violating posts |\n"
        "| $\\mathrm{FPR}$ | false-positive rate: legitimate posts removed ÷ legitimate posts |\n\n"
        f"With PPV = {fmt.num(ppv)} and FNR = {fmt.num(fnr)} in both languages: language A, "
        f"$p$ = {fmt.num(pa)}: FPR = {fmt.num(odds(pa))} × {fmt.num((1 - ppv) / ppv)} × "
        f"{fmt.num(1 - fnr)} = {pct(f['A'])}; language B, $p$ = {fmt.num(pb)}: "
        f"FPR = {fmt.num(odds(pb))} × {fmt.num((1 - ppv) / ppv)} × {fmt.num(1 - fnr)} = "
        f"{pct(f['B'])}. The ratio is $\\frac{{p_B/(1-p_B)}}{{p_A/(1-p_A)}}$ = "
        f"{fmt.num(odds(pb))}/{fmt.num(odds(pa))} = {fmt.num(odds(pb) / odds(pa))}: the "
        "precision and the miss rate cancel (Chouldechova 2017, Eq. 2.6).")


# ---- Act II ------------------------------------------------------------------------------
def act_two(ui, context):
    acc, eq, extra, share, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Choose the criterion and the threshold "
                                                 "(20-25 min)"):
        ui.stakeholder(
            "Head of Trust and Safety",
            f"Today we run the policy team's rule: {rule_text('accuracy')}, with at least "
            f"{pct(CATCH_FLOOR, 0)} of violating posts caught in each language, and the "
            f"fewest wrong decisions that allows: {design_words(acc)}, "
            f"{count(acc.errors)} wrong decisions a day. The advisory council wants its own "
            f"rule instead: {rule_text('equity')}, with the same {pct(CATCH_FLOOR, 0)} floor. "
            "Before I take this to the board: what does their rule cost us in wrong "
            "decisions a day?")
        ui.markdown(
            "A post is removed when the classifier's score is above its language's threshold. "
            "You set language A's threshold; the **criterion** sets language B's to match "
            "language A on one rate. The toggle at the top chooses which organisation's rule "
            "the design is held to. Scores, base rates and rules are illustrative.")
        pred = ui.predict_choice(
            "act2.prediction",
            "The most accurate design that meets the advisory council's rule, against "
            f"today's {count(acc.errors)} wrong decisions a day: how many more wrong "
            "decisions does it make?",
            act2_options(), correct=correct)

        criterion = ui.select("act2.criterion", "How language B's threshold is set",
                              CRITERION_LABELS, default=acc.criterion)
        t1 = ui.slider("act2.threshold", "Language A's removal threshold (model score)",
                       cases.THRESHOLD_MIN, cases.THRESHOLD_MAX, cases.THRESHOLD_STEP, acc.t1,
                       fmt=score)
        d = cases.design("lab", criterion, t1)
        if not d.passes(context):
            failure(ui, context, d)
        errors_chart(ui, context, d)
        design_metrics(ui, context, d)
        language_table(ui, d)
        rules_table(ui, d)
        ui.reveal(pred, f"{count(eq.errors)} wrong decisions a day under the equity rule "
                        f"({design_words(eq)}) against {count(acc.errors)}: "
                        f"{count(extra)} more ({pct(share)})", text=pred.feedback,
                  key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("wrong decisions a day and the two rules", key="act2.mathpeek"):
            ui.markdown(mathpeek_design(context, d))
    return pred, d


def exits(context, d) -> list[str]:
    """Ways out of a failing design, each checked with the engine: another criterion at the
    same threshold, the nearest threshold for the same criterion, the other organisation."""
    ways = [f"set language B's threshold by {CRITERION_SHORT[c]}" for c in cases.CRITERIA
            if c != d.criterion and cases.design("lab", c, d.t1).passes(context)]
    ok = [t for t in cases.THRESHOLD_GRID if cases.design("lab", d.criterion, t).passes(context)]
    if ok:
        t = min(ok, key=lambda x: (abs(x - d.t1), x))
        ways.append(f"move language A's threshold to {score(t)}")
    other = "equity" if context == "accuracy" else "accuracy"
    if d.passes(other):
        ways.append(f"switch the rule to {contexts.name(other)}")
    return ways


def failure(ui, context, d):
    names = {v.name for v in d.violations[context]}
    g = d.result.groups
    out = []
    if "gap in removal precision" in names:
        out.append(f"A removal is right {pct(g['A']['ppv'])} of the time in language A and "
                   f"{pct(g['B']['ppv'])} in language B: the precision differs by "
                   f"{points(d.ppv_gap)}, more than the {points(TOLERANCE)} the rule allows.")
    if "equalized odds gap" in names:
        out.append(f"Legitimate posts removed: {pct(g['A']['fpr'])} in language A, "
                   f"{pct(g['B']['fpr'])} in language B; violating posts missed: "
                   f"{pct(g['A']['fnr'])} and {pct(g['B']['fnr'])}. The larger gap is "
                   f"{points(d.result.equalized_odds_gap)}, more than {points(TOLERANCE)}.")
        excess = cases.excess_fp(d)
        if excess > 0:
            out.append(f"At {count(LAB_POSTS_PER_DAY)} posts a day that is "
                       f"{count(excess)} more legitimate posts in language B removed each "
                       "day than language A's rate would remove.")
    low = [grp for grp in GROUPS if g[grp]["tpr"] < CATCH_FLOOR]
    if low:
        shares = " and ".join(f"{pct(g[grp]['tpr'])} of language {grp}'s" for grp in low)
        out.append(f"Only {shares} violating posts are caught, under the "
                   f"{pct(CATCH_FLOOR, 0)} floor: the thresholds are too high.")
    best = cases.best_design("lab", context)
    out.append(f"This design makes {count(d.errors)} wrong decisions a day; the fewest any "
               f"design here makes within this rule is {count(best.errors)} "
               f"({design_words(best)}).")
    ways = exits(context, d)
    if ways:
        out.append("To get out: " + "; or ".join(ways) + ".")
    title = ("The design misses the policy team's rule" if context == "accuracy" else
             "The design misses the advisory council's rule")
    ui.failure(title, d.violations[context], text=" ".join(out), key="act2.failure",
               show=amount)


def errors_chart(ui, context, d):
    traces, passing_x, passing_y = [], [], []
    xs = list(cases.THRESHOLD_GRID)
    for c in cases.CRITERIA:
        ds = [cases.design("lab", c, t) for t in xs]
        traces.append(plot.line(xs, [x.errors for x in ds], CRITERION_SHORT[c],
                                CRITERION_COLORS[c], width=3 if c == d.criterion else 1.5,
                                dash="solid" if c == d.criterion else "dash"))
        for x in ds:
            if x.passes(context):
                passing_x.append(x.t1)
                passing_y.append(x.errors)
    traces.append(plot.points(passing_x, passing_y, f"meets the {contexts.name(context)} rule",
                              plot.COLORS["good"], size=7))
    traces.append(plot.points([d.t1], [d.errors], "your design",
                              plot.COLORS["good"] if d.passes(context) else plot.COLORS["bad"],
                              symbol="star", size=16))
    best = cases.best_design("lab", context)
    overall = cases.best_design("lab")
    ui.figure({"data": traces, "layout": plot.layout(
        "Wrong decisions a day against language A's threshold", height=420, showlegend=True,
        legend={"orientation": "h", "y": -0.3},
        xaxis=plot.axis("language A's removal threshold (model score)"),
        yaxis=plot.axis("wrong decisions a day", range=[overall.errors * 0.9,
                                                        overall.errors * 2.0]))},
        key="act2.errors", caption=(
            f"Wrong decisions a day (legitimate posts removed plus violating posts left up, "
            f"{count(LAB_POSTS_PER_DAY)} reported posts), one line per criterion; green "
            f"dots meet the {contexts.name(context)} rule ({rule_text(context)}, at least "
            f"{pct(CATCH_FLOOR, 0)} caught). Yours, {design_words(d)}: {count(d.errors)} a "
            f"day, {'meeting' if d.passes(context) else 'missing'} the rule. The fewest "
            f"within the rule: {count(best.errors)}; the fewest without any rule: "
            f"{count(overall.errors)}."),
        table={"caption": "Wrong decisions a day by criterion and language A's threshold "
                          "(engine; * meets this context's rule)",
               "columns": ["language A's threshold"] + [CRITERION_SHORT[c] for c in cases.CRITERIA],
               "rows": [[score(t)] + [count(cases.design("lab", c, t).errors) +
                                      ("*" if cases.design("lab", c, t).passes(context) else "")
                                      for c in cases.CRITERIA]
                        for t in xs[::4]]})


def design_metrics(ui, context, d):
    r = d.result
    caught = min(r.groups[g]["tpr"] for g in GROUPS)
    ppv_bad = context == "accuracy" and d.ppv_gap > TOLERANCE
    eo_bad = context == "equity" and r.equalized_odds_gap > TOLERANCE
    ui.metrics([
        Metric("Wrong decisions a day", count(d.errors), tone="info",
               note=f"of {count(LAB_POSTS_PER_DAY)} posts"),
        Metric("Gap in removal precision", points(d.ppv_gap),
               tone="danger" if ppv_bad else None, note=f"policy team's limit {points(TOLERANCE)}"),
        Metric("Gap in error rates", points(r.equalized_odds_gap),
               tone="danger" if eo_bad else None,
               note=f"false positives {points(r.fpr_gap)}, misses {points(r.tpr_gap)}"),
        Metric("Violating posts caught, worse language", pct(caught),
               tone="danger" if caught < CATCH_FLOOR else None,
               note=f"floor {pct(CATCH_FLOOR, 0)}"),
        Metric("Language B's threshold", score(d.t2), note=CRITERION_SHORT[d.criterion]),
    ], key="act2.metrics")


def language_table(ui, d):
    rows = []
    for g in GROUPS:
        m, n = d.result.groups[g], d.per_day[g]
        rows.append([f"Language {g}", score(m["threshold"]), count(n["posts"]),
                     count(n["removed"]), count(n["fp"]), count(n["fn"]),
                     pct(m["ppv"]), pct(m["fpr"]), pct(m["fnr"])])
    ui.table("Who bears the errors: each language a day (engine rates × the volume)",
             ["language", "threshold", "posts a day", "removed", "legitimate posts removed",
              "violating posts missed", "removal precision", "false-positive rate",
              "false-negative rate"], rows, key="act2.languages")


def rules_table(ui, d):
    r = d.result
    caught = min(r.groups[g]["tpr"] for g in GROUPS)
    rows = [
        ["Removal precision within " + points(TOLERANCE), "Accuracy", points(d.ppv_gap),
         "yes" if d.ppv_gap <= TOLERANCE else "no"],
        ["Both error rates within " + points(TOLERANCE), "Equity",
         points(r.equalized_odds_gap), "yes" if r.equalized_odds_gap <= TOLERANCE else "no"],
        [f"At least {pct(CATCH_FLOOR, 0)} caught in each language", "both", pct(caught),
         "yes" if caught >= CATCH_FLOOR else "no"],
    ]
    ui.table("Your design against both organisations' rules", ["rule", "organisation",
                                                                "your design", "met"], rows,
             key="act2.rules")


def act2_reflection(ui):
    both = len(cases.meets_both("lab"))
    total = len(cases.designs("lab"))
    acc, eq, extra, _, _ = act2_truth()
    ui.reflection(
        "act2.reflection",
        f"Of the {total} designs the controls reach, {both if both else 'none'} meet both "
        "rules. What must the platform's decision record say?",
        {
            "A": ("That the classifier is fair",
                  "Fair by which rule? Each design here is fair by one criterion and unfair by "
                  "the other; a record that says 'fair' hides the choice that was made."),
            "B": ("Which criterion was chosen and by whom, the tolerance, what it costs in "
                  "errors a day and who bears them, and when it will be reviewed",
                  "Yes. The choice is a value judgement the engineering cannot make for the "
                  f"organisation: here {count(extra)} more wrong decisions a day buy equal "
                  "error rates, and the errors move between the languages' authors and "
                  "readers. Base rates drift, so the record needs a date to be checked again."),
            "C": ("That language B's base rate will be brought down to language A's",
                  "The base rate is the share of reported posts that violate the policy: a "
                  "property of the users and their reports, not a setting of the system."),
            "D": ("Nothing: thresholds per language are an internal engineering detail",
                  "The thresholds decide whose posts are removed. Regulators and auditors ask "
                  "for exactly this (the chapter's accountability section), and the people "
                  "affected cannot contest a rule nobody wrote down."),
        }, correct="B")


def mathpeek_design(context, d) -> str:
    r = d.result
    g = r.groups
    rows = "\n".join(
        f"| {grp} | {fmt.num(LAB_SHARE[grp])} | {fmt.num(LAB_BASE_RATE[grp])} | "
        f"{pct(g[grp]['fnr'])} | {pct(g[grp]['fpr'])} | {pct(g[grp]['ppv'])} | "
        f"{count(d.per_day[grp]['fn'] + d.per_day[grp]['fp'])} |" for grp in GROUPS)
    return (
        r"$$E = V \sum_{g} s_g\,\big[\,p_g\,\mathrm{FNR}_g + (1-p_g)\,\mathrm{FPR}_g\,\big]$$"
        "\n\n"
        r"$$\Delta_{\mathrm{PPV}} = |\mathrm{PPV}_A - \mathrm{PPV}_B|,\qquad "
        r"\Delta_{\mathrm{EO}} = \max\big(|\mathrm{FPR}_A - \mathrm{FPR}_B|,\ "
        r"|\mathrm{FNR}_A - \mathrm{FNR}_B|\big)$$" "\n\n"
        "| symbol | meaning |\n| --- | --- |\n"
        f"| $E$ | wrong decisions a day |\n| $V$ | reported posts a day, {count(LAB_POSTS_PER_DAY)} |\n"
        "| $s_g$ | language $g$'s share of the posts |\n| $p_g$ | its base rate |\n"
        "| $\\Delta_{\\mathrm{PPV}}$, $\\Delta_{\\mathrm{EO}}$ | the policy team's and the "
        f"advisory council's gaps, each limited to {points(TOLERANCE)} |\n\n"
        "| language | $s_g$ | $p_g$ | FNR | FPR | PPV | wrong a day |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n" + rows + "\n\n"
        f"$E$ = {count(d.errors)} a day; $\\Delta_{{\\mathrm{{PPV}}}}$ = {points(d.ppv_gap)}, "
        f"$\\Delta_{{\\mathrm{{EO}}}}$ = {points(r.equalized_odds_gap)}. Each language's rates "
        "come from its score distributions at its threshold (the binormal model: scores of "
        "violating and legitimate posts are normal with unit spread). Whichever criterion "
        "sets language B's threshold, the identity of Act I holds in each language, so with "
        "base rates of "
        f"{pct(LAB_BASE_RATE['A'], 0)} and {pct(LAB_BASE_RATE['B'], 0)} the two gaps cannot "
        "both close.")


# ---- closing ----------------------------------------------------------------------------
def closing(ui):
    fprs, ratio, _ = act1_truth()
    acc, eq, extra, share, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-responsible-ai-impossibility derives the identity and works it on the "
            "chapter's own platform; @sec-v2-responsible-ai-choosing prices both rules there, "
            "and @sec-v2-responsible-ai-fleet asks what changes with many languages, many "
            "models and base rates that drift.\n"
            "- Volume I's @sec-responsible-engr-criteria defined the criteria and "
            "@sec-responsible-engr-thresholds what a threshold per group can and cannot do.\n"
            "- Next, Lab 17 (@sec-v2-conclusion) reads your Design Ledger, this entry "
            "included, and puts both volumes' invariants side by side.\n"
            "- TinyTorch, Module 19 (Benchmarking): the evaluation harness you write there is "
            "where per-group precision and both error rates belong, beside the average.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Equal removal precision and equal miss rates force unequal false-positive "
            f"rates when base rates differ: with {pct(LAB_BASE_RATE['A'], 0)} and "
            f"{pct(LAB_BASE_RATE['B'], 0)}, language B's legitimate posts are removed "
            f"{fmt.ratio(ratio)} as often, the ratio of the base rates' odds.\n"
            "2. No threshold setting meets both the policy team's rule and the advisory "
            "council's: the criterion is a choice, not a setting to be optimised away.\n"
            f"3. At {count(LAB_POSTS_PER_DAY)} posts a day the equity rule costs "
            f"{count(extra)} more wrong decisions ({pct(share)}); what it changes most is "
            f"who bears them: {redistribution(acc, eq)}")


def save_to_ledger(ui, context, pred1, pred2, d):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    _, ratio, _ = act1_truth()
    hit = not d.passes(context)
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (bands.log_middle(ACT1_BANDS, pred1.value), ratio),
        pred2, decision=(f"Language B's threshold by {CRITERION_SHORT[d.criterion]}, "
                         f"language A at {score(d.t1)}, held to the "
                         f"{contexts.name(context)} rule"),
        result=round(d.errors, 1), unit="wrong decisions/day", constraint_hit=hit)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{CRITERION_SHORT[d.criterion]}, language A at {score(d.t1)}"),
        ("Wrong decisions a day", f"{count(d.errors)} "
                                  f"({'misses' if hit else 'meets'} the rule)")))

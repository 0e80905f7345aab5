"""Vol II · Lab 15 · Cheaper per query, heavier per year (chapter: sustainable_ai).

Act I calibrates the Jevons paradox on a serving fleet: moving H100 serving from FP16 to FP8
doubles the work per joule (the registry's peaks), and demand triples in the year after, so
the fleet's total energy rises by half (JevonsReboundModel: energy x d/g = g^(e-1)). The new
instrument, the Jevons view, plots efficiency gain against demand growth with the break-even
line where the two are equal. Act II schedules a deferrable nightly job (Llama 3 8B on DGX
H100 nodes, 6ND at the default MFU) in time (its start within a 24-hour SLA, on the engine's
illustrative hourly profile of the grid) and in space (the two contexts: a coal grid, India,
and a renewable grid, Norway), with operational and embodied carbon against a per-run carbon
budget. On the coal grid the best hour saves little more than a tenth and starting on arrival
breaks the budget; on the hydro grid the hour changes nothing, the budget is easy, embodied
carbon becomes a third of the total, and only the SLA can fail. Every number comes from the
engine through sustainable_ai_cases.py, which Chapter 31 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import sustainable_ai_cases as cases
from labs.vol2.sustainable_ai_cases import (CARBON_NAME, CARBON_TARGET_KG, DELAY, GRIDS, NODES,
                                            SLA_HOURS, SUBMIT_HOUR, clock, design)

LAB = Lab(
    id="vol2/15", chapter="sustainable_ai", title="Cheaper per query, heavier per year",
    hook="Each query now takes half the energy. Will the fleet use less? And when a job can "
         "wait, does it matter when, or where, it runs?",
    invariants=["energy × grid carbon intensity", "Jevons paradox", "carbon-aware scheduling",
                "operational + embodied carbon"],
    minutes=40, contexts=("coal_grid", "renewable_grid"),
    reading=[
        ("@sec-v2-sustainable-ai-energy", "energy = power × time × PUE"),
        ("@sec-v2-sustainable-ai-operational", "operational carbon and grid intensity"),
        ("@sec-v2-sustainable-ai-embodied", "embodied carbon and its amortisation"),
        ("@sec-v2-sustainable-ai-jevons", "efficiency, demand and the Jevons paradox"),
        ("@sec-v2-sustainable-ai-scheduling", "carbon-aware scheduling in time and space"),
    ],
)


def grid_text(context: str) -> str:
    g = GRIDS[context]
    return f"{g.name.split(' (')[0]}, {fmt.num(g.carbon_intensity.m_as('gCO2e/kWh'))} gCO₂e/kWh"


CONTEXT_LABELS = contexts.labels({ctx: grid_text(ctx) for ctx in ("coal_grid", "renewable_grid")})
COUNTRY = {ctx: GRIDS[ctx].name.split(" (")[0] for ctx in GRIDS}
CONTEXT_COLOR = {"coal_grid": plot.COLORS["accent"], "renewable_grid": plot.COLORS["tiny"]}


def kg(x: float) -> str:
    """A carbon mass as a student reads it: kg below ten tonnes, tonnes above."""
    if x >= 10_000:
        return f"{fmt.num(x / 1000)} tCO₂e"
    return f"{fmt.num(x)} kgCO₂e"


def mwh(kwh: float) -> str:
    return f"{fmt.num(kwh / 1000)} MWh" if kwh >= 1000 else f"{fmt.num(kwh)} kWh"


def pct(x: float) -> str:
    return fmt.percent(x, 1)


def hrs(h: float) -> str:
    return f"{fmt.num(h)} h"


def carbon_show(q) -> str:
    """Banner amounts: carbon in kgCO2e, times in hours."""
    if str(q.dimensionality) == "[carbon]":
        return kg(q.m_as("kgCO2e"))
    if str(q.dimensionality) == "[time]":
        return hrs(q.m_as("hour"))
    return fmt.quantity(q)


# ---- Act I: the Jevons paradox ---------------------------------------------------------------
#: Bands of next year's total energy relative to this year's.
ACT1_BANDS = {"A": (0.0, 0.75), "B": (0.75, 1.25), "C": (1.25, 2.25), "D": (2.25, math.inf)}


def act1_truth():
    j = cases.act1_jevons()
    return j, bands.band_of(j.energy_multiplier, ACT1_BANDS)


def act1_fact() -> str:
    j, _ = act1_truth()
    g = cases.efficiency_gain()
    before = cases.serving_year("coal_grid").facility_energy.m_as("kWh")
    return (f"Each query now takes 1/{fmt.num(g)} of the energy, but there are "
            f"{fmt.num(cases.DEMAND_GROWTH)} times as many: total energy = "
            f"{fmt.num(cases.DEMAND_GROWTH)} ÷ {fmt.num(g)} = **{fmt.ratio(j.energy_multiplier)}** "
            f"this year's, {mwh(before)} → {mwh(before * j.energy_multiplier)} a year.")


def act1_options() -> dict:
    fact = act1_fact()
    g = cases.efficiency_gain()
    return {
        "A": ("It falls by about half: the efficiency wins",
              f"{fact} Halving holds only if demand stands still; here it grew faster than "
              "the efficiency did."),
        "B": ("It stays about the same",
              f"{fact} Energy stays flat only when demand grows exactly as much as the "
              f"efficiency, {fmt.ratio(g)}: the break-even line."),
        "C": ("It rises by about half",
              f"Right. {fact} Demand grew more than the efficiency, so total energy rose: "
              "the Jevons paradox, called backfire when the rebound passes 100%."),
        "D": ("It about triples: the efficiency is lost entirely",
              f"{fact} Tripling would mean each query costs what it did before; the "
              "efficiency still cut each query's energy, it just was not enough."),
    }


# ---- Act II: how much can the hour save on the coal grid? ------------------------------------
ACT2_BANDS = {"A": (0.0, 0.05), "B": (0.05, 0.25), "C": (0.25, 0.60), "D": (0.60, math.inf)}


def act2_truth():
    d = cases.act2_case()
    return d, bands.band_of(d.saving, ACT2_BANDS)


def act2_fact() -> str:
    d, _ = act2_truth()
    arrival = design(d.context, d.nodes, 0)
    return (f"Started on arrival at {clock(SUBMIT_HOUR)}, the run emits {kg(arrival.total_kg)}; "
            f"the best start within the SLA, {clock(SUBMIT_HOUR + d.best_delay)}, emits "
            f"{kg(d.best_total_kg)}: **{pct(d.saving)} less**.")


def act2_options() -> dict:
    fact = act2_fact()
    lo, hi = cases.profile_extremes("coal")
    swing = (f"A coal grid's intensity moves only between {fmt.num(lo, 2)} and {fmt.num(hi, 2)} "
             "of its daily mean")
    return {
        "A": ("Under 5%: on a coal grid the hour barely matters",
              f"{fact} {swing}, but starting at the evening peak is the worst hour of the "
              "day, so moving off it still saves more than a few percent."),
        "B": ("5% to 25%",
              f"Right. {fact} {swing}: the hour helps, but it cannot make coal clean."),
        "C": ("25% to 60%: the night is much cleaner",
              f"{fact} Savings that large need a grid whose intensity swings by half over a "
              "day, as a solar-heavy grid's does; coal plants run around the clock."),
        "D": ("Over 60%",
              f"{fact} No hour of a coal-heavy grid is that clean; moving the job to a "
              "cleaner grid is what cuts emissions by that much."),
    }


# ---- the page --------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Where the fleet's electricity comes from", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, d = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, d)


def act_one(ui, context):
    j, correct = act1_truth()
    g = cases.efficiency_gain()
    with ui.section("Act I · Calibration", "Twice as efficient, three times the demand "
                    "(12-15 min)"):
        ui.stakeholder(
            "Head of the inference platform",
            f"We moved our serving fleet of {cases.SERVING_GPUS:,} H100s from FP16 to FP8: "
            f"{fmt.ratio(g)} the work per joule. Product expects usage to grow "
            f"{fmt.num(cases.DEMAND_GROWTH)} times next year now that answers are cheaper and "
            "faster. The sustainability report wants to say our AI energy was halved. What "
            "will the fleet's total energy do next year?")
        ui.markdown(
            "Efficiency is energy per unit of work; the grid sees total energy, work times "
            "energy per unit. When efficiency makes a service cheaper, more of it gets used. "
            "Jevons saw it with coal and steam engines in 1865. Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"Work per joule grows {fmt.ratio(g)} and demand grows "
            f"{fmt.num(cases.DEMAND_GROWTH)}x. Next year's total energy of the serving "
            "fleet, against this year's:", act1_options(), correct=correct)

        demand = ui.slider("act1.demand", "What if demand grew", 1.0, 5.0, 0.5,
                           cases.DEMAND_GROWTH, unit="x")
        jevons_view(ui, g, demand)
        what_if = cases.jevons(g, demand)
        ui.metrics([
            Metric("Efficiency gain g", fmt.ratio(g), tone="info",
                   note="FP8 ÷ FP16 dense peak, same TDP"),
            Metric("Demand growth d", fmt.ratio(demand),
                   note="the forecast" if demand == cases.DEMAND_GROWTH else "your what-if"),
            Metric("Implied elasticity e", fmt.num(cases.elasticity(g, demand), 3)
                   if demand > 1 else "0", note="d = gᵉ"),
            Metric("Total energy, next year", fmt.ratio(what_if.energy_multiplier),
                   tone="danger" if what_if.backfire else "success", note="d ÷ g"),
            Metric("Rebound", fmt.percent(what_if.rebound, 0),
                   note="share of the saving eaten by new demand"),
        ], key="act1.metrics")
        fleet_table(ui, j)
        ui.reveal(pred, f"{fmt.ratio(j.energy_multiplier)} this year's total energy "
                        f"({fmt.num(cases.DEMAND_GROWTH)}x the queries at 1/{fmt.num(g)} the "
                        "energy each)", text=pred.feedback, key="act1.overlay")
        flat = cases.jevons(g, g)
        ui.reflection(
            "act1.reflection",
            "With the same efficiency gain, how much could demand grow before the fleet's "
            "total energy stops falling?",
            {
                "A": ("Not at all: any growth cancels the saving",
                      f"Growth up to the efficiency gain is absorbed: at {fmt.ratio(g)} more "
                      "queries the fleet uses what it used before, and below that, less."),
                "B": (f"By the efficiency gain itself, {fmt.ratio(g)}",
                      f"Right. Total energy is d/g: it equals this year's "
                      f"({fmt.ratio(flat.energy_multiplier)}) when demand grows by the "
                      f"efficiency gain, an elasticity of {fmt.num(cases.elasticity(g, g))}. "
                      "That is the break-even line of the Jevons view."),
                "C": (f"By {fmt.num(cases.DEMAND_GROWTH)}x, the forecast",
                      f"At {fmt.num(cases.DEMAND_GROWTH)}x the fleet already uses "
                      f"{fmt.ratio(cases.act1_jevons().energy_multiplier)} this year's energy."),
                "D": (f"By {fmt.num(2 * g)}x, twice the gain",
                      f"At {fmt.num(2 * g)}x demand the fleet would use "
                      f"{fmt.ratio(cases.jevons(g, 2 * g).energy_multiplier)} this year's "
                      "energy: the saving is gone long before."),
            }, correct="B")
        with ui.math_peek("energy after an efficiency gain, with this case's numbers",
                          key="act1.mathpeek"):
            ui.markdown(mathpeek_jevons(j, g))
    return pred


def jevons_view(ui, g: float, demand: float):
    """The Jevons view: efficiency gain against demand growth; the break-even line d = g
    separates the designs whose total energy falls from those whose total energy rises."""
    gx, dy = 4.0, 6.0
    traces = [
        {"type": "scatter", "mode": "lines", "x": [1, gx, gx, 1], "y": [1, gx, dy, dy],
         "fill": "toself", "fillcolor": "rgba(220,38,38,0.10)", "line": {"width": 0},
         "name": "total energy rises (backfire)", "hoverinfo": "name"},
        {"type": "scatter", "mode": "lines", "x": [1, gx, gx], "y": [1, gx, 1],
         "fill": "toself", "fillcolor": "rgba(22,163,74,0.10)", "line": {"width": 0},
         "name": "total energy falls", "hoverinfo": "name"},
        plot.line([1, gx], [1, gx], "break-even: d = g (energy unchanged)", plot.COLORS["ink"],
                  width=2.5),
        plot.line([1, gx], [0.5, 0.5 * gx], "energy ×0.5", plot.COLORS["muted"], dash="dot"),
        plot.line([1, dy / 2], [2, dy], "energy ×2", plot.COLORS["muted"], dash="dot"),
        plot.points([g], [cases.DEMAND_GROWTH], "the forecast", plot.COLORS["bad"],
                    symbol="star", size=16),
    ]
    if demand != cases.DEMAND_GROWTH:
        traces.append(plot.points([g], [demand], "your what-if", plot.COLORS["fleet"],
                                  symbol="diamond", size=13))
    rows = []
    for d in (1.0, 1.5, g, 2.5, cases.DEMAND_GROWTH, 4.0, 5.0):
        j = cases.jevons(g, d)
        rows.append([fmt.ratio(d), fmt.ratio(j.energy_multiplier),
                     "rises" if j.energy_multiplier > 1 + 1e-9 else
                     "unchanged" if j.energy_multiplier > 1 - 1e-9 else "falls"])
    what_if = cases.jevons(g, demand)
    ui.figure({"data": traces, "layout": plot.layout(
        "Jevons view: efficiency gain against demand growth", height=420, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("efficiency gain g (work per joule, ×)", range=[1, gx]),
        yaxis=plot.axis("demand growth d (×)", range=[0.5, dy]))},
        key="act1.jevons", caption=(
            "Jevons view: each point is an efficiency gain (across) and the demand growth that "
            "followed (up). Total energy is d ÷ g: on the black break-even line it is "
            "unchanged, above it (red) it rises, below it (green) it falls. The forecast, "
            f"{fmt.ratio(g)} efficiency and {fmt.num(cases.DEMAND_GROWTH)}x demand, lies "
            f"above the line: total energy {fmt.ratio(cases.act1_jevons().energy_multiplier)}."
            + (f" Your what-if, {fmt.ratio(demand)} demand, gives "
               f"{fmt.ratio(what_if.energy_multiplier)}." if demand != cases.DEMAND_GROWTH
               else "")),
        table={"caption": f"Total energy next year at an efficiency gain of {fmt.ratio(g)} "
                          "(engine, Jevons rebound model)",
               "columns": ["demand growth", "total energy", "against this year"],
               "rows": rows})


def fleet_table(ui, j):
    rows = []
    for ctx in ("coal_grid", "renewable_grid"):
        y = cases.serving_year(ctx)
        e = y.facility_energy.m_as("kWh")
        c = y.carbon.m_as("kgCO2e")
        rows.append([CONTEXT_LABELS[ctx], mwh(e), mwh(e * j.energy_multiplier), kg(c),
                     kg(c * j.energy_multiplier)])
    ui.table(f"The serving fleet's year, before and after: {cases.SERVING_GPUS:,} H100s "
             f"drawing on average {fmt.percent(cases.SERVING_UTILIZATION, 0)} of their TDP "
             f"(an illustrative fleet), PUE {fmt.num(cases.PUE)}, each grid's annual mean",
             ["grid", "energy this year", "energy next year", "carbon this year",
              "carbon next year"], rows, key="act1.fleet")


def mathpeek_jevons(j, g) -> str:
    d = cases.DEMAND_GROWTH
    e = cases.elasticity(g, d)
    return (
        "Work $W$ at energy per unit of work $\\varepsilon$ uses $E = W\\varepsilon$. An "
        "efficiency gain $g$ divides $\\varepsilon$ by $g$; if demand responds with constant "
        "elasticity $e$, work grows to $W g^{e}$:\n\n"
        r"$$\frac{E_1}{E_0} = \frac{W g^{e}\,\varepsilon/g}{W\varepsilon} = g^{\,e-1} = "
        r"\frac{d}{g},\qquad \text{rebound} = 1 - \frac{1 - E_1/E_0}{1 - 1/g}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $g$ | efficiency gain: H100 FP8 ÷ FP16 dense peak at one TDP | {fmt.num(g)} |\n"
        f"| $d$ | demand growth (forecast, illustrative) | {fmt.num(d)} |\n"
        f"| $e$ | elasticity, $\\ln d / \\ln g$ | {fmt.num(e)} |\n"
        f"| $E_1/E_0$ | next year's energy over this year's | {fmt.num(j.energy_multiplier)} |\n"
        f"| rebound | share of the expected saving eaten by new demand | "
        f"{fmt.percent(j.rebound, 0)} |\n\n"
        f"$E_1/E_0 = {fmt.tex(fmt.num(g))}^{{{fmt.tex(fmt.num(e))} - 1}} = "
        f"{fmt.tex(fmt.num(j.energy_multiplier))}$. The engineers expected a saving of "
        f"$(g - 1)/g$ = {fmt.percent(1 - 1 / g, 0)}; a rebound above 100% means energy rose: "
        "backfire, which happens exactly when $e > 1$.")


# ---- Act II ----------------------------------------------------------------------------------
def act_two(ui, context):
    truth, correct = act2_truth()
    target = kg(CARBON_TARGET_KG)
    with ui.section("Act II · Design challenge", f"Within {target} and the SLA (20-25 min)"):
        ui.stakeholder(
            "ML platform lead, the same company",
            f"Every day at {clock(SUBMIT_HOUR)} a new day of data lands and we refresh "
            f"{cases.JOB_MODEL.name} on it, {fmt.num(cases.JOB_TOKENS / 1e9)} billion tokens, "
            f"on {NODES[3]} DGX H100 nodes, starting right away. Sustainability now gives each "
            f"run a budget of {target}, counting the hardware's manufacturing share, and the "
            "refreshed model must be serving before the next day's data lands. The job can "
            "wait; can we schedule our way under the budget?")
        ui.markdown(
            f"The {target} budget, the {SLA_HOURS}-hour deadline and the job's size are this "
            "lab's scenario choices. The hourly shape of each grid's intensity is the engine's "
            "illustrative profile: the coal grid swings a little over the day and peaks in the "
            "evening; the hydro grid is flat, because its reservoirs follow demand. Embodied carbon uses about "
            f"{fmt.num(cases.embodied_per_gpu_kg())} kgCO₂e per GPU (its own and its share of "
            f"the server, Luccioni et al. 2023), spread over a {fmt.num(cases.LIFETIME_YEARS)}-"
            "year life.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"On the coal grid, with {NODES[3]} nodes: against starting on arrival at "
            f"{clock(SUBMIT_HOUR)}, by how much can the best start within the {SLA_HOURS} "
            "hours cut the run's carbon, operational plus embodied?",
            act2_options(), correct=correct)

        if context == "renewable_grid":
            ui.callout("info", (
                "You are on the renewable grid. The prediction above is about the coal grid; "
                f"the instruments below run your design in {COUNTRY[context]}. Switch the "
                "context above to compare."), title="Renewable grid", key="act2.context")
        nodes = int(ui.slider("act2.nodes", "DGX H100 nodes (8 GPUs each)", NODES[0], NODES[1],
                              NODES[2], NODES[3], unit="nodes"))
        delay = int(ui.slider("act2.delay",
                              f"Start, hours after the data lands at {clock(SUBMIT_HOUR)}",
                              DELAY[0], DELAY[1], DELAY[2], DELAY[3], unit="h"))
        d = design(context, nodes, delay)
        if not d.feasible:
            failure(ui, d)
        schedule_figure(ui, d)
        design_metrics(ui, d)
        both_grids_table(ui, d)

        arrival = design(truth.context, truth.nodes, 0)
        ui.reveal(pred, f"{pct(truth.saving)} saved on the coal grid: {kg(arrival.total_kg)} "
                        f"on arrival, {kg(truth.best_total_kg)} starting at "
                        f"{clock(SUBMIT_HOUR + truth.best_delay)}", text=pred.feedback,
                  key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("the carbon of this run, operational and embodied",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_run(d))
    return pred, d


def latest_delay(context: str, nodes: int) -> int | None:
    """The latest start (whole hours after arrival) at which the job meets the SLA."""
    ok = [x for x in range(DELAY[0], DELAY[1] + 1)
          if design(context, nodes, x).violation("deadline") is None]
    return max(ok) if ok else None


def ways_out(d) -> list[str]:
    """Moves that bring the design within both limits, each checked with the engine."""
    ways = []
    ctx, n = d.context, d.nodes
    good = [x for x in range(DELAY[0], DELAY[1] + 1) if design(ctx, n, x).feasible]
    if good:
        lo, hi = min(good), max(good)
        span = (f"{lo} h after arrival ({clock(SUBMIT_HOUR + lo)})" if lo == hi else
                f"between {lo} and {hi} h after arrival ({clock(SUBMIT_HOUR + lo)} to "
                f"{clock(SUBMIT_HOUR + hi)})")
        ways.append(f"start {span}")
    if d.violation("deadline") is not None:
        more = next((m for m in range(n + NODES[2], NODES[1] + 1, NODES[2])
                     if design(ctx, m, d.delay).feasible), None)
        if more is not None:
            ways.append(f"add nodes: {more} nodes finish in {hrs(design(ctx, more, d.delay).hours)}")
    if not good and d.violation(CARBON_NAME) is not None:
        for m in range(NODES[0], NODES[1] + 1, NODES[2]):
            ok = [x for x in range(DELAY[0], DELAY[1] + 1) if design(ctx, m, x).feasible]
            if ok:
                ways.append(f"use {m} nodes and start {min(ok)} h after arrival")
                break
    other = "renewable_grid" if ctx == "coal_grid" else "coal_grid"
    if design(other, n, d.delay).feasible:
        ways.append(f"run the job on the {contexts.name(other).lower()} instead")
    return ways


def failure(ui, d):
    late = d.violation("deadline")
    over = d.violation(CARBON_NAME)
    if late and over:
        title = "SLA and carbon budget both missed"
    elif late:
        title = "SLA missed: the model is not ready before the next day's data"
    else:
        title = f"Over the carbon budget of {kg(CARBON_TARGET_KG)}"
    text = ""
    if late:
        text += (f"Started {d.delay} h after arrival, the {hrs(d.hours)} run would finish "
                 f"{hrs(d.finish_after)} after the data landed, past the {SLA_HOURS}-hour "
                 "deadline: the next day's run would have to wait for it. ")
    if over:
        text += (f"The run emits {kg(d.operational_kg)} from electricity at an average "
                 f"{fmt.num(d.mean_intensity)} gCO₂e/kWh, plus {kg(d.embodied_kg)} of the "
                 f"hardware's manufacturing share: {kg(d.total_kg)}. ")
    ways = ways_out(d)
    if ways:
        text += "To get out: " + ", ".join(ways[:-1]) + (", or " if len(ways) > 1 else "") + \
            ways[-1] + "."
    ui.failure(title, d.violations, text=text, key="act2.failure", show=carbon_show)


def schedule_figure(ui, d):
    """Hourly intensity over the day after the data lands, both grids, the run's window and
    the best window shaded, the SLA deadline marked."""
    end = max(SLA_HOURS, math.ceil(d.finish_after)) + 1
    xs = [x / 2 for x in range(0, 2 * end + 1)]
    traces = []
    for ctx in ("coal_grid", "renewable_grid"):
        hourly = design(ctx, d.nodes, d.delay).hourly
        ys = [hourly[int(SUBMIT_HOUR + x) % 24] for x in xs]
        trace = plot.line(xs, ys, CONTEXT_LABELS[ctx],
                          CONTEXT_COLOR[ctx] if ctx == d.context else plot.COLORS["muted"],
                          width=3 if ctx == d.context else 1.5)
        trace["line"]["shape"] = "hv"          # one intensity per clock hour: steps
        traces.append(trace)
    shapes = [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": d.delay, "x1": d.finish_after,
         "y0": 0, "y1": 1, "fillcolor": "rgba(79,70,229,0.15)", "line": {"width": 0}},
        plot.vline(SLA_HOURS, plot.COLORS["bad"], dash="dash"),
    ]
    notes = [plot.note(SLA_HOURS, 1.0, f"deadline {clock(SUBMIT_HOUR + SLA_HOURS)}",
                       yref="paper", xanchor="right", yanchor="bottom"),
             plot.note((d.delay + d.finish_after) / 2, 0.02, "your run", yref="paper",
                       yanchor="bottom")]
    if d.best_delay != d.delay and d.best_total_kg < d.total_kg - 1e-9:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": d.best_delay,
                       "x1": d.best_delay + d.hours, "y0": 0, "y1": 1,
                       "line": {"color": plot.COLORS["good"], "dash": "dot", "width": 1.5},
                       "fillcolor": "rgba(0,0,0,0)"})
    ticks = list(range(0, end + 1, 3))
    ui.figure({"data": traces, "layout": plot.layout(
        f"Grid intensity after the data lands, and your run on {d.nodes} nodes", height=400,
        shapes=shapes, annotations=notes, showlegend=True,
        legend={"orientation": "h", "y": -0.3},
        xaxis=plot.axis(f"time of day, from the data landing at {clock(SUBMIT_HOUR)}", tickvals=ticks,
                        ticktext=[clock(SUBMIT_HOUR + t) for t in ticks]),
        yaxis=plot.axis("grid intensity (gCO₂e/kWh)", rangemode="tozero"))},
        key="act2.schedule", caption=(
            f"Hourly carbon intensity of both grids over the hours after the data lands at "
            f"{clock(SUBMIT_HOUR)} (illustrative daily shapes, scaled to each grid's 2023 "
            f"mean). Your run, {d.nodes} nodes for {hrs(d.hours)} from "
            f"{clock(d.start_hour)}, is shaded; on the {contexts.name(d.context).lower()} it "
            f"meets an average of {fmt.num(d.mean_intensity)} gCO₂e/kWh and emits "
            f"{kg(d.total_kg)} in all. The best start within the {SLA_HOURS}-hour deadline is "
            + (f"{clock(SUBMIT_HOUR + d.best_delay)} (dotted), {kg(d.best_total_kg)}."
               if d.best_total_kg < design(d.context, d.nodes, 0).total_kg - 1e-9
               else "any hour: this grid's intensity does not change over the day.")),
        table={"caption": "Grid intensity by hour after the data lands (gCO₂e/kWh; engine, "
                          "illustrative shapes)",
               "columns": ["hours after arrival", "clock", CONTEXT_LABELS["coal_grid"],
                           CONTEXT_LABELS["renewable_grid"]],
               "rows": [[f"+{t} h", clock(SUBMIT_HOUR + t),
                         fmt.num(design("coal_grid", d.nodes, d.delay).hourly[(SUBMIT_HOUR + t) % 24]),
                         fmt.num(design("renewable_grid", d.nodes, d.delay).hourly[(SUBMIT_HOUR + t) % 24])]
                        for t in range(0, 24, 3)]})


def design_metrics(ui, d):
    late = d.violation("deadline") is not None
    over = d.violation(CARBON_NAME) is not None
    ui.metrics([
        Metric("Run time", hrs(d.hours), tone="info",
               note=f"{d.gpus} GPUs at {fmt.percent(cases.job_time(d.nodes).mfu, 0)} MFU"),
        Metric("Energy", mwh(d.energy_kwh), note=f"TDP × time × PUE {fmt.num(cases.PUE)}"),
        Metric("Operational carbon", kg(d.operational_kg),
               note=f"at {fmt.num(d.mean_intensity)} gCO₂e/kWh on average"),
        Metric("Embodied carbon", kg(d.embodied_kg),
               note=f"{fmt.percent(d.embodied_kg / d.total_kg, 0)} of the total"),
        Metric("Carbon per run", kg(d.total_kg), tone="danger" if over else "success",
               note=f"budget {kg(CARBON_TARGET_KG)}"),
        Metric("Ready", f"{clock(SUBMIT_HOUR + d.finish_after)}",
               tone="danger" if late else "success",
               note=f"{hrs(d.finish_after)} after arrival; deadline {SLA_HOURS} h"),
        Metric("Best start within the SLA", clock(SUBMIT_HOUR + d.best_delay)
               if d.best_total_kg < design(d.context, d.nodes, 0).total_kg - 1e-9
               else "any hour", note=kg(d.best_total_kg)),
    ], key="act2.metrics")


def both_grids_table(ui, d):
    rows = []
    for ctx in ("coal_grid", "renewable_grid"):
        x = design(ctx, d.nodes, d.delay)
        rows.append([CONTEXT_LABELS[ctx], kg(x.operational_kg), kg(x.embodied_kg),
                     kg(x.total_kg), "within both limits" if x.feasible else
                     " and ".join(("over budget" if v.name == CARBON_NAME else "late")
                                  for v in x.violations)])
    ui.table(f"The same run on both grids ({d.nodes} nodes, starting {d.delay} h after "
             f"arrival, {clock(d.start_hour)})",
             ["grid", "operational", "embodied", "total", "verdict"], rows, key="act2.grids")


EMBODIED_BANDS = {"A": (0.0, 0.10), "B": (0.10, 0.50), "C": (0.50, 1.01)}


def act2_reflection(ui):
    x = design("renewable_grid", NODES[3], 0)
    share = x.embodied_kg / x.total_kg
    correct = bands.band_of(share, EMBODIED_BANDS)
    fact = (f"On the renewable grid the default run emits {kg(x.operational_kg)} from "
            f"electricity and {kg(x.embodied_kg)} from manufacturing: embodied is "
            f"{fmt.percent(share, 0)} of {kg(x.total_kg)}, and every start hour gives the "
            "same total.")
    ui.reflection(
        "act2.reflection",
        "Switch to the renewable grid with the default run. What share of its carbon is "
        "embodied, and what does the start hour change?",
        {
            "A": ("Under a tenth: electricity still dominates, so keep shifting hours",
                  ("Right. " if correct == "A" else "") + fact + " A flat grid has no better "
                  "hour to shift to, whatever the share."),
            "B": ("Between a tenth and a half: the hardware's share matters now, and the hour "
                  "changes nothing",
                  ("Right. " if correct == "B" else "") + fact + " Less hardware time per "
                  "run, or a longer service life, now cuts more than any schedule."),
            "C": ("Over half: manufacturing dominates",
                  ("Right. " if correct == "C" else "") + fact + (
                      " Electricity, even at "
                      f"{fmt.num(x.mean_intensity)} gCO₂e/kWh, is still the larger part."
                      if share < 0.5 else " Manufacturing now outweighs the electricity.")),
            "D": ("None: a renewable grid emits nothing",
                  fact + f" Hydropower is low-carbon, not zero: "
                  f"{fmt.num(GRIDS['renewable_grid'].carbon_intensity.m_as('gCO2e/kWh'))} "
                  "gCO₂e/kWh over its life cycle, and the chips were made elsewhere."),
        }, correct=correct)


def mathpeek_run(d) -> str:
    return (
        "Operational carbon integrates the grid's hourly intensity $I(t)$ over the hours the "
        "job runs; embodied carbon charges the job its share of the hardware's life:\n\n"
        r"$$C = \underbrace{N\,P\,\mathrm{PUE}\int_{t_s}^{t_s+T} I(t)\,dt}_{\text{operational}}"
        r" + \underbrace{N\,c_{\text{emb}}\,\frac{T}{L}}_{\text{embodied}},\qquad "
        r"T = \frac{6\,N_{\text{param}}\,D}{N\,R\,\eta}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | GPUs ({d.nodes} DGX H100 nodes) | {d.gpus} |\n"
        f"| $P$ | power per GPU (H100 TDP) | {fmt.quantity(cases.GPU.tdp)} |\n"
        f"| PUE | facility overhead | {fmt.num(cases.PUE)} |\n"
        f"| $T$ | run time, $6N_{{\\text{{param}}}}D$ at MFU $\\eta$ | {hrs(d.hours)} |\n"
        f"| $t_s$ | start | {clock(d.start_hour)} ({d.delay} h after arrival) |\n"
        f"| $\\bar I$ | mean intensity over the run | {fmt.num(d.mean_intensity)} gCO₂e/kWh |\n"
        f"| $c_{{\\text{{emb}}}}$ | embodied carbon per GPU (GPU + 1/8 server) | "
        f"{fmt.num(cases.embodied_per_gpu_kg())} kgCO₂e |\n"
        f"| $L$ | service life | {fmt.num(cases.LIFETIME_YEARS)} years |\n\n"
        f"Energy $N P\\,\\mathrm{{PUE}}\\,T$ = {mwh(d.energy_kwh)}; operational = "
        f"{mwh(d.energy_kwh)} × {fmt.num(d.mean_intensity)} g/kWh = {kg(d.operational_kg)}; "
        f"embodied = {d.gpus} × {fmt.num(cases.embodied_per_gpu_kg())} kg × "
        f"{hrs(d.hours)} ÷ {fmt.num(cases.LIFETIME_YEARS * cases.HOURS_PER_YEAR)} h = "
        f"{kg(d.embodied_kg)}; total **{kg(d.total_kg)}** against a budget of "
        f"{kg(CARBON_TARGET_KG)}. More nodes shorten $T$ but leave $N T$, and so both terms' "
        "totals, unchanged (at a fixed MFU): they only change which hours the run meets.")


def closing(ui):
    j, _ = act1_truth()
    d, _ = act2_truth()
    clean = design("renewable_grid", d.nodes, 0)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-sustainable-ai-jevons derives the rebound this lab's Jevons view "
            "plots; @sec-v2-sustainable-ai-scheduling explains why a grid's daily swing, not "
            "its average, bounds what shifting in time can save; "
            "@sec-v2-sustainable-ai-embodied why the hardware's share grows as the grid gets "
            "cleaner.\n"
            "- The run's time is the $6ND$ of @sec-v2-introduction-compute at a fraction of "
            "peak; its power per rack is @sec-v2-compute-infrastructure-power.\n"
            "- Next, Lab 16 (@sec-v2-responsible-ai) turns from carbon to fairness: metrics "
            "that cannot all be met at once.\n"
            "- TinyTorch, Module 19 (Benchmarking): measure joules per sample beside "
            "samples per second, the efficiency this lab's first act multiplies by demand.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Efficiency is per unit of work; the grid sees the total. A "
            f"{fmt.ratio(cases.efficiency_gain())} gain with {fmt.num(cases.DEMAND_GROWTH)}x "
            f"demand leaves the fleet using {fmt.ratio(j.energy_multiplier)} its energy: total "
            "energy falls only if demand grows less than the efficiency did.\n"
            f"2. On a coal grid the best hour within a day saves {pct(d.saving)} of this run's "
            f"carbon; running it on the hydro grid instead emits {kg(clean.total_kg)} rather "
            f"than {kg(design('coal_grid', d.nodes, 0).total_kg)}. Where beats when.\n"
            "3. Shifting in time is bounded by the deadline: a start late enough to catch the "
            "cleanest hours can miss the SLA unless more nodes shorten the run.\n"
            f"4. On a clean grid embodied carbon is {fmt.percent(clean.embodied_kg / clean.total_kg, 0)} "
            "of the run: the hardware's manufacturing, not its electricity, becomes the lever.")


def save_to_ledger(ui, context, pred1, pred2, d):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    j, _ = act1_truth()
    decision = (f"{d.nodes} DGX H100 nodes ({d.gpus} GPUs) started {d.delay} h after the data "
                f"lands ({clock(d.start_hour)}) on the {contexts.name(context).lower()} "
                f"({COUNTRY[context]})")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1,
        (bands.log_middle(ACT1_BANDS, pred1.value), j.energy_multiplier), pred2,
        decision=decision, result=d.total_kg, unit="kgCO2e", constraint_hit=not d.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Design", decision),
        ("Carbon per run", kg(d.total_kg) + ("" if d.feasible else " (a limit missed)"))))

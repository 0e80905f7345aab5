"""Vol II · Lab 09 · Profile before you optimise (chapter: performance_engineering).

Act I calibrates Amdahl's law for one optimisation: a kernel made three times faster speeds up
the step only in proportion to the share of the step it was, so a 3x fused-attention kernel on
12% of a step buys about 9%. Act II hands the student a 70B-parameter training job on 512 H100s,
its step profiled by the engine (arithmetic, recomputation, pipeline bubble, exposed
communication, waiting for data), a menu of optimisations with engineering costs, a budget and
a target speed-up. The plan fails when it spends the budget on what does not bind. The two
contexts are the same job fed two ways: a batch job on prepared shards with large steps, and a
streaming job that fetches documents as they arrive in small steps; what binds, and so what
pays, differs. Every number comes from the engine through performance_engineering_cases.py,
which Chapter 25 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import performance_engineering_cases as cases
from labs.vol2.performance_engineering_cases import (ACT1_KERNEL_SPEEDUP, ACT1_SHARE,
                                                     ATTENTION_SHARE, BUDGET_WEEKS, NODES, OPT,
                                                     OPTIMISATIONS, PART_NAMES, PP, TARGET_SPEEDUP,
                                                     TP, amdahl, profile, speedup, weeks)

LAB = Lab(
    id="vol2/09", chapter="performance_engineering", title="Profile before you optimise",
    hook="A kernel three times faster is a triumph on a slide. How much faster does it make "
         "the training step, and which optimisation would have paid more?",
    invariants=["Amdahl's law for one optimisation", "profile first: optimise what binds",
                "recomputation, bubble, communication and input stalls",
                "an engineering budget spent where it pays"],
    minutes=40, contexts=("batch", "streaming"),
    reading=[
        ("@sec-v2-performance-engineering-amdahl", "Amdahl's law for a faster part"),
        ("@sec-v2-performance-engineering-anatomy", "what a training step at scale spends its time on"),
        ("@sec-v2-performance-engineering-recompute", "full and selective recomputation"),
        ("@sec-v2-performance-engineering-fusion", "fused kernels and FlashAttention"),
        ("@sec-v2-performance-engineering-input", "input pipelines that stall the GPUs"),
    ],
)

CONTEXT_LABELS = contexts.labels({"batch": "prepared shards, 4 Mi-token steps",
                                  "streaming": "documents fetched as they arrive, 0.5 Mi-token steps"})
GPU = cases.TEMPLATE.node.hardware
GPUS = NODES * cases.TEMPLATE.node.accelerators
JOB = f"{cases.MODEL.name} on {GPUS} H100s"
PART_COLORS = {"compute": plot.COLORS["cloud"], "recompute": plot.COLORS["mobile"],
               "bubble": plot.COLORS["edge"], "communication": plot.COLORS["fleet"],
               "data": plot.COLORS["bad"]}
x = cases.times

# ---- Act I: one faster kernel ----------------------------------------------------------------
#: Whole-step speed-up bands of the Act I prediction, (low, high) of each option.
ACT1_BANDS = {"A": (2.5, math.inf), "B": (1.5, 2.5), "C": (1.15, 1.5), "D": (1.0, 1.15)}


def act1_truth():
    r = amdahl(ACT1_SHARE, ACT1_KERNEL_SPEEDUP)
    return r, bands.band_of(r.amdahl_speedup, ACT1_BANDS)


def act1_options(r) -> dict:
    f, s = ACT1_SHARE, ACT1_KERNEL_SPEEDUP
    fact = (f"The step keeps its other {fmt.percent(1 - f, 0)} and the attention's "
            f"{fmt.percent(f, 0)} shrinks to {fmt.percent(f / s)}: 1 / ({fmt.num(1 - f)} + "
            f"{fmt.num(f)}/{fmt.num(s)}) = **{x(r.amdahl_speedup)}**.")
    return {
        "A": ("About 3x, the kernel's own speed-up",
              f"{fact} The kernel's speed-up applies only to the time the kernel took; the "
              "rest of the step does not notice it."),
        "B": ("1.5x to 2.5x",
              f"{fact} Even 1.5x would need the kernel to be "
              f"{fmt.percent(cases.share_needed(1.5, s), 0)} of the step."),
        "C": ("1.15x to 1.5x",
              f"{fact} Even an infinitely fast attention kernel would give only "
              f"1/{fmt.num(1 - f)} = {x(r.amdahl_limit)}."),
        "D": ("Under 1.15x",
              f"Right. {fact} A tripled kernel on an eighth of the step is a single-digit "
              "percentage of the whole."),
    }


# ---- Act II: which optimisation pays in the batch job ----------------------------------------
ACT2_OPTIONS = ("fused", "selective", "overlap", "stages")   # options A-D


def act2_truth():
    s = cases.single_speedups("batch")
    best = max(ACT2_OPTIONS, key=s.get)
    return s, "ABCD"[ACT2_OPTIONS.index(best)]


def act2_options(s) -> dict:
    today = profile("batch")
    parts = today.parts()
    share = {k: v / today.total for k, v in parts.items()}
    alone = ", ".join(f"{OPT[k].name.lower()} {x(s[k])}" for k in ACT2_OPTIONS)
    fact = f"Each alone, in the batch job: {alone}."
    sel = cases.engine_step("batch", "selective", False, PP)
    none = cases.engine_step("batch", "none", False, PP)
    return {
        "A": ("The fused attention kernel (attention 3x faster)",
              f"{fact} Attention is {fmt.percent(ATTENTION_SHARE, 0)} of the arithmetic, and "
              f"the arithmetic (first pass and recomputed) is "
              f"{fmt.percent(share['compute'] + share['recompute'], 0)} of the step: the "
              "kernel speeds up about a tenth of the step."),
        "B": ("Selective activation recomputation",
              f"{fact} Full recomputation repeats every layer's forward pass in the backward "
              f"pass: {fmt.duration(parts['recompute'])} of a {fmt.duration(today.total)} step "
              f"({fmt.percent(share['recompute'], 0)}). Recomputing only the attention core "
              "removes nearly all of it and two of the six tensor-parallel exchanges per layer "
              f"with it, for {fmt.si(sel.memory_per_gpu.m_as('B'), 'B')} per GPU instead of "
              f"{fmt.si(today.memory_per_gpu, 'B')}. No recomputation at all would need "
              f"{fmt.si(none.memory_per_gpu.m_as('B'), 'B')}, more than the H100 holds. Right."),
        "C": ("Overlapping the gradient reduction with the backward pass",
              f"{fact} The data-parallel gradient exchange is small here: with tensor and "
              f"pipeline parallelism each GPU holds 1/{TP * PP} of the model, so it reduces "
              "only its shard. Hiding it saves little."),
        "D": ("Halving the pipeline stages",
              f"{fact} With {cases.engine_step('batch', 'full', False, PP).microbatches} "
              f"micro-batches per pipeline the bubble is already "
              f"{fmt.percent(share['bubble'], 1)} of the step; halving the stages trims it "
              "and doubles each GPU's share of the gradient exchange."),
    }


# ---- the page -------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "How the job meets its data", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, plan = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, plan)


def act_one(ui):
    truth, correct = act1_truth()
    with ui.section("Act I · Calibration", "What does a 3x kernel buy? (12-15 min)"):
        ui.stakeholder(
            "Kernel engineer, the training-infrastructure team",
            f"I fused our attention into one kernel: it runs {x(ACT1_KERNEL_SPEEDUP)} faster "
            "than the three it replaces, checked on the benchmark. The profile of our "
            f"fine-tuning step says attention is {fmt.percent(ACT1_SHARE, 0)} of the step. I "
            "want to tell the run's owners how much sooner their job will finish.")
        ui.markdown(
            "An optimisation speeds up the part it touches. The profile and the kernel's "
            "speed-up are this scenario's (illustrative); the arithmetic that turns them into "
            "a whole-step speed-up is Amdahl's. Commit to an estimate first.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"Attention is {fmt.percent(ACT1_SHARE, 0)} of the step and now runs "
            f"{x(ACT1_KERNEL_SPEEDUP)} faster. How much faster is the whole step?",
            act1_options(truth), correct=correct)

        share = ui.slider("act1.share", "Share of the step the kernel takes", 0.02, 0.9, 0.01,
                          ACT1_SHARE, unit="%", scale=100, fmt=lambda v: fmt.percent(v, 0))
        kernel = ui.slider("act1.kernel", "How much faster the new kernel is", 1.5, 20.0, 0.5,
                           ACT1_KERNEL_SPEEDUP, unit="x")
        r = amdahl(share, kernel)
        act1_instruments(ui, share, kernel, r)
        ui.reveal(pred, f"{x(truth.amdahl_speedup)}: a {x(ACT1_KERNEL_SPEEDUP)} kernel on "
                        f"{fmt.percent(ACT1_SHARE, 0)} of the step (at most "
                        f"{x(truth.amdahl_limit)} if attention took no time at all)",
                  text=pred.feedback, key="act1.overlay")
        need = cases.share_needed(1.5, ACT1_KERNEL_SPEEDUP)
        ui.reflection(
            "act1.reflection",
            f"For the step to run 1.5x faster with a {x(ACT1_KERNEL_SPEEDUP)} kernel, how large "
            "a share of the step must the kernel have taken?",
            {
                "A": (f"{fmt.percent(ACT1_SHARE, 0)}, as now: the kernel is fast enough",
                      f"At {fmt.percent(ACT1_SHARE, 0)} the step gains {x(truth.amdahl_speedup)}. "
                      "A faster kernel cannot make up for a small share: the ceiling is "
                      f"{x(truth.amdahl_limit)}."),
                "B": ("About a quarter of the step",
                      f"A quarter gives 1 / (0.75 + 0.25/{fmt.num(ACT1_KERNEL_SPEEDUP)}) = "
                      f"{x(amdahl(0.25, ACT1_KERNEL_SPEEDUP).amdahl_speedup)}, short of 1.5x."),
                "C": (f"About {fmt.percent(need, 0)} of the step",
                      f"Yes. Solve 1 / ((1 - f) + f/{fmt.num(ACT1_KERNEL_SPEEDUP)}) = 1.5 for f: "
                      f"f = (1 - 1/1.5) / (1 - 1/{fmt.num(ACT1_KERNEL_SPEEDUP)}) = "
                      f"{fmt.percent(need, 0)}. Big wins need big shares: find them in the "
                      "profile before writing a kernel."),
                "D": ("All of it: only a whole-step rewrite gives 1.5x",
                      f"A {x(ACT1_KERNEL_SPEEDUP)} kernel on the whole step would give "
                      f"{x(ACT1_KERNEL_SPEEDUP)}; 1.5x needs {fmt.percent(need, 0)} of it."),
            }, correct="C")
        with ui.math_peek("Amdahl's law for one optimisation", key="act1.mathpeek"):
            ui.markdown(mathpeek_amdahl(share, kernel, r))
    return pred


def act1_instruments(ui, share, kernel, r):
    ks = [1 + 0.25 * i for i in range(77)]   # 1x to 20x
    ys = [amdahl(share, k).amdahl_speedup for k in ks]
    traces = [
        plot.line(ks, ks, "The kernel's own speed-up", plot.COLORS["muted"], dash="dot"),
        plot.line(ks, ys, "The whole step", plot.COLORS["fleet"], width=3),
        plot.points([kernel], [r.amdahl_speedup], "Your setting", plot.COLORS["bad"],
                    symbol="star", size=16),
    ]
    ui.figure({"data": traces, "layout": plot.layout(
        "Step speed-up against kernel speed-up", height=380, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        shapes=[plot.hline(r.amdahl_limit, plot.COLORS["bad"])],
        xaxis=plot.axis("kernel speed-up (x)"),
        # Up to just above the ceiling, so the curve's approach to it is visible.
        yaxis=plot.axis("step speed-up (x)", range=[1, min(r.amdahl_limit, 20) * 1.08]))},
        key="act1.amdahl", caption=(
            f"How much faster the step runs as the kernel gets faster, with the kernel "
            f"{fmt.percent(share, 0)} of the step. At {x(kernel)} the step runs "
            f"{x(r.amdahl_speedup)} faster; however fast the kernel, the step stays under "
            f"{x(r.amdahl_limit)} (red line), the time the rest of the step takes."),
        table={"caption": f"Step speed-up with the kernel {fmt.percent(share, 0)} of the step",
               "columns": ["kernel speed-up", "step speed-up"],
               "rows": [[x(k), x(amdahl(share, k).amdahl_speedup)]
                        for k in (1.5, 2, 3, 5, 10, 20)]})
    ui.metrics([
        Metric("Step speed-up", x(r.amdahl_speedup), tone="info",
               note=f"kernel {x(kernel)} on {fmt.percent(share, 0)}"),
        Metric("Ceiling", x(r.amdahl_limit), tone="warn",
               note="the kernel taking no time at all"),
        Metric("Step time saved", fmt.percent(1 - 1 / r.amdahl_speedup),
               note="of today's step"),
    ], key="act1.metrics")


def mathpeek_amdahl(share, kernel, r) -> str:
    return (
        "\n$$\nS = \\frac{1}{(1 - f) + f/s}, \\qquad \\lim_{s \\to \\infty} S = "
        "\\frac{1}{1 - f}\n$$\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $f$ | share of today's step the optimised part takes | {fmt.num(share)} |\n"
        f"| $s$ | how much faster that part runs | {fmt.num(kernel)} |\n"
        f"| $S$ | how much faster the whole step runs | {x(r.amdahl_speedup)} |\n"
        f"| $1/(1-f)$ | the ceiling, the part taking no time | {x(r.amdahl_limit)} |\n\n"
        f"Here $S$ = 1 / ({fmt.num(1 - share)} + {fmt.num(share)}/{fmt.num(kernel)}) = "
        f"{x(r.amdahl_speedup)}. This is Amdahl's law (1967) with the improved part in place "
        "of the parallel part and the kernel's speed-up in place of the processor count; "
        "the time saved is $f (1 - 1/s)$ of the step.")


# ---- Act II ---------------------------------------------------------------------------------
def act_two(ui, context):
    singles, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Spend the quarter where it pays (20-25 min)"):
        ui.stakeholder(
            "Owner of the training run",
            f"Our {JOB} (tensor parallel {TP}, pipeline {PP}, full activation "
            "recomputation) is behind schedule. To finish within our allocation each step must "
            f"run {x(TARGET_SPEEDUP)} faster, and I can give you {BUDGET_WEEKS} engineer-weeks. "
            "The kernel team wants to spend them on their fused attention kernel. What is the "
            "plan?")
        ui.markdown(
            "The step's profile below is the engine's: the arithmetic at the job's efficiency, "
            "the recomputed forward passes, the pipeline bubble, the communication that is "
            "not hidden, and the time the GPUs wait for the next batch. The efforts, the "
            "budget and the target are this scenario's (illustrative). Commit to a prediction "
            "first.")
        pred = ui.predict_choice(
            "act2.prediction",
            "In the batch job (prepared shards, 4 Mi-token steps), which single optimisation "
            "makes the step fastest?",
            act2_options(singles), correct=correct)

        ui.markdown(f"**Your plan** (budget {BUDGET_WEEKS} engineer-weeks, target "
                    f"{x(TARGET_SPEEDUP)}). Switch on the optimisations you fund:")
        plan = frozenset(
            o.key for o in OPTIMISATIONS
            if ui.toggle(f"act2.{o.key}", f"{o.name} ({o.weeks} engineer-week"
                         f"{'s' if o.weeks > 1 else ''}): {o.what}",
                         {"off": "Not funded", "on": "Funded"}, default="off") == "on")
        profile_instruments(ui, context, plan)
        violations = cases.plan_violations(context, plan)
        if plan and violations:
            ui.failure("The plan misses", violations, text=failure_text(context, plan),
                       key="act2.failure", show=show)
        elif plan:
            ui.callout("success",
                       f"The step runs {x(speedup(context, plan))} faster for {weeks(plan)} "
                       f"engineer-week{'s' if weeks(plan) > 1 else ''}: the target is "
                       f"{x(TARGET_SPEEDUP)} within {BUDGET_WEEKS}.",
                       title="The plan meets the target", key="act2.ok")
        else:
            ui.callout("info", "No optimisation is funded yet: today's step is the baseline. "
                       "Read the profile, then fund what takes the time.", key="act2.empty")

        best = correct and ACT2_OPTIONS["ABCD".index(correct)]
        ui.reveal(pred, f"{OPT[best].name}: {x(singles[best])} alone in the batch job, "
                        f"against {x(singles['fused'])} for the fused attention kernel",
                  text=pred.feedback, key="act2.overlay")
        stream = cases.single_speedups("streaming")
        ui.reflection(
            "act2.reflection",
            "In the streaming job the best single optimisation is a different one, and it is "
            "the cheapest on the menu. Why does the same job need a different plan?",
            {
                "A": ("Small steps make the arithmetic a smaller share; fetching one document "
                      "at a time makes waiting for data a large one",
                      f"Yes. With 0.5 Mi-token steps the arithmetic shrinks eightfold while the "
                      f"fetch of each replica's documents, one at a time at the object store's "
                      f"latency, takes {fmt.duration(profile('streaming').data)} per step "
                      f"({fmt.percent(profile('streaming').data / profile('streaming').total, 0)}). "
                      f"Prefetching gives {x(stream['prefetch'])}; selective recomputation, "
                      f"the batch job's winner, {x(stream['selective'])}."),
                "B": ("The object store has less bandwidth than a local drive",
                      "Bandwidth is not the limit: a step's documents are a few hundred "
                      "kilobytes. One request at a time, each waits the store's latency; the "
                      "fix is more requests in flight, not more bandwidth."),
                "C": ("Streaming jobs communicate more per step",
                      "The gradient exchange is the same size per step in both jobs (it moves "
                      "the model's gradients, not the data); it is a larger share of a smaller "
                      f"step, but overlapping it gives only {x(stream['overlap'])}."),
                "D": ("The fused kernel does not work on small batches",
                      "The kernel works the same; attention is simply a small share of the "
                      f"step in both jobs, so it gives {x(stream['fused'])} here."),
            }, correct="A")
        with ui.math_peek("the step's profile and a plan's speed-up", key="act2.mathpeek"):
            ui.markdown(mathpeek_plan(context, plan))
    return pred, plan


def show(q) -> str:
    """A constraint's amount as the banner shows it: speed-ups as "1.07x", weeks as weeks."""
    if q.dimensionless:
        return x(q.m_as(""))
    if str(q.units) == "week":
        return f"{fmt.num(q.m)} engineer-weeks"
    return fmt.quantity(q)


def failure_text(context, plan) -> str:
    s = speedup(context, plan)
    today = profile(context)
    parts = today.parts()
    big = cases.binding_part(context)
    text = []
    if s < TARGET_SPEEDUP:
        text.append(f"The plan makes the step {x(s)} faster, short of {x(TARGET_SPEEDUP)}. "
                    f"Today's largest cost after the arithmetic itself is "
                    f"{PART_NAMES[big].lower()}, {fmt.duration(parts[big])} of a "
                    f"{fmt.duration(today.total)} step: fund what removes it.")
    if weeks(plan) > BUDGET_WEEKS:
        text.append(f"The plan needs {weeks(plan)} engineer-weeks of the {BUDGET_WEEKS} "
                    "available: drop what buys least.")
    return " ".join(text)


def profile_instruments(ui, context, plan):
    today, after = profile(context), profile(context, plan)
    rows = ("Today", "With your plan")
    traces = []
    for part, name in PART_NAMES.items():
        vals = [today.parts()[part], after.parts()[part]]
        traces.append(plot.bar(vals, list(rows), PART_COLORS[part], name=name,
                               orientation="h", hovertemplate="%{x:.3g} s<extra>" + name
                               + "</extra>"))
    ui.figure({"data": traces, "layout": plot.layout(
        f"One training step, part by part ({contexts.name(context).lower()} job)", height=300,
        barmode="stack", showlegend=True, legend={"orientation": "h", "y": -0.35},
        xaxis=plot.axis("seconds per step"), yaxis=plot.axis("", autorange="reversed"))},
        key="act2.profile", caption=(
            f"The step of the {contexts.name(context).lower()} job today, "
            f"{fmt.duration(today.total)}: " + "; ".join(
                f"{PART_NAMES[p].lower()} {fmt.duration(v)}" for p, v in today.parts().items()
                if v > 0) + f". With your plan, {fmt.duration(after.total)}."),
        table={"caption": "One training step, part by part (seconds)",
               "columns": ["part", "today", "with your plan"],
               "rows": [[PART_NAMES[p], fmt.duration(today.parts()[p]),
                         fmt.duration(after.parts()[p])] for p in PART_NAMES]})
    singles = cases.single_speedups(context)
    ui.table("Each optimisation alone, in this job",
             ["optimisation", "effort", "step speed-up alone"],
             [[o.name, f"{o.weeks} engineer-week{'s' if o.weeks > 1 else ''}",
               x(singles[o.key])] for o in OPTIMISATIONS], key="act2.menu")
    s = speedup(context, plan)
    ui.metrics([
        Metric("Step today", fmt.duration(today.total), note=JOB),
        Metric("Step with your plan", fmt.duration(after.total), tone="info"),
        Metric("Speed-up", x(s), tone="danger" if plan and s < TARGET_SPEEDUP else "info",
               note=f"target {x(TARGET_SPEEDUP)}"),
        Metric("Effort", f"{weeks(plan)} of {BUDGET_WEEKS} weeks",
               tone="danger" if weeks(plan) > BUDGET_WEEKS else None),
        Metric("Memory per GPU", fmt.si(after.memory_per_gpu, "B"),
               note=f"of {fmt.si(GPU.memory.capacity.m_as('B'), 'B')} on an H100"),
    ], key="act2.metrics")


def mathpeek_plan(context, plan) -> str:
    today, after = profile(context), profile(context, plan)
    p = today.parts()
    return (
        "\n$$\nT_{\\text{step}} = T_{\\text{arith}} + T_{\\text{recompute}} + "
        "T_{\\text{bubble}} + T_{\\text{comm}} + T_{\\text{data}}, \\qquad "
        "S = \\frac{T_{\\text{step}}}{T'_{\\text{step}}}\n$$\n\n"
        "| symbol | meaning | today |\n| --- | --- | --- |\n"
        f"| $T_{{\\text{{arith}}}}$ | $6NB$ FLOP at the job's efficiency on {GPUS} GPUs "
        f"| {fmt.duration(p['compute'])} |\n"
        f"| $T_{{\\text{{recompute}}}}$ | forward passes repeated for the backward pass "
        f"| {fmt.duration(p['recompute'])} |\n"
        f"| $T_{{\\text{{bubble}}}}$ | $(p-1)/m$ of the stages' working time | "
        f"{fmt.duration(p['bubble'])} |\n"
        f"| $T_{{\\text{{comm}}}}$ | tensor-, pipeline- and data-parallel exchanges not hidden "
        f"| {fmt.duration(p['communication'])} |\n"
        f"| $T_{{\\text{{data}}}}$ | the GPUs waiting for the next batch | "
        f"{fmt.duration(p['data'])} |\n"
        f"| $S$ | your plan's speed-up | {x(today.total / after.total)} |\n\n"
        f"Today's step is {fmt.duration(today.total)}; with your plan, "
        f"{fmt.duration(after.total)}. Each optimisation shrinks one term (the fused kernel: "
        f"{fmt.percent(ATTENTION_SHARE, 0)} of the arithmetic, {x(ACT1_KERNEL_SPEEDUP)} "
        "faster), so its speed-up is Amdahl's law with that term's share of the step. "
        "Optimisations on different terms add up in time saved, not in speed-up factors.")


def closing(ui):
    r, _ = act1_truth()
    batch, stream = cases.single_speedups("batch"), cases.single_speedups("streaming")
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-performance-engineering-amdahl turns a part's speed-up into the "
            "whole's; @sec-v2-performance-engineering-anatomy takes a step at scale apart, "
            "term by term.\n"
            "- The terms come from earlier chapters: the pipeline bubble and tensor "
            "parallelism (@sec-v2-distributed-training), the exchanges "
            "(@sec-v2-collective-communication), the input pipeline (@sec-v2-data-storage).\n"
            "- Volume I measured before claiming (@sec-benchmarking); here the measurement "
            "decides where effort goes.\n"
            "- Next, Lab 10 (@sec-v2-inference) turns from training to serving: the "
            "key-value cache and continuous batching.\n"
            "- TinyTorch's profiling module times the operators of one model on one machine, "
            "the first step of the method used here.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. A {x(ACT1_KERNEL_SPEEDUP)} kernel on {fmt.percent(ACT1_SHARE, 0)} of a step "
            f"gives {x(r.amdahl_speedup)}; the share, not the kernel, sets the gain.\n"
            f"2. In the batch job the largest cost after the arithmetic was full "
            f"recomputation: selective recomputation gave {x(batch['selective'])}, the fused "
            f"kernel {x(batch['fused'])}.\n"
            f"3. The same job fed by a stream waited for its data: a one-week prefetching "
            f"loader gave {x(stream['prefetch'])}.\n"
            "4. Profile, rank the terms, fund the largest one you can remove, then profile "
            "again.")


def save_to_ledger(ui, context, pred1, pred2, plan):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    truth, _ = act1_truth()
    s = speedup(context, plan)
    funded = ", ".join(OPT[o.key].name.lower() for o in OPTIMISATIONS if o.key in plan)
    decision = (f"{funded} ({weeks(plan)} engineer-weeks)" if plan else "nothing funded")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1,
        (bands.log_middle(ACT1_BANDS, pred1.value), truth.amdahl_speedup), pred2,
        decision=decision, result=s, unit="x",
        constraint_hit=bool(plan) and bool(cases.plan_violations(context, plan)))
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Plan", decision), ("Step speed-up", x(s))))

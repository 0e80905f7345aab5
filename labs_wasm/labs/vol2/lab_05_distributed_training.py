"""Vol II · Lab 05 · Splitting a model across a fleet (chapter: distributed_training).

Act I calibrates why data parallelism alone cannot train a 175-billion-parameter model: every
GPU keeps a whole replica of the training state, about 2.8 TB under mixed-precision Adam, 35
times an H100's memory, however many GPUs join; ZeRO shards that state over the replicas (stage
3 brings it to about 16 GB), but not the activations, so the model must still be recomputed.
Act II hands the student 256 H100s and the controls of 3D parallelism (tensor and pipeline
degrees, micro-batch size, ZeRO stage, recomputation) with an MFU target; the layout fails when
a GPU runs out of memory, or when the bubble, the recomputation or communication on a slow
link push MFU under the target. The prediction asks what tensor parallelism across the node
boundary costs. The two contexts are two jobs on the same fleet: Llama 3 8B, which data
parallelism trains best, and GPT-3 175B, which needs all three dimensions. Every number comes
from the engine through distributed_training_cases.py, which Chapter 21 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from mlsysim.resolvers.memory import MIXED_ADAM_BYTES
from labs.vol2 import distributed_training_cases as cases
from labs.vol2.distributed_training_cases import (ACT1_JOB, ACT2_BASE, ACT2_WIDE,
                                                  ARITHMETIC_EFFICIENCY, DP_POINTS, GPU, GPUS,
                                                  JOBS, MFU_TARGET,
                                                  PARTS, PER_NODE, PP_CHOICES, TP_CHOICES,
                                                  ZERO_STAGES, parts, step)

LAB = Lab(
    id="vol2/05", chapter="distributed_training", title="Splitting a model across a fleet",
    hook="256 GPUs can train a model none of them can hold, but only if the model is cut the "
         "right way. Which cuts does the hardware forgive, and which does it punish?",
    invariants=["data parallelism replicates the training state", "ZeRO shards it",
                "pipeline bubble (p − 1)/(m + p − 1)",
                "tensor parallelism belongs inside a node", "MFU at scale"],
    minutes=40, contexts=("data_parallel", "parallel_3d"),
    reading=[
        ("@sec-v2-distributed-training-data-parallel", "data parallelism and its replicated state"),
        ("@sec-v2-distributed-training-zero", "ZeRO stages 1 to 3 and what they shard"),
        ("@sec-v2-distributed-training-tensor", "tensor parallelism and its per-layer exchanges"),
        ("@sec-v2-distributed-training-pipeline", "pipeline stages, micro-batches and the bubble"),
        ("@sec-v2-distributed-training-3d", "placing each dimension on the hardware hierarchy"),
    ],
)

CONTEXT_LABELS = contexts.labels({"data_parallel": "Llama 3 8B on 256 H100s",
                                  "parallel_3d": "GPT-3 175B on 256 H100s"})
CAPACITY = GPU.memory.capacity.m_as("B")
ZERO_LABELS = {"0": "None: every GPU keeps the whole training state",
               "1": "Stage 1: shard the optimizer state",
               "2": "Stage 2: shard optimizer state and gradients",
               "3": "Stage 3: shard optimizer state, gradients and weights"}
CKPT_LABELS = {"none": "None: keep every activation",
               "selective": "Selective: recompute the attention core",
               "full": "Full: keep layer inputs, recompute every forward pass"}
CKPT_WORDS = {"none": "no recomputation", "selective": "selective recomputation",
              "full": "full recomputation"}
TERM_NAMES = {"weights": "Weights", "gradients": "Gradients",
              "optimizer_state": "Optimizer state", "activations": "Activations"}
TERM_COLORS = {"weights": plot.COLORS["cloud"], "gradients": plot.COLORS["mobile"],
               "optimizer_state": plot.COLORS["fleet"], "activations": plot.COLORS["edge"]}
PART_COLORS = {"compute": plot.COLORS["good"], "recompute": plot.COLORS["mobile"],
               "pipeline_bubble": plot.COLORS["edge"], "tp_communication": plot.COLORS["bad"],
               "pp_communication": plot.COLORS["accent"], "dp_communication": plot.COLORS["fleet"],
               "zero_communication": plot.COLORS["cloud"]}
STAGE_COLORS = {0: plot.COLORS["bad"], 1: plot.COLORS["accent"], 2: plot.COLORS["edge"],
                3: plot.COLORS["good"]}


def gb(x: float) -> str:
    return fmt.si(x, "B")


def pct(x: float) -> str:
    return fmt.percent(x, 1)


def count(n: int) -> str:
    return f"{n:,}"


def layout_text(tp: int, pp: int) -> str:
    return f"tensor {tp} × pipeline {pp} × data {cases.dp_of(tp, pp)}"


# ---- Act I: how much memory does one replica need? ---------------------------------------------
def act1_bands() -> dict:
    """Bands of per-GPU bytes: under the H100's memory, then wider bands above it."""
    return {"A": (0.0, CAPACITY), "B": (CAPACITY, 500e9), "C": (500e9, 2e12),
            "D": (2e12, math.inf)}


def act1_truth():
    r = cases.replica_memory(0)
    return r, bands.band_of(r.total.m_as("B"), act1_bands())


def ledger_text(r) -> str:
    return (f"weights {gb(r.weights.m_as('B'))} + gradients {gb(r.gradients.m_as('B'))} + "
            f"optimizer state {gb(r.optimizer_state.m_as('B'))} + activations "
            f"{gb(r.activations.m_as('B'))}")


def act1_options(r) -> dict:
    need = r.total.m_as("B")
    n = float(ACT1_JOB.model.parameters)
    per = {k: fmt.num(getattr(r, k).m_as("B") / n) for k in ("weights", "optimizer_state")}
    bpp = fmt.num(r.bytes_per_parameter)
    fact = (f"Each GPU holds the whole training state: {ledger_text(r)} = **{gb(need)}**, "
            f"{fmt.num(need / CAPACITY)} times the H100's {gb(CAPACITY)}.")
    return {
        "A": (f"Under {gb(CAPACITY)}: it fits in one H100",
              f"{fact} Data parallelism splits the batch, not the model: adding GPUs adds "
              "replicas, and every replica is the whole model."),
        "B": (f"{gb(CAPACITY)} to 500 GB",
              f"{fact} The weights alone, at {per['weights']} bytes per parameter, are "
              f"{gb(r.weights.m_as('B'))}; Adam's FP32 master copy and two moments add "
              f"{per['optimizer_state']} bytes per parameter more."),
        "C": ("500 GB to 2 TB",
              f"{fact} Count {bpp} bytes per parameter for mixed-precision Adam, not the "
              f"{per['weights']} bytes of the FP16 weights: the optimizer state is "
              f"{fmt.percent(r.optimizer_state.m_as('B') / need, 0)} of it."),
        "D": ("More than 2 TB",
              f"Right. {fact} {bpp} bytes for each of {fmt.num(n / 1e9)} billion parameters, "
              f"on every one of the {count(GPUS)} GPUs."),
    }


# ---- Act II: tensor parallelism across the node boundary ---------------------------------------
ACT2_BANDS = {"A": (MFU_TARGET, 1.01), "B": (0.20, MFU_TARGET), "C": (0.10, 0.20),
              "D": (0.0, 0.10)}


def act2_truth():
    base, wide = step(*ACT2_BASE), step(*ACT2_WIDE)
    return base, wide, bands.band_of(wide.effective_mfu, ACT2_BANDS)


def act2_options(base, wide) -> dict:
    pb, pw = parts(base), parts(wide)
    fact = (f"Tensor 16 × pipeline 4 reaches **{pct(wide.effective_mfu)}** MFU, against "
            f"{pct(base.effective_mfu)} for 8 × 8: the tensor-parallel exchanges take "
            f"{fmt.duration(pw['tp_communication'])} of a {fmt.duration(wide.step_time.m_as('s'))} "
            f"step, against {fmt.duration(pb['tp_communication'])} of "
            f"{fmt.duration(base.step_time.m_as('s'))}.")
    link = cases.FLEET.fabric.link
    nvlink = cases.FLEET.node.intra_node
    ratio = nvlink.bandwidth.m_as("B/s") / cases.FLEET.fabric.bandwidth_per_gpu.m_as("B/s")
    return {
        "A": (f"{fmt.percent(MFU_TARGET, 0)} or more: the same GPUs do the same work",
              f"{fact} The arithmetic is the same; what changes is the link the per-layer "
              f"exchanges cross: a 16-GPU group spans two nodes, so its ring runs over "
              f"{cases.short(link.name)} at "
              f"{fmt.si(cases.FLEET.fabric.bandwidth_per_gpu.m_as('B/s'), 'B/s')} per GPU "
              f"instead of {cases.short(nvlink.name)} at "
              f"{fmt.si(nvlink.bandwidth.m_as('B/s'), 'B/s')}."),
        "B": ("20% to 30%",
              f"{fact} Halving the stages cuts the bubble's share of the pipeline from "
              f"{pct(base.bubble_fraction)} to {pct(wide.bubble_fraction)}, a small gain; the "
              f"exchanges grow by {fmt.duration(pw['tp_communication'] - pb['tp_communication'])}."),
        "C": ("10% to 20%",
              f"Right. {fact} Every layer's exchanges now cross a link about "
              f"{fmt.num(ratio, 2)} times slower than NVLink, several times per micro-batch."),
        "D": ("Under 10%",
              f"{fact} The loss is large but not total: the arithmetic, "
              f"{fmt.duration(pw['compute'])}, is still {fmt.percent(pw['compute'] / wide.step_time.m_as('s'), 0)} "
              "of the longer step."),
    }


# ---- the page ----------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Training job", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, layout = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, layout)


def act_one(ui):
    truth, correct = act1_truth()
    job = ACT1_JOB
    with ui.section("Act I · Calibration", "Can data parallelism alone train 175B? (12-15 min)"):
        ui.stakeholder(
            "Research director",
            f"We have {count(GPUS)} H100s ({cases.NODES} nodes of {PER_NODE}) for the quarter "
            f"and a model the size of {job.what} to train. Our training code does data parallelism "
            "only: every GPU runs the whole model on its own sequences and the gradients are "
            "averaged after each step. Can we launch it on all of them as it is?")
        ui.markdown(
            "Data parallelism splits the *batch*. What each GPU must hold is the training "
            "memory of Volume I (@sec-training-memory): weights, gradients, optimizer state "
            "and activations. Commit to an estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"With plain data parallelism on {count(GPUS)} H100s (mixed-precision Adam, no "
            f"sharding, activations recomputed, one {count(job.seq_len)}-token sequence at a "
            f"time), how much memory does each GPU need for {job.what}?",
            act1_options(truth), correct=correct)

        zero = int(ui.select("act1.zero", "ZeRO stage (what the replicas shard)", ZERO_LABELS,
                             default="0"))
        dp = int(ui.slider("act1.dp", "GPUs in data parallel", 8, 1024, 8, GPUS, unit="GPUs"))
        act1_instruments(ui, zero, dp, truth)
        ui.reveal(pred, f"{gb(truth.total.m_as('B'))} per GPU ({ledger_text(truth)}), against "
                        f"the H100's {gb(CAPACITY)}", text=pred.feedback, key="act1.overlay")
        z3s = cases.replica_memory(3, checkpointing="selective")
        z3f = cases.replica_memory(3)
        z3 = cases.pure_dp_step()
        best = cases.best_layout("parallel_3d")
        best_row = best_row_of(best)
        ui.reflection(
            "act1.reflection",
            f"ZeRO stage 3 brings each GPU's share to {gb(z3f.total.m_as('B'))}. Why do large "
            "runs still split the model with tensor and pipeline parallelism?",
            {
                "A": ("They do not need to: sharded data parallelism is enough at any size",
                      f"It fits, but at a price: data parallelism with ZeRO-3 reaches "
                      f"{pct(z3.effective_mfu)} MFU here, while the engine's best three-way "
                      f"split reaches {pct(best_row['effective_mfu'])}. The difference is the "
                      "recomputation that sharded data parallelism cannot avoid."),
                "B": ("ZeRO shards the model state, not the activations: every GPU still holds "
                      "all layers' activations for its sequence",
                      f"Yes. With selective recomputation each GPU would need "
                      f"{gb(z3s.total.m_as('B'))} (activations "
                      f"{gb(z3s.activations.m_as('B'))}), more than {gb(CAPACITY)}; only full "
                      f"recomputation fits, and it repeats every forward pass, a third more "
                      f"arithmetic: MFU {pct(z3.effective_mfu)}. Tensor and pipeline "
                      "parallelism cut the activations too."),
                "C": ("ZeRO-3 gathers the full model onto every GPU, so memory is not really "
                      "saved",
                      "It gathers one layer's weights at a time, just before that layer runs, "
                      "and frees them after; the full model is never resident. The saving is "
                      "real; the activations are what it leaves alone."),
                "D": ("Sharding makes the gradient exchange much larger",
                      "ZeRO stages 1 and 2 move the same volume as a plain AllReduce, stage 3 "
                      f"one and a half times it: "
                      f"{fmt.duration(parts(z3)['zero_communication'] + parts(z3)['dp_communication'])} "
                      f"of a {fmt.duration(z3.step_time.m_as('s'))} step here. Not the main "
                      "cost."),
            }, correct="B")
        with ui.math_peek("the training state per GPU under ZeRO", key="act1.mathpeek"):
            ui.markdown(mathpeek_zero(zero, dp))
    return pred


def act1_instruments(ui, zero, dp, truth):
    traces, rows = [], []
    for z in ZERO_STAGES:
        ys = [cases.replica_memory(z, d).total.m_as("GB") for d in DP_POINTS]
        traces.append(plot.line(list(DP_POINTS), ys, f"ZeRO stage {z}" if z else "No sharding",
                                STAGE_COLORS[z], width=3 if z == zero else 1.5))
    here = cases.replica_memory(zero, dp)
    traces.append(plot.points([dp], [here.total.m_as("GB")], "Your setting", plot.COLORS["ink"],
                              symbol="star", size=16))
    for d in DP_POINTS:
        rows.append([count(d)] + [gb(cases.replica_memory(z, d).total.m_as("B"))
                                  for z in ZERO_STAGES])
    ui.figure({"data": traces, "layout": plot.layout(
        f"Memory per GPU, {ACT1_JOB.what} with data parallelism alone", height=400,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("GPUs in data parallel (log scale)", log=True),
        yaxis=plot.axis("GB per GPU (log scale)", log=True),
        shapes=[plot.hline(CAPACITY / 1e9, plot.COLORS["bad"], dash="dash")],
        annotations=[plot.note(1, math.log10(CAPACITY / 1e9), f"H100 memory, {gb(CAPACITY)}",
                               xref="paper", xanchor="right", yanchor="bottom")])},
        key="act1.memory", caption=(
            f"Memory each GPU needs when {ACT1_JOB.what} is split by data parallelism alone, "
            f"against the number of GPUs, for each ZeRO stage (red line: the H100's "
            f"{gb(CAPACITY)}). Without sharding it stays at "
            f"{gb(truth.total.m_as('B'))} however many GPUs join; stage 3 divides the whole "
            f"state by the GPUs. Your setting ({count(dp)} GPUs, "
            f"{'no sharding' if zero == 0 else f'stage {zero}'}): "
            f"{gb(here.total.m_as('B'))}."),
        table={"caption": "Memory per GPU by data-parallel GPUs and ZeRO stage",
               "columns": ["GPUs", "no sharding", "stage 1", "stage 2", "stage 3"],
               "rows": rows})
    fleet_bytes = here.total.m_as("B") * dp
    ui.metrics([
        Metric("Per GPU, no sharding", gb(truth.total.m_as("B")), tone="danger",
               note=f"{fmt.num(truth.total.m_as('B') / CAPACITY)} × an H100's memory"),
        Metric("Per GPU, your setting", gb(here.total.m_as("B")),
               tone="success" if here.feasible else "danger",
               note="fits" if here.feasible else f"does not fit in {gb(CAPACITY)}"),
        Metric("Stored across the GPUs", gb(fleet_bytes),
               note=f"{fmt.num(fleet_bytes / truth.total.m_as('B'))} × one replica's state"),
        Metric("Activations per GPU", gb(here.activations.m_as("B")),
               note="not sharded by any stage"),
    ], key="act1.metrics")


def mathpeek_zero(zero, dp) -> str:
    r = cases.replica_memory(zero, dp)
    n = float(ACT1_JOB.model.parameters)
    w, g, o = (fmt.num(v) for v in (MIXED_ADAM_BYTES["weights"], MIXED_ADAM_BYTES["gradients"],
                                    MIXED_ADAM_BYTES["optimizer"]))
    bpp = fmt.num(r.bytes_per_parameter)
    shard = {0: "nothing", 1: "the optimizer state", 2: "gradients and optimizer state",
             3: "weights, gradients and optimizer state"}[zero]
    return (
        f"\n$$\nM_{{\\text{{GPU}}}} = N\\left(\\frac{{{w}}}{{d_w}} + \\frac{{{g}}}{{d_g}} + "
        f"\\frac{{{o}}}{{d_o}}\\right) + A, \\qquad d_x = \\begin{{cases}} d & "
        "\\text{if stage shards } x \\\\ 1 & \\text{otherwise}\\end{cases}\n$$\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | parameters | {fmt.num(n)} |\n"
        f"| {w}, {g}, {o} | bytes per parameter: FP16 weights, FP16 gradients, FP32 master copy "
        f"and Adam's two moments | {bpp} B |\n"
        f"| $d$ | GPUs in data parallel | {count(dp)} |\n"
        f"| stage | what is divided by $d$ | {zero}: {shard} |\n"
        f"| $A$ | activations kept for one {count(ACT1_JOB.seq_len)}-token sequence, every layer's "
        f"input only (full recomputation) | {gb(r.activations.m_as('B'))} |\n\n"
        f"Here: weights {gb(r.weights.m_as('B'))} + gradients {gb(r.gradients.m_as('B'))} + "
        f"optimizer state {gb(r.optimizer_state.m_as('B'))} + activations "
        f"{gb(r.activations.m_as('B'))} = **{gb(r.total.m_as('B'))}** per GPU. Data "
        f"parallelism without sharding stores $d$ copies of the ${bpp}N$ bytes; ZeRO stage 3 "
        "stores one, spread over the $d$ GPUs (Rajbhandari et al. 2020). $A$ has no $d$ in it.")


def best_row_of(result) -> dict:
    cfg = result.best_config
    return next(r for r in result.table
                if all(r[k] == cfg[k] for k in ("dp", "tp", "pp")))


# ---- Act II ------------------------------------------------------------------------------------
def act_two(ui, context):
    base, wide, correct = act2_truth()
    job = JOBS[context]
    with ui.section("Act II · Design challenge", "Cut the model to fit the fleet (20-25 min)"):
        ui.stakeholder(
            "Head of the training platform",
            f"Two jobs share the {count(GPUS)} H100s this quarter: {JOBS['data_parallel'].what} "
            f"and {JOBS['parallel_3d'].what}, each with {fmt.binary(cases.GLOBAL_BATCH_TOKENS, '')}"
            " tokens per step. The budget assumes each job keeps at least "
            f"{fmt.percent(MFU_TARGET, 0)} MFU. For the 175B job we run tensor parallel 8 inside "
            f"each node and 8 pipeline stages, at {pct(base.effective_mfu)}. A colleague wants "
            "tensor parallel 16 and 4 stages: half the stages, a smaller bubble, and about the same "
            "memory per GPU.")
        ui.markdown(
            "The engine times one training step of a layout: the arithmetic at "
            f"{fmt.percent(ARITHMETIC_EFFICIENCY, 0)} of peak (its estimate for large-model "
            "kernels, so the ceiling of MFU), the recomputation, the pipeline bubble, and every "
            "exchange not hidden behind compute, on the link it crosses. The target is this "
            "scenario's (illustrative). Commit first.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{JOBS['parallel_3d'].what} on {count(GPUS)} H100s, ZeRO-1, selective "
            "recomputation, one-sequence micro-batches: tensor 8 × pipeline 8 × data 4 reaches "
            f"{pct(base.effective_mfu)} MFU. What does tensor 16 × pipeline 4 × data 4 reach?",
            act2_options(base, wide), correct=correct)

        ui.markdown(f"**Your layout** for {job.what} ({count(job.sequences)} sequences of "
                    f"{count(job.seq_len)} tokens per step, on {count(GPUS)} GPUs):")
        tp = int(ui.select("act2.tp", "Tensor-parallel GPUs (split every layer)",
                           {str(t): f"{t}" + (" (spans two nodes)" if t > PER_NODE else "")
                            for t in TP_CHOICES}, default="1"))
        pp = int(ui.select("act2.pp", "Pipeline stages (split the layers)",
                           {str(p): str(p) for p in PP_CHOICES}, default="1"))
        micro = cases.micro_choices(context, tp, pp)
        b = int(ui.select("act2.micro", "Micro-batch size (sequences)",
                          {str(x): micro_label(context, tp, pp, x) for x in micro},
                          default="1"))
        zero = int(ui.select("act2.zero", "ZeRO stage", ZERO_LABELS, default="1"))
        ckpt = ui.select("act2.ckpt", "Activation recomputation", CKPT_LABELS,
                         default="selective")
        layout = (context, tp, pp, b, zero, ckpt)
        r = step(*layout)
        missed = cases.violations(*layout)
        if missed:
            ui.failure("The layout misses", missed, text=failure_text(layout), key="act2.failure",
                       show=show)
        else:
            ui.callout("success", f"{layout_text(tp, pp).capitalize()} fits in "
                       f"{gb(r.memory_per_gpu.m_as('B'))} per GPU and reaches "
                       f"{pct(r.effective_mfu)} MFU, above the "
                       f"{fmt.percent(MFU_TARGET, 0)} target.", title="The layout works",
                       key="act2.ok")
        act2_instruments(ui, layout, r)

        ui.reveal(pred, f"{pct(wide.effective_mfu)} MFU for tensor 16 × pipeline 4, against "
                        f"{pct(base.effective_mfu)} for 8 × 8", text=pred.feedback,
                  key="act2.overlay")
        t8 = cases.traffic(*ACT2_BASE)
        dp_step = step("data_parallel", 1, 1, 1, 1, "selective")
        tp_step = step("data_parallel", PER_NODE, 1, 1, 1, "selective")
        ui.reflection(
            "act2.reflection",
            "The layouts that meet the target keep tensor parallelism inside a node and put "
            "pipeline stages and data parallelism across nodes. Why that placement?",
            {
                "A": ("Pipeline stages need more bandwidth than tensor parallelism",
                      f"The reverse. In tensor 8 × pipeline 8, each GPU sends "
                      f"{gb(t8.tp_bytes_per_gpu.m_as('B'))} per step in tensor-parallel "
                      f"exchanges and {gb(t8.pp_bytes_per_gpu.m_as('B'))} in pipeline sends."),
                "B": ("Tensor parallelism exchanges activations several times in every layer, "
                      "on the critical path; a stage boundary passes one activation per "
                      "micro-batch",
                      f"Yes. Per step, each GPU of tensor 8 × pipeline 8 sends "
                      f"{gb(t8.tp_bytes_per_gpu.m_as('B'))} in tensor-parallel AllReduces, "
                      f"{gb(t8.pp_bytes_per_gpu.m_as('B'))} to the next stage and "
                      f"{gb(t8.dp_bytes_per_gpu.m_as('B'))} for the gradient reduction. The "
                      "heaviest traffic gets the fastest link."),
                "C": ("Tensor parallelism is always best, so it gets the best link",
                      f"Not for a model that fits: for {JOBS['data_parallel'].what}, tensor "
                      f"parallel {PER_NODE} gives {pct(tp_step.effective_mfu)} MFU, data "
                      f"parallelism alone {pct(dp_step.effective_mfu)}. Tensor parallelism pays "
                      "its exchanges in every layer; use it when memory demands it."),
                "D": ("Placement does not matter; only the product tensor × pipeline does",
                      f"Tensor 8 × pipeline 8 and tensor 16 × pipeline 4 have the same product "
                      f"and the same memory per GPU, yet {pct(base.effective_mfu)} against "
                      f"{pct(wide.effective_mfu)} MFU."),
            }, correct="B")
        with ui.math_peek("MFU from the parts of a step", key="act2.mathpeek"):
            ui.markdown(mathpeek_mfu(layout, r))
    return pred, layout


def micro_label(context, tp, pp, b) -> str:
    m = cases.microbatches(context, tp, pp, b)
    return f"{b} ({m} micro-batch{'es' if m > 1 else ''} per replica per step)"


def show(q) -> str:
    """A constraint's amount as the banner shows it: MFU as a percentage, bytes as bytes."""
    if q.dimensionless:
        return pct(q.m_as(""))
    return fmt.quantity(q)


#: What to do about the largest loss of a step that misses the target.
REMEDY = {
    "recompute": "Full recomputation repeats every forward pass: use selective recomputation, "
                 "and free the memory it needs with more pipeline stages or a higher ZeRO stage",
    "pipeline_bubble": "The pipeline idles while it fills and drains: use smaller micro-batches "
                       "(more of them per step) or fewer stages",
    "tp_communication": "Tensor parallelism exchanges activations in every layer: keep its group "
                        f"inside one node ({PER_NODE} GPUs) or smaller",
    "pp_communication": "The stage boundaries cross a slow link: use fewer stages",
    "dp_communication": "The gradient reduction crosses the fabric: split the model more with "
                        "tensor or pipeline parallelism, so each GPU reduces a smaller shard",
    "zero_communication": "ZeRO-3 gathers every weight over the fabric twice per step: use stage "
                          "1 or 2 if the memory allows",
}


def failure_text(layout) -> str:
    context, tp, pp, b, zero, ckpt = layout
    r = step(*layout)
    text = []
    if not r.feasible:
        text.append(f"Each GPU would need {gb(r.memory_per_gpu.m_as('B'))} of its "
                    f"{gb(CAPACITY)}. Shard or split more: a higher ZeRO stage, more "
                    f"tensor-parallel GPUs (up to {PER_NODE}, one node), more pipeline stages, "
                    "smaller micro-batches or more recomputation.")
    if r.effective_mfu < MFU_TARGET:
        p = parts(r)
        del p["compute"]
        worst = max(p, key=p.get)
        text.append(f"MFU is {pct(r.effective_mfu)}, under the {fmt.percent(MFU_TARGET, 0)} "
                    f"target. The largest loss is the {PARTS[worst].lower()}, "
                    f"{fmt.duration(p[worst])} of a {fmt.duration(r.step_time.m_as('s'))} "
                    f"step. {REMEDY[worst]}.")
    return " ".join(text)


def act2_instruments(ui, layout, r):
    context, tp, pp, b, zero, ckpt = layout
    job = JOBS[context]
    p = parts(r)
    total = r.step_time.m_as("s")
    names = list(PARTS.values())
    ui.metrics([
        Metric("Data-parallel replicas", count(r.dp), note=f"{count(GPUS)} / ({tp} × {pp})"),
        Metric("Micro-batches per step", count(r.microbatches),
               note=f"{b} sequence{'s' if b > 1 else ''} each, per replica"),
        Metric("Pipeline bubble", pct(r.bubble_fraction), note=f"(p − 1)/(m + p − 1), p = {pp}",
               tone="warn" if r.bubble_fraction > 0.1 else None),
        Metric("Memory per GPU", gb(r.memory_per_gpu.m_as("B")),
               tone="success" if r.feasible else "danger", note=f"of {gb(CAPACITY)}"),
        Metric("Step time", fmt.duration(total),
               note=f"{fmt.num(r.tokens_per_second.m_as('token/s'))} tokens/s"),
        Metric("MFU" if r.feasible else "MFU, if it fitted", pct(r.effective_mfu),
               tone=(None if not r.feasible else
                     "success" if r.effective_mfu >= MFU_TARGET else "danger"),
               note=f"target {fmt.percent(MFU_TARGET, 0)}, ceiling "
                    f"{fmt.percent(ARITHMETIC_EFFICIENCY, 0)}"),
    ], key="act2.metrics")
    ui.figure({"data": [plot.bar(list(p.values()), names,
                                 [PART_COLORS[k] for k in p],
                                 text=[f"{fmt.duration(v)} ({fmt.percent(v / total, 0)})"
                                       if v > 0 else "0" for v in p.values()],
                                 orientation="h", hoverinfo="y+text")],
               "layout": plot.layout(f"One training step of {job.what}, part by part",
                                     height=360, xaxis=plot.axis("seconds per step"),
                                     yaxis=plot.axis("", autorange="reversed"))},
              key="act2.step", caption=(
                  f"The step of {job.what} with {layout_text(tp, pp)}, "
                  f"{fmt.duration(total)}: " + "; ".join(
                      f"{PARTS[k].lower()} {fmt.duration(v)}" for k, v in p.items() if v > 0)
                  + f". MFU = {fmt.percent(ARITHMETIC_EFFICIENCY, 0)} × arithmetic / step = "
                  f"{pct(r.effective_mfu)}."),
              table={"caption": "One training step, part by part",
                     "columns": ["part", "seconds", "share of the step"],
                     "rows": [[PARTS[k], fmt.duration(v), fmt.percent(v / total, 1)]
                              for k, v in p.items()]})
    mem = cases.memory(*layout)
    terms = {k: getattr(mem, k).m_as("B") for k in TERM_NAMES}
    ui.figure({"data": [plot.bar([v / 1e9], ["per GPU"], TERM_COLORS[k], name=TERM_NAMES[k],
                                 orientation="h") for k, v in terms.items()],
               "layout": plot.layout("Memory ledger of one GPU", height=220, barmode="stack",
                                     showlegend=True, legend={"orientation": "h", "y": -0.6},
                                     xaxis=plot.axis("GB"),
                                     shapes=[plot.vline(CAPACITY / 1e9, plot.COLORS["bad"],
                                                        dash="dash")])},
              key="act2.memory", caption=(
                  "What one GPU holds: " + ", ".join(
                      f"{TERM_NAMES[k].lower()} {gb(v)}" for k, v in terms.items())
                  + f"; {gb(mem.total.m_as('B'))} in all against the H100's {gb(CAPACITY)} "
                  "(red line)."))
    t = cases.traffic(*layout)
    where = cases.placement(tp, pp)
    dp_time = p["dp_communication"] + p["zero_communication"]
    ui.table("Where each dimension's traffic goes (per GPU, per step)",
             ["dimension", "GPUs in a group", "link", "bytes sent", "exposed time"],
             [["Tensor parallel", count(tp), where["tp"] if tp > 1 else "none",
               gb(t.tp_bytes_per_gpu.m_as("B")), fmt.duration(p["tp_communication"])],
              ["Pipeline", count(pp), where["pp"] if pp > 1 else "none",
               gb(t.pp_bytes_per_gpu.m_as("B")), fmt.duration(p["pp_communication"])],
              ["Data parallel" + (" with ZeRO-3" if zero >= 3 else ""), count(r.dp),
               where["dp"] if r.dp > 1 else "none",
               gb(t.dp_bytes_per_gpu.m_as("B") + t.zero_bytes_per_gpu.m_as("B")),
               fmt.duration(dp_time)]],
             key="act2.traffic")


def mathpeek_mfu(layout, r) -> str:
    context, tp, pp, b, zero, ckpt = layout
    job = JOBS[context]
    p = parts(r)
    comm = sum(p[k] for k in ("tp_communication", "pp_communication", "dp_communication",
                              "zero_communication"))
    peak = GPU.compute.peak_flops.m_as("FLOP/s")
    return (
        "\n$$\n\\text{MFU} = \\frac{6\\,N\\,B}{T_{\\text{step}}\\; n\\, R}, \\qquad "
        "T_{\\text{step}} = \\underbrace{\\frac{6\\,N\\,B}{n\\,R\\,\\eta}}_{T_{\\text{arith}}} "
        "+ T_{\\text{recompute}} + T_{\\text{bubble}} + T_{\\text{comm}}, \\qquad "
        "T_{\\text{bubble}} = \\frac{p-1}{m}\\,(T_{\\text{arith}} + T_{\\text{recompute}} + "
        "T_{\\text{tp}})\n$$\n\n"
        f"for {job.what} with {layout_text(tp, pp)}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | parameters | {fmt.num(float(job.model.parameters))} |\n"
        f"| $B$ | tokens per step | {count(cases.GLOBAL_BATCH_TOKENS)} |\n"
        f"| $n$ | GPUs | {count(GPUS)} |\n"
        f"| $R$ | peak of one H100 (FP16 dense) | {fmt.si(peak, 'FLOP/s')} |\n"
        f"| $\\eta$ | fraction of peak the arithmetic reaches | "
        f"{fmt.percent(ARITHMETIC_EFFICIENCY, 0)} |\n"
        f"| $p$, $m$ | pipeline stages, micro-batches per replica | {pp}, {r.microbatches} |\n"
        f"| $T_{{\\text{{arith}}}}$ | the model's arithmetic | {fmt.duration(p['compute'])} |\n"
        f"| $T_{{\\text{{recompute}}}}$ | {CKPT_WORDS[ckpt]} | {fmt.duration(p['recompute'])} |\n"
        f"| $T_{{\\text{{bubble}}}}$ | stages idle while the pipeline fills and drains | "
        f"{fmt.duration(p['pipeline_bubble'])} |\n"
        f"| $T_{{\\text{{comm}}}}$ | exchanges not hidden (tensor, pipeline, data) | "
        f"{fmt.duration(comm)} |\n\n"
        f"$T_{{\\text{{step}}}}$ = {fmt.duration(r.step_time.m_as('s'))}, so MFU = "
        f"{fmt.percent(ARITHMETIC_EFFICIENCY, 0)} × {fmt.duration(p['compute'])} / "
        f"{fmt.duration(r.step_time.m_as('s'))} = **{pct(r.effective_mfu)}**. The bubble's "
        f"idle fraction of the pipeline is $(p-1)/(m+p-1)$ = {pct(r.bubble_fraction)}. MFU "
        "counts only the model's FLOP (Chowdhery et al. 2022): recomputed FLOP are work the "
        "GPU does that the model does not need.")


def closing(ui):
    truth, _ = act1_truth()
    base, wide, _ = act2_truth()
    best3 = cases.best_layout("parallel_3d")
    row = best_row_of(best3)
    dp_step = step("data_parallel", 1, 1, 1, 1, "selective")
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-distributed-training-zero shards the replicas; "
            "@sec-v2-distributed-training-tensor and @sec-v2-distributed-training-pipeline "
            "split the model; @sec-v2-distributed-training-3d places each on the hierarchy, "
            "and @sec-v2-distributed-training-mfu counts what every choice costs.\n"
            "- Volume I counted one GPU's training memory (@sec-training-zero) and the run's "
            "arithmetic, $C = 6ND$ (@sec-training-time).\n"
            "- Next, Lab 06 (@sec-v2-collective-communication) opens the exchanges this lab "
            "timed: how an AllReduce is built, and what ring and tree cost.\n"
            "- TinyTorch, Module 07 (Training): the training step you write there is what data "
            "parallelism copies onto every GPU and what the exchanges here stitch back "
            "together.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Data parallelism replicates the training state: {gb(truth.total.m_as('B'))} "
            f"per GPU for {ACT1_JOB.what}, however many GPUs join. ZeRO shards that state, "
            "but not the activations.\n"
            f"2. A model that fits a GPU's share trains fastest with data parallelism alone: "
            f"{JOBS['data_parallel'].what} reaches {pct(dp_step.effective_mfu)} MFU that way.\n"
            f"3. Tensor parallelism belongs inside a node: across two nodes, {ACT1_JOB.what} "
            f"fell from {pct(base.effective_mfu)} to {pct(wide.effective_mfu)} MFU.\n"
            f"4. The engine's fastest split of {ACT1_JOB.what} that fits (ZeRO-1, selective "
            f"recomputation) is {layout_text(row['tp'], row['pp'])}, at "
            f"{pct(row['effective_mfu'])} MFU: memory first, then the fastest link for the "
            "heaviest traffic, then enough micro-batches to hide the bubble.")


def save_to_ledger(ui, context, pred1, pred2, layout):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    truth, _ = act1_truth()
    _, tp, pp, b, zero, ckpt = layout
    r = step(*layout)
    decision = (f"{JOBS[context].what}: {layout_text(tp, pp)}, ZeRO stage {zero}, "
                f"{CKPT_WORDS[ckpt]}, {b}-sequence micro-batches")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1,
        (bands.log_middle(act1_bands(), pred1.value), truth.total.m_as("B")), pred2,
        decision=decision, result=round(r.effective_mfu * 100, 2), unit="% MFU",
        constraint_hit=bool(cases.violations(*layout)))
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Layout", decision),
        ("MFU", pct(r.effective_mfu) + ("" if r.feasible else " (does not fit)"))))

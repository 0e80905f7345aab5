"""Vol I · Lab 08 · The training memory wall (chapter: training).

Act I calibrates what training keeps in memory besides the weights: mixed-precision Adam
holds weights, gradients and optimizer state for every parameter, several times the model a
server loads. Act II makes the student fit a fine-tuning job: after ZeRO shards the model
state, activations grow with the batch and the sequence, and the job runs out of memory;
activation checkpointing buys memory back with recomputation, a smaller recipe or model buys
it on the phone, where there is no second device to shard across. Every number comes from
the engine (TrainingMemoryModel and its activation and recomputation models, TrainingTimeModel)
through training_cases.py, which Chapter 8 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, contexts, fmt, ledger, plot
from labs.vol1 import training_cases as cases
from labs.vol1.training_cases import MACHINES, MODELS, TERM_NAMES, TERMS

LAB = Lab(
    id="vol1/08", chapter="training", title="The training memory wall",
    hook="A model that serves from one GPU can need a whole server to train. Where do the "
         "bytes go, and which knobs buy them back?",
    invariants=["Training memory = weights + gradients + optimizer state + activations",
                "Activation checkpointing: memory for recomputation",
                "ZeRO sharding across data-parallel devices"],
    minutes=40, contexts=("cloud", "mobile"),
    reading=[
        ("@sec-training-loop", "forward pass, backward pass, optimizer step"),
        ("@sec-training-memory", "the four terms of training memory"),
        ("@sec-training-mixed-precision", "why mixed-precision Adam keeps 16 bytes per parameter"),
        ("@sec-training-activations", "activation memory and checkpointing's recompute cost"),
        ("@sec-training-zero", "ZeRO: sharding model state over data-parallel devices"),
    ],
)

NODE, PHONE = cases.NODE, MACHINES["mobile"]
H100 = MACHINES["cloud"]
CONTEXT_LABELS = contexts.labels({"cloud": f"{NODE.accelerators} × H100 80 GB (one DGX H100)",
                                  "mobile": "Apple A17 Pro phone (8 GB)"})
DEVICE = {"cloud": "H100", "mobile": "phone"}
MODEL_LABELS = {k: m.name for k, m in MODELS.items()}
DEFAULT_MODEL = {"cloud": "llama3_8b", "mobile": "gpt2"}
OPTIMIZER_LABELS = {
    "adam_mixed": "Adam, mixed precision (FP16 compute, FP32 master copy)",
    "adam_fp32": "Adam, FP32 throughout",
    "sgd_fp32": "SGD with momentum, FP32",
    "sgd_plain": "Plain SGD (no momentum), FP32",
}
OPTIMIZER_WORDS = {"adam_mixed": "mixed-precision Adam", "adam_fp32": "FP32 Adam",
                   "sgd_fp32": "FP32 SGD with momentum", "sgd_plain": "plain FP32 SGD"}
CHECKPOINT_LABELS = {"none": "None: keep every activation",
                     "selective": "Selective: recompute the attention scores",
                     "full": "Full: keep each layer's input, recompute the rest"}
CHECKPOINT_WORDS = {"none": "no", "selective": "selective", "full": "full"}
ZERO_LABELS = {"0": "Stage 0: every device holds everything",
               "1": "Stage 1: shard the optimizer state",
               "2": "Stage 2: shard optimizer state and gradients",
               "3": "Stage 3: shard the weights too"}
TERM_COLORS = {"weights": plot.COLORS["cloud"], "gradients": plot.COLORS["mobile"],
               "optimizer_state": plot.COLORS["accent"], "activations": plot.COLORS["muted"]}


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def gbytes(x: float) -> str:
    return fmt.si(x, "B")


def breakdown(r) -> str:
    t = cases.terms(r)
    return (f"weights {gbytes(t['weights'])} + gradients {gbytes(t['gradients'])} + optimizer "
            f"state {gbytes(t['optimizer_state'])} = **{gbytes(cases.state_bytes(r))}**")


# ---- Act I: the model state of Llama 3 8B under mixed-precision Adam ----------------------
#: The options' bytes per parameter: FP16 weights alone (what serving loads), weights and
#: gradients, the full mixed-precision Adam state, four times that.
ACT1_BYTES_PER_PARAM = {"A": 2, "B": 4, "C": 16, "D": 64}


def act1_case():
    return cases.memory("cloud", **cases.ACT1)


def act1_truth() -> tuple[float, str]:
    """The engine's model-state bytes, and the option nearest to it on a log scale."""
    state = cases.state_bytes(act1_case())
    n = MODELS[cases.ACT1["model"]].parameters
    correct = min(ACT1_BYTES_PER_PARAM, key=lambda k: abs(
        math.log(ACT1_BYTES_PER_PARAM[k] * n) - math.log(state)))
    return state, correct


def act1_option_bytes(key: str) -> float:
    return ACT1_BYTES_PER_PARAM[key] * MODELS[cases.ACT1["model"]].parameters


def act1_options(r) -> dict:
    total = breakdown(r)
    t = cases.terms(r)
    return {
        "A": (f"About {gbytes(act1_option_bytes('A'))}",
              f"That is the FP16 weights alone, what a server loads. Training keeps more: "
              f"{total}. The weights are the smallest part of it."),
        "B": (f"About {gbytes(act1_option_bytes('B'))}",
              f"Weights and their gradients, both FP16, but not the optimizer: {total}. "
              f"Adam's state is {gbytes(t['optimizer_state'])} on its own, the largest term."),
        "C": (f"About {gbytes(act1_option_bytes('C'))}",
              f"Right: {total}, before a single activation is stored. Every parameter costs "
              f"{fmt.num(r.bytes_per_parameter)} bytes, and most of them are the optimizer's."),
        "D": (f"About {gbytes(act1_option_bytes('D'))}",
              f"Too large: {total}. Adam keeps two numbers per parameter (its moments) plus an "
              "FP32 copy of the weights, not dozens of bytes."),
    }


# ---- Act II: which term fills a GPU once ZeRO-3 has sharded the model state ---------------
ACT2_OPTION_TERM = {"A": "weights", "B": "gradients", "C": "optimizer_state", "D": "activations"}


def act2_case():
    return cases.memory("cloud", **cases.ACT2)


def act2_truth() -> tuple[object, str]:
    r = act2_case()
    top = cases.largest_term(r)
    return r, next(k for k, term in ACT2_OPTION_TERM.items() if term == top)


def terms_text(r) -> str:
    t = cases.terms(r)
    return ", ".join(f"{TERM_NAMES[k].lower()} {gbytes(t[k])}" for k in TERMS)


def act2_options(r) -> dict:
    t = cases.terms(r)
    top = cases.largest_term(r)
    per_gpu = (f"Per GPU: {terms_text(r)}; the largest is **{TERM_NAMES[top].lower()}**, and "
               f"the total, {gbytes(r.total.m_as('B'))}, "
               f"{'fits' if cases.fits('cloud', r) else 'does not fit'} in "
               f"{gbytes(cases.available('cloud'))}.")
    return {
        "A": ("The weights", f"{per_gpu} ZeRO-3 splits the FP16 weights over the "
              f"{NODE.accelerators} GPUs, so each holds only {gbytes(t['weights'])} of them."),
        "B": ("The gradients", f"{per_gpu} Gradients are as large as the FP16 weights, and "
              "from stage 2 on ZeRO shards them too."),
        "C": ("The optimizer state", f"{per_gpu} The optimizer state was the largest term in "
              f"Act I; sharded {NODE.accelerators} ways it is "
              f"{gbytes(t['optimizer_state'])} a GPU."),
        "D": ("The activations", f"{per_gpu} ZeRO shards the model state, but every GPU keeps "
              "the activations of its own sequences, and they grow with the batch and the "
              "sequence length."),
    }


# ---- the page -------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    r = act1_case()
    llama = MODELS[cases.ACT1["model"]]
    state, correct = act1_truth()
    with ui.section("Act I · Calibration", "What does training keep in memory? (12-15 min)"):
        ui.stakeholder(
            "ML platform lead",
            f"We serve {llama.name} from a single H100: its FP16 weights are "
            f"{gbytes(r.weights.m_as('B'))}, "
            f"{fmt.percent(r.weights.m_as('B') / H100.memory.capacity.m_as('B'), 0)} of the "
            "card. A research team wants to "
            "fine-tune it with Adam in mixed precision, the usual recipe. They asked for one "
            "GPU. Should I approve it?")
        ui.markdown(
            "Serving needs the weights. Training runs a forward pass, a backward pass that "
            "computes a gradient for every weight, and an optimizer step that updates each "
            "weight from its gradient and from state the optimizer keeps. All of it stays in "
            "memory between steps. Commit to an estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"Fine-tuning {llama.name} ({fmt.num(llama.parameters / 1e9)} billion parameters) "
            "with mixed-precision Adam: how much memory do the weights, the gradients and the "
            "optimizer state take together, before any activation is stored?",
            act1_options(r), correct=correct)

        act1_ledger_chart(ui, context, r)
        act1_metrics(ui, context, r)
        t = cases.terms(r)
        ui.reveal(pred, f"{gbytes(state)}: weights {gbytes(t['weights'])}, gradients "
                        f"{gbytes(t['gradients'])}, optimizer state "
                        f"{gbytes(t['optimizer_state'])}", text=pred.feedback, key="act1.overlay")
        top = max(TERMS[:3], key=t.get)
        reflect = {"weights": "A", "gradients": "B", "optimizer_state": "C"}
        ui.reflection(
            "act1.reflection",
            "Which part of the model state is largest, and why?",
            {
                "A": ("The weights: they are what the model is",
                      f"The FP16 weights are {gbytes(t['weights'])}, the same as serving. "
                      "Training's extra bytes are elsewhere."),
                "B": ("The gradients: one for every weight",
                      f"One FP16 gradient per weight is {gbytes(t['gradients'])}, as large as "
                      "the weights but no larger."),
                "C": ("The optimizer state: an FP32 master copy and Adam's two moments",
                      f"Yes: {gbytes(t['optimizer_state'])}, three FP32 numbers per parameter "
                      "(4 + 4 + 4 bytes). Small FP16 updates would vanish when added to FP16 "
                      "weights, so mixed precision keeps the master copy in FP32, and Adam keeps "
                      "a running mean and a running mean square of every gradient."),
                "D": ("They are equal: three copies of the model",
                      f"They are not: {breakdown(r)}. The optimizer's share is "
                      f"{fmt.ratio(t['optimizer_state'] / t['weights'])} the weights'."),
            }, correct=reflect[top])
        with ui.math_peek("sixteen bytes per parameter", key="act1.mathpeek"):
            ui.markdown(mathpeek_state(r))
    return pred


def act1_ledger_chart(ui, context, r):
    t = cases.terms(r)
    seq = cases.ACT1["seq_len"]
    bars = ["Serving: FP16 weights", "Training: mixed-precision Adam"]
    traces, rows = [], []
    for term in TERMS:
        serving = t["weights"] if term == "weights" else 0.0
        ys = [serving / 1e9, t[term] / 1e9]
        traces.append(plot.bar(bars, ys, TERM_COLORS[term], name=TERM_NAMES[term],
                               hovertext=[gbytes(y * 1e9) for y in ys]))
        rows.append([TERM_NAMES[term], gbytes(serving), gbytes(t[term])])
    rows.append(["Total", gbytes(t["weights"]), gbytes(r.total.m_as("B"))])
    avail = cases.available(context)
    shapes = [plot.hline(avail / 1e9, plot.COLORS["bad"])]
    label = (f"one H100: {gbytes(avail)}" if context == "cloud"
             else f"the app's share of the phone: {gbytes(avail)}")
    figure = {"data": traces, "layout": plot.layout(
        "The memory ledger: serving against training", height=400, barmode="stack",
        showlegend=True, legend={"orientation": "h", "y": -0.18}, shapes=shapes,
        annotations=[plot.note(0.5, avail / 1e9, label, xref="paper", yshift=10)],
        yaxis=plot.axis("GB"))}
    ui.figure(figure, key="act1.ledger", caption=(
        f"Memory ledger for {MODELS[cases.ACT1['model']].name}: serving holds the FP16 weights, "
        f"{gbytes(t['weights'])}; training with mixed-precision Adam holds {breakdown(r)}, plus "
        f"{gbytes(t['activations'])} of activations for one sequence of {seq:,} tokens, "
        f"{gbytes(r.total.m_as('B'))} in all. The red line is {label}."),
        table={"caption": "Memory by term (engine values)",
               "columns": ["term", "serving", "training"], "rows": rows})


def act1_metrics(ui, context, r):
    avail = cases.available(context)
    total = r.total.m_as("B")
    where = "one H100" if context == "cloud" else "the app's share of the phone"
    ui.metrics([
        Metric("Model state", gbytes(cases.state_bytes(r)), tone="info",
               note=f"{fmt.num(r.bytes_per_parameter)} B per parameter"),
        Metric("Activations", gbytes(r.activations.m_as("B")),
               note=f"1 sequence of {cases.ACT1['seq_len']:,} tokens"),
        Metric("Training total", gbytes(total), tone="danger" if total > avail else "success"),
        Metric("Available", gbytes(avail), note=where),
        (Metric("H100s just to hold it", fmt.num(math.ceil(total / avail)),
                note="if it could be split evenly") if context == "cloud" else
         Metric("Times the app's share", fmt.ratio(total / avail), tone="danger")),
    ], key="act1.metrics")


def mathpeek_state(r) -> str:
    n = MODELS[cases.ACT1["model"]].parameters
    t = cases.terms(r)
    return (
        r"$$M_{\text{state}} = N\,(b_w + b_g + b_o) = N\,(2 + 2 + \underbrace{4 + 4 + 4}_{"
        r"\text{master},\ m,\ v})$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | parameters of {MODELS[cases.ACT1['model']].name} | {fmt.num(n / 1e9)} billion |\n"
        "| $b_w$ | bytes per FP16 weight | 2 |\n"
        "| $b_g$ | bytes per FP16 gradient | 2 |\n"
        "| $b_o$ | optimizer bytes: FP32 master weight, Adam's first moment $m$ and second "
        "moment $v$ | 4 + 4 + 4 = 12 |\n\n"
        f"$N b_w$ = {gbytes(t['weights'])}, $N b_g$ = {gbytes(t['gradients'])}, $N b_o$ = "
        f"{gbytes(t['optimizer_state'])}; $M_{{\\text{{state}}}}$ = "
        f"{gbytes(cases.state_bytes(r))} ({fmt.num(r.bytes_per_parameter)} B per parameter). "
        "Activations come on top and grow with the batch and the sequence: Act II.")


def act_two(ui, context):
    truth, correct = act2_truth()
    llama = MODELS[cases.ACT2["model"]]
    with ui.section("Act II · Design challenge", "Fit the fine-tuning job (20-25 min)"):
        ui.stakeholder(
            "Research lead",
            f"We got the whole {NODE.name}. With ZeRO stage 3 the model state is split "
            f"{NODE.accelerators} ways: {gbytes(cases.state_bytes(truth))} per GPU. So "
            f"{cases.ACT2['batch']} sequences of {cases.ACT2['seq_len']:,} tokens on each GPU "
            "should be easy. Can you confirm before we book the node for a week?")
        ui.markdown(
            "ZeRO (the Zero Redundancy Optimizer) stops every data-parallel GPU from keeping "
            "its own full copy of the model state: stage 1 shards the optimizer state over the "
            "GPUs, stage 2 the gradients too, stage 3 the weights too. What it does not shard "
            "is the activations each GPU keeps for its own sequences.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{llama.name} on the {NODE.accelerators} GPUs, ZeRO stage 3, mixed-precision Adam, "
            f"{cases.ACT2['batch']} sequences of {cases.ACT2['seq_len']:,} tokens per GPU, no "
            "activation checkpointing: which term takes the most memory on each GPU?",
            act2_options(truth), correct=correct)

        model = ui.select("act2.model", "Model", MODEL_LABELS, default=DEFAULT_MODEL[context])
        seqs = cases.seq_choices(model)
        seq = int(ui.select("act2.seq", "Sequence length",
                            {str(s): f"{s:,} tokens" for s in seqs},
                            default=str(cases.default_seq(context, model))))
        batch = int(ui.slider("act2.batch", "Sequences per device (batch)", 1, 128, 1, 1,
                              unit="sequences"))
        ckpt = ui.select("act2.checkpointing", "Activation checkpointing", CHECKPOINT_LABELS,
                         default="none")
        zero = int(ui.select("act2.zero", "ZeRO stage", ZERO_LABELS,
                             default="3" if context == "cloud" else "0"))
        opt = ui.select("act2.optimizer", "Optimizer and precision", OPTIMIZER_LABELS,
                        default="adam_mixed")
        r = cases.memory(context, model, batch, seq, opt, ckpt, zero)
        violated = cases.violations(context, r)
        if violated:
            ui.failure("Out of memory: this training step does not fit", violated,
                       key="act2.oom", text=oom_text(context, model, batch, seq, opt, ckpt,
                                                     zero, r))
        if context == "mobile":
            ui.callout("info", (
                f"The phone has {gbytes(PHONE.memory.capacity.m_as('B'))} shared by the "
                f"operating system and every app. This lab lets one app use "
                f"{fmt.percent(cases.APP_SHARE)} of it, {gbytes(cases.app_budget())}: an "
                "illustrative budget (phone makers publish no per-app limit). With one device "
                "there is nothing to shard across, so the ZeRO stage changes nothing here."),
                title="One device, one app's share", key="act2.phone")
        design_instruments(ui, context, model, batch, seq, opt, ckpt, zero, r)

        ui.reveal(pred, f"{TERM_NAMES[cases.largest_term(truth)]}, the largest term: "
                        f"{terms_text(truth)} per GPU ({llama.name}, ZeRO-3, "
                        f"{cases.ACT2['batch']} × {cases.ACT2['seq_len']:,} tokens)",
                  text=pred.feedback, key="act2.overlay")
        phone_xl = cases.memory("mobile", "gpt2_xl", 1, cases.DEFAULT_SEQ["mobile"],
                                "sgd_plain", "full", 0)
        ui.reflection(
            "act2.reflection",
            f"Switch to Mobile and choose {MODELS['gpt2_xl'].name}. Even at batch 1, with full "
            "checkpointing and plain SGD, it does not fit. What stops it?",
            {
                "A": ("The activations: the sequences are too long",
                      f"With full checkpointing one sequence of {cases.DEFAULT_SEQ['mobile']} "
                      f"tokens keeps only {gbytes(phone_xl.activations.m_as('B'))} of "
                      "activations. They are not the problem."),
                "B": ("The model state: even the leanest optimizer needs more than the phone has",
                      f"Yes. Plain SGD keeps {fmt.num(phone_xl.bytes_per_parameter)} bytes per "
                      f"parameter (FP32 weights and gradients): "
                      f"{gbytes(cases.state_bytes(phone_xl))} for "
                      f"{fmt.num(MODELS['gpt2_xl'].parameters / 1e9)} billion parameters, more "
                      f"than the whole phone's {gbytes(PHONE.memory.capacity.m_as('B'))}. On a "
                      "phone you fine-tune a small model, or a small part of one."),
                "C": ("ZeRO is off: a higher stage would shard it",
                      "ZeRO divides the model state by the number of data-parallel devices. A "
                      "phone is one device, so every stage leaves the state where it is."),
                "D": ("The phone computes too slowly",
                      "Speed decides how long a step takes; memory decides whether it runs at "
                      "all. This one never starts."),
            }, correct="B")
        with ui.math_peek("memory per device, with this design's numbers", key="act2.mathpeek"):
            ui.markdown(mathpeek_device(context, model, batch, seq, opt, ckpt, zero, r))
    return pred, {"model": model, "batch": batch, "seq": seq, "optimizer": opt,
                  "checkpointing": ckpt, "zero": zero, "fits": not violated,
                  "total": r.total.m_as("B")}


def oom_text(context, model, batch, seq, opt, ckpt, zero, r) -> str:
    m = MODELS[model]
    state = cases.state_bytes(r)
    avail = cases.available(context)
    if state > avail:
        cause = (f"The model state alone, {gbytes(state)}, is more than the "
                 f"{gbytes(avail)} available, so no batch fits. ")
        if context == "cloud" and zero < 3:
            cause += "Shard it with a higher ZeRO stage, or choose a smaller model."
        else:
            cause += "Choose a smaller model, or a recipe with fewer bytes per parameter."
        if context == "mobile" and zero > 0:
            cause += " (On one phone ZeRO has nothing to shard across.)"
        return cause
    best = cases.largest_batch(context, model, seq, opt, ckpt, zero)
    room = (f"With these settings at most {plural(best, 'sequence')} "
            f"fit{'s' if best == 1 else ''}" if best else
            "With these settings not even one sequence fits")
    return (f"{m.name}, {batch} × {seq:,} tokens per {DEVICE[context]}, {OPTIMIZER_WORDS[opt]}, "
            f"{CHECKPOINT_WORDS[ckpt]} checkpointing: the activations, "
            f"{gbytes(r.activations.m_as('B'))}, do not fit beside "
            f"{gbytes(state)} of model state. {room}. Lower the batch or the sequence "
            "length, or checkpoint activations (full keeps only each layer's input).")


def design_instruments(ui, context, model, batch, seq, opt, ckpt, zero, r):
    t = cases.terms(r)
    avail = cases.available(context)
    total = r.total.m_as("B")
    device = DEVICE[context]
    # the memory ledger of this design
    traces = [plot.bar([f"per {device}"], [t[k] / 1e9], TERM_COLORS[k], name=TERM_NAMES[k],
                       text=[gbytes(t[k])], textposition="inside") for k in TERMS]
    label = (f"one H100: {gbytes(avail)}" if context == "cloud"
             else f"the app's share: {gbytes(avail)}")
    ui.figure({"data": traces, "layout": plot.layout(
        "Memory ledger of this design, per device", height=360, barmode="stack",
        showlegend=True, legend={"orientation": "h", "y": -0.18},
        shapes=[plot.hline(avail / 1e9, plot.COLORS["bad"])],
        annotations=[plot.note(0.5, avail / 1e9, label, xref="paper", yshift=10)],
        yaxis=plot.axis("GB"))}, key="act2.ledger", caption=(
        f"Per {device}: {terms_text(r)}; {gbytes(total)} in all against {label}."),
        table={"caption": "Memory per device by term (engine values)",
               "columns": ["term", "bytes"],
               "rows": [[TERM_NAMES[k], gbytes(t[k])] for k in TERMS]
               + [["Total", gbytes(total)], ["Available", gbytes(avail)]]})
    batch_chart(ui, context, model, seq, opt, zero, batch, ckpt)
    best = cases.largest_batch(context, model, seq, opt, ckpt, zero)
    overhead = cases.recompute(model, seq, ckpt)
    items = [
        Metric("Memory per " + device, gbytes(total),
               tone="danger" if total > avail else "success",
               note=(f"{fmt.percent(total / avail, 0)} of {gbytes(avail)}" if total <= avail
                     else f"{fmt.ratio(total / avail)} the {gbytes(avail)} available")),
        Metric("Largest batch that fits", fmt.num(best) if best else "none",
               tone="warn" if best < batch else None,
               note=f"sequences of {seq:,} tokens"),
        Metric("Recomputation", f"+{fmt.percent(overhead, 1)}" if overhead else "none",
               note="extra FLOP per step"),
    ]
    if context == "cloud":
        if total <= avail:
            st = cases.step_time(model, batch, seq, opt, ckpt)
            tokens = batch * seq * cases.DEVICES["cloud"]
            items += [Metric("Step time", fmt.duration(st.time_per_step.m_as("s")),
                             note=f"{fmt.percent(st.mfu, 0)} of the {opt_precision(opt)} peak"),
                      Metric("Throughput", f"{fmt.num(tokens / st.time_per_step.m_as('s'))} "
                             "tokens/s", note=f"all {NODE.accelerators} GPUs")]
        else:
            items.append(Metric("Step time", "does not run", tone="danger"))
    else:
        flop = 3 * MODELS[model].flops_per_inference.m_as("FLOP") * batch * seq * (1 + overhead)
        items.append(Metric("Work per step", fmt.si(flop, "FLOP"),
                            note="no step time: the phone's training speed has no sourced "
                                 "figure here"))
    ui.metrics(items, key="act2.metrics")


def opt_precision(opt: str) -> str:
    return cases.COMPUTE_PRECISION[opt].upper()


BATCHES = (1, 2, 4, 8, 16, 32, 64, 128)


def batch_chart(ui, context, model, seq, opt, zero, batch, ckpt):
    avail = cases.available(context) / 1e9
    colors = {"none": plot.COLORS["bad"], "selective": plot.COLORS["accent"],
              "full": plot.COLORS["good"]}
    traces, rows = [], []
    for mode in cases.CHECKPOINTING:
        ys = [cases.memory(context, model, b, seq, opt, mode, zero).total.m_as("B") / 1e9
              for b in BATCHES]
        traces.append(plot.line(BATCHES, ys, CHECKPOINT_LABELS[mode].split(":")[0] +
                                " checkpointing", colors[mode], mode="lines+markers"))
        rows.append([CHECKPOINT_LABELS[mode].split(":")[0]] + [gbytes(y * 1e9) for y in ys])
    here = cases.memory(context, model, batch, seq, opt, ckpt, zero).total.m_as("B") / 1e9
    traces.append(plot.points([batch], [here], "this design", plot.COLORS["ink"], size=12))
    best = {m: cases.largest_batch(context, model, seq, opt, m, zero) for m in cases.CHECKPOINTING}
    ui.figure({"data": traces, "layout": plot.layout(
        "Memory per device as the batch grows", height=380, showlegend=True,
        legend={"orientation": "h", "y": -0.25}, shapes=[plot.hline(avail, plot.COLORS["bad"])],
        xaxis=plot.axis("sequences per device (log scale)", log=True),
        yaxis=plot.axis("GB (log scale)", log=True))}, key="act2.batch_curve", caption=(
        f"Per-device memory against the batch for {MODELS[model].name}, {seq:,}-token "
        f"sequences, {OPTIMIZER_WORDS[opt]}, ZeRO stage {zero}; the red line is "
        f"{gbytes(avail * 1e9)}. Largest batch that fits, by checkpointing: "
        + ", ".join(f"{CHECKPOINT_LABELS[m].split(':')[0].lower()} {best[m]}"
                    for m in cases.CHECKPOINTING) + "."),
        table={"caption": "Memory per device by batch size and checkpointing (engine values)",
               "columns": ["checkpointing"] + [f"batch {b}" for b in BATCHES], "rows": rows})


def mathpeek_device(context, model, batch, seq, opt, ckpt, zero, r) -> str:
    m = MODELS[model]
    d = cases.DEVICES[context]
    t = cases.terms(r)
    act = cases.ACTIVATION_PRECISION[opt].upper()
    shard = {1: ["optimizer state"], 2: ["optimizer state", "gradients"],
             3: ["optimizer state", "gradients", "weights"]}.get(zero, [])
    sharded = (f"ZeRO stage {zero} divides the {' and '.join(shard)} by $d$ = {d}"
               if shard else "stage 0 shards nothing")
    per_layer = {"none": r"s\,b\,h\,(34 + 5\,a\,s/h)", "selective": r"34\,s\,b\,h",
                 "full": r"2\,s\,b\,h"}[ckpt]
    return (
        r"$$M_{\text{device}} = \frac{N b_w}{z_w} + \frac{N b_g}{z_g} + \frac{N b_o}{z_o}"
        r" + L \cdot A_{\text{layer}}(s, b)$$" "\n\n"
        f"Each $z$ is $d$, the number of data-parallel devices, for a term the ZeRO stage "
        f"shards and 1 otherwise: {sharded}. With {CHECKPOINT_WORDS[ckpt]} checkpointing one "
        f"layer keeps $A_{{\\text{{layer}}}} = {per_layer}$ bytes in FP16 (Korthikanti et al. "
        f"2022){'; FP32 doubles it' if act == 'FP32' else ''}.\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $N$ | parameters | {fmt.num(m.parameters / 1e9)} billion |\n"
        f"| $b_w + b_g + b_o$ | bytes per parameter ({OPTIMIZER_WORDS[opt]}) | "
        f"{fmt.num(r.bytes_per_parameter)} |\n"
        f"| $d$ | data-parallel devices | {d} |\n"
        f"| $L$, $h$, $a$ | layers, width, attention heads | {m.layers}, {m.hidden_size:,}, "
        f"{m.heads} |\n"
        f"| $s$, $b$ | tokens per sequence, sequences per device | {seq:,}, {batch} |\n\n"
        f"Weights {gbytes(t['weights'])} + gradients {gbytes(t['gradients'])} + optimizer state "
        f"{gbytes(t['optimizer_state'])} + activations {gbytes(t['activations'])} = "
        f"**{gbytes(r.total.m_as('B'))}**.\n\n"
        "Recomputation costs extra FLOP per step: full checkpointing reruns the forward pass, "
        r"$+1/3$ of a step that costs $3F$ (Chen et al. 2016); selective reruns only the "
        r"attention scores, $x / (3(1 + x))$ with $x = s / (6h)$. Here: "
        f"+{fmt.percent(cases.recompute(model, seq, ckpt), 1)}.")


def closing(ui):
    state, _ = act1_truth()
    truth, _ = act2_truth()
    phone = cases.memory("mobile", "gpt2", 1, cases.DEFAULT_SEQ["mobile"])
    full_recompute = cases.recompute(cases.ACT2["model"], cases.ACT2["seq_len"], "full")
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-training-memory builds the four-term ledger on another model; "
            "@sec-training-activations and @sec-training-zero explain the two knobs of Act II "
            "and what each costs.\n"
            "- Next, Lab 09 (@sec-data-selection) asks how much data, and which data, a "
            "training run like this should spend its compute on.\n"
            "- TinyTorch, Module 06 (Optimizers): you write SGD and Adam and allocate the "
            "moment buffers yourself, the optimizer state of this lab.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Training keeps far more than the weights: mixed-precision Adam holds "
            f"{fmt.num(act1_case().bytes_per_parameter)} bytes per parameter, "
            f"{gbytes(state)} for {MODELS[cases.ACT1['model']].name} before any activation.\n"
            f"2. ZeRO shards that state over the data-parallel GPUs, and then the activations, "
            f"which it does not shard, dominate: {gbytes(truth.activations.m_as('B'))} per GPU "
            f"at {cases.ACT2['batch']} sequences of {cases.ACT2['seq_len']:,} tokens.\n"
            "3. Activation checkpointing trades memory for recomputation: full checkpointing "
            f"costs +{fmt.percent(full_recompute, 0)} FLOP per step.\n"
            f"4. On a phone there is one device and one app's share of memory: "
            f"{MODELS['gpt2'].name} already needs {gbytes(phone.total.m_as('B'))} to fine-tune "
            "at batch 1.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    state, _ = act1_truth()
    m = MODELS[design["model"]]
    total = design["total"]
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (act1_option_bytes(pred1.value), state), pred2,
        decision=(f"{m.name}, {plural(design['batch'], 'sequence')} of {design['seq']:,} "
                  f"tokens per device, {OPTIMIZER_WORDS[design['optimizer']]}, "
                  f"{CHECKPOINT_WORDS[design['checkpointing']]} activation checkpointing, "
                  f"ZeRO stage {design['zero']}, on {contexts.name(context)}"),
        result=total / 1e9, unit="GB", constraint_hit=not design["fits"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{m.name}, batch {design['batch']} × {design['seq']:,} tokens"),
        ("Memory per device", gbytes(total) + ("" if design["fits"] else " (out of memory)"))))

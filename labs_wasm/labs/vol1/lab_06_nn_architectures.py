"""Vol I · Lab 06 · The quadratic wall (chapter: nn_architectures).

Act I calibrates how standard attention's score matrices grow with the context: one entry
per pair of tokens, so their memory goes with the square of the sequence length. Act II puts
a transformer on a device with a fixed memory and lets the student move the context, the
number of heads and the attention kernel (standard, or fused FlashAttention that never stores
the scores) until the matrices no longer fit; a table of three same-budget shapes shows what
depth and width cost. Every number comes from the engine (AttentionMemoryModel,
TransformerCountsModel) through nn_architectures_cases.py, which Chapter 6 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, contexts, fmt, ledger, plot
from labs.vol1 import nn_architectures_cases as cases
from labs.vol1.nn_architectures_cases import (ACT1_CONTEXTS, ACT1_MODEL, ACT2_MODEL,
                                              ACT2_OPTIONS, MACHINES, MODELS, PRECISION)

LAB = Lab(
    id="vol1/06", chapter="nn_architectures", title="The quadratic wall",
    hook="A transformer compares every token with every other token. What does that cost "
         "when the document gets longer, and what does the shape of the network change?",
    invariants=["Attention memory grows as n² in sequence length", "Depth vs width"],
    minutes=40, contexts=("cloud", "edge"),
    reading=[
        ("@sec-nn-architectures-attention", "self-attention and its score matrix"),
        ("@sec-nn-architectures-worked-example", "the method on GPT-2: doubling the context"),
        ("@sec-nn-architectures-fused", "fused attention: the same result without the matrix"),
        ("@sec-nn-architectures-depth-width", "counting parameters and FLOPs: depth vs width"),
        ("@sec-nn-architectures-patterns", "MLP, CNN, RNN, transformer as memory patterns"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM (80 GB)",
                                  "edge": "Jetson Orin NX 16GB (GPU)"})
ATTENTION = {"standard": "Standard: the scores are stored",
             "fused": "Fused (FlashAttention): no score matrix"}
ACT2_DEFAULT_CONTEXT = 4096
MEMORY = {key: hw.memory.kind for key, hw in MACHINES.items()}
DEVICE = {"cloud": "H100", "edge": "Orin NX"}   # short names for prose


def size(q) -> str:
    """Bytes (a Quantity or a number) in decimal units, the same everywhere in this lab."""
    return fmt.si(q if isinstance(q, (int, float)) else q.m_as("B"), "B")


def short(model_key: str) -> str:
    """A model's name without the registry's parenthesised size: "GPT-2 XL"."""
    return MODELS[model_key].name.split(" (")[0]


def tokens(s: int) -> str:
    return f"{fmt.num(s, 6)} tokens"


def count(x: float) -> str:
    """A parameter count in words: 1.47 billion, 124 million."""
    return f"{fmt.num(x / 1e9)} billion" if x >= 1e9 else f"{fmt.num(x / 1e6)} million"


def heads_options() -> dict[str, str]:
    """Head counts that divide GPT-2 XL's width (and each same-budget shape's)."""
    m = MODELS[ACT2_MODEL]
    out = {}
    for h in (8, 16, m.heads, 32, 50):
        label = f"{h} heads of {m.hidden_size // h} dimensions"
        out[str(h)] = label + (" (as released)" if h == m.heads else "")
    return out


# ---- Act I: the score matrix at two context lengths ---------------------------------------
ACT1_FACTORS = {"A": 4, "B": 8, "C": 16, "D": 64}


def act1_truth() -> tuple[float, float, float, str]:
    s1, s2 = ACT1_CONTEXTS
    b1, b2 = cases.score_bytes(s1, ACT1_MODEL), cases.score_bytes(s2, ACT1_MODEL)
    ratio = b2 / b1
    correct = min(ACT1_FACTORS,
                  key=lambda k: abs(math.log(ACT1_FACTORS[k]) - math.log(ratio)))
    return b1, b2, ratio, correct


def act1_actual(b1, b2, ratio) -> str:
    s1, s2 = ACT1_CONTEXTS
    return (f"{fmt.si(b1, 'B')} at {tokens(s1)}, {fmt.si(b2, 'B')} at {tokens(s2)}: "
            f"**{fmt.num(ratio)}x**")


def act1_options(b1, b2, ratio) -> dict:
    actual = act1_actual(b1, b2, ratio)
    grow = ACT1_CONTEXTS[1] / ACT1_CONTEXTS[0]
    return {
        "A": (f"About {ACT1_FACTORS['A']}x, the same factor as the context",
              f"Too small. {actual}. Growing with the context is how the key and value "
              "vectors grow (one of each per token); the score matrix holds one number for "
              f"every pair of tokens, so {fmt.num(grow)}x the tokens gives {fmt.num(grow)}x "
              f"the rows *and* {fmt.num(grow)}x the columns."),
        "B": (f"About {ACT1_FACTORS['B']}x",
              f"Too small. {actual}. Nothing in standard attention grows as the context to "
              "the power 1.5: the scores form an s × s matrix per head, so the factor is "
              "the context's factor squared."),
        "C": (f"About {ACT1_FACTORS['C']}x",
              f"Right. {actual}: {fmt.num(grow)}x the queries times {fmt.num(grow)}x the keys. "
              "Each doubling of the context quadruples the matrix."),
        "D": (f"About {ACT1_FACTORS['D']}x",
              f"Too large. {actual}. A cube would need a third axis that grows with the "
              "context; the score matrix has two (queries and keys), while the heads, the "
              "batch and the bytes per number stay fixed."),
    }


# ---- Act II: the longest context that fits the Orin NX -------------------------------------
ACT2_LETTERS = dict(zip("ABCD", ACT2_OPTIONS))


def act2_truth() -> tuple[str, int, int]:
    """(correct letter, longest option that fits, longest context that fits) on the Edge
    device, GPT-2 XL, FP16, standard attention, its own heads."""
    fits = cases.fitting_options("edge", ACT2_MODEL)
    best = max(fits)
    correct = next(k for k, s in ACT2_LETTERS.items() if s == best)
    return correct, best, cases.longest_context("edge", ACT2_MODEL)


def _edge_case(s: int) -> str:
    r = cases.attention(s, ACT2_MODEL, "edge")
    verdict = "fits" if r.feasible else "does not fit"
    return (f"at {tokens(s)} the weights ({size(r.weight_bytes)}) plus one layer's "
            f"scores ({size(r.score_bytes_per_layer)}) make "
            f"{size(r.total)}, which {verdict} in "
            f"{fmt.si(cases.capacity('edge'), 'B')}")


def act2_options() -> dict:
    _, best, s_max = act2_truth()
    free = cases.capacity("edge") - cases.attention(1, ACT2_MODEL).weight_bytes.m_as("B")
    out = {}
    for letter, s in ACT2_LETTERS.items():
        case = _edge_case(s)
        scores = cases.score_bytes(s, ACT2_MODEL)
        if s < best:
            text = (f"Too cautious: {case}. Doubling the context quadruples the scores, to "
                    f"{fmt.si(cases.score_bytes(2 * s, ACT2_MODEL), 'B')} at {tokens(2 * s)}, "
                    f"and that still fits. The wall is at {tokens(s_max)}.")
        elif s == best:
            nxt = next((x for x in ACT2_OPTIONS if x > s), None)
            text = (f"Right: {case}. The wall is at {tokens(s_max)}"
                    + (f"; {_edge_case(nxt)}. Doubling the context quadrupled the scores."
                       if nxt else "."))
        else:
            over = scores / free
            by = (f"{fmt.ratio(over)} that much" if over >= 1.5
                  else f"more than that by {fmt.percent(over - 1, 0)}")
            text = (f"Too far: {case}. The weights leave {fmt.si(free, 'B')} free; one "
                    f"layer's scores alone need {by}. The wall is at {tokens(s_max)}.")
        out[letter] = (tokens(s), text)
    return out


# ---- the page -----------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    b1, b2, ratio, correct = act1_truth()
    s1, s2 = ACT1_CONTEXTS
    model = MODELS[ACT1_MODEL]
    with ui.section("Act I · Calibration", "How fast do the score matrices grow? (12-15 min)"):
        ui.stakeholder(
            "Inference platform lead",
            f"Product wants {model.name}'s context stretched from {tokens(s1)} to "
            f"{tokens(s2)} so users can paste whole contracts. That is four times the text. "
            "I have budgeted four times the memory for attention. Is that enough?")
        ui.markdown(
            f"{model.name} has {model.heads} attention heads and {model.layers} layers. With "
            "standard attention each head forms a matrix of scores, one number for every "
            "(query token, key token) pair, writes it to memory, normalises it with a "
            "softmax and multiplies it by the values. At inference one layer's matrices are "
            f"live at a time. Everything here is at {PRECISION.upper()}, batch 1. Commit to "
            "an estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"By roughly what factor does the memory of one layer's attention score matrices "
            f"grow when {model.name}'s context goes from {tokens(s1)} to {tokens(s2)}?",
            act1_options(b1, b2, ratio), correct=correct)

        growth_chart(ui, context)
        act1_table(ui)
        fused = cases.score_bytes(s2, ACT1_MODEL, fused=True)
        ui.metrics([
            Metric(f"Scores at {tokens(s1)}", fmt.si(b1, "B"), note="one layer, all heads"),
            Metric(f"Scores at {tokens(s2)}", fmt.si(b2, "B"), tone="warn",
                   note="one layer, all heads"),
            Metric("Growth", f"{fmt.num(ratio)}x", tone="info",
                   note=f"for {fmt.num(s2 / s1)}x the tokens"),
            Metric(f"Fused at {tokens(s2)}", fmt.si(fused, "B"), tone="success",
                   note="softmax statistics only"),
        ], key="act1.metrics")
        ui.reveal(pred, act1_actual(b1, b2, ratio).replace("**", ""), text=pred.feedback,
                  key="act1.overlay")
        act1_reflection(ui, b2)
        with ui.math_peek("the score matrix, symbol by symbol", key="act1.mathpeek"):
            ui.markdown(mathpeek_scores(b1, b2, ratio))
    return pred


def growth_chart(ui, context):
    model = MODELS[ACT1_MODEL]
    xs = [2 ** k for k in range(9, 18)]   # 512 ... 131,072 tokens
    std = [cases.score_bytes(s, ACT1_MODEL) for s in xs]
    fus = [cases.score_bytes(s, ACT1_MODEL, fused=True) for s in xs]
    cap = cases.capacity(context)
    s1, s2 = ACT1_CONTEXTS
    figure = {"data": [
        plot.line(xs, [y / 1e9 for y in std], "Standard attention (s × s scores)",
                  plot.COLORS[context]),
        plot.line(xs, [y / 1e9 for y in fus], "Fused attention (statistics only)",
                  plot.COLORS["good"], dash="dash"),
        plot.points([s1, s2], [cases.score_bytes(s, ACT1_MODEL) / 1e9 for s in (s1, s2)],
                    "The two contexts of the question", plot.COLORS["accent"],
                    text=[fmt.si(cases.score_bytes(s, ACT1_MODEL), "B") for s in (s1, s2)]),
    ], "layout": plot.layout(
        f"{model.name}: one layer's attention matrices against context length", height=400,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("context length (tokens, log scale)", log=True),
        yaxis=plot.axis("memory (GB, log scale)", log=True),
        shapes=[plot.hline(cap / 1e9, plot.COLORS["bad"])],
        # At the right end, under its line: the two contexts' labelled points sit to the left.
        annotations=[plot.note(xs[-1], cap / 1e9, f"{DEVICE[context]}: {fmt.si(cap, 'B')}",
                               xanchor="right", yanchor="top", xlog=True, ylog=True)])}
    crossing = next((s for s, y in zip(xs, std) if y > cap), None)
    ui.figure(figure, key="act1.growth", caption=(
        f"Memory of one layer's attention matrices for {model.name} ({model.heads} heads, "
        f"{PRECISION.upper()}, batch 1) from {tokens(xs[0])} to {tokens(xs[-1])}, log-log. "
        f"Standard attention rises with slope 2 (each doubling of the context multiplies it "
        f"by {fmt.num(std[1] / std[0])}), from {fmt.si(std[0], 'B')} to "
        f"{fmt.si(std[-1], 'B')}; fused attention rises with slope 1, from "
        f"{fmt.si(fus[0], 'B')} to {fmt.si(fus[-1], 'B')}. The red line is the "
        f"{DEVICE[context]}'s {fmt.si(cap, 'B')}"
        + (f", which one layer's standard matrices alone pass at {tokens(crossing)}."
           if crossing else ".")),
        table={"caption": f"{model.name}: one layer's attention matrices (engine values)",
               "columns": ["context", "standard attention", "fused attention"],
               "rows": [[tokens(s), fmt.si(a, "B"), fmt.si(b, "B")]
                        for s, a, b in zip(xs, std, fus)]})


def act1_table(ui):
    s1, _ = ACT1_CONTEXTS
    base = cases.score_bytes(s1, ACT1_MODEL)
    rows = []
    for s in (s1, 2 * s1, 4 * s1):
        b = cases.score_bytes(s, ACT1_MODEL)
        rows.append([tokens(s), f"{fmt.num(s / s1)}x", fmt.si(b, "B"), f"{fmt.num(b / base)}x"])
    ui.table(f"Each doubling of the context, from {tokens(s1)}",
             ["context", "tokens vs start", "one layer's scores", "scores vs start"], rows,
             key="act1.doublings")


def act1_reflection(ui, b2):
    s2 = ACT1_CONTEXTS[1]
    m = MODELS[ACT1_MODEL]
    half_heads = cases.score_bytes(s2, ACT1_MODEL, heads=m.heads // 2)
    fp8 = cases.attention(s2, ACT1_MODEL, precision="fp8").score_bytes_per_layer.m_as("B")
    fused = cases.score_bytes(s2, ACT1_MODEL, fused=True)
    ui.reflection(
        "act1.reflection",
        f"At {tokens(s2)}, which single change shrinks one layer's attention matrices the most?",
        {
            "A": (f"Halve the number of layers ({m.layers} to {m.layers // 2})",
                  f"No change: still {fmt.si(b2, 'B')}. At inference the layers run one after "
                  "another and only the current layer's matrices are live, so depth does not "
                  "enter this number (it does in training, which keeps every layer's)."),
            "B": ("Store the scores in FP8 instead of FP16",
                  f"Half as much, {fmt.si(fp8, 'B')}: one byte per score instead of two. A "
                  "constant factor; the next doubling of the context takes it back twice over."),
            "C": ("Use fused attention (FlashAttention)",
                  f"Yes: {fmt.si(fused, 'B')} instead of {fmt.si(b2, 'B')}, "
                  f"{fmt.num(b2 / fused, 4)} times less. The kernel computes the scores tile by "
                  "tile in on-chip memory and keeps only a running maximum and sum per query "
                  "row, so the s × s matrix never exists in device memory."),
            "D": (f"Halve the number of heads ({m.heads} to {m.heads // 2})",
                  f"Half as much, {fmt.si(half_heads, 'B')}: every head has its own s × s "
                  "matrix. It changes the model, and like FP8 it is a constant factor against "
                  "a quadratic."),
        }, correct="C")


def mathpeek_scores(b1, b2, ratio) -> str:
    s1, s2 = ACT1_CONTEXTS
    m = MODELS[ACT1_MODEL]
    beta = cases.attention(s1, ACT1_MODEL).score_bytes_per_layer.m_as("B") / (m.heads * s1 * s1)
    return (
        r"$$M_{\text{scores}} = b \cdot h \cdot s^2 \cdot \beta"
        r"\qquad\Rightarrow\qquad \frac{M(s_2)}{M(s_1)} = \left(\frac{s_2}{s_1}\right)^2$$"
        "\n\n| symbol | meaning | value |\n| --- | --- | --- |\n"
        "| $b$ | sequences processed together (batch) | 1 |\n"
        f"| $h$ | attention heads in one layer | {m.heads} |\n"
        f"| $s$ | tokens in the context | {fmt.num(s1, 6)} and {fmt.num(s2, 6)} |\n"
        f"| $\\beta$ | bytes per stored score ({PRECISION.upper()}) | {fmt.num(beta)} |\n\n"
        f"At $s$ = {fmt.num(s1, 6)}: {m.heads} × {fmt.num(s1, 6)}² × {fmt.num(beta)} B = "
        f"{fmt.si(b1, 'B')}. At $s$ = {fmt.num(s2, 6)}: {fmt.si(b2, 'B')}. The ratio is "
        f"({fmt.num(s2, 6)} / {fmt.num(s1, 6)})² = {fmt.num(ratio)}.\n\n"
        "Fused attention replaces $s^2 \\beta$ by $s \\cdot 8$ B (a maximum and a sum in FP32 "
        "per query row): linear in the context. The number of layers does not appear, because "
        "inference holds one layer's matrices at a time.")


def act_two(ui, context):
    correct, best, s_max_edge = act2_truth()
    m = MODELS[ACT2_MODEL]
    edge = MACHINES["edge"]
    with ui.section("Act II · Design challenge",
                    "Long documents on a 16 GB device (20-25 min)"):
        ui.stakeholder(
            "Product manager, an offline document assistant",
            f"Our assistant runs {short(ACT2_MODEL)} at {PRECISION.upper()} on a Jetson Orin NX, no "
            "cloud, because the documents are confidential. Customers want to summarise "
            "whole reports in one pass. How long a context can the device take, and what "
            "would let it take more?")
        ui.markdown(
            f"The device has {fmt.si(cases.capacity('edge'), 'B')} of {MEMORY['edge']}, "
            "shared by CPU and GPU. Count what must be resident while the model reads a "
            f"document: the weights ({size(cases.attention(1, ACT2_MODEL).weight_bytes)} "
            f"at {PRECISION.upper()}) and one layer's attention matrices. The activations, and "
            "the key/value cache a model keeps while it writes its answer, come on top, so "
            "every verdict here is a best case: a design that fails here fails on the device. "
            f"(The released {short(ACT2_MODEL)} learned positions for "
            f"{fmt.num(MODELS[ACT2_MODEL].context_length)} tokens only; read it here as a long-context "
            "variant of the same shape, the way long-context models extend their position "
            "encoding. The memory arithmetic is the same.)")
        pred = ui.predict_choice(
            "act2.prediction",
            f"{short(ACT2_MODEL)} with standard attention ({m.heads} heads) on the {edge.name}: "
            "what is the longest of these contexts that fits?",
            act2_options(), correct=correct)

        s = ui.slider("act2.seq_len", "Context length", 1024, 65536, 1024,
                      ACT2_DEFAULT_CONTEXT, unit="tokens")
        heads = int(ui.select("act2.heads", "Attention heads", heads_options(),
                              default=str(m.heads)))
        kernel = ui.toggle("act2.attention", "Attention kernel", ATTENTION, default="standard")
        fused = kernel == "fused"
        r = cases.attention(s, ACT2_MODEL, context, heads, fused)
        s_max = cases.longest_context(context, ACT2_MODEL, heads, fused)
        if not r.feasible:
            ui.failure(
                "Out of memory: the attention matrices do not fit", r.violations,
                key="act2.oom",
                text=(f"{short(ACT2_MODEL)} at {tokens(s)} with {heads} heads needs the weights "
                      f"({size(r.weight_bytes)}) plus {size(r.score_bytes_per_layer)} "
                      f"of scores for one layer, more than the {DEVICE[context]}'s "
                      f"{fmt.si(cases.capacity(context), 'B')} of {MEMORY[context]}. The model "
                      "never gets to compute. Switch the attention kernel to fused, which never "
                      f"stores the s × s matrix, or shorten the context to {tokens(s_max)} or "
                      "less (fewer heads also help, by a constant factor)."))
        memory_chart(ui, context, s, heads, fused, r, s_max)
        ui.metrics([
            Metric("Weights", size(r.weight_bytes), note=PRECISION.upper()),
            Metric("Attention matrices", size(r.score_bytes_per_layer),
                   note="one layer" + (", statistics only" if fused else ", all heads"),
                   tone="danger" if not r.feasible else None),
            Metric("Total against memory",
                   f"{size(r.total)} / {fmt.si(cases.capacity(context), 'B')}",
                   tone="danger" if not r.feasible else "success",
                   note=f"{fmt.percent(r.total.m_as('B') / cases.capacity(context), 0)} of "
                        f"{MEMORY[context]}"),
            Metric("Longest context that fits", longest_text(s_max), tone="info",
                   note=f"{heads} heads, {'fused' if fused else 'standard'}"),
        ], key="act2.metrics")
        depth_width_table(ui, s, heads, fused)

        truth = cases.attention(best, ACT2_MODEL, "edge")
        over = ACT2_OPTIONS[ACT2_OPTIONS.index(best) + 1] if best != ACT2_OPTIONS[-1] else None
        ui.reveal(pred, f"{tokens(best)} fits ({size(truth.total)} of "
                        f"{fmt.si(cases.capacity('edge'), 'B')})"
                        + (f"; {tokens(over)} needs "
                           f"{size(cases.attention(over, ACT2_MODEL, 'edge').total)}"
                           if over else "")
                        + f". The wall is at {tokens(s_max_edge)}.",
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui, s, heads, fused)
        with ui.math_peek("the longest context, and FLOPs per token", key="act2.mathpeek"):
            ui.markdown(mathpeek_design(context, s, heads, fused, r, s_max))
    return pred, {"seq_len": s, "heads": heads, "fused": fused, "fits": r.feasible,
                  "total_gb": r.total.m_as("GB")}


def longest_text(s_max: int) -> str:
    if s_max >= 10 ** 6:
        return f"over {fmt.num(s_max / 1e6, 3)} million tokens"
    return tokens(s_max) if s_max > 0 else "none"


def memory_chart(ui, context, s, heads, fused, r, s_max):
    cap = cases.capacity(context)
    xs = list(range(1024, 65536 + 1, 1024))          # the slider's grid
    std = [cases.attention(x, ACT2_MODEL, None, heads, False).total.m_as("B") for x in xs]
    fus = [cases.attention(x, ACT2_MODEL, None, heads, True).total.m_as("B") for x in xs]
    total = r.total.m_as("B")
    figure = {"data": [
        plot.line(xs, [y / 1e9 for y in std], "Standard attention", plot.COLORS[context]),
        plot.line(xs, [y / 1e9 for y in fus], "Fused attention", plot.COLORS["good"],
                  dash="dash"),
        # The design's label on the side away from the capacity line and toward the middle,
        # and the capacity's note on the other side of its line, so the two never meet.
        plot.points([s], [total / 1e9], "Your design",
                    plot.COLORS["bad"] if not r.feasible else plot.COLORS["ink"],
                    text=[size(r.total)], textposition=("top" if total > cap else "bottom")
                    + (" right" if s < (xs[0] + xs[-1]) / 2 else " left")),
    ], "layout": plot.layout(
        f"{short(ACT2_MODEL)}, {heads} heads: weights plus one layer's attention matrices", height=380,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("context length (tokens)"),
        yaxis=plot.axis("memory (GB, log scale)", log=True),
        shapes=[plot.hline(cap / 1e9, plot.COLORS["bad"])],
        annotations=[plot.note(xs[0], cap / 1e9, f"{DEVICE[context]}: {fmt.si(cap, 'B')}",
                               xanchor="left", yanchor="top" if total > cap else "bottom",
                               ylog=True)])}
    ui.figure(figure, key="act2.memory", caption=(
        f"Memory ledger of {short(ACT2_MODEL)} ({heads} heads, {PRECISION.upper()}) on the {DEVICE[context]}: "
        f"weights plus one layer's attention matrices against context length, with standard "
        f"and fused attention. Your design, {tokens(s)} with "
        f"{'fused' if fused else 'standard'} attention, needs {size(r.total)} of "
        f"{fmt.si(cap, 'B')}: it {'fits' if r.feasible else 'does not fit'}. The longest "
        f"context that fits with this kernel and these heads is {longest_text(s_max)}."),
        table={"caption": f"{short(ACT2_MODEL)}, {heads} heads: memory needed (engine values)",
               "columns": ["context", "standard attention", "fused attention"],
               "rows": [[tokens(x), fmt.si(a, "B"), fmt.si(b, "B")]
                        for x, a, b in zip(xs, std, fus) if x & (x - 1) == 0]})


def shape_name(row) -> str:
    released = (row["layers"], row["width"]) == (MODELS[ACT2_MODEL].layers,
                                                 MODELS[ACT2_MODEL].hidden_size)
    return (f"{row['layers']} layers × {fmt.num(row['width'], 6)} wide"
            + (" (released)" if released else ""))


def depth_width_table(ui, s, heads, fused):
    rows = cases.shape_rows(ACT2_MODEL, s, heads, fused)
    budget = count(rows[0]["non_embedding"])
    ui.table(
        f"Depth vs width at {tokens(s)}: three shapes with the same {budget} "
        f"non-embedding parameters, {heads} heads, {'fused' if fused else 'standard'} attention",
        ["shape", "parameters", "FLOP per token", "attention share of FLOPs",
         "layers in sequence", "matrices live at inference", "matrices kept for training"],
        [[shape_name(r), count(r["parameters"]), fmt.si(r["flops_per_token"], "FLOP"),
          fmt.percent(r["attention_share"]), fmt.num(r["layers"]),
          fmt.si(r["inference_scores"], "B"), fmt.si(r["training_scores"], "B")]
         for r in rows], key="act2.shapes")


def act2_reflection(ui, s, heads, fused):
    rows = cases.shape_rows(ACT2_MODEL, s, heads, fused)
    shallow, released, deep = rows
    train_ratio = deep["training_scores"] / shallow["training_scores"]
    ui.reflection(
        "act2.reflection",
        "In the depth-vs-width table, the three shapes have the same non-embedding "
        "parameters. Which statement is true?",
        {
            "A": ("At inference they hold the same attention matrices; in training the "
                  "deepest keeps the most",
                  f"Yes. One layer is live at inference, and a layer's matrices depend on the "
                  f"heads and the context, not the width: {fmt.si(deep['inference_scores'], 'B')} "
                  f"for all three at {tokens(s)}. Training keeps every layer's for the backward "
                  f"pass, so the {deep['layers']}-layer shape keeps {fmt.num(train_ratio)}x what "
                  f"the {shallow['layers']}-layer one keeps ({fmt.si(deep['training_scores'], 'B')} "
                  f"against {fmt.si(shallow['training_scores'], 'B')})."),
            "B": ("The widest shape holds the most, because its matrices are wider",
                  "The score matrix is s × s per head whatever the width: a wider layer has "
                  "longer query and key vectors, not a bigger score matrix. All three hold "
                  f"{fmt.si(shallow['inference_scores'], 'B')} at inference."),
            "C": ("Depth is free: the deep shape matches the others on memory, FLOPs and "
                  "latency",
                  f"Depth costs twice. The attention term of the FLOPs grows with layers × "
                  f"width, so the deep shape spends {fmt.percent(deep['attention_share'])} of "
                  f"its FLOPs on attention against {fmt.percent(shallow['attention_share'])}; "
                  f"and its {deep['layers']} layers must run one after another, against "
                  f"{shallow['layers']}."),
            "D": ("The deep shape has more parameters, so it needs more memory everywhere",
                  f"It has fewer: {count(deep['parameters'])} against "
                  f"{count(shallow['parameters'])}, because its narrower width shrinks "
                  "the vocabulary table; the non-embedding parameters are equal by design."),
        }, correct="A")


def mathpeek_design(context, s, heads, fused, r, s_max) -> str:
    m = MODELS[ACT2_MODEL]
    cap = cases.capacity(context)
    w = r.weight_bytes.m_as("B")
    per = cases.attention(1, ACT2_MODEL, None, heads, fused).score_bytes_per_layer.m_as("B")
    released = next(x for x in cases.shape_rows(ACT2_MODEL, s, heads, fused)
                    if x["layers"] == m.layers)
    if fused:
        fit = r"$$W + b \cdot h \cdot s \cdot \sigma \;\le\; M$$"
        unit_row = (f"| $\\sigma$ | bytes kept per query row and head: a running maximum and "
                    f"sum in FP32 | {fmt.num(per / heads)} |\n")
        limit = (r"$$s_{\max} = \frac{M - W}{b \cdot h \cdot \sigma}$$" "\n\n"
                 f"= ({fmt.si(cap, 'B')} − {fmt.si(w, 'B')}) / {fmt.num(per)} B per token "
                 f"= {longest_text(s_max)}: linear in the context, so this wall is out of "
                 "sight and other memory binds first.")
    else:
        fit = r"$$W + b \cdot h \cdot s^2 \cdot \beta \;\le\; M$$"
        unit_row = f"| $\\beta$ | bytes per score ({PRECISION.upper()}) | {fmt.num(per / heads)} |\n"
        limit = (r"$$s_{\max} = \sqrt{\frac{M - W}{b \cdot h \cdot \beta}}$$" "\n\n"
                 f"= √(({fmt.si(cap, 'B')} − {fmt.si(w, 'B')}) / {fmt.num(per)} B) = "
                 f"{longest_text(s_max)}.")
    return (
        "Memory resident while the model reads the document (inference, batch $b$ = 1, one "
        "layer's matrices live):\n\n" + fit + "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $W$ | weights at {PRECISION.upper()} | {fmt.si(w, 'B')} |\n"
        f"| $h$ | attention heads | {heads} |\n"
        f"| $s$ | context length | {fmt.num(s, 6)} tokens |\n"
        + unit_row +
        f"| $M$ | memory of the {DEVICE[context]} | {fmt.si(cap, 'B')} |\n\n"
        + limit + "\n\n"
        "Forward FLOPs per token (Kaplan et al. 2020), with $N$ the non-embedding parameters, "
        "$L$ the layers and $d$ the width:\n\n"
        r"$$C = 2N + 2\,L\,s\,d$$" "\n\n"
        f"For the released shape at {fmt.num(s, 6)} tokens: 2 × {count(released['non_embedding'])}"
        f" + 2 × {m.layers} × {fmt.num(s, 6)} × {fmt.num(m.hidden_size, 6)} = "
        f"{fmt.si(released['flops_per_token'], 'FLOP')}, of which attention is "
        f"{fmt.percent(released['attention_share'])}. Depth and width enter $N$ as "
        "$12\\,L\\,d^2$ but the attention term as $L\\,d$: at a fixed $N$, a deeper, narrower "
        "network spends more of its arithmetic on attention. A fused kernel does the same "
        "arithmetic; it only stops storing the scores.")


def closing(ui):
    _, _, ratio, _ = act1_truth()
    _, best, s_max = act2_truth()
    fused_edge = cases.longest_context("edge", ACT2_MODEL, fused=True)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-nn-architectures-attention derives the score matrix and "
            "@sec-nn-architectures-fused explains how FlashAttention avoids storing it; "
            "@sec-nn-architectures-depth-width counts parameters and FLOPs from a network's "
            "shape.\n"
            "- Next, Lab 07 (@sec-frameworks) looks at the same idea from the framework's side: "
            "fusing kernels so intermediate tensors never reach device memory, and what each "
            "kernel launch costs.\n"
            "- TinyTorch, Module 12 (Attention): you write scaled dot-product attention and "
            "see the s × s score tensor it allocates.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Standard attention stores one score per pair of tokens: four times the context "
            f"gave {fmt.num(ratio)}x the memory. Constant factors (heads, precision) do not "
            "change the exponent.\n"
            f"2. On a 16 GB device, {short(ACT2_MODEL)}'s weights leave room for a "
            f"context of {tokens(s_max)} with standard attention; fused attention moves that "
            f"to {longest_text(fused_edge)}; long before that, the key/value cache a "
            "generating model keeps becomes the memory that binds.\n"
            "3. Depth and width at a fixed parameter count cost the same weights but not the "
            "same attention: depth multiplies the matrices kept for training and the layers "
            "that must run in sequence.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    _, _, ratio, _ = act1_truth()
    kernel = "fused" if design["fused"] else "standard"
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (float(ACT1_FACTORS[pred1.value]), ratio), pred2,
        decision=(f"{short(ACT2_MODEL)}, {tokens(design['seq_len'])}, "
                  f"{design['heads']} heads, {kernel} attention, on {contexts.name(context)}"),
        result=design["total_gb"], unit="GB", constraint_hit=not design["fits"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{tokens(design['seq_len'])}, {design['heads']} heads, {kernel}"),
        ("Memory", f"{fmt.num(design['total_gb'])} GB"
                   + ("" if design["fits"] else " (does not fit)"))))

"""Vol II · Lab 10 · The KV cache and continuous batching (chapter: inference).

Act I calibrates the KV-cache model: Llama 3 70B on the eight H100s of one DGX node holds its
weights once, and every concurrent user holds a key/value cache that grows with the context;
the memory left after the weights, divided by one user's cache, is how many users fit. Act II
serves the model: the batch policy (static: a batch runs until its longest reply; continuous:
requests join at every decoding step), the tensor-parallel layout of the node's eight GPUs and
the prompt length decide the P99 time to first token and the requests per second the node can
carry. The interactive context holds the node to a 200 ms P99 TTFT at a light load; the
overnight context needs a heavy load carried with no TTFT objective, so the same controls give
different verdicts. Every number comes from the engine through inference_cases.py, which
Chapter 26 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import inference_cases as cases
from labs.vol2.inference_cases import (ACT1_CONTEXT, ACT1_TP, GPU, GPUS, LAB_MODEL,
                                       MEMORY_FRACTION, PART_NAMES, SERVICES,
                                       TTFT_SLO, serve)

LAB = Lab(
    id="vol2/10", chapter="inference", title="The KV cache and continuous batching",
    hook="A 70-billion-parameter model fits on one eight-GPU server with room to spare. How "
         "many people can it talk to at once, and how long does each wait for the first word?",
    invariants=["KV cache = 2 · layers · KV heads · head width · bytes per token",
                "memory left after the weights bounds concurrency",
                "continuous vs static batching", "TTFT = wait + prefill"],
    minutes=40, contexts=("latency", "throughput"),
    reading=[
        ("@sec-v2-inference-kv-cache", "the KV cache per token, and grouped-query attention"),
        ("@sec-v2-inference-memory", "memory after the weights as the limit on concurrency"),
        ("@sec-v2-inference-continuous", "static and continuous batching"),
        ("@sec-v2-inference-ttft", "time to first token under load"),
        ("@sec-v2-inference-tensor-parallel", "tensor parallelism, copies and queues"),
    ],
)

MODEL = cases.MODELS[LAB_MODEL]
LAT, THR = SERVICES["latency"], SERVICES["throughput"]
CONTEXT_LABELS = contexts.labels({
    "latency": f"interactive assistant, {fmt.num(LAT.rate)} requests/s, P99 TTFT within "
               f"{fmt.quantity(TTFT_SLO)}",
    "throughput": f"overnight batch job, {fmt.num(THR.rate)} requests/s to keep up"})
POLICY_LABELS = {"static": "Static: a batch runs until its longest reply ends",
                 "continuous": "Continuous: requests join at every decoding step"}
TP_LABELS = {"1": "Tensor parallel 1: eight copies of one GPU",
             "2": "Tensor parallel 2: four copies of two GPUs",
             "4": "Tensor parallel 4: two copies of four GPUs",
             "8": "Tensor parallel 8: one copy across all eight"}
PART_COLORS = {"batch": plot.COLORS["bad"], "slot": plot.COLORS["accent"],
               "queue": plot.COLORS["edge"], "prefill": plot.COLORS["fleet"],
               "iteration": plot.COLORS["mobile"]}


def gb(x: float) -> str:
    return fmt.si(x, "B")


def tokens(n: int) -> str:
    return f"{fmt.num(n, 6)} tokens"


def prompts(n: int) -> str:
    return f"{fmt.num(n, 6)}-token prompts"


def copies(tp: int) -> str:
    n = GPUS // tp
    return f"{n} cop{'ies' if n > 1 else 'y'} at tensor parallel {tp}"


# ---- Act I: how many users fit --------------------------------------------------------------
#: Bands of the Act I prediction (users), (low, high) of each option.
ACT1_BANDS = {"A": (0, 50), "B": (50, 150), "C": (150, 600), "D": (600, math.inf)}


def act1_truth():
    users = cases.users_that_fit(ACT1_CONTEXT, ACT1_TP)
    return users, bands.band_of(users, ACT1_BANDS)


def act1_facts():
    f = cases.fit(ACT1_CONTEXT, ACT1_TP)
    per_user = cases.cache_per_user(ACT1_CONTEXT, ACT1_TP)
    return f.kv_budget.m_as("B"), per_user


def mha_users() -> int:
    """Users that would fit if all 64 heads kept their own keys and values (no GQA)."""
    budget, per_user = act1_facts()
    return int(budget // (per_user * MODEL.heads / MODEL.kv_heads))


def conversation_share() -> float:
    """One conversation's whole cache against the model's weights."""
    return (cases.kv().bytes_per_token.m_as("B") * ACT1_CONTEXT
            / MODEL.size_in_bytes("fp16").m_as("B"))


def act1_options(users: int) -> dict:
    budget, per_user = act1_facts()
    fact = (f"Each GPU holds {gb(cases.weights_per_gpu(ACT1_TP))} of weights and may use "
            f"{gb(cases.usable_per_gpu())}, leaving {gb(budget)} for the cache; one user's "
            f"{tokens(ACT1_CONTEXT)} take {gb(per_user)} of it on each GPU: **{users} users**.")
    return {
        "A": ("Fewer than 50",
              f"{fact} Fewer than 50 is what the node would hold if every one of the 64 query "
              f"heads kept its own keys and values ({mha_users()} users): grouped-query "
              f"attention shares each key/value head among {MODEL.heads // MODEL.kv_heads}."),
        "B": ("50 to 150",
              f"{fact} The weights are the smaller part of the memory here: split eight ways, "
              f"they leave {fmt.percent(budget / cases.usable_per_gpu(), 0)} of each GPU's "
              "usable memory for the cache."),
        "C": ("150 to 600",
              f"Right. {fact} Memory, not arithmetic, sets how many conversations one node "
              "holds at once."),
        "D": ("More than 600",
              f"{fact} A {fmt.num(ACT1_CONTEXT, 6)}-token conversation is not small: across "
              f"the node it holds {gb(cases.kv().bytes_per_token.m_as('B') * ACT1_CONTEXT)} "
              f"of keys and values, {fmt.percent(conversation_share())} of the model's "
              "weights, and a few hundred of them fill what the weights leave free."),
    }


# ---- Act II: which layout answers first ------------------------------------------------------
ACT2_TP = {"A": 1, "B": 2, "C": 4, "D": 8}


def act2_truth():
    best = cases.best_layout("latency", "continuous", cases.DEFAULT_PROMPT)
    return cases.layouts("latency", "continuous", cases.DEFAULT_PROMPT), \
        next(k for k, tp in ACT2_TP.items() if tp == best)


def ttft_text(r) -> str:
    if not r.fits:
        return "does not fit"
    if not r.served:
        return "cannot keep up"
    return fmt.duration(r.ttft)


def act2_options(rows) -> dict:
    every = "; ".join(f"tensor parallel {tp}: {ttft_text(r)}" for tp, r in rows.items())
    fact = (f"P99 time to first token with continuous batching, "
            f"{prompts(cases.DEFAULT_PROMPT)}, {fmt.num(LAT.rate)} requests/s: {every}.")
    two, four, eight = rows[2], rows[4], rows[8]
    return {
        "A": ("Eight copies, one GPU each (tensor parallel 1)",
              f"{fact} Llama 3 70B's weights are {gb(MODEL.size_in_bytes('fp16').m_as('B'))} "
              f"at FP16 and one H100 has {gb(GPU.memory.capacity.m_as('B'))}: no copy fits."),
        "B": ("Four copies of two GPUs each (tensor parallel 2)",
              f"{fact} Four queues are short, but each GPU carries "
              f"{gb(two.weights)} of weights, leaving cache for {two.slots} sequences per "
              f"copy, and one prefill takes {fmt.duration(two.prefill)} on two GPUs."),
        "C": ("Two copies of four GPUs each (tensor parallel 4)",
              f"Right. {fact} Each prefill takes {fmt.duration(four.prefill)}, and two copies "
              f"share one queue, so a request rarely waits long for a turn: the P99 wait is "
              f"{fmt.duration(four.parts['queue'])}."),
        "D": ("One copy across all eight GPUs (tensor parallel 8)",
              f"{fact} Its prefill is the fastest, {fmt.duration(eight.prefill)}, but a single "
              f"copy is a single queue: the P99 wait for a turn is "
              f"{fmt.duration(eight.parts['queue'])}, and eight GPUs exchange every layer's "
              "output twice per pass."),
    }


# ---- the page --------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Service", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui):
    users, correct = act1_truth()
    per_token = cases.kv().bytes_per_token.m_as("B")
    with ui.section("Act I · Calibration", "How many users fit in one node? (12-15 min)"):
        ui.stakeholder(
            "Head of the inference platform",
            f"We are moving our assistant to {MODEL.name} on one DGX H100: eight H100s, "
            f"{gb(GPU.memory.capacity.m_as('B'))} each, the model split across all eight "
            "(tensor parallel 8). With grouped-query attention its key/value cache is "
            f"{fmt.binary(per_token)} per token at FP16, and our conversations run to "
            f"{tokens(ACT1_CONTEXT)}. How many users can one node hold at once?")
        ui.markdown(
            "Every user in a conversation keeps the keys and values of all their tokens on "
            "the GPUs, so the next token can attend to them. The serving framework gives "
            f"{fmt.percent(MEMORY_FRACTION, 0)} of each GPU's memory to weights and cache "
            "(vLLM's default); the rest is for activations and the framework. Commit to an "
            "estimate before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"{MODEL.name} at FP16 on eight H100s (tensor parallel 8), every user at "
            f"{tokens(ACT1_CONTEXT)}: how many users fit in memory at once?",
            act1_options(users), correct=correct)

        context = int(ui.slider("act1.context", "Context per user", 512, 8192, 512,
                                ACT1_CONTEXT, unit="tokens"))
        tp = int(ui.select("act1.tp", "Tensor-parallel degree",
                           {k: v for k, v in TP_LABELS.items() if k != "1"},
                           default=str(ACT1_TP)))
        chosen = int(ui.slider("act1.users", "Concurrent users", 1, 1200, 1, 100,
                               unit="users"))
        kv_instruments(ui, context, tp, chosen)
        budget, per_user = act1_facts()
        ui.reveal(pred, f"{users} users: {gb(budget)} of cache room on each GPU ÷ "
                        f"{gb(per_user)} per user at {tokens(ACT1_CONTEXT)}",
                  text=pred.feedback, key="act1.overlay")
        long = cases.users_that_fit(2 * ACT1_CONTEXT, ACT1_TP)
        one = cases.cache_per_user(2 * ACT1_CONTEXT, ACT1_TP)
        ui.reflection(
            "act1.reflection",
            f"The product team wants {tokens(2 * ACT1_CONTEXT)} per conversation, twice "
            "today's. On the same node, how many users fit?",
            {
                "A": ("About half as many: each user's cache doubles",
                      f"Yes: {long} users. The cache is linear in the context, one key and one "
                      f"value per layer and KV head for every token: {gb(one)} per user on "
                      "each GPU, while the room beside the weights stays the same."),
                "B": ("About a quarter as many: attention is quadratic in the context",
                      "Attention's arithmetic over a whole prompt grows with the square of "
                      "its length; its memory does not. The cache stores each token's keys and "
                      f"values once, so it doubles: {long} users."),
                "C": ("About as many: the weights take most of the memory",
                      f"Split eight ways the weights take {gb(cases.weights_per_gpu(ACT1_TP))} "
                      f"of each GPU, the cache up to {gb(budget)}. The cache is the larger "
                      f"part, and it doubles: {long} users."),
                "D": ("None: a context that long does not fit",
                      f"One user at {tokens(2 * ACT1_CONTEXT)} needs {gb(one)} per GPU, a "
                      f"sliver of the {gb(budget)} available: {long} users fit."),
            }, correct="A")
        with ui.math_peek("the KV-cache model", key="act1.mathpeek"):
            ui.markdown(mathpeek_kv(context, tp))
    return pred


def kv_instruments(ui, context, tp, chosen):
    fit_users = cases.users_that_fit(context, tp)
    weights = cases.weights_per_gpu(tp)
    per_user = cases.cache_per_user(context, tp)
    usable, cap = cases.usable_per_gpu(), GPU.memory.capacity.m_as("B")
    top = max(int(fit_users * 1.3), chosen, 10)
    xs = list(range(0, top + 1, max(1, top // 60)))
    total = [(weights + u * per_user) / 1e9 for u in xs]
    used = weights + chosen * per_user
    over = used > usable
    traces = [
        plot.line(xs, [weights / 1e9] * len(xs), "Weights", plot.COLORS["fleet"],
                  fill="tozeroy"),
        plot.line(xs, total, "Weights + KV cache", plot.COLORS["cloud"], fill="tonexty"),
        plot.points([chosen], [used / 1e9], "Your users",
                    plot.COLORS["bad"] if over else plot.COLORS["good"]),
    ]
    ui.figure({"data": traces, "layout": plot.layout(
        f"Memory per GPU at {tokens(context)} per user, tensor parallel {tp}", height=380,
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("concurrent users"),
        yaxis=plot.axis("GB per GPU", range=[0, max(cap, used) / 1e9 * 1.1]),
        shapes=[plot.hline(cap / 1e9, plot.COLORS["ink"]),
                plot.hline(usable / 1e9, plot.COLORS["bad"], dash="dash"),
                plot.vline(fit_users, plot.COLORS["muted"])],
        annotations=[plot.note(0.01, cap / 1e9, f"capacity {gb(cap)}", xref="paper",
                               xanchor="left", yanchor="bottom"),
                     plot.note(0.01, usable / 1e9, f"usable {gb(usable)}", xref="paper",
                               xanchor="left", yanchor="top")])},
        key="act1.kv", caption=(
            f"KV-cache model: each GPU holds {gb(weights)} of weights, and every user at "
            f"{tokens(context)} adds {gb(per_user)} of cache. The usable "
            f"{gb(usable)} ({fmt.percent(MEMORY_FRACTION, 0)} of {gb(cap)}) holds "
            f"{fit_users} users; your {chosen} use {gb(used)}"
            + (", more than fits." if over else ".")),
        table={"caption": "Memory per GPU by concurrent users",
               "columns": ["users", "weights", "KV cache", "total", "fits"],
               "rows": [[fmt.num(u, 6), gb(weights), gb(u * per_user),
                         gb(weights + u * per_user),
                         "yes" if weights + u * per_user <= usable else "no"]
                        for u in sorted({1, fit_users // 2, fit_users, fit_users + 1,
                                         chosen})]})
    ui.metrics([
        Metric("KV cache per token", fmt.binary(cases.kv().bytes_per_token.m_as("B")),
               note="whole model, FP16"),
        Metric("Cache per user, per GPU", gb(per_user), note=tokens(context)),
        Metric("Weights per GPU", gb(weights), note=f"1/{tp} of the model"),
        Metric("Users that fit", fmt.num(fit_users, 6), tone="info",
               note=f"per copy of {tp} GPUs"),
        Metric("Your users use", gb(used), tone="danger" if over else None,
               note=f"of {gb(usable)} usable"),
    ], key="act1.metrics")


def mathpeek_kv(context, tp) -> str:
    per_token = cases.kv().bytes_per_token.m_as("B")
    per_user = cases.cache_per_user(context, tp)
    weights = cases.weights_per_gpu(tp)
    usable = cases.usable_per_gpu()
    users = cases.users_that_fit(context, tp)
    share = fmt.num(cases.kv_share(MODEL, tp))
    return (
        "\n$$\nm_{\\text{tok}} = 2\\,L\\,h_{kv}\\,d_h\\,b, \\qquad "
        "U = \\left\\lfloor \\frac{f\\,M - W/t}{m_{\\text{tok}}\\,s\\,/\\,t} \\right\\rfloor\n$$\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $L$ | layers | {MODEL.layers} |\n"
        f"| $h_{{kv}}$ | key/value heads (grouped-query attention) | {MODEL.kv_heads} |\n"
        f"| $d_h$ | width of one head | {MODEL.hidden_size // MODEL.heads} |\n"
        "| $b$ | bytes per number at FP16 | 2 |\n"
        f"| $m_{{\\text{{tok}}}}$ | cache per token (keys and values) | {fmt.binary(per_token)} |\n"
        f"| $s$ | tokens per user | {fmt.num(context, 6)} |\n"
        f"| $t$ | GPUs the model is split over | {tp} |\n"
        f"| $W$ | weights at FP16 | {gb(MODEL.size_in_bytes('fp16').m_as('B'))} |\n"
        f"| $f\\,M$ | usable share of one GPU's memory | {gb(usable)} |\n"
        f"| $U$ | users that fit | {users} |\n\n"
        f"Each GPU keeps {share} of every user's KV heads (one of the {MODEL.kv_heads} per GPU "
        "at tensor parallel 8), so one user costs "
        f"{fmt.binary(per_token)} × {fmt.num(context, 6)} × {share} = {gb(per_user)} per GPU; "
        f"({gb(usable)} − {gb(weights)}) ÷ {gb(per_user)} = {users}. The paged cache rounds "
        f"each user up to whole blocks of {cases.BLOCK_TOKENS} tokens.")


# ---- Act II -----------------------------------------------------------------------------------
def act_two(ui, context):
    rows, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Batching, layout and the first token (20-25 min)"):
        ui.stakeholder(
            "Product lead, assistant",
            f"We launch the assistant on this node: {fmt.num(LAT.rate)} requests a second, "
            f"prompts around {tokens(cases.DEFAULT_PROMPT)}, replies of "
            f"{tokens(cases.REPLY_MEAN)} on average and at most {tokens(cases.REPLY_MAX)}. "
            f"Users must see the first word fast: 99% within {fmt.quantity(TTFT_SLO)}. At "
            f"night the same node runs a batch job over our backlog at "
            f"{fmt.num(THR.rate)} requests a second, where nobody waits for a first token. "
            "How do we set it up?")
        ui.markdown(
            "The engine times each prefill and decoding step on the roofline (prefill "
            f"arithmetic at {fmt.percent(cases.PREFILL_MFU, 0)} of peak, the engine's default "
            "utilisation), adds the tensor-parallel exchanges over NVLink, and queues the "
            "requests: prompts vary in length, so the waits are those of an M/M/c queue, a "
            "cautious tail. The loads and reply lengths are this scenario's (illustrative). "
            "Commit to a prediction first.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"The interactive assistant ({fmt.num(LAT.rate)} requests/s, "
            f"{prompts(cases.DEFAULT_PROMPT)}) runs continuous batching. Which layout "
            "of the node's eight GPUs gives the lowest P99 time to first token?",
            act2_options(rows), correct=correct)

        policy = ui.toggle("act2.policy", "Batch policy", POLICY_LABELS, default="continuous")
        tp = int(ui.select("act2.tp", "Layout of the eight GPUs", TP_LABELS,
                           default=str(cases.DEFAULT_TP)))
        prompt = int(ui.slider("act2.prompt", "Prompt length (mean)", cases.PROMPT_MIN,
                               cases.PROMPT_MAX, cases.PROMPT_STEP, cases.DEFAULT_PROMPT,
                               unit="tokens"))
        r = serve(context, policy, tp, prompt)
        if r.violations:
            ui.failure(failure_title(r), r.violations, text=failure_text(context, r),
                       key="act2.failure")
        else:
            ui.callout("success", success_text(context, r), title="The node meets the objective",
                       key="act2.ok")
        serving_instruments(ui, context, r)

        best = rows[ACT2_TP[correct]]
        ui.reveal(pred, f"Tensor parallel {best.tp}: {fmt.duration(best.ttft)} at the P99, "
                        f"against {ttft_text(rows[8])} for one copy at tensor parallel 8 and "
                        f"{ttft_text(rows[2])} for four at tensor parallel 2",
                  text=pred.feedback, key="act2.overlay")
        st = {tp_: serve("throughput", "static", tp_, cases.DEFAULT_PROMPT) for tp_ in (4, 8)}
        ct = serve("throughput", "continuous", 4, cases.DEFAULT_PROMPT)
        ui.reflection(
            "act2.reflection",
            "In the overnight job static batching falls short of "
            f"{fmt.num(THR.rate)} requests/s at every layout, though at tensor parallel 4 or 8 "
            "it has hundreds of cache slots. What limits it?",
            {
                "A": ("Each batch decodes until its longest reply ends",
                      f"Yes. A batch of a few hundred requests almost surely holds one that "
                      f"runs to the {fmt.num(cases.REPLY_MAX, 6)}-token cap, so it takes "
                      f"{fmt.num(cases.REPLY_MAX, 6)} decoding steps for replies that average "
                      f"{fmt.num(cases.REPLY_MEAN, 6)}: finished sequences idle in their slots. "
                      f"Static carries {fmt.num(st[4].capacity)} requests/s at tensor "
                      f"parallel 4, continuous batching {fmt.num(ct.capacity)}."),
                "B": ("The cache reserved for the longest reply leaves too few slots",
                      f"The reservation wastes memory, but static still has {st[4].slots} "
                      f"slots per copy at tensor parallel 4 ({st[8].slots} at 8), more than it "
                      "can keep busy; the time is lost in decoding steps of finished replies."),
                "C": ("Prefill: a batch's prompts are processed together",
                      "Both policies prefill every prompt once, at the same arithmetic cost "
                      "per token. What static adds is decoding steps for replies that have "
                      "already ended."),
                "D": ("The tensor-parallel exchanges over NVLink",
                      "Both policies exchange the same activations per step; the exchanges "
                      "cost the same either way. Static loses the steps in which most of its "
                      "batch has nothing left to say."),
            }, correct="A")
        with ui.math_peek("time to first token, part by part", key="act2.mathpeek"):
            ui.markdown(mathpeek_ttft(r))
    return pred, r


def failure_title(r) -> str:
    if not r.fits:
        return "Out of memory: the weights do not fit"
    if not r.served:
        return "The node cannot keep up with the load"
    return "Time to first token over the objective"


def failure_text(context, r) -> str:
    if not r.fits:
        return (f"At tensor parallel {r.tp} each GPU would hold {gb(r.weights)} of weights; "
                f"an H100 has {gb(GPU.memory.capacity.m_as('B'))}, of which "
                f"{gb(cases.usable_per_gpu())} are usable. Split the model over more GPUs "
                "(tensor parallel 2 or more).")
    if not r.served:
        why = ("each batch decodes until its longest reply ends"
               if r.policy == "static" else
               f"each copy holds {r.slots} sequences and spends "
               f"{fmt.duration(r.prefill)} on every prompt")
        return (f"Requests arrive at {fmt.num(r.rate)} per second and the node completes at "
                f"most {fmt.num(r.capacity)} ({why}): the queue grows without end. Switch to "
                "continuous batching, choose tensor parallel 4 or 8, or shorten the prompts.")
    big = max(r.parts, key=r.parts.get)
    fix = ("Switch to continuous batching: a request then joins the running batch at the "
           "next step" if r.policy == "static" else
           "Shorten the prompts, or choose the layout whose prefill and queue are shortest "
           "together (the table compares them)")
    return (f"The P99 time to first token is {fmt.duration(r.ttft)}, over the "
            f"{fmt.quantity(TTFT_SLO)} objective; most of it is {PART_NAMES[big]} "
            f"({fmt.duration(r.parts[big])}). {fix}.")


def success_text(context, r) -> str:
    if context == "latency":
        return (f"P99 time to first token {fmt.duration(r.ttft)}, within "
                f"{fmt.quantity(TTFT_SLO)}, with {copies(r.tp)} at "
                f"{fmt.percent(r.utilization, 0)} of what the node can carry.")
    return (f"The node carries {fmt.num(r.rate)} requests/s of the "
            f"{fmt.num(r.capacity)} it can, {fmt.num(r.tokens_per_second)} reply tokens/s; "
            f"nobody waits on the first token, which takes {fmt.duration(r.ttft)} at the P99.")


def serving_instruments(ui, context, r):
    memory_chart(ui, r)
    if r.served:
        ttft_chart(ui, context, r)
    rows = cases.layouts(context, r.policy, r.prompt)
    ui.table(f"The four layouts with {r.policy} batching and {prompts(r.prompt)} "
             f"({contexts.name(context).lower()} service)",
             ["layout", "cache slots per copy", "prefill", "time per output token",
              "node capacity", "P99 TTFT", "verdict"],
             [[copies(tp), fmt.num(x.slots, 6), fmt.duration(x.prefill),
               fmt.duration(x.tpot) if x.served else "not served",
               f"{fmt.num(x.capacity)} requests/s" if x.fits else "none", ttft_text(x),
               verdict(context, x)]
              for tp, x in rows.items()], key="act2.layouts")
    ui.metrics([
        Metric("P99 time to first token", ttft_text(r),
               tone="danger" if any(v.name.startswith("TTFT") for v in r.violations)
               else "info",
               note=(f"objective {fmt.quantity(TTFT_SLO)}" if context == "latency"
                     else "no objective offline")),
        Metric("Time per output token", fmt.duration(r.tpot) if r.served else "not served",
               note=("one step of the whole batch" if r.policy == "static"
                     else "decoding steps, paused by prefills")),
        Metric("Node capacity", f"{fmt.num(r.capacity)} requests/s" if r.fits else "none",
               tone="danger" if r.fits and not r.served else None,
               note=f"load {fmt.num(r.rate)} requests/s"),
        Metric("Reply tokens per second", fmt.num(r.tokens_per_second),
               note="the node, at this load"),
        Metric("Sequences in flight", f"{fmt.num(r.concurrency)} of {fmt.num(r.slots, 6)}"
               if r.fits else "none", note="per copy: in flight of the cache slots"),
    ], key="act2.metrics")


def memory_chart(ui, r):
    usable, cap = cases.usable_per_gpu(), GPU.memory.capacity.m_as("B")
    idle = max(0.0, r.reserved - r.cache)
    free = max(0.0, usable - r.weights - r.reserved)
    parts = [("Weights", r.weights, plot.COLORS["fleet"]),
             ("KV cache in use", r.cache, plot.COLORS["cloud"]),
             ("Reserved, unused", idle, plot.COLORS["accent"]),
             ("Free for more sequences", free if r.fits else 0.0, plot.COLORS["muted"])]
    traces = [plot.bar([v / 1e9], ["one GPU"], color, name=name, orientation="h",
                       hovertemplate="%{x:.3g} GB<extra>" + name + "</extra>")
              for name, v, color in parts]
    ui.figure({"data": traces, "layout": plot.layout(
        f"One GPU's memory ({copies(r.tp)}, {r.policy} batching)", height=230,
        barmode="stack", showlegend=True, legend={"orientation": "h", "y": -0.6},
        xaxis=plot.axis("GB", range=[0, max(cap, r.weights) / 1e9 * 1.05]),
        shapes=[plot.vline(cap / 1e9, plot.COLORS["ink"]),
                plot.vline(usable / 1e9, plot.COLORS["bad"], dash="dash")])},
        key="act2.memory", caption=(
            f"One GPU's memory: {gb(r.weights)} of weights"
            + (f", {gb(r.cache)} of cache held by the sequences in flight, {gb(idle)} "
               f"reserved for them but unused, {gb(free)} free, against {gb(usable)} usable "
               f"of {gb(cap)}." if r.fits else
               f", more than the {gb(cap)} an H100 has.")),
        table={"caption": "One GPU's memory, part by part",
               "columns": ["part", "size"],
               "rows": [[name, gb(v)] for name, v, _ in parts]})


def ttft_chart(ui, context, r):
    traces = [plot.bar([v * 1e3], ["P99 TTFT"], PART_COLORS[k], name=PART_NAMES[k].capitalize(),
                       orientation="h", hovertemplate="%{x:.3g} ms<extra></extra>")
              for k, v in r.parts.items()]
    slo = TTFT_SLO.m_as("ms")
    shapes = [plot.vline(slo, plot.COLORS["bad"], dash="dash")] if context == "latency" else []
    ui.figure({"data": traces, "layout": plot.layout(
        "Time to first token at the P99, part by part", height=230, barmode="stack",
        showlegend=True, legend={"orientation": "h", "y": -0.6},
        xaxis=plot.axis("milliseconds", range=[0, max(r.ttft * 1e3, slo) * 1.08]),
        shapes=shapes)},
        key="act2.ttft", caption=(
            f"The P99 time to first token, {fmt.duration(r.ttft)}: " + "; ".join(
                f"{PART_NAMES[k]} {fmt.duration(v)}" for k, v in r.parts.items())
            + (f". The dashed line is the {fmt.quantity(TTFT_SLO)} objective."
               if context == "latency" else ". The overnight job has no TTFT objective.")),
        table={"caption": "Time to first token at the P99, part by part",
               "columns": ["part", "time"],
               "rows": [[PART_NAMES[k].capitalize(), fmt.duration(v)]
                        for k, v in r.parts.items()]})


def verdict(context, r) -> str:
    if not r.fits:
        return "out of memory"
    if not r.served:
        return "cannot keep up"
    if context == "latency":
        return "meets it" if r.ttft <= TTFT_SLO.m_as("s") else "over the objective"
    return "keeps up"


def mathpeek_ttft(r) -> str:
    if not r.served:
        return (
            "\n$$\n\\lambda < C = \\frac{r\\,k}{T_{\\text{pre}}\\,k + \\bar{o}\\,t(k)}\n$$\n\n"
            "A copy spends each request's prefill alone, and shares each of its decoding "
            "steps with the $k$ sequences its cache holds; $r$ copies carry $C$ requests/s. "
            + (f"Here the weights do not fit at tensor parallel {r.tp}: there is no copy."
               if not r.fits else
               f"Here $C$ = {fmt.num(r.capacity)} requests/s against $\\lambda$ = "
               f"{fmt.num(r.rate)}: the queue grows without end, and the time to first token "
               "with it."))
    p = r.parts
    if r.policy == "static":
        return (
            "\n$$\nT_{\\text{first}} \\approx S\\left(1 - \\frac{0.01}{\\beta}\\right) + "
            "T_{\\text{pre}}(n), \\qquad S = T_{\\text{pre}}(n) + o_{\\max}\\,t(n)\n$$\n\n"
            "| symbol | meaning | value |\n| --- | --- | --- |\n"
            f"| $n$ | requests per batch (those that arrived during the last one) | "
            f"{fmt.num(r.concurrency)} |\n"
            f"| $o_{{\\max}}$ | decoding steps: the batch's longest reply | "
            f"{fmt.num(cases.REPLY_MAX, 6)} |\n"
            f"| $S$ | one batch: its prefill and {fmt.num(cases.REPLY_MAX, 6)} steps | "
            f"{fmt.duration(r.batch_time)} |\n"
            f"| $t(n)$ | one decoding step for the batch | {fmt.duration(r.tpot)} |\n"
            f"| $T_{{\\text{{pre}}}}(n)$ | the batch's prefill | {fmt.duration(p['prefill'])} |\n"
            f"| $\\beta$ | share of time a batch is running | {fmt.num(r.busy)} |\n"
            f"| $T_{{\\text{{first}}}}$ | P99 time to first token | {fmt.duration(r.ttft)} |\n\n"
            "A request that arrives during a batch waits a uniform share of it, so its P99 "
            f"wait is nearly the whole batch, {fmt.duration(p['batch'])}.")
    return (
        "\n$$\nT_{\\text{first}} \\approx W_{\\text{slot}} + W_{\\text{pre}} + "
        "T_{\\text{pre}} + t(n)\n$$\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $W_{{\\text{{slot}}}}$ | P99 wait for a cache slot (M/M/c, $c$ = "
        f"{fmt.num(r.slots * r.replicas, 6)} slots) | {fmt.duration(p['slot'])} |\n"
        f"| $W_{{\\text{{pre}}}}$ | P99 wait for a prefill turn (M/M/c, $c$ = {r.replicas} "
        f"cop{'ies' if r.replicas > 1 else 'y'}) | {fmt.duration(p['queue'])} |\n"
        f"| $T_{{\\text{{pre}}}}$ | one prompt's prefill on {r.tp} GPUs | "
        f"{fmt.duration(p['prefill'])} |\n"
        f"| $t(n)$ | the decoding step in progress, $n$ = {fmt.num(r.concurrency)} in flight | "
        f"{fmt.duration(p['iteration'])} |\n"
        f"| $T_{{\\text{{first}}}}$ | P99 time to first token | {fmt.duration(r.ttft)} |\n\n"
        "Adding the parts' P99s over-states the total a little: their tails rarely fall on "
        "the same request. Sequences in flight follow Little's law: $n = \\lambda_c\\,\\bar{o}\\,"
        "t(n)/(1-\\rho)$, with $\\rho$ the share of a copy's time spent on prefills.")


def closing(ui):
    users, _ = act1_truth()
    rows, _ = act2_truth()
    best = cases.best_layout("latency", "continuous", cases.DEFAULT_PROMPT)
    most = cases.highest_rate("latency", "continuous", best, cases.DEFAULT_PROMPT)
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-inference-kv-cache and @sec-v2-inference-memory size the cache and "
            "count the users; @sec-v2-inference-paged explains why paging it frees memory; "
            "@sec-v2-inference-ttft and @sec-v2-inference-tensor-parallel take the first "
            "token apart.\n"
            "- Volume I built the queue: Little's law (@sec-model-serving-littles-law), pooled "
            "servers (@sec-model-serving-servers) and static batching for one server "
            "(@sec-model-serving-batching); prefill and decode on the roofline are in "
            "@sec-hw-acceleration-transformer.\n"
            "- Next, Lab 11 (@sec-v2-edge-intelligence) moves the model to the devices, where "
            "what costs is the communication of federated learning.\n"
            "- TinyTorch's attention module builds scaled dot-product attention; caching its "
            "keys and values between steps is the change that turns it into a server's "
            "decoder.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. {MODEL.name} keeps {fmt.binary(cases.kv().bytes_per_token.m_as('B'))} of keys "
            f"and values per token; at {tokens(ACT1_CONTEXT)} one node holds {users} users. "
            "Memory left after the weights, not arithmetic, bounds concurrency.\n"
            "2. Static batching makes a new request wait for the running batch's longest "
            "reply: seconds. Continuous batching lets it join at the next step.\n"
            f"3. At {fmt.num(LAT.rate)} requests/s the lowest P99 TTFT came from "
            f"{copies(best)} ({fmt.duration(rows[best].ttft)}): fast prefills and short "
            "queues together, not the largest tensor-parallel degree.\n"
            f"4. Within the {fmt.quantity(TTFT_SLO)} objective that layout carries about "
            f"{fmt.num(most)} requests/s of the {fmt.num(rows[best].capacity)} it could "
            "serve offline: a latency objective is paid for in idle capacity.")


def save_to_ledger(ui, context, pred1, pred2, r):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    users, _ = act1_truth()
    decision = (f"{r.policy} batching, {copies(r.tp)}, prompts of {r.prompt} tokens, "
                f"{contexts.name(context).lower()} service")
    if context == "latency":
        result, unit = (r.ttft * 1e3 if r.served else None), "ms"
        shown = ttft_text(r)
    else:
        result, unit = r.capacity, "request/s"
        shown = f"{fmt.num(r.capacity)} requests/s"
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (bands.log_middle(ACT1_BANDS, pred1.value), users),
        pred2, decision=decision, result=result, unit=unit,
        constraint_hit=bool(r.violations))
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Design", decision),
        ("P99 TTFT" if context == "latency" else "Node capacity", shown)))

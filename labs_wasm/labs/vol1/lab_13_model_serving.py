"""Vol I · Lab 13 · The tail you promise (chapter: model_serving).

Act I calibrates the tail: a reply-suggestion service with exponentially distributed service
times (replies vary in length) has a response time whose P99 is ln(100), about 4.6 times its
mean, at any load, so a dashboard's mean says little about what 1 user in 100 waits. The new
instrument, the P99 latency histogram, shows the distribution with its mean, median and P99.
Act II scales the service to ten times the traffic: Little's law, the M/M/c queue (Erlang C)
and batching decide how many servers keep the P99 under a 200 ms objective; too few servers,
or batches too large for the traffic, miss it. On the phone there is one neural engine and no
server to add: the service time itself has to shrink. Every number comes from the engine
through model_serving_cases.py, which Chapter 13 shares.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol1 import model_serving_cases as cases
from labs.vol1.model_serving_cases import (BASE_RATE, LAUNCH_LOAD, MACHINES, MAX_SERVERS,
                                           MODELS, PERCENTILE, REPLY_TOKENS, SLA, design,
                                           distribution, service_time)

LAB = Lab(
    id="vol1/13", chapter="model_serving", title="The tail you promise",
    hook="A dashboard shows the mean; your users feel the slowest one in a hundred. How far "
         "apart are the two, and what does it take to keep the tail in line at ten times the "
         "traffic?",
    invariants=["Little's law", "tail latency vs the mean", "M/M/c queueing",
                "batching trades latency for throughput"],
    minutes=40, contexts=("cloud", "mobile"),
    reading=[
        ("@sec-model-serving-littles-law", "Little's law and utilisation"),
        ("@sec-model-serving-tail", "why P99 is a multiple of the mean"),
        ("@sec-model-serving-saturation", "how tails grow near saturation"),
        ("@sec-model-serving-servers", "pooling servers: M/M/c and Erlang C"),
        ("@sec-model-serving-batching", "batching's throughput against its latency"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 SXM serving GPT-2 XL",
                                  "mobile": "A17 Pro running GPT-2 on the phone"})
SLA_S = SLA.m_as("s")
P = f"P{round(PERCENTILE * 100)}"   # "P99"

# ---- Act I: bands of P99 / mean (low, high): the one place the bounds live ------------------
ACT1_BANDS = {"A": (1.0, 1.5), "B": (1.5, 3.0), "C": (3.0, 7.0), "D": (7.0, math.inf)}
#: Traffic multiples of the Act I slider (a single server stays stable up to ~3.5x in Cloud).
ACT1_LOADS = (1.0, 3.5, 0.25)


#: The machines' short names for running text (tables give the registry's full names).
SHORT = {"cloud": "H100", "mobile": "A17 Pro"}


def machine(context: str) -> str:
    return MACHINES[context].name


def model_name(context: str) -> str:
    return MODELS[context].name.split(" (")[0]


def rate_text(rate: float) -> str:
    return f"{fmt.num(rate)} requests/s"


def act1_case(context: str, load: float = 1.0):
    """The context's service on one server, batch 1, default reply length, at ``load``."""
    return distribution(load * BASE_RATE[context], service_time(context), 1)


def act1_truth(context: str) -> tuple[float, float, float, str]:
    """(P99, mean, P99 / mean, the correct band) of the Act I case, in seconds."""
    r = act1_case(context)
    p99 = r.quantiles[PERCENTILE].m_as("s")
    mean = r.mean_response.m_as("s")
    return p99, mean, p99 / mean, bands.band_of(p99 / mean, ACT1_BANDS)


def act1_options(context: str) -> dict:
    p99, mean, ratio, _ = act1_truth(context)
    b = {k: (fmt.duration(lo * mean), fmt.duration(hi * mean) if math.isfinite(hi) else "")
         for k, (lo, hi) in ACT1_BANDS.items()}
    fact = (f"The engine gives a mean of {fmt.duration(mean)} and a {P} of "
            f"**{fmt.duration(p99)}**, {fmt.num(ratio, 3)} times the mean.")
    return {
        "A": (f"Under {b['A'][1]}: within half again of the mean",
              f"{fact} A tail that close to the mean needs service times that hardly vary; "
              "replies of varying length make some requests several times longer than "
              "average, and an unlucky one also queues behind them."),
        "B": (f"{b['B'][0]} to {b['B'][1]}: up to three times the mean",
              f"{fact} Twice the mean is a common guess for a 'bad' request; for exponential "
              "response times 1 request in 100 takes longer than ln(100) means."),
        "C": (f"{b['C'][0]} to {b['C'][1]}: three to seven times the mean",
              f"{fact} That is your band: with exponential response times every percentile "
              "is a fixed multiple of the mean, and the 99th is ln(100)."),
        "D": (f"Over {b['D'][0]}: seven times the mean or more",
              f"{fact} Heavier tails exist (a cache miss, a garbage-collection pause), but "
              "an exponential one stops at ln(100) for the 99th percentile."),
    }


# ---- Act II: how many H100s at ten times the traffic ----------------------------------------
ACT2_BANDS = {"A": (2, 3), "B": (4, 5), "C": (6, 9), "D": (10, 10 ** 6)}


def act2_truth() -> tuple[int, int, str]:
    """(fewest H100s meeting the SLA at 10x, batch 1; fewest with a stable queue; band)."""
    need = cases.fewest_servers("cloud", LAUNCH_LOAD)
    cap = cases.capacity_servers("cloud", LAUNCH_LOAD)
    return need, cap, next(k for k, (lo, hi) in ACT2_BANDS.items() if lo <= need <= hi)


def gpus(n: int) -> str:
    return f"{n} H100{'s' if n != 1 else ''}"


def act2_fact() -> str:
    need, cap, _ = act2_truth()
    bare = design("cloud", LAUNCH_LOAD, cap)
    ok = design("cloud", LAUNCH_LOAD, need)
    rate = LAUNCH_LOAD * BASE_RATE["cloud"]
    return (f"At {rate_text(rate)} each reply takes {fmt.duration(ok.service)} on average, so "
            f"the work is {fmt.num(rate * ok.service, 3)} H100s' worth. {gpus(cap)} keep the "
            f"queue stable at {fmt.percent(bare.utilization, 0)} busy, but their {P} is "
            f"{fmt.duration(bare.p99)}; **{gpus(need)}** bring it to {fmt.duration(ok.p99)}, "
            f"under {fmt.duration(SLA_S)}.")


def act2_options() -> dict:
    fact = act2_fact()
    return {
        "A": ("2 or 3",
              f"{fact} Enough capacity to keep up is not enough: near 100% busy the "
              "tail explodes."),
        "B": ("4 or 5",
              f"{fact} That is your band: a little more than the bare capacity, far less "
              "than ten times today's fleet, because one shared queue keeps every server "
              "busy."),
        "C": ("6 to 9",
              f"{fact} Servers pooled behind one queue can run hot: a request waits only "
              "when all of them are busy at once."),
        "D": ("10 or more: ten times the traffic needs ten times the servers",
              f"{fact} Today one H100 is mostly idle; ten of them would be idle most of the "
              "time too."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Deployment context", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, d = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, d)


def act_one(ui, context):
    p99, mean, ratio, correct = act1_truth(context)
    rate = BASE_RATE[context]
    s = service_time(context)
    with ui.section("Act I · Calibration", "The mean and the tail (12-15 min)"):
        if context == "cloud":
            ui.stakeholder(
                "Product lead, a messaging app",
                f"Our reply suggestions run {model_name('cloud')} on one {SHORT['cloud']}. "
                f"The beta sends about {rate_text(rate)}, and the dashboard says the mean "
                f"latency is {fmt.duration(mean)}. Marketing wants to print 'suggestions in "
                f"a flash for 99 users in 100'. Before they pick the number: what is our {P}?")
        else:
            ui.stakeholder(
                "Keyboard lead, a phone maker",
                f"Our keyboard runs {model_name('mobile')} on the {SHORT['mobile']}'s neural "
                f"engine and asks for a new suggestion at every keystroke: about "
                f"{rate_text(rate)} for a typical typist. The mean latency is "
                f"{fmt.duration(mean)}. What does the slowest suggestion in a hundred take?")
        ui.markdown(
            f"A reply is about {REPLY_TOKENS} tokens on average, but replies vary in length, "
            f"so the service time does too: {fmt.duration(s)} on average "
            f"({REPLY_TOKENS} decoding steps of {fmt.duration(cases.step(context).total.m_as('s'))}, "
            "the Iron Law time of one step). Model it as exponential, with requests arriving "
            "at random. Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"The mean response time is {fmt.duration(mean)}. What is the {P}, the time 99 "
            "requests in 100 finish within?",
            act1_options(context), correct=correct)

        lo, hi, step = ACT1_LOADS
        load = ui.slider("act1.load", "Traffic (× today's)", lo, hi, step, 1.0, unit="×")
        r = act1_case(context, load)
        histogram(ui, context, load, r)
        q = r.quantiles
        ui.metrics([
            Metric("Mean response", fmt.duration(r.mean_response.m_as("s")), tone="info"),
            Metric("Median (P50)", fmt.duration(q[0.5].m_as("s"))),
            Metric(f"{P}", fmt.duration(q[PERCENTILE].m_as("s")), tone="warn",
                   note=f"{fmt.num(r.ratio_to_mean[PERCENTILE], 3)} × the mean"),
            Metric("Utilisation ρ", fmt.percent(r.utilization, 0),
                   note=f"{rate_text(load * rate)} on one server"),
        ], key="act1.metrics")
        ui.reveal(pred, f"{P} = {fmt.duration(p99)} against a mean of {fmt.duration(mean)} "
                        f"({SHORT[context]}, {rate_text(rate)})",
                  text=pred.feedback, key="act1.overlay")
        top = act1_case(context, hi)
        same = math.isclose(top.ratio_to_mean[PERCENTILE], ratio, rel_tol=1e-6)
        ui.reflection(
            "act1.reflection",
            f"Slide the traffic up to {fmt.num(hi)}×. What happens to the {P} divided by the "
            "mean?",
            {
                "A": ("It grows: near saturation the tail stretches faster than the mean",
                      f"Both stretch, but by the same factor. At {fmt.num(hi)}× the mean is "
                      f"{fmt.duration(top.mean_response.m_as('s'))} and the {P} "
                      f"{fmt.duration(top.quantiles[PERCENTILE].m_as('s'))}: still "
                      f"{fmt.num(top.ratio_to_mean[PERCENTILE], 3)} times."),
                "B": ("It stays the same: load stretches the whole distribution by one factor",
                      f"Yes. One server with exponential times has an exponential response "
                      f"time, mean 1/(μ − λ); every percentile is that mean times a constant, "
                      f"so the ratio stays {fmt.num(top.ratio_to_mean[PERCENTILE], 3)} while "
                      f"both grow to {fmt.duration(top.mean_response.m_as('s'))} and "
                      f"{fmt.duration(top.quantiles[PERCENTILE].m_as('s'))}." if same else
                      "No: at this load the ratio moves; read it off the metrics."),
                "C": ("It shrinks: a busy server is more predictable",
                      "A busy server is less predictable in absolute terms: the spread grows "
                      f"with the mean. The ratio stays {fmt.num(ratio, 3)}."),
                "D": ("It depends on the chip: a faster accelerator has a tighter tail",
                      "A faster chip shortens every time by the same factor, so the ratio "
                      f"does not change; it is {fmt.num(ratio, 3)} on the phone and in the "
                      "datacenter alike."),
            }, correct="B" if same else "A")
        with ui.math_peek("the single-server tail with this case's numbers", key="act1.mathpeek"):
            ui.markdown(mathpeek_tail(context, load, r))
    return pred


def histogram(ui, context, load, r):
    """The P99 latency histogram: the response-time distribution with mean, P50 and P99."""
    edges = [e.m_as("s") * 1e3 for e in r.bin_edges]
    probs = r.bin_probabilities
    centers = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
    width = edges[1] - edges[0]
    mean = r.mean_response.m_as("s") * 1e3
    p50 = r.quantiles[0.5].m_as("s") * 1e3
    p99 = r.quantiles[PERCENTILE].m_as("s") * 1e3
    colors = [plot.COLORS["bad"] if c > p99 else plot.COLORS[context] for c in centers]
    top = max(probs) * 100
    marks = {"mean": (mean, plot.COLORS["ink"]), "P50": (p50, plot.COLORS["muted"]),
             P: (p99, plot.COLORS["bad"])}
    shapes = [plot.vline(x, color, dash="dash") for x, color in marks.values()]
    notes = [plot.note(x, top * (1.12 - 0.1 * i), f"{name} {fmt.duration(x / 1e3)}",
                       xanchor="left", xshift=4)
             for i, (name, (x, _)) in enumerate(marks.items())]
    figure = {"data": [plot.bar(centers, [p * 100 for p in probs], colors, width=width,
                                hovertext=[f"{fmt.num(a)}-{fmt.num(b)} ms: {fmt.num(p * 100, 2)}%"
                                           for a, b, p in zip(edges, edges[1:], probs)],
                                hoverinfo="text")],
              "layout": plot.layout(
                  f"Response times on the {SHORT[context]} at {fmt.num(load)}× traffic",
                  height=360, shapes=shapes, annotations=notes, bargap=0.05,
                  xaxis=plot.axis("response time (ms)"),
                  yaxis=plot.axis("share of requests (%)", range=[0, top * 1.2]))}
    q = r.quantiles
    rows = [[name, fmt.duration(q[p].m_as("s")), fmt.num(r.ratio_to_mean[p], 3)]
            for name, p in (("P50 (median)", 0.5), ("P90", 0.9), (P, PERCENTILE),
                            ("P99.9", 0.999))]
    rows.insert(0, ["mean", fmt.duration(mean / 1e3), "1"])
    ui.figure(figure, key="act1.histogram", caption=(
        f"{P} latency histogram: how response times spread for {rate_text(load * BASE_RATE[context])} "
        f"on one {SHORT[context]} ({fmt.percent(r.utilization, 0)} busy), in "
        f"{len(probs)} bins up to the P99.9. The mean is {fmt.duration(mean / 1e3)}, the "
        f"median {fmt.duration(p50 / 1e3)}, the {P} {fmt.duration(p99 / 1e3)}; the red bars "
        f"are the slowest 1% of requests, beyond the {P}."),
        table={"caption": "Percentiles of the response time (engine, M/M/1)",
               "columns": ["statistic", "response time", "times the mean"], "rows": rows})


def mathpeek_tail(context, load, r) -> str:
    lam = load * BASE_RATE[context]
    s = service_time(context)
    mu = 1 / s
    mean = r.mean_response.m_as("s")
    p99 = r.quantiles[PERCENTILE].m_as("s")
    return (
        "With random (Poisson) arrivals at rate $\\lambda$ and exponential service at rate "
        "$\\mu = 1/S$ on one server (M/M/1), the response time $T$ (wait + service) is itself "
        "exponential, with rate $\\mu - \\lambda$:\n\n"
        r"$$P(T > t) = e^{-(\mu - \lambda) t}, \qquad \bar T = \frac{1}{\mu - \lambda},"
        r"\qquad T_p = \frac{-\ln(1 - p)}{\mu - \lambda} = -\ln(1 - p)\,\bar T$$" "\n\n"
        "so $T_{99} = \\ln(100)\\,\\bar T$ whatever the load.\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $S$ | mean service time: {REPLY_TOKENS} tokens × one decoding step | {fmt.duration(s)} |\n"
        f"| $\\mu$ | service rate, $1/S$ | {fmt.num(mu)} requests/s |\n"
        f"| $\\lambda$ | arrival rate | {fmt.num(lam)} requests/s |\n"
        f"| $\\rho$ | utilisation, $\\lambda/\\mu$ | {fmt.percent(r.utilization, 1)} |\n"
        f"| $\\bar T$ | mean response time, $1/(\\mu - \\lambda)$ | {fmt.duration(mean)} |\n"
        f"| $T_{{99}}$ | {P} response time | {fmt.duration(p99)} |\n\n"
        f"$\\bar T = 1/({fmt.num(mu)} - {fmt.num(lam)})$ s = {fmt.duration(mean)}; "
        f"$T_{{99}} = \\ln(100) \\times$ {fmt.duration(mean)} = {fmt.duration(p99)} "
        f"($\\ln 100 = {math.log(100):.3f}$).")


def act_two(ui, context):
    need, cap, correct = act2_truth()
    launch = LAUNCH_LOAD * BASE_RATE["cloud"]
    with ui.section("Act II · Design challenge", f"Ten times the traffic, one {P} objective "
                    "(20-25 min)"):
        ui.stakeholder(
            "Head of infrastructure, the messaging app",
            f"Launch week: every user gets suggestions, about {LAUNCH_LOAD} times the beta's "
            f"traffic, {rate_text(launch)}. Our objective is {fmt.duration(SLA_S)} at the "
            f"{P}. Finance wants one number: how many {SHORT['cloud']}s do we book?")
        ui.markdown(
            f"The {fmt.duration(SLA_S)} objective is this lab's scenario choice: people type "
            f"on phones at about {fmt.num(cases.TYPING_WPM)} words a minute (Palin et al. 2019), "
            f"a keystroke every {fmt.duration(1 / BASE_RATE['mobile'])} or so, and a suggestion "
            "that arrives after the next keystroke is stale. The traffic figures are "
            "illustrative. Servers sit behind one shared queue: a request goes to whichever "
            "is free.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"At {rate_text(launch)}, one reply per request (no batching), "
            f"{REPLY_TOKENS}-token replies: how many H100s keep the {P} under "
            f"{fmt.duration(SLA_S)}?",
            act2_options(), correct=correct)

        if context == "mobile":
            ui.callout("info",
                       "You are in the Mobile context. The prediction above is about the "
                       "datacenter; the instruments below run the same feature on the phone, "
                       f"where the {SHORT['mobile']} has one neural engine: there is no "
                       f"second server to add. At 1× the load is one typist, "
                       f"{rate_text(BASE_RATE['mobile'])}; {LAUNCH_LOAD}× is every app's text "
                       "field asking the same model (illustrative).",
                       title="One phone, one server")
        load = int(ui.slider("act2.load", "Traffic (× the 1× rate)", 1, LAUNCH_LOAD, 1, 1,
                             unit="×"))
        servers = (int(ui.slider("act2.servers", "H100s behind the queue", 1,
                                 MAX_SERVERS["cloud"], 1, 1, unit="GPUs"))
                   if context == "cloud" else 1)
        batch = int(ui.slider("act2.batch", "Batch size (replies decoded together)", 1, 32, 1, 1,
                              unit="replies"))
        tokens = int(ui.slider("act2.tokens", "Reply length (mean)", 2, 32, 2, REPLY_TOKENS,
                               unit="tokens"))
        d = design(context, float(load), servers, batch, tokens)
        if not d.feasible:
            failure(ui, context, d)
        p99_curve(ui, context, d)
        serving_metrics(ui, context, d)
        both_contexts_table(ui, d)

        ui.reveal(pred, f"{gpus(need)} ({gpus(cap)} keep up but miss the {P}; "
                        f"{rate_text(launch)}, batch 1)", text=pred.feedback,
                  key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("servers, batches and Little's law with this design's numbers",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_design(d))
    return pred, d


def failure(ui, context, d):
    if not d.stable:
        title = "Overloaded: requests arrive faster than the servers finish them"
        text = (f"{rate_text(d.rate)} arrive; {d.servers} × {SHORT[context]} decoding batches of "
                f"{d.batch} finish at most {rate_text(d.capacity)}. The queue grows without "
                f"bound, and so does the {P}. ")
    else:
        title = f"{P} objective missed: 1 request in 100 waits longer than {fmt.duration(SLA_S)}"
        if d.batch > 1 and d.fill_p99 > d.queue_p99:
            text = (f"Most of the tail is the wait for a batch of {d.batch} to fill "
                    f"({fmt.duration(d.fill_p99)} at the {P}, at {rate_text(d.rate)}): batches "
                    "that large fill slowly at this traffic. ")
        else:
            who = "The server is" if d.servers == 1 else f"The {d.servers} servers are"
            jobs = "batches" if d.batch > 1 else "requests"
            text = (f"{who} {fmt.percent(d.utilization, 0)} busy, so "
                    f"{fmt.percent(d.queue.prob_wait, 0)} of {jobs} queue; and each takes "
                    f"{fmt.duration(d.service)} on average, an exponential time whose own "
                    f"{P} is ln(100) ≈ {fmt.num(math.log(100), 3)} times that. ")
    ways = []
    if context == "cloud":
        n = cases.fewest_servers("cloud", d.load, d.batch, d.tokens, MAX_SERVERS["cloud"])
        if n and n != d.servers:
            ways.append(f"use {gpus(n)}")
    b = best_batch(context, d)
    if b and b != d.batch:
        ways.append(f"decode batches of {b}")
    n_tok = cases.longest_reply(context, d.load, d.servers, d.batch)
    if n_tok and n_tok < d.tokens and (context == "mobile" or not ways):
        ways.append(f"shorten replies to {n_tok} tokens")
    if not ways and d.batch > 1:
        n_one = cases.longest_reply(context, d.load, d.servers, 1)
        if n_one:
            ways.append("decode one reply at a time" + (f" with {n_one}-token replies"
                                                         if n_one < d.tokens else ""))
    ways.append("lower the traffic")
    if context == "mobile":
        ways.append("switch the context to the Cloud, where servers can be added")
    text += "To get out: " + ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + ways[-1] + "."
    ui.failure(title, d.violations, text=text, key="act2.sla", show=quantity_text)


BATCH_CANDIDATES = (1, 2, 4, 8, 16, 32)


def best_batch(context, d) -> int:
    """A batch size (a power of two up to 32) that meets the SLA with the design's other
    controls: the one with the lowest P99; 0 when none does."""
    ok = [(design(context, d.load, d.servers, b, d.tokens).p99, b) for b in BATCH_CANDIDATES
          if design(context, d.load, d.servers, b, d.tokens).feasible]
    return min(ok)[1] if ok else 0


def quantity_text(q) -> str:
    """A banner amount: request rates as requests/s, times as durations."""
    if str(q.dimensionality) == "1 / [time]":
        return rate_text(q.m_as("1/s"))
    return fmt.quantity(q)


LOAD_GRID = tuple(x / 2 for x in range(2, 2 * LAUNCH_LOAD + 1))   # 1, 1.5, ..., 10


def p99_curve(ui, context, d):
    """P99 against traffic for the design, and for one server at batch 1."""
    mine = [design(context, x, d.servers, d.batch, d.tokens) for x in LOAD_GRID]
    base = [design(context, x, 1, 1, d.tokens) for x in LOAD_GRID]

    def ys(designs):
        return [x.p99 * 1e3 if x.stable else None for x in designs]

    label = f"{d.servers} × {SHORT[context]}, batches of {d.batch}"
    # The dashed baseline over the design's line: where they coincide (one server at batch
    # 1) both stay visible.
    traces = [plot.line(list(LOAD_GRID), ys(mine), label, plot.COLORS[context], width=3),
              plot.line(list(LOAD_GRID), ys(base), "1 server, batch 1", plot.COLORS["muted"],
                        dash="dash")]
    if d.stable:
        traces.append(plot.points([d.load], [d.p99 * 1e3], "this design",
                                  plot.COLORS["bad"] if not d.feasible else plot.COLORS["good"],
                                  symbol="star", size=16))
    shown = [y for y in ys(mine) + ys(base) if y is not None]
    top = max(shown + [SLA_S * 1e3]) * 2
    bottom = min(shown + [SLA_S * 1e3]) / 2
    ui.figure({"data": traces, "layout": plot.layout(
        f"{P} against traffic ({d.tokens}-token replies)", height=380,
        shapes=[plot.hline(SLA_S * 1e3, plot.COLORS["bad"])],
        annotations=[plot.note(0.01, math.log10(SLA_S * 1e3), f"objective {fmt.duration(SLA_S)}",
                               xref="paper", yshift=10, xanchor="left")],
        showlegend=True, legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("traffic (× the 1× rate)"),
        yaxis=plot.axis(f"{P} latency (ms, log scale)", log=True,
                        range=[math.log10(bottom), math.log10(top)]))},
        key="act2.curve", caption=(
            f"{P} latency against traffic from 1× to {LAUNCH_LOAD}× on the {SHORT[context]}: "
            f"your design ({label}) and one server at batch 1. Where a line stops, the queue "
            f"never drains. At {fmt.num(d.load)}× your design's {P} is "
            f"{fmt.duration(d.p99) if d.stable else 'unbounded'} against the "
            f"{fmt.duration(SLA_S)} objective."),
        table={"caption": f"{P} by traffic (engine: M/M/c for batches, plus the wait to fill one)",
               "columns": ["traffic", "requests/s", "your design", "1 server, batch 1"],
               "rows": [[f"{fmt.num(x)}×", fmt.num(m.rate),
                         fmt.duration(m.p99) if m.stable else "unbounded",
                         fmt.duration(b.p99) if b.stable else "unbounded"]
                        for x, m, b in zip(LOAD_GRID, mine, base) if float(x).is_integer()]})


def serving_metrics(ui, context, d):
    def t(x):
        return fmt.duration(x) if math.isfinite(x) else "unbounded"

    ui.metrics([
        Metric(f"{P} latency", t(d.p99), tone="danger" if not d.feasible else "success",
               note=f"objective {fmt.duration(SLA_S)}"),
        Metric("Mean latency", t(d.mean), tone="info"),
        Metric("Utilisation ρ", fmt.percent(min(d.utilization, 9.99), 0),
               note=f"{d.servers} server{'s' if d.servers > 1 else ''}",
               tone="danger" if not d.stable else None),
        Metric("Capacity", rate_text(d.capacity), note=f"offered {rate_text(d.rate)}"),
        Metric("Requests in flight (L = λW)", fmt.num(d.in_flight) if d.stable else "unbounded",
               note="Little's law"),
        Metric("Batch fill wait", t(d.fill_mean) if d.batch > 1 else "none",
               note=f"{P} {t(d.fill_p99)}" if d.batch > 1 else "batch of 1"),
    ], key="act2.metrics")


def both_contexts_table(ui, d):
    rows = []
    for ctx in ("cloud", "mobile"):
        servers = min(d.servers, MAX_SERVERS[ctx])
        x = design(ctx, d.load, servers, d.batch, d.tokens)
        rows.append([contexts.name(ctx), f"{servers} × {machine(ctx)}",
                     rate_text(x.rate), fmt.duration(x.service),
                     fmt.duration(x.p99) if x.stable else "unbounded",
                     "meets it" if x.feasible else "misses it"])
    ui.table(f"The same controls in both contexts ({fmt.num(d.load)}× traffic, batches of "
             f"{d.batch}, {d.tokens}-token replies)",
             ["context", "servers", "traffic", "service time per batch", P,
              f"{fmt.duration(SLA_S)} objective"], rows, key="act2.contexts")


def act2_reflection(ui):
    ten = design("mobile", float(LAUNCH_LOAD))
    tok = cases.longest_reply("mobile", float(LAUNCH_LOAD))
    short = design("mobile", float(LAUNCH_LOAD), 1, 1, tok) if tok else None
    b = best_batch("mobile", ten)
    batched = design("mobile", float(LAUNCH_LOAD), 1, 4)
    correct = "C" if tok and not b else "A" if b else "D"
    ui.reflection(
        "act2.reflection",
        f"Switch to Mobile at {LAUNCH_LOAD}× traffic. The phone misses the objective with "
        f"{REPLY_TOKENS}-token replies ({fmt.duration(ten.p99)}). What brings it back?",
        {
            "A": ("Batch the requests: decoding several replies costs little more than one",
                  f"Decoding a batch costs little more, but at {rate_text(ten.rate)} a batch "
                  f"of 4 waits {fmt.duration(batched.fill_p99)} to fill at the {P}; the total "
                  f"becomes {fmt.duration(batched.p99)}. Batching pays when traffic is heavy "
                  "enough to fill batches quickly; one phone's traffic is not."
                  if not b else f"Yes: batches of {b} meet it."),
            "B": ("Add a second neural engine",
                  "A phone has the silicon it shipped with: there is no server to add. That "
                  "lever exists only in the datacenter."),
            "C": ("Shorter replies: cut the service time itself",
                  f"Yes. On one server the tail is at least ln(100) service times, and the "
                  f"phone's queue adds its share. Replies of {tok} tokens take "
                  f"{fmt.duration(short.service)} and give a {P} of {fmt.duration(short.p99)}."
                  if short else "No reply length on the slider meets it."),
            "D": ("Nothing: the phone cannot serve this traffic",
                  f"It can, with less work per request: {tok}-token replies meet the "
                  "objective." if tok else "Right: nothing on the controls meets it."),
        }, correct=correct)


def mathpeek_design(d) -> str:
    lam = d.rate
    sb = d.service
    a = lam / d.batch * sb
    q = d.queue
    stable = d.stable
    t = (lambda x: fmt.duration(x)) if stable else (lambda x: "unbounded")
    return (
        f"**Batches as jobs.** A batch of $b$ replies takes $S_b = N \\cdot t_{{\\text{{step}}}}(b)$, "
        "the Iron Law time of one decoding step at batch $b$ times the reply length $N$. "
        "Batches arrive at $\\lambda/b$ and are served by $c$ servers behind one queue "
        "(M/M/c). The offered load is $A = (\\lambda/b)\\,S_b$ servers' worth of work, "
        "$\\rho = A/c$, and the chance a batch must wait is Erlang's C formula:\n\n"
        r"$$C(c, A) = \frac{\dfrac{A^c}{c!}\dfrac{c}{c - A}}{\displaystyle\sum_{k=0}^{c-1}"
        r"\frac{A^k}{k!} + \frac{A^c}{c!}\frac{c}{c - A}}, \qquad "
        r"W_q = \frac{C(c, A)}{c/S_b - \lambda/b}$$" "\n\n"
        "**Filling a batch.** The first request of a batch waits for $b - 1$ more arrivals "
        "(an Erlang($b-1$, $\\lambda$) time, mean $(b-1)/\\lambda$; averaged over positions, "
        "$(b-1)/(2\\lambda)$). The lab adds that wait's P99 to the queue's, an upper estimate "
        "of the P99 of their sum.\n\n"
        "**Little's law.** Requests in flight $L = \\lambda W$, with $W$ the mean latency.\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $\\lambda$ | requests per second | {fmt.num(lam)} |\n"
        f"| $b$, $N$ | batch size, reply length (tokens) | {d.batch}, {d.tokens} |\n"
        f"| $S_b$ | mean time of one batch | {fmt.duration(sb)} |\n"
        f"| $c$ | servers | {d.servers} |\n"
        f"| $A$, $\\rho$ | offered load, utilisation | {fmt.num(a)}, {fmt.percent(min(q.utilization, 9.99), 1)} |\n"
        f"| $C(c, A)$ | probability a batch waits | "
        f"{fmt.percent(q.prob_wait, 1) if stable else '100% (unstable)'} |\n"
        f"| $W_q$ | mean wait in the queue | {t(q.mean_wait.m_as('s'))} |\n"
        f"| fill wait | mean, {P} | {fmt.duration(d.fill_mean) if d.batch > 1 else '0'}, "
        f"{fmt.duration(d.fill_p99) if d.batch > 1 else '0'} |\n"
        f"| {P} | fill {P} + the queue's response {P} | {t(d.p99)} |\n"
        f"| $L$ | requests in flight, $\\lambda W$ | "
        f"{fmt.num(d.in_flight) if stable else 'unbounded'} |\n")


def closing(ui):
    need, cap, _ = act2_truth()
    _, _, ratio, _ = act1_truth("cloud")
    b = best_batch("cloud", design("cloud", float(LAUNCH_LOAD)))
    batched = design("cloud", float(LAUNCH_LOAD), 1, b) if b else None
    tok = cases.longest_reply("mobile", float(LAUNCH_LOAD))
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-model-serving-tail derives the tail of one server; "
            "@sec-model-serving-servers pools servers behind one queue (Erlang C); "
            "@sec-model-serving-batching weighs batching's throughput against its wait.\n"
            "- @sec-ml-systems-waterfall introduced the queueing segment of a request's "
            "latency with a mean (M/D/1); this lab looked at its tail.\n"
            "- Next, Lab 14 (@sec-ml-ops) watches a served model after launch: drift, and "
            "the cost of retraining.\n"
            "- TinyTorch builds the model being served, not the server; the serving loop here "
            "is the next layer up.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. With exponential response times the {P} is ln(100) ≈ "
            f"{fmt.num(ratio, 3)} times the mean, at any load: quote tails, not means.\n"
            f"2. Ten times the traffic did not need ten times the servers: {gpus(need)} "
            f"behind one queue meet the {P}, although {gpus(cap)} already keep up.\n"
            + (f"3. Batching multiplies throughput when a decoding step is memory-bound: one "
               f"H100 decoding batches of {b} meets the objective at {LAUNCH_LOAD}× "
               f"({fmt.duration(batched.p99)}), but at 1× the wait to fill a batch misses it.\n"
               if batched else "3. Batching raises throughput and adds the wait to fill a batch.\n")
            + f"4. A phone cannot add servers: at {LAUNCH_LOAD}× only less work per request "
            + (f"({tok}-token replies) " if tok else "")
            + "brings its tail back under the objective.")


def save_to_ledger(ui, context, pred1, pred2, d):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    p99, mean, _, _ = act1_truth(context)
    where = (f"{gpus(d.servers)}" if context == "cloud" else f"the {SHORT['mobile']}")
    decision = (f"{where}, batches of {d.batch}, {d.tokens}-token replies, at "
                f"{fmt.num(d.load)}× traffic ({rate_text(d.rate)})")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1,
        (bands.log_middle(ACT1_BANDS, pred1.value) * mean * 1e3, p99 * 1e3), pred2,
        decision=decision, result=d.p99 * 1e3 if d.stable else None, unit="ms",
        constraint_hit=not d.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Design", decision),
        (f"{P} latency", fmt.duration(d.p99) if d.stable else "unbounded (overloaded)")))

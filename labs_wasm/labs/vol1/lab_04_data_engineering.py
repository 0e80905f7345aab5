"""Vol I · Lab 04 · Feeding the accelerator (chapter: data_engineering).

Act I calibrates the pipeline law: an input pipeline is a chain of stages (read, decode and
augment, copy), its throughput is the slowest stage's rate, and the accelerator is busy only
that rate over what it could consume. On a datacenter GPU the CPU that decodes JPEGs is the
bottleneck; on the Orin NX the GPU is. Act II is data gravity: moving a data set costs
bytes / bandwidth in time and bytes x price in money, so the plan (move the data, send less
of it, or move the compute to the data) meets or misses a deadline and an egress budget.
Every number comes from the engine's registries and resolvers through data_engineering_cases;
the per-core CPU costs and the scenario's size, deadlines and budget are illustrative and say so.
"""
from __future__ import annotations

import math

from labkit import Lab, Metric, contexts, fmt, ledger, plot
from labs.vol1 import data_engineering_cases as cases
from labs.vol1.data_engineering_cases import (CORES, GRAVITY, MAX_CORES, MACHINES, STAGE_NAMES,
                                              gpu_rate, gravity, per_core_rate, pipeline)

LAB = Lab(
    id="vol1/04", chapter="data_engineering", title="Feeding the accelerator",
    hook="A datacenter GPU can train on thousands of images a second, but only as fast as the "
         "CPU decodes them and the network brings them. Which one is really in charge?",
    invariants=["Slowest pipeline stage bounds throughput",
                "Data gravity: time = bytes/bandwidth, cost = bytes × price"],
    minutes=40, contexts=("cloud", "edge"),
    reading=[
        ("@sec-data-engineering-pipelines", "a pipeline as stages in series: the minimum rules"),
        ("@sec-data-engineering-demand", "how many images per second the accelerator consumes"),
        ("@sec-data-engineering-worked-example", "the method worked on the Orin NX"),
        ("@sec-data-engineering-gravity", "data gravity: time and money to move bytes"),
        ("@sec-data-engineering-move-compute", "moving the compute to the data instead"),
    ],
)

CONTEXT_LABELS = contexts.labels({"cloud": "NVIDIA H100 in a DGX H100, data lake in the cloud",
                                  "edge": "Jetson Orin NX, data at the edge depot"})
LAYOUT_LABELS = {"shards": "Packed shards, read in sequence",
                 "files": "One file per image"}
PLAN_LABELS = {"data": "Move the data: copy it to the GPUs",
               "compute": "Move the compute: train where the data is, bring back the weights"}
STORAGE_WORDS = {"cloud": "the object-store data lake", "edge": "the Orin's NVMe drive"}
GPU_STAGE = "GPU training"
INSTRUMENTS = {
    "cloud": "The instruments below show one H100 of the DGX H100, reading from the data lake. "
             "Move the cores and the storage layout and watch which stage sets the pace.",
    "edge": "The instruments below show the Edge context: the Jetson Orin NX's GPU, fed by its "
            "own eight CPU cores from its NVMe drive. Compare the verdict with the H100's.",
}
SCENARIO = {
    "cloud": "**Cloud context.** The archive sits in AWS; your GPUs are on premises behind a "
             "dedicated Ethernet link. Leaving AWS is billed per byte at its list prices; the "
             f"deadline is {fmt.num(GRAVITY['cloud']['deadline'].m_as('day'))} days and the "
             f"transfer budget {fmt.usd(GRAVITY['cloud']['budget'].m_as('USD'))} (both "
             "illustrative).",
    "edge": "**Edge context.** The same archive was recorded by a fleet of Orin NX cameras and "
            "sits at their depot, which reaches the cloud over an access link (median rates of "
            "real networks, from the engine's registry). Uploading into a cloud is free, but "
            "the retraining team wants the data within "
            f"{fmt.num(GRAVITY['edge']['deadline'].m_as('day'))} days (illustrative).",
}


def images_rate(x: float) -> str:
    return f"{fmt.num(x)} images/s"


def days(seconds: float) -> str:
    return f"{fmt.num(seconds / 86400)} days" if seconds >= 2 * 86400 else fmt.duration(seconds)


def link_name(key: str) -> str:
    return cases.link(key).name


def lower_first(text: str) -> str:
    """A stage name inside a sentence: "Read from storage" -> "read from storage", "GPU
    training" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def show(q) -> str:
    """A banner amount: times in days when they are long, everything else as the engine's."""
    return days(q.m_as("s")) if q.check("[time]") else fmt.quantity(q)


# ---- Act I: the prediction's case (one H100 of a DGX H100, its 14 cores, packed shards) ----
ACT1_LEVELS = {"A": 1.0, "B": 0.6, "C": 0.25, "D": 0.05}


def act1_truth():
    p = pipeline("cloud", CORES["cloud"], "shards")
    u = p.accelerator_utilization
    correct = min(ACT1_LEVELS, key=lambda k: abs(math.log(ACT1_LEVELS[k] / u)))
    return p, u, correct


def act1_options(p, u) -> dict:
    demand = gpu_rate("cloud")
    fed = p.throughput.m_as("1/s")
    actual = (f"The slowest stage, {lower_first(p.bottleneck)}, delivers {images_rate(fed)} "
              f"to a GPU that could train {images_rate(demand)}: it is busy "
              f"**{fmt.percent(u, 0)}** of the time.")
    return {
        "A": ("Nearly 100%: the GPU is the bottleneck",
              f"{actual} A GPU is the bottleneck when every stage before it is faster; here "
              f"{CORES['cloud']} cores at {images_rate(per_core_rate('cloud'))} each fall far "
              "short of what the H100 eats."),
        "B": ("About 60%",
              f"{actual} To keep it 60% busy the pipeline would have to deliver "
              f"{images_rate(0.6 * demand)}, {fmt.ratio(0.6 * demand / fed)} what it does."),
        "C": ("About 25%",
              f"Right. {actual} The GPU waits {fmt.percent(1 - u, 0)} of the time: the "
              "slowest stage sets the pace of the whole pipeline."),
        "D": ("About 5%",
              f"{actual} Too pessimistic: each core is slow against the GPU, but "
              f"{CORES['cloud']} of them together deliver {fmt.ratio(fed / (0.05 * demand))} "
              "what 5% would need."),
    }


# ---- Act II: the prediction's case (all 50 TB from AWS over 100 GbE) -----------------------
ACT2_OUTCOMES = {"A": set(), "B": {"transfer time"}, "C": {"egress cost"},
                 "D": {"transfer time", "egress cost"}}


def act2_truth():
    r = gravity("cloud", "Ethernet_100G", "data", 1.0)
    broken = {v.name for v in r.violations}
    correct = next(k for k, names in ACT2_OUTCOMES.items() if names == broken)
    return r, correct


def act2_options(r) -> dict:
    g = GRAVITY["cloud"]
    t, cost = r.time.m_as("s"), r.egress_cost.m_as("USD")
    facts = (f"{fmt.si(cases.ARCHIVE.m_as('B'), 'B')} at {fmt.si(r.bandwidth.m_as('B/s'), 'B/s')} "
             f"take **{fmt.duration(t)}** (deadline {days(g['deadline'].m_as('s'))}); leaving AWS "
             f"costs **{fmt.usd(cost)}** at its list prices (budget {fmt.usd(g['budget'].m_as('USD'))}).")
    verdict = f"What breaks: {broken_words(r)}."
    return {
        "A": ("Nothing: it meets the deadline and the budget",
              f"{facts} {verdict} The link is fast, but egress is priced per byte, however "
              "fast the bytes go."),
        "B": ("Only the deadline",
              f"{facts} {verdict} The archive sounds like days of copying, but the link moves "
              f"{fmt.si(r.bandwidth.m_as('B/s'), 'B')} every second."),
        "C": ("Only the egress budget",
              f"{facts} {verdict} A fat pipe makes the move quick; the price list makes it "
              "expensive, in proportion to the bytes."),
        "D": ("Both the deadline and the budget",
              f"{facts} {verdict} Time and money are separate bills: one falls with "
              "bandwidth, the other does not."),
    }


def broken_words(r) -> str:
    names = [v.name for v in r.violations]
    words = {"transfer time": "the deadline", "egress cost": "the egress budget"}
    return " and ".join(words[n] for n in names) if names else "nothing"


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
    p_truth, u_truth, correct = act1_truth()
    cpu = cases.CPU_SECONDS["cloud"]
    with ui.section("Act I · Calibration", "How busy is the GPU? (12-15 min)"):
        ui.stakeholder(
            "ML platform lead",
            "We moved our ResNet-50 training onto a DGX H100. Each H100 gets its share of the "
            f"node's CPU, {CORES['cloud']} cores, which decode and augment the JPEGs streamed "
            "from our data lake in packed shards. The dashboard says the GPUs are fine. Are "
            "they busy?")
        ui.markdown(
            "An input pipeline is a chain: read the bytes, decode the JPEG, augment it (crop, "
            "flip), copy the result to the GPU, train. Every stage has a rate in images per "
            "second. On one core, decoding an ImageNet-sized JPEG takes about "
            f"{fmt.duration(cpu['decode'])} and augmenting it about {fmt.duration(cpu['augment'])} "
            "(illustrative values of the right order). The H100 trains ResNet-50 at "
            f"{fmt.percent(cases.training_run('cloud').mfu, 0)} of its peak FLOP/s. Commit "
            "before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            f"One H100 fed by {CORES['cloud']} CPU cores: what fraction of the time is it busy "
            "training?",
            act1_options(p_truth, u_truth), correct=correct)

        ui.markdown(INSTRUMENTS[context])
        cores = ui.slider("act1.cores", "CPU cores that decode and augment for this GPU", 1,
                          MAX_CORES[context], 1, CORES[context], unit="cores")
        layout = ui.select("act1.layout", "How the training images are stored", LAYOUT_LABELS,
                           default="shards")
        p = pipeline(context, cores, layout)
        pipeline_instruments(ui, context, cores, layout, p)
        ui.reveal(pred, f"busy {fmt.percent(u_truth, 0)} of the time: {CORES['cloud']} cores "
                        f"deliver {images_rate(p_truth.throughput.m_as('1/s'))}, the H100 could "
                        f"train {images_rate(gpu_rate('cloud'))} (DGX H100, packed shards)",
                  text=pred.feedback, key="act1.overlay")
        ui.reflection(
            "act1.reflection",
            "In the Cloud context, which change raises the H100's utilisation the most?",
            {
                "A": ("Faster storage for the data lake",
                      "Reading packed shards from the object store delivers "
                      f"{images_rate(cases.read_rate('cloud'))}, far above what the cores "
                      "deliver. Speeding up a stage that is not the slowest changes nothing."),
                "B": ("More decode capacity: more cores, or decoding on the GPU",
                      "Yes. The CPU stage is the minimum, so raising it raises the whole "
                      f"pipeline, until another stage binds. It takes "
                      f"{cases.cores_to_saturate('cloud')} cores at these per-image costs to "
                      "keep the H100 busy, which is why loaders move decoding to the GPU."),
                "C": ("A larger training batch",
                      "A batch changes how many images the GPU takes at once, not how many the "
                      "CPU produces per second. The pipeline's rate is unchanged."),
                "D": ("A faster GPU",
                      "A faster GPU consumes more images per second from the same CPU stage: "
                      "its utilisation goes down, not up."),
            }, correct="B")
        with ui.math_peek("the slowest stage, with this case's numbers", key="act1.mathpeek"):
            ui.markdown(mathpeek_pipeline(context, cores, layout, p))
    return pred


def stage_rates(context: str, p) -> dict[str, float]:
    rates = {k: v.m_as("1/s") for k, v in p.stage_rates.items()}
    rates[GPU_STAGE] = gpu_rate(context)
    return rates


def limiting_stage(context: str, p) -> str:
    return GPU_STAGE if p.accelerator_utilization >= 1.0 else p.bottleneck


def pipeline_instruments(ui, context, cores, layout, p):
    rates = stage_rates(context, p)
    slowest = limiting_stage(context, p)
    colors = [plot.COLORS["bad"] if k == slowest else plot.COLORS[context] for k in rates]
    figure = {"data": [plot.bar(list(rates), list(rates.values()), colors,
                                text=[images_rate(v) for v in rates.values()])],
              "layout": plot.layout("Each stage's rate (the slowest sets the pace)", height=360,
                                    yaxis=plot.axis("images per second (log scale)", log=True))}
    hw = MACHINES[context].name
    ui.figure(figure, key="act1.pipeline", caption=(
        f"Stage rates on {hw} with {cores} CPU cores, "
        f"{lower_first(LAYOUT_LABELS[layout])}: "
        + "; ".join(f"{k} {images_rate(v)}" for k, v in rates.items())
        + f". The slowest is {lower_first(slowest)}, so the pipeline delivers "
          f"{images_rate(min(rates.values()))}."),
        table={"caption": "Stage rates (images per second)",
               "columns": ["stage", "rate", "slowest?"],
               "rows": [[k, images_rate(v), "yes" if k == slowest else "no"]
                        for k, v in rates.items()]})
    u = p.accelerator_utilization
    ui.metrics([
        Metric("Pipeline delivers", images_rate(p.throughput.m_as("1/s")),
               note=f"slowest input stage: {lower_first(p.bottleneck)}"),
        Metric("GPU could train", images_rate(gpu_rate(context)),
               note=f"ResNet-50 at {fmt.percent(cases.training_run(context).mfu, 0)} of peak"),
        Metric("GPU utilisation", fmt.percent(u, 0),
               tone="success" if u >= 0.95 else "warn" if u >= 0.5 else "danger"),
        Metric("Cores to keep the GPU busy", f"{cases.cores_to_saturate(context)} cores",
               note=f"{images_rate(per_core_rate(context))} per core"),
    ], key="act1.metrics")
    if layout == "files" and p.bottleneck == STAGE_NAMES["read"]:
        ui.callout("info", (
            f"One file per image turns {STORAGE_WORDS[context]} into the slowest stage: every "
            "image costs requests and metadata operations, and those have their own rate, "
            "whatever the bandwidth."), key="act1.layout.note")


def mathpeek_pipeline(context, cores, layout, p) -> str:
    cpu = cases.CPU_SECONDS[context]
    run = cases.training_run(context)
    hw = MACHINES[context]
    rates = stage_rates(context, p)
    demand = gpu_rate(context)
    return (
        r"$$X = \min_i X_i, \qquad U = \min\!\left(1, \frac{X}{X_{\mathrm{GPU}}}\right)$$" "\n\n"
        r"$$X_{\mathrm{CPU}} = \frac{N}{t_{\mathrm{dec}} + t_{\mathrm{aug}}}, \qquad "
        r"X_{\mathrm{GPU}} = \frac{\eta\, R}{3F}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $X_i$ | rate of stage $i$ (images/s) | "
        + ", ".join(f"{k}: {fmt.num(v)}" for k, v in rates.items() if k != GPU_STAGE) + " |\n"
        f"| $N$ | CPU cores decoding and augmenting | {cores} |\n"
        f"| $t_{{\\mathrm{{dec}}}}$, $t_{{\\mathrm{{aug}}}}$ | CPU time per image per core "
        f"(illustrative) | {fmt.duration(cpu['decode'])}, {fmt.duration(cpu['augment'])} |\n"
        f"| $R$ | peak compute of the {hw.name} | "
        f"{fmt.si(hw.compute.peak_flops.m_as('FLOP/s'), 'FLOP/s')} |\n"
        f"| $\\eta$ | fraction of peak achieved (MFU, the engine's default) | "
        f"{fmt.percent(run.mfu, 0)} |\n"
        f"| $F$ | ResNet-50 forward FLOP per image; training costs about $3F$ | "
        f"{fmt.si(cases.MODEL.flops_per_inference.m_as('FLOP'), 'FLOP')} |\n"
        f"| $X_{{\\mathrm{{GPU}}}}$ | images/s the GPU could train | {fmt.num(demand)} |\n\n"
        f"Here $X$ = {images_rate(p.throughput.m_as('1/s'))} ({lower_first(p.bottleneck)}) and "
        f"$U$ = {fmt.percent(p.accelerator_utilization, 1)}. Cores share one machine, so decode "
        "and augment on the same core add their times; stages on different hardware (storage, "
        "CPU, PCIe, GPU) overlap, and only the slowest counts.")


def act_two(ui, context):
    truth, correct = act2_truth()
    g_cloud = GRAVITY["cloud"]
    with ui.section("Act II · Design challenge", "Move the data, or move the compute? "
                                                 "(20-25 min)"):
        ui.stakeholder(
            "Head of ML infrastructure",
            f"Our {fmt.si(cases.ARCHIVE.m_as('B'), 'B')} image archive lives in AWS. The new "
            "GPU cluster is on premises, with a dedicated 100 Gb/s Ethernet link to the cloud. "
            f"Finance approved {fmt.usd(g_cloud['budget'].m_as('USD'))} for data transfer and "
            f"training starts in {fmt.num(g_cloud['deadline'].m_as('day'))} days. Copy it all "
            "over?")
        ui.markdown(
            "Moving bytes costs **time** = bytes ÷ bandwidth and, out of a cloud, **money** = "
            "bytes × the egress price (priced in bands of monthly volume). The archive size, "
            "deadline and budget are illustrative; the link rates and AWS's prices are the "
            "engine's registry values.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"All {fmt.si(cases.ARCHIVE.m_as('B'), 'B')} copied out of AWS over the 100 Gb/s link "
            "at its full line rate, at AWS's list egress prices: what does the copy break?",
            act2_options(truth), correct=correct)

        g = GRAVITY[context]
        ui.markdown(SCENARIO[context])
        plan = ui.select("act2.plan", "Plan", PLAN_LABELS, default="data")
        link_key = ui.select("act2.link", "Link the bytes travel over",
                             {k: link_name(k) for k in g["links"]}, default=g["links"][0])
        keep = ui.slider("act2.keep", "Share of the archive sent (after filtering at the source)",
                         0.05, 1.0, 0.05, 1.0, unit="%", scale=100)
        r = gravity(context, link_key, plan, keep)
        if not r.feasible:
            ui.failure(failure_title(r), r.violations, key="act2.failure", show=show,
                       text=failure_text(context, link_key, plan, keep, r))
        gravity_instruments(ui, context, link_key, plan, keep, r)

        t_truth = truth.time.m_as("s")
        ui.reveal(pred, f"it breaks {broken_words(truth)}: {fmt.duration(t_truth)} against "
                        f"a deadline of {days(g_cloud['deadline'].m_as('s'))}, "
                        f"{fmt.usd(truth.egress_cost.m_as('USD'))} against a budget of "
                        f"{fmt.usd(g_cloud['budget'].m_as('USD'))} (all "
                        f"{fmt.si(cases.ARCHIVE.m_as('B'), 'B')} over 100 Gb/s)",
                  text=pred.feedback, key="act2.overlay")
        ui.reflection(
            "act2.reflection",
            "In the Cloud context, which change lowers the egress bill for the full archive?",
            {
                "A": ("The 400 Gb/s link instead of 100 Gb/s",
                      "A faster link shortens the copy, from "
                      f"{fmt.duration(gravity('cloud', 'Ethernet_100G').time.m_as('s'))} to "
                      f"{fmt.duration(gravity('cloud', 'Ethernet_400G').time.m_as('s'))}; the "
                      "price is per byte, so the bill stays "
                      f"{fmt.usd(gravity('cloud', 'Ethernet_400G').egress_cost.m_as('USD'))}."),
                "B": ("Train in the cloud region, next to the data, and bring back the weights",
                      "Yes. Then only the trained weights leave: "
                      f"{fmt.si(cases.plan_bytes('compute', 1.0).m_as('B'), 'B')} at FP32, "
                      f"{fmt.usd(gravity('cloud', 'Ethernet_100G', 'compute').egress_cost.m_as('USD'))} "
                      "of egress. You pay for GPU-hours in the cloud instead, which this lab "
                      "does not price."),
                "C": ("Spread the copy over several nights",
                      "The bands are monthly volumes: the same bytes cost the same however "
                      "they are scheduled within the month, and splitting across months only "
                      "moves some of them into a dearer band."),
                "D": ("Nothing: egress is free when you own the link",
                      "The dedicated link carries the bytes, but the cloud still bills bytes "
                      "leaving it; what the registry's list prices model is exactly that."),
            }, correct="B")
        with ui.math_peek("data gravity with this plan's numbers", key="act2.mathpeek"):
            ui.markdown(mathpeek_gravity(context, link_key, plan, keep, r))
    return pred, {"plan": plan, "link": link_key, "keep": keep, "feasible": r.feasible,
                  "hours": r.time.m_as("hour")}


def failure_title(r) -> str:
    names = {v.name for v in r.violations}
    if names == {"transfer time"}:
        return "Deadline missed: the bytes arrive too late"
    if names == {"egress cost"}:
        return "Over budget: leaving the cloud costs too much"
    return "Deadline and budget both missed"


def failure_text(context, link_key, plan, keep, r) -> str:
    names = {v.name for v in r.violations}
    what = (f"{fmt.percent(keep, 0)} of the archive" if plan == "data"
            else "the trained weights")
    ways = []
    if "transfer time" in names:
        ways.append("send less (filter or deduplicate at the source with the share slider), "
                    "pick a faster link, or move the compute to the data")
    if "egress cost" in names:
        ways.append("send fewer bytes or move the compute to the data: the price is per byte, "
                    "so a faster link does not help")
    return (f"Sending {what} ({fmt.si(cases.plan_bytes(plan, keep).m_as('B'), 'B')}) over "
            f"{link_name(link_key)} breaks the plan. To get out: " + "; ".join(ways) + ".")


def gravity_instruments(ui, context, link_key, plan, keep, r):
    g = GRAVITY[context]
    deadline_h = g["deadline"].m_as("hour")
    shares = [round(0.05 * i, 2) for i in range(1, 21)]
    traces, rows = [], []
    palette = [plot.COLORS[context], plot.COLORS["muted"], plot.COLORS["ink"]]
    for key, color in zip(g["links"], palette):
        hours = [gravity(context, key, "data", s).time.m_as("hour") for s in shares]
        traces.append(plot.line([s * 100 for s in shares], hours, link_name(key), color,
                                width=3 if key == link_key else 1.5))
        rows.append([link_name(key), days(hours[-1] * 3600),
                     days(gravity(context, key, "data", 0.05).time.m_as("s"))])
    if plan == "data":
        traces.append(plot.points([keep * 100], [r.time.m_as("hour")], "your plan",
                                  plot.COLORS["bad"] if not r.feasible else plot.COLORS["good"]))
    figure = {"data": traces, "layout": plot.layout(
        "Transfer time against the share of the archive sent", height=380, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("share of the archive sent (%)"),
        yaxis=plot.axis("hours (log scale)", log=True),
        shapes=[plot.hline(deadline_h, plot.COLORS["bad"])],
        annotations=[plot.note(50, math.log10(deadline_h), "deadline", yshift=10)])}
    ui.figure(figure, key="act2.time", caption=(
        f"Time to move a share of the {fmt.si(cases.ARCHIVE.m_as('B'), 'B')} archive over each "
        f"link ({contexts.name(context)} context), at line rate; the dotted line is the "
        f"deadline of {days(g['deadline'].m_as('s'))}. "
        + "; ".join(f"{row[0]}: {row[1]} for all of it" for row in rows) + "."),
        table={"caption": "Transfer time by link", "columns": ["link", "whole archive", "5% of it"],
               "rows": rows})
    if g["egress"] is not None:
        cost_figure(ui, context, keep, plan, r)
    else:
        ui.callout("info", (
            "Uploading into a cloud is free (providers charge for bytes leaving, not "
            "arriving), so at the edge only time binds. Moving the compute here means training "
            "on the depot's Orin NX GPUs: one GPU needs "
            f"{fmt.num(cases.epoch_days(context, cases.plan_bytes('data', keep).m_as('B')))} days "
            "per pass over the share you chose, at its training rate."), key="act2.edge.note")
    metrics = [
        Metric("Bytes crossing the link", fmt.si(cases.plan_bytes(plan, keep).m_as("B"), "B"),
               note=PLAN_LABELS[plan].split(":")[0]),
        Metric("Transfer time", days(r.time.m_as("s")),
               note=f"deadline {days(g['deadline'].m_as('s'))}",
               tone="danger" if r.violation("transfer time") else "success"),
    ]
    if g["egress"] is not None:
        metrics.append(Metric("Egress cost", fmt.usd(r.egress_cost.m_as("USD")),
                              note=f"budget {fmt.usd(g['budget'].m_as('USD'))}",
                              tone="danger" if r.violation("egress cost") else "success"))
    else:
        metrics.append(Metric("Egress cost", fmt.usd(0), note="uploads into a cloud are free"))
    metrics.append(Metric("Link rate", fmt.si(r.bandwidth.m_as("B/s"), "B/s"),
                          note=link_name(link_key)))
    ui.metrics(metrics, key="act2.metrics")


def cost_figure(ui, context, keep, plan, r):
    g = GRAVITY[context]
    shares = [round(0.05 * i, 2) for i in range(1, 21)]
    key = g["links"][0]
    costs = [gravity(context, key, "data", s).egress_cost.m_as("USD") for s in shares]
    budget = g["budget"].m_as("USD")
    traces = [plot.line([s * 100 for s in shares], costs, "egress cost", plot.COLORS[context])]
    if plan == "data":
        traces.append(plot.points([keep * 100], [r.egress_cost.m_as("USD")], "your plan",
                                  plot.COLORS["bad"] if r.violation("egress cost")
                                  else plot.COLORS["good"]))
    affordable = [s for s, c in zip(shares, costs) if c <= budget]
    most = max(affordable) if affordable else None
    figure = {"data": traces, "layout": plot.layout(
        "Egress cost against the share of the archive sent", height=340,
        xaxis=plot.axis("share of the archive sent (%)"), yaxis=plot.axis("US dollars"),
        shapes=[plot.hline(budget, plot.COLORS["bad"])],
        annotations=[plot.note(15, budget, "budget", yshift=10)])}
    ui.figure(figure, key="act2.cost", caption=(
        f"What leaving AWS costs at its internet list prices, by share of the "
        f"{fmt.si(cases.ARCHIVE.m_as('B'), 'B')} archive; the dotted line is the "
        f"{fmt.usd(budget)} budget. All of it costs {fmt.usd(costs[-1])}"
        + (f"; the budget covers at most {fmt.percent(most, 0)}." if most else ".")),
        table={"caption": "Egress cost by share sent", "columns": ["share", "egress cost"],
               "rows": [[fmt.percent(s, 0), fmt.usd(c)] for s, c in zip(shares, costs)
                        if round(s * 100) % 25 == 0 or s == shares[0]]})


def mathpeek_gravity(context, link_key, plan, keep, r) -> str:
    g = GRAVITY[context]
    n = cases.plan_bytes(plan, keep).m_as("B")
    bw = r.bandwidth.m_as("B/s")
    text = (
        r"$$T = \frac{D}{BW}, \qquad C = \sum_{b} D_b\, p_b$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $D$ | bytes that cross the link | {fmt.si(n, 'B')} |\n"
        f"| $BW$ | line rate of {link_name(link_key)} | {fmt.si(bw, 'B/s')} |\n"
        f"| $T$ | transfer time (a best case: the full line rate) | "
        f"{fmt.duration(r.time.m_as('s'))} |\n")
    if g["egress"] is None:
        return text + ("| $C$ | egress cost | free: uploads into a cloud are not billed |\n\n"
                       f"Against the deadline of {days(g['deadline'].m_as('s'))}: "
                       + ("met." if r.feasible else "missed."))
    bands = [f"{fmt.si(part, 'B')} × ${fmt.num(price * 1e9)}/GB"
             for part, price in cases.egress_bands(g["egress"], n)]
    return text + (
        "| $D_b$, $p_b$ | bytes in each monthly price band, and its price | "
        + " + ".join(bands) + " |\n"
        f"| $C$ | egress cost | {fmt.usd(r.egress_cost.m_as('USD'))} |\n\n"
        "Time scales with $1/BW$; money does not depend on $BW$ at all. Deadline "
        f"{days(g['deadline'].m_as('s'))}, budget {fmt.usd(g['budget'].m_as('USD'))}.")


def closing(ui):
    _, u, _ = act1_truth()
    truth, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-data-engineering-pipelines explains why the minimum rules and when stages "
            "add instead; @sec-data-engineering-buffering sizes the prefetch queue with "
            "Little's law.\n"
            "- @sec-data-engineering-gravity and @sec-data-engineering-move-compute work the "
            "time and the money of moving a data set on another case.\n"
            "- Next, Lab 05 (@sec-nn-computation) goes inside the accelerator: activation "
            "memory and the memory hierarchy.\n"
            "- TinyTorch, Module 08 (DataLoader): you build the loader that batches and "
            "shuffles samples, the first stage of every pipeline in this lab.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. With {CORES['cloud']} CPU cores decoding JPEGs, an H100 training ResNet-50 is "
            f"busy about {fmt.percent(u, 0)} of the time: the slowest stage, not the fastest "
            "chip, sets the throughput.\n"
            f"2. It takes about {cases.cores_to_saturate('cloud')} such cores to keep one H100 "
            f"busy, and {cases.cores_to_saturate('edge')} for the Orin NX's GPU: the faster the "
            "accelerator, the more the data pipeline matters.\n"
            f"3. Moving {fmt.si(cases.ARCHIVE.m_as('B'), 'B')} over 100 Gb/s takes "
            f"{fmt.duration(truth.time.m_as('s'))} but costs "
            f"{fmt.usd(truth.egress_cost.m_as('USD'))} to leave AWS: time scales with "
            "bandwidth, money with bytes. Over the Edge depot's broadband uplink the same "
            f"bytes take {fmt.num(gravity('edge', 'WiFi').days)} days.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    _, u, _ = act1_truth()
    plan = ("move the compute to the data" if design["plan"] == "compute" else
            f"move {fmt.percent(design['keep'], 0)} of the archive")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (ACT1_LEVELS[pred1.value], u), pred2,
        decision=f"{plan.capitalize()} over {link_name(design['link'])}, on "
                 f"{contexts.name(context)}",
        result=design["hours"], unit="h", constraint_hit=not design["feasible"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Plan", f"{plan.capitalize()} over {link_name(design['link'])}"),
        ("Transfer", f"{days(design['hours'] * 3600)}, "
                     + ("meets the plan" if design["feasible"] else "misses the plan"))))

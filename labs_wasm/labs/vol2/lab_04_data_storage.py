"""Vol II · Lab 04 · Feeding the fleet from storage (chapter: data_storage).

Act I calibrates the read path's three limits on one DGX H100: a storage tier delivers the
lowest of its bandwidth over the bytes per sample, its random reads per second (at most the
reads in flight over the latency, Little's law) and, for one file per sample, its metadata
operations per second over the operations per file. Small random reads from a shared file
system are bound by the reads in flight, not by the bandwidth. Act II scales the job to a
fleet: the storage tier (each node's own NVMe drives, or one shared parallel file system),
the file layout (one file per image, packed records, sequential shards), the loader's reads
in flight, the storage units and the checkpoint mode decide whether the GPUs are fed and
whether a checkpoint pauses the job longer than allowed. Every number comes from the
engine's registries and resolvers through data_storage_cases; the checkpoint rule is an
illustrative scenario choice and says so.
"""
from __future__ import annotations

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import data_storage_cases as cases
from labs.vol2.data_storage_cases import (DRIVES_PER_NODE, MAX_STALL, NODE, NVME, PFS,
                                          checkpoint, fleet_read, limits, per_gpu_rate,
                                          sample_bytes)

LAB = Lab(
    id="vol2/04", chapter="data_storage", title="Feeding the fleet from storage",
    hook="An H100 reads its memory at terabytes per second and its training data from drives "
         "and file servers hundreds of times slower. What decides whether the fleet waits?",
    invariants=["HBM-to-storage bandwidth gap", "Reads in flight = rate × latency",
                "Metadata service limit", "Checkpoint stall"],
    minutes=40, contexts=("nvme", "distributed_fs"),
    reading=[
        ("@sec-v2-data-storage-hierarchy", "the storage hierarchy from HBM to the object store"),
        ("@sec-v2-data-storage-littles-law", "three limits of a read, and why small random "
                                             "reads are bound by latency"),
        ("@sec-v2-data-storage-metadata", "the metadata server at fleet scale"),
        ("@sec-v2-data-storage-formats", "packing samples into shards, and caching"),
        ("@sec-v2-data-storage-checkpoints", "checkpoint writes and the stall they cause"),
    ],
)

CONTEXT_LABELS = contexts.labels({
    "nvme": "each DGX H100 reads its own local drives",
    "distributed_fs": "every node shares one Lustre file system"})
COLOR = {"nvme": plot.COLORS["fleet"], "distributed_fs": plot.COLORS["cloud"]}
LAYOUT_LABELS = {"files": "One file per sample",
                 "records": "Packed record files, each sample read at a random offset",
                 "shards": "Packed shards streamed in order (WebDataset, TFRecord)"}
WORKLOAD_LABELS = {"resnet50": "ResNet-50 on ImageNet-sized JPEG images",
                   "llama70b": "Llama 3 70B on packed token sequences"}
LAYOUT_WORDS = {"files": "one file per sample",
                "records": "packed record files read at random offsets",
                "shards": "packed shards streamed in order"}
SAMPLE_WORDS = {"resnet50": ("image", "images"), "llama70b": ("sequence", "sequences")}
NODE_OPTIONS = {"16": "16 nodes (128 H100)", "128": "128 nodes (1,024 H100)",
                "1024": "1,024 nodes (8,192 H100)"}
CHECKPOINT_LABELS = {"sync": "Synchronous: training waits for the write",
                     "async": "Asynchronous: copy to host memory, write in the background"}
LIMIT_NAMES = {"bandwidth": "bandwidth ÷ bytes per sample",
               "iops": "random reads (in flight ÷ latency, at most the IOPS)",
               "metadata": "metadata server ÷ operations per file"}
GPUS = NODE.accelerators

# Act I's case: one DGX H100, one appliance of the shared file system, one JPEG per image,
# two reads in flight per GPU (two loader workers, each reading one image at a time).
ACT1 = {"tier": "distributed_fs", "layout": "files", "in_flight": 2, "units": 1}
# Act II's case: 16 nodes on four appliances, one file per image, eight reads in flight.
ACT2 = {"nodes": 16, "layout": "files", "in_flight": 8, "units": 4}
UNITS = {"nvme": ("act2.drives", "NVMe drives in each node", 1, DRIVES_PER_NODE,
                  DRIVES_PER_NODE, "drives"),
         "distributed_fs": ("act2.appliances", "File-system appliances shared by the fleet",
                            1, 32, ACT2["units"], "appliances")}


def rate(x: float, workload: str = "resnet50") -> str:
    return f"{fmt.num(x)} {SAMPLE_WORDS[workload][1]}/s"


def plural(n: int, word: str) -> str:
    """"1 drive", "8 drives", "1,024 nodes"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def pct(u: float) -> str:
    """A utilisation: whole percent, one decimal below 10% (so a starved fleet is not 0%)."""
    return fmt.percent(u, 1 if u < 0.1 else 0)


def show(q) -> str:
    """A banner amount: rates as operations per second, everything else as the engine's."""
    if q.check("1/[time]"):
        return f"{fmt.num(q.m_as('1/s'))} operations/s"
    return fmt.quantity(q)


def binding_words(r, context: str, units: int, in_flight_per_gpu: int, gpus: int) -> str:
    """Which limit stops the loader, in words (or that none does)."""
    if not r.io_bound:
        return "none: the GPUs are fed"
    if r.bottleneck == "iops":
        tier = cases.TIERS[context]
        latency_bound = (gpus * in_flight_per_gpu / tier.latency.m_as("s")
                         < units * tier.read_iops.m_as("1/s"))
        return ("random reads: too few in flight for the latency" if latency_bound
                else "random reads: the tier's IOPS")
    return {"bandwidth": "bandwidth", "metadata": "the metadata server"}[r.bottleneck]


# ---- Act I: how busy is the node's GPU? ------------------------------------------------------
ACT1_BANDS = {"A": (0.9, 1.01), "B": (0.6, 0.9), "C": (0.25, 0.6), "D": (0.0, 0.25)}
ACT1_MIDDLE = {"A": 0.95, "B": 0.75, "C": 0.425, "D": 0.125}


def act1_result(in_flight: int = ACT1["in_flight"], tier: str = ACT1["tier"],
                layout: str = ACT1["layout"]):
    units = ACT1["units"] if tier == "distributed_fs" else DRIVES_PER_NODE
    return cases.read(tier, "resnet50", GPUS, layout, in_flight, units)


def act1_truth():
    r = act1_result()
    return r, r.accelerator_utilization, bands.band_of(r.accelerator_utilization, ACT1_BANDS)


def act1_options(r, u) -> dict:
    lim = limits(r, "resnet50")
    demand = per_gpu_rate("resnet50") * GPUS
    facts = (f"The node's eight GPUs could train {rate(demand)}. The appliance's bandwidth "
             f"allows {rate(lim['bandwidth'])} and its metadata server "
             f"{rate(lim['metadata'])}, but {GPUS * ACT1['in_flight']} reads in flight at "
             f"{fmt.duration(PFS.latency.m_as('s'))} each complete only "
             f"{rate(lim['iops'])}: the GPUs are busy **{pct(u)}** of the time.")
    return {
        "A": ("90% to 100%: the file system has bandwidth to spare",
              f"{facts} Bandwidth is the limit people check, and it has room here; the "
              "limit that binds is how many reads are waiting at once."),
        "B": ("60% to 90%",
              f"{facts} Closer, but each read waits "
              f"{fmt.duration(PFS.latency.m_as('s'))} for the network and the server, and the "
              "loader has only a few of them outstanding."),
        "C": ("25% to 60%",
              f"Right. {facts} Little's law: the reads in flight over the latency cap the "
              "rate, whatever the bandwidth."),
        "D": ("Below 25%",
              f"{facts} Too pessimistic: the metadata server keeps up with one node, and the "
              "reads in flight deliver more than a quarter of the demand."),
    }


# ---- Act II: which limit binds for the fleet? ------------------------------------------------
ACT2_OPTION = {"A": "bandwidth", "B": "iops", "C": "metadata", "D": "none"}


def act2_truth():
    r = fleet_read("distributed_fs", "resnet50", ACT2["nodes"], ACT2["layout"],
                   ACT2["in_flight"], ACT2["units"])
    correct = next(k for k, v in ACT2_OPTION.items() if v == r.bottleneck)
    return r, correct


def act2_options(r) -> dict:
    lim = limits(r, "resnet50")
    demand = r.required_bandwidth.m_as("B/s") / sample_bytes("resnet50")
    facts = (f"The {ACT2['nodes'] * GPUS} GPUs want {rate(demand)}. Four appliances' "
             f"bandwidth allows {rate(lim['bandwidth'])}, the reads in flight "
             f"{rate(lim['iops'])}, the one metadata server {rate(lim['metadata'])} (two "
             f"operations per file): the GPUs are busy "
             f"**{pct(r.accelerator_utilization)}** of the time.")
    return {
        "A": ("Storage bandwidth", f"{facts} Four appliances carry the bytes with room to "
              "spare; what one server must do for every file is the limit."),
        "B": ("Random reads: IOPS and reads in flight", f"{facts} "
              f"{ACT2['in_flight']} reads in flight per GPU are plenty at this latency; the "
              "shared service in front of the data is not."),
        "C": ("The metadata server", f"Right. {facts} Appliances add bandwidth and IOPS; "
              "the file system still has one metadata server, and every file costs it an "
              "open and a close."),
        "D": ("Nothing: the GPUs are fully fed", f"{facts} Each limit alone sounds large; "
              "one of them is far below the fleet's demand."),
    }


# ---- the page ------------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Storage tier", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui, context)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui, context):
    truth, u_truth, correct = act1_truth()
    with ui.section("Act I · Calibration", "Is one node's GPU fed? (12-15 min)"):
        ui.stakeholder(
            "ML platform engineer",
            "We train ResNet-50 on one DGX H100 from the cluster's Lustre file system, one "
            f"JPEG per image (about {fmt.si(sample_bytes('resnet50'), 'B')} each). One "
            f"appliance reads {fmt.si(PFS.read_bandwidth.m_as('B/s'), 'B/s')}; the GPUs need "
            "a fraction of that. Each GPU's loader runs two worker processes that read one "
            "image at a time. We're fine, right?")
        ui.markdown(
            "A storage tier serves a loader at the **lowest** of three rates: its bandwidth "
            "over the bytes per sample, the random reads it completes per second, and (for one "
            "file per sample) the files its metadata server opens per second. A read that "
            f"waits {fmt.duration(PFS.latency.m_as('s'))} on the network and the server ties "
            "up its worker for that long. Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            "One DGX H100 training ResNet-50 at the engine's default model FLOPs utilisation "
            f"({fmt.percent(cases.training_run('resnet50').mfu, 0)}), reading one "
            "file per image from one Lustre appliance, two reads in flight per GPU: what "
            "fraction of the time are the GPUs busy?",
            act1_options(truth, u_truth), correct=correct)

        ui.markdown(INSTRUMENTS_1[context])
        in_flight = ui.slider("act1.inflight", "Reads in flight per GPU (loader workers × "
                              "reads each)", 1, 32, 1, ACT1["in_flight"], unit="reads")
        layout = ui.select("act1.layout", "How the images are stored", LAYOUT_LABELS,
                           default=ACT1["layout"])
        r = act1_result(in_flight, context, layout)
        act1_instruments(ui, context, in_flight, layout, r)
        ui.reveal(pred, f"busy {pct(u_truth)} of the time: "
                        f"{GPUS * ACT1['in_flight']} reads in flight at "
                        f"{fmt.duration(PFS.latency.m_as('s'))} deliver "
                        f"{rate(truth.achieved_throughput.m_as('1/s'))} to GPUs that could "
                        f"train {rate(per_gpu_rate('resnet50') * GPUS)} (one Lustre "
                        "appliance, one file per image)",
                  text=pred.feedback, key="act1.overlay")
        need = cases.in_flight_needed("distributed_fs", "resnet50")
        ui.reflection(
            "act1.reflection",
            "On the shared file system, which change feeds this node's GPUs most cheaply?",
            {
                "A": ("A second appliance, doubling the bandwidth",
                      "Bandwidth was never the limit: one appliance already allows "
                      f"{rate(limits(truth, 'resnet50')['bandwidth'])}. A second one changes "
                      "the latency of a read not at all."),
                "B": ("More reads in flight: more loader workers, or asynchronous reads",
                      f"Yes. Little's law: one GPU's {rate(per_gpu_rate('resnet50'))} times "
                      f"{fmt.duration(PFS.latency.m_as('s'))} per read is "
                      f"{fmt.num(per_gpu_rate('resnet50') * PFS.latency.m_as('s'))} reads "
                      f"outstanding, so {need} in flight per GPU keep it fed. Workers cost host "
                      "memory and CPU time, not storage hardware."),
                "C": ("Larger training batches",
                      "A larger batch asks for more images at once but not more per second; "
                      "the loader still completes the same number of reads per second."),
                "D": ("Faster GPUs",
                      "Faster GPUs want more images per second from the same reads in "
                      "flight: they would be busy a smaller fraction of the time."),
            }, correct="B")
        with ui.math_peek("the three limits, with this case's numbers", key="act1.mathpeek"):
            ui.markdown(mathpeek_limits(context, GPUS, in_flight, layout, r, "one DGX H100"))
    return pred


INSTRUMENTS_1 = {
    "nvme": "The instruments show the **NVMe** context: the same node reading a copy of the "
            f"images from its own {DRIVES_PER_NODE} NVMe drives. Move the reads in flight and "
            "the layout, and compare the verdict with the shared file system's.",
    "distributed_fs": "The instruments show the **distributed file system** context: the "
                      "stakeholder's node and its one Lustre appliance. Move the reads in "
                      "flight and the layout and watch which limit binds.",
}


def limit_chart(ui, context, key, title, r, workload, demand, caption_lead):
    lim = limits(r, workload)
    names = [capital(LIMIT_NAMES[k]) for k in lim]
    values = list(lim.values())
    low = min(lim, key=lim.get)
    colors = [plot.COLORS["bad"] if (k == low and lim[k] < demand) else COLOR[context]
              for k in lim]
    figure = {"data": [plot.bar(names, values, colors, text=[rate(v, workload) for v in values])],
              "layout": plot.layout(title, height=360,
                                    yaxis=plot.axis(f"{SAMPLE_WORDS[workload][1]} per second "
                                                    "(log scale)", log=True),
                                    shapes=[plot.hline(demand, plot.COLORS["ink"])],
                                    annotations=[plot.note(0.5, demand, "GPUs' demand",
                                                           xref="paper", yshift=10, ylog=True)])}
    ui.figure(figure, key=key, caption=(
        f"{caption_lead}: " + "; ".join(f"{LIMIT_NAMES[k]} {rate(v, workload)}"
                                        for k, v in lim.items())
        + f". The GPUs could train {rate(demand, workload)} (dotted line); the storage "
          f"delivers {rate(r.achieved_throughput.m_as('1/s'), workload)}."),
        table={"caption": f"Each limit of the read path ({SAMPLE_WORDS[workload][1]} per "
                          "second)",
               "columns": ["limit", "rate", "below the demand?"],
               "rows": [[capital(LIMIT_NAMES[k]), rate(v, workload),
                         "yes" if v < demand else "no"]
                        for k, v in lim.items()]})


def act1_instruments(ui, context, in_flight, layout, r):
    demand = per_gpu_rate("resnet50") * GPUS
    where = ("its own eight NVMe drives" if context == "nvme" else "one Lustre appliance")
    limit_chart(ui, context, "act1.limits", "What each limit of the read path allows", r, "resnet50",
                demand, f"One DGX H100 reading from {where}, {plural(in_flight, 'read')} in "
                        f"flight per GPU, {LAYOUT_WORDS[layout]}")
    u = r.accelerator_utilization
    tier = cases.TIERS[context]
    units = DRIVES_PER_NODE if context == "nvme" else ACT1["units"]
    ui.metrics([
        Metric("GPU utilisation", pct(u),
               tone="success" if u >= 0.99 else "warn" if u >= 0.5 else "danger"),
        Metric("Binding limit", binding_words(r, context, units, in_flight, GPUS)),
        Metric("Reads in flight needed per GPU",
               f"{cases.in_flight_needed(context, 'resnet50')} reads",
               note=f"{rate(per_gpu_rate('resnet50'))} × {fmt.duration(tier.latency.m_as('s'))}"),
        Metric("HBM-to-storage gap", fmt.ratio(cases.hbm_gap(context, units) * GPUS),
               note=f"the node's HBM against its {units} "
                    f"{'drives' if context == 'nvme' else 'appliance'}"),
    ], key="act1.metrics")


def unit_words(context: str, n: int) -> str:
    if context == "nvme":
        return f"{n} NVMe drive{'s' if n != 1 else ''}"
    return f"{n} Lustre appliance{'s' if n != 1 else ''}"


def mathpeek_limits(context, gpus, in_flight, layout, r, who) -> str:
    tier = cases.TIERS[context]
    units = r.available_bandwidth.m_as("B/s") / tier.read_bandwidth.m_as("B/s")
    lim = limits(r, "resnet50")
    meta = (f"| $M$ | metadata operations per second (one server) | "
            f"{fmt.num(r.available_metadata_rate.m_as('1/s'))}/s |\n"
            if r.available_metadata_rate is not None else
            "| $M$ | metadata operations per second | no shared server: a local drive |\n")
    return (
        r"$$X = \min\left(\frac{B}{s},\ \min\!\left(I,\ \frac{L}{W}\right),\ \frac{M}{k}\right),"
        r"\qquad U = \min\left(1, \frac{X}{N\,x}\right)$$" "\n\n"
        f"for {who} ({gpus} GPUs), {LAYOUT_WORDS[layout]}:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $B$ | read bandwidth of {unit_words(context, round(units))} | "
        f"{fmt.si(r.available_bandwidth.m_as('B/s'), 'B/s')} |\n"
        f"| $s$ | bytes per sample (one JPEG) | {fmt.si(sample_bytes('resnet50'), 'B')} |\n"
        f"| $I$ | random reads per second the tier serves at high queue depth | "
        f"{fmt.num(units * tier.read_iops.m_as('1/s'))}/s |\n"
        f"| $L$ | reads in flight ({in_flight} per GPU) | {gpus * in_flight} |\n"
        f"| $W$ | latency of one small read | {fmt.duration(tier.latency.m_as('s'))} |\n"
        + meta +
        f"| $k$ | metadata operations per file (open and close) | "
        f"{cases.METADATA_OPS_PER_FILE} |\n"
        f"| $x$ | images per second one GPU trains | {rate(per_gpu_rate('resnet50'))} |\n\n"
        + capital("; ".join(f"{LIMIT_NAMES[k]} = {rate(v)}" for k, v in lim.items()))
        + f". Sequential shards drop the second and third terms; random records drop the "
          f"third. Here $X$ = {rate(r.achieved_throughput.m_as('1/s'))} and $U$ = "
          f"{pct(r.accelerator_utilization)}.")


def act_two(ui, context):
    truth, correct = act2_truth()
    with ui.section("Act II · Design challenge", "Feed the fleet, and checkpoint it "
                                                 "(20-25 min)"):
        ui.stakeholder(
            "Head of ML infrastructure",
            f"The ResNet-50 job moves to {ACT2['nodes']} DGX H100 nodes on the same Lustre, "
            f"now with {ACT2['units']} appliances, and we raised the loader to "
            f"{ACT2['in_flight']} reads in flight per GPU. The same file system also takes "
            "checkpoints of our Llama 3 70B run. Will the storage keep up?")
        ui.markdown(
            "Adding appliances adds bandwidth and IOPS; a Lustre file system still has **one "
            "metadata server** (the appliance and server figures are the engine's registry "
            "values). A checkpoint writes the weights and the optimizer state; while "
            "a synchronous checkpoint is written, training waits. The team's rule, an "
            f"illustrative one: a checkpoint every {fmt.num(cases.CHECKPOINT_INTERVAL.m_as('min'))} "
            f"minutes may pause training at most {fmt.percent(cases.STALL_SHARE, 0)} of that, "
            f"{fmt.duration(MAX_STALL.m_as('s'))}.")
        pred = ui.predict_choice(
            "act2.prediction",
            f"ResNet-50 on {ACT2['nodes']} DGX H100 nodes, one file per image on a Lustre file "
            f"system of {ACT2['units']} appliances, {ACT2['in_flight']} reads in flight per "
            "GPU: which limit binds first?",
            act2_options(truth), correct=correct)

        ui.markdown(SCENARIO_2[context])
        workload = ui.select("act2.workload", "Training job", WORKLOAD_LABELS,
                             default="resnet50")
        nodes = int(ui.select("act2.nodes", "Fleet", NODE_OPTIONS, default=str(ACT2["nodes"])))
        layout = ui.select("act2.layout", "How the samples are stored", LAYOUT_LABELS,
                           default=ACT2["layout"])
        in_flight = ui.slider("act2.inflight", "Reads in flight per GPU", 1, 32, 1,
                              ACT2["in_flight"], unit="reads")
        key, label, lo, hi, default, unit = UNITS[context]
        units = ui.slider(key, label, lo, hi, 1, default, unit=unit)
        mode = ui.select("act2.checkpoint", "Checkpoints", CHECKPOINT_LABELS, default="sync")
        r = fleet_read(context, workload, nodes, layout, in_flight, units)
        ck = checkpoint(context, workload, nodes, units, mode == "async")
        violations = list(r.violations) + list(ck.violations)
        if violations:
            ui.failure(failure_title(violations), violations, key="act2.failure", show=show,
                       text=failure_text(context, workload, nodes, layout, units, r, ck))
        fleet_instruments(ui, context, workload, nodes, layout, in_flight, units, mode, r, ck)

        ui.reveal(pred, f"the metadata server binds: {ACT2['nodes'] * GPUS} GPUs need "
                        f"{fmt.num(truth.required_metadata_rate.m_as('1/s') / cases.METADATA_OPS_PER_FILE)} "
                        "files opened per second, one server opens "
                        f"{fmt.num(limits(truth, 'resnet50')['metadata'])}; the GPUs are busy "
                        f"{pct(truth.accelerator_utilization)} of the time"
                        if truth.bottleneck == "metadata" else
                        binding_words(truth, "distributed_fs", ACT2["units"], ACT2["in_flight"],
                                      ACT2["nodes"] * GPUS),
                  text=pred.feedback, key="act2.overlay")
        big = cases.appliances_for_bandwidth("resnet50", 1024)
        ui.reflection(
            "act2.reflection",
            "At 1,024 nodes even packed shards starve the GPUs on the shared file system. What "
            "feeds them?",
            {
                "A": ("A second metadata server",
                      "With shards there are no per-image opens left for it to serve: the "
                      f"limit is bandwidth. The fleet needs {big} appliances' worth of reads, "
                      "beyond the slider and most budgets."),
                "B": ("Stage the data set on every node's local NVMe drives and read it there",
                      "Yes. The image set "
                      f"({fmt.si(cases.IMAGENET_BYTES.m_as('B'), 'B')}) fits each node's "
                      f"{fmt.si(DRIVES_PER_NODE * cases.DRIVE_CAPACITY.m_as('B'), 'B')} of "
                      "drives, and every node brings its own bandwidth, so the read rate "
                      f"grows with the fleet; the shared system would need {big} appliances."),
                "C": ("More reads in flight per GPU",
                      "Reads in flight lift the random-read limit; shards are streamed, and "
                      "their limit is the bytes per second the appliances deliver."),
                "D": ("Asynchronous checkpoints",
                      "They shorten the pause for a checkpoint; reading training data is a "
                      "separate stream with its own limit."),
            }, correct="B")
        with ui.math_peek("the fleet's read and checkpoint, with this design's numbers",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_fleet(context, workload, nodes, layout, in_flight, units, mode,
                                       r, ck))
    return pred, {"workload": workload, "nodes": nodes, "layout": layout,
                  "in_flight": in_flight, "units": units, "mode": mode,
                  "utilization": r.accelerator_utilization,
                  "stall": ck.checkpoint_time.m_as("s"), "hit": bool(violations)}


SCENARIO_2 = {
    "nvme": "**NVMe context.** Every node holds a copy of the training set on its own "
            f"{DRIVES_PER_NODE} NVMe drives (its cache of the shared file system) and writes "
            "its share of each checkpoint to them. Local drives have no shared metadata "
            "server; what a node reads, only that node's drives serve.",
    "distributed_fs": "**Distributed file system context.** Every node reads from and writes "
                      "checkpoints to the shared Lustre file system: its appliances add up, "
                      "its one metadata server does not.",
}


def failure_title(violations) -> str:
    names = {v.name for v in violations}
    if names == {"checkpoint stall"}:
        return "Checkpoint stall: training pauses longer than allowed"
    if "checkpoint stall" in names:
        return "The storage starves the GPUs and stalls the checkpoints"
    if "metadata rate" in names:
        return "Metadata server saturated: the GPUs wait for files to open"
    return "The storage cannot feed the GPUs"


def failure_text(context, workload, nodes, layout, units, r, ck) -> str:
    ways = []
    names = {v.name for v in r.violations}
    if "metadata rate" in names:
        ways.append("pack the samples into records or shards (no file to open per sample), "
                    "or switch to the NVMe context, which has no shared metadata server")
    if "storage IOPS" in names:
        ways.append("raise the reads in flight per GPU, or stream sequential shards")
    if "storage bandwidth" in names:
        ways.append("add " + ("drives" if context == "nvme" else "appliances")
                    + (", or read a staged copy from each node's NVMe drives (NVMe context)"
                       if context == "distributed_fs" else ""))
    if ck.violation("checkpoint stall"):
        ways.append("write checkpoints asynchronously, or add "
                    + ("drives" if context == "nvme" else "appliances"))
    if ck.violation("checkpoint write time"):
        ways.append("add storage units so the write finishes before the next checkpoint")
    fed = (f"The GPUs are busy {pct(r.accelerator_utilization)} of the time. "
           if r.violations else "")
    return fed + "To get out: " + "; ".join(ways) + "."


def fleet_instruments(ui, context, workload, nodes, layout, in_flight, units, mode, r, ck):
    gpus = GPUS * (1 if context == "nvme" else nodes)
    demand = per_gpu_rate(workload) * gpus
    lead = (f"Each of the {nodes:,} nodes reading its own {plural(units, 'NVMe drive')} (per "
            "node)" if context == "nvme" else
            f"{plural(nodes, 'node')} sharing {plural(units, 'Lustre appliance')} and one "
            "metadata server")
    limit_chart(ui, context, "act2.limits", "The read path's limits against the fleet's demand", r,
                workload, demand, f"{lead}, {plural(in_flight, 'read')} in flight per GPU, "
                                  f"{LAYOUT_WORDS[layout]}")
    u = r.accelerator_utilization
    stall = ck.checkpoint_time.m_as("s")
    ui.metrics([
        Metric("GPU utilisation", pct(u),
               tone="success" if u >= 0.99 else "warn" if u >= 0.5 else "danger",
               note=f"delivered {rate(r.achieved_throughput.m_as('1/s'), workload)}"
                    + (" per node" if context == "nvme" else "")),
        Metric("Binding limit", binding_words(r, context, units, in_flight, gpus)),
        Metric("Checkpoint size", fmt.si(ck.checkpoint_bytes.m_as("B"), "B"),
               note="weights + mixed-precision Adam state, 14 bytes per parameter"),
        Metric("Training paused per checkpoint", fmt.duration(stall),
               note=f"allowed {fmt.duration(MAX_STALL.m_as('s'))}",
               tone="danger" if ck.violation("checkpoint stall") else "success"),
        Metric("Checkpoint write", fmt.duration(ck.write_time.m_as("s")),
               note=f"at {fmt.si(ck.write_bandwidth.m_as('B/s'), 'B/s')}"),
    ], key="act2.metrics")
    rows = []
    for option in NODE_OPTIONS:
        n = int(option)
        f = fleet_read(context, workload, n, layout, in_flight, units)
        c = checkpoint(context, workload, n, units, mode == "async")
        rows.append([NODE_OPTIONS[option], pct(f.accelerator_utilization),
                     binding_words(f, context, units, in_flight,
                                   GPUS * (1 if context == "nvme" else n)),
                     fmt.duration(c.checkpoint_time.m_as("s"))])
    ui.table(f"This design at each fleet size ({contexts.name(context)} context)",
             ["fleet", "GPU utilisation", "binding limit", "pause per checkpoint"], rows,
             key="act2.fleets")


def mathpeek_fleet(context, workload, nodes, layout, in_flight, units, mode, r, ck) -> str:
    gpus = nodes * GPUS
    size = ck.checkpoint_bytes.m_as("B")
    link = cases.HOST_LINK["H100"]
    lim = limits(r, workload)
    where = ("each node's drives (per node)" if context == "nvme"
             else f"{plural(units, 'shared appliance')}")
    store = (f"{nodes} × {units} drives × "
             f"{fmt.si(NVME.write_bandwidth.m_as('B/s'), 'B/s')}" if context == "nvme" else
             f"{units} × {fmt.si(PFS.write_bandwidth.m_as('B/s'), 'B/s')}")
    return (
        r"$$X = \min\left(\frac{B}{s},\ \min\!\left(I,\ \frac{L}{W}\right),\ \frac{M}{k}\right)"
        r"\qquad T_{\text{write}} = \frac{S}{\min(B_w,\ G\,b)}\qquad "
        r"T_{\text{stall}} = \begin{cases}T_{\text{write}} & \text{synchronous}\\ "
        r"S / (G\, b) & \text{asynchronous}\end{cases}$$" "\n\n"
        f"**Reading** ({WORKLOAD_LABELS[workload]}, {where}): "
        + "; ".join(f"{LIMIT_NAMES[k]} = {rate(v, workload)}" for k, v in lim.items())
        + f". Demand $N x$ = {rate(r.required_bandwidth.m_as('B/s') / sample_bytes(workload), workload)}"
        + f", delivered $X$ = {rate(r.achieved_throughput.m_as('1/s'), workload)}, $U$ = "
          f"{pct(r.accelerator_utilization)}.\n\n"
        "**Checkpointing**:\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $S$ | checkpoint: parameters × 14 B | {fmt.si(size, 'B')} |\n"
        f"| $B_w$ | write bandwidth of the storage | {store} |\n"
        f"| $G$ | GPUs writing their shards | {gpus:,} |\n"
        f"| $b$ | each GPU's path to its host ({link.name}) | "
        f"{fmt.si(link.bandwidth.m_as('B/s'), 'B/s')} |\n"
        f"| $T_{{\\text{{write}}}}$ | time to write it | {fmt.duration(ck.write_time.m_as('s'))} |\n"
        f"| $T_{{\\text{{stall}}}}$ | training paused ({'asynchronous' if mode == 'async' else 'synchronous'}) | "
        f"{fmt.duration(ck.checkpoint_time.m_as('s'))} |\n\n"
        f"Allowed pause: {fmt.duration(MAX_STALL.m_as('s'))} (illustrative).")


def closing(ui):
    _, u1, _ = act1_truth()
    truth, _ = act2_truth()
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-data-storage-littles-law works the reads-in-flight limit on a DGX A100; "
            "@sec-v2-data-storage-metadata shows when one metadata server saturates, and "
            "@sec-v2-data-storage-formats why shards and caching escape it.\n"
            "- @sec-v2-data-storage-checkpoints sizes a checkpoint and its stall; "
            "@sec-data-engineering-buffering (Volume I) first met Little's law for reads in "
            "flight.\n"
            "- Next, Lab 05 (@sec-v2-distributed-training) splits the work itself across the "
            "fleet: data, tensor and pipeline parallelism.\n"
            "- TinyTorch, Module 08 (DataLoader): you build the loader whose workers are the "
            "reads in flight of this lab.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. One DGX H100 reading one file per image from a shared file system with two "
            f"reads in flight per GPU is busy {pct(u1)} of the time, with bandwidth "
            "to spare: small random reads are bound by reads in flight over latency.\n"
            f"2. At {ACT2['nodes']} nodes the one metadata server caps the whole fleet "
            f"({pct(truth.accelerator_utilization)} busy): packing samples into "
            "records or shards removes the per-file operations.\n"
            "3. Local NVMe scales with the fleet, a shared file system does not; and a "
            "synchronous checkpoint pauses training for the whole write, an asynchronous one "
            "only for the copy to host memory.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    _, u1, _ = act1_truth()
    units = (plural(design["units"], "drive") + " per node" if context == "nvme"
             else plural(design["units"], "appliance"))
    mode = "asynchronous" if design["mode"] == "async" else "synchronous"
    decision = (f"{WORKLOAD_LABELS[design['workload']]} on {design['nodes']:,} nodes, "
                f"{LAYOUT_WORDS[design['layout']]}, {plural(design['in_flight'], 'read')} in "
                f"flight per GPU, {units}, {mode} checkpoints, on {contexts.name(context)}")
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1, (ACT1_MIDDLE[pred1.value], u1), pred2,
        decision=decision, result=design["utilization"] * 100, unit="%",
        constraint_hit=design["hit"])
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2,
        ("Design", f"{design['nodes']:,} nodes, "
                   f"{LAYOUT_WORDS[design['layout']]}"),
        ("Result", f"GPUs busy {pct(design['utilization'])}, checkpoint pause "
                   f"{fmt.duration(design['stall'])}"
                   + (" (a limit is broken)" if design["hit"] else ""))))

"""Vol II · Lab 11 · Send the model or send the data (chapter: edge_intelligence).

Act I calibrates the bytes of federated learning against the bytes of centralizing the data:
federated averaging uploads rounds x reports x update bytes whatever the phones hold, while
centralizing uploads population x data per phone once. For BERT-Base fine-tuned on message
text across a million phones, the federated run uploads several times the text it never
moves. Act II hands the student a ResNet-50 photo classifier on a 20,000-phone pilot with a
50 MB uplink budget per phone and an 85% accuracy target (on the engine's illustrative FedAvg
curve): the centralized design breaks the budget when phones hold many photos; the federated
design breaks it with 32-bit updates, and misses the target with too few rounds, too few
phones eligible or a deadline that cuts the stragglers. Every number comes from the engine
through edge_intelligence_cases.py, which Chapter 27 shares.
"""
from __future__ import annotations

import math

from mlsysim.core.constants import Q_
from mlsysim.core.results import Constraint

from labkit import Lab, Metric, bands, contexts, fmt, ledger, plot
from labs.vol2 import edge_intelligence_cases as cases
from labs.vol2.edge_intelligence_cases import (ACT1, ACT2, COMPRESSIONS, LINKS, PHOTO_BYTES,
                                               ROUND_STEP, STRAGGLER_S, update_bytes)

LAB = Lab(
    id="vol2/11", chapter="edge_intelligence", title="Send the model or send the data",
    hook="A million phones hold the data a model needs. Is it cheaper to send the model to "
         "the data, round after round, or the data to the model, once?",
    invariants=["federated bytes = rounds × reports × update", "per-device uplink budget",
                "update compression", "stragglers and the round deadline"],
    minutes=40, contexts=("centralized", "federated"),
    reading=[
        ("@sec-v2-edge-intelligence-fedavg", "federated averaging, round by round"),
        ("@sec-v2-edge-intelligence-break-even", "when federated learning uploads less than the data"),
        ("@sec-v2-edge-intelligence-compression", "quantized and masked updates"),
        ("@sec-v2-edge-intelligence-stragglers", "sampling, dropout, stragglers and deadlines"),
        ("@sec-v2-edge-intelligence-non-iid", "the accuracy curve and what non-IID data costs"),
    ],
)

CONTEXT_LABELS = contexts.labels({"centralized": "phones upload their photos, the datacenter trains",
                                  "federated": "phones train and upload model updates"})
LINK_LABELS = {"lte": "LTE (4G)", "5g": "5G", "wifi": "Wi-Fi on home broadband"}
COMPRESSION_LABELS = {"fp32": "32-bit values (uncompressed)", "fp16": "16-bit values",
                      "int8": "8-bit values",
                      "mask_int8": "8-bit values on a random 10% of the weights"}
COMPRESSION_SHORT = {"fp32": "32-bit", "fp16": "16-bit", "int8": "8-bit",
                     "mask_int8": "8-bit on a 10% mask"}
MODEL_NAMES = {"bert_base": "BERT-Base", "resnet50": "ResNet-50", "mobilenetv2": "MobileNetV2"}
PHOTOS = (50, 2000, 50)                 # photos per phone: min, max, step
CLIENTS = (10, 500, 10)                 # reports per round
ROUNDS = (50, 1000, ROUND_STEP)
DEADLINE = (1, 30, 1)                   # minutes
PARTICIPATION = (0.005, 0.5, 0.005)     # share of phones eligible at round time
BUDGET = ACT2["budget_b"]
TARGET = ACT2["target"]
POP2 = ACT2["population"]


def mb(b: float) -> str:
    return fmt.si(b, "B")


def pct(x: float) -> str:
    return fmt.percent(x, 1)


def acc(x: float) -> str:
    """An accuracy; two decimals next to the target, so 85.05% does not read as 85.0%."""
    return fmt.percent(x, 2 if 0 < abs(x - TARGET) < 0.001 else 1)


def minutes(seconds: float) -> str:
    if seconds >= 2 * 86_400:
        return f"{fmt.num(seconds / 86_400)} days"
    if seconds >= 7200:
        return f"{fmt.num(seconds / 3600)} h"
    if seconds >= 60:
        return f"{fmt.num(seconds / 60)} min"
    return fmt.duration(seconds)


def phones(n: float) -> str:
    return f"{fmt.num(n)} phones"


# ---- Act I: federated upload against the raw text --------------------------------------------
#: Bands of (federated upload / raw upload) for the Act I options, (low, high).
ACT1_BANDS = {"A": (0.0, 0.1), "B": (0.1, 1.0), "C": (1.0, 10.0), "D": (10.0, math.inf)}


def act1_truth():
    r = cases.act1()
    return r, bands.band_of(r.upload_vs_raw, ACT1_BANDS)


def act1_fact() -> str:
    r = cases.act1()
    u = update_bytes(ACT1["model"])
    return (f"{fmt.num(cases.act1_rounds())} rounds × {ACT1['clients_per_round']} reports × "
            f"{mb(u)} = **{mb(r.upload_bytes.m_as('B'))}** uploaded, against "
            f"{phones(ACT1['population'])} × {mb(ACT1['data_b'])} = "
            f"**{mb(r.raw_data_bytes.m_as('B'))}** of text: {fmt.num(r.upload_vs_raw)} times as "
            "much.")


def act1_options() -> dict:
    fact = act1_fact()
    return {
        "A": ("Under a tenth: federated learning is a large saving",
              f"{fact} Federated learning saves bytes when each phone holds far more data than "
              "the updates it sends over the training; message text is small and the model "
              "is not."),
        "B": ("Between a tenth and the same: a modest saving",
              f"{fact} The update is {mb(update_bytes(ACT1['model']))} whatever the phone holds: "
              f"one report weighs {fmt.num(update_bytes(ACT1['model']) / ACT1['data_b'])} "
              "times a phone's text."),
        "C": ("Between the same and ten times more",
              f"Right. {fact} Keeping the data home is a privacy decision here, not a "
              "bandwidth saving."),
        "D": ("Over ten times more",
              f"{fact} The gap is large, but not that large: each phone reports only "
              f"{fmt.num(cases.act1_rounds() * ACT1['clients_per_round'] / ACT1['population'], 2)} "
              "times on average over the training."),
    }


# ---- Act II: the least compression within the budget -----------------------------------------
ACT2_OPTIONS = ("fp32", "fp16", "int8", "mask_int8")


def act2_truth():
    """The first compression, from none to the most, whose design meets every constraint."""
    results = {k: cases.act2(k) for k in ACT2_OPTIONS}
    correct = next(k for k in ACT2_OPTIONS if results[k].feasible)
    return results, "ABCD"[ACT2_OPTIONS.index(correct)]


def act2_fact() -> str:
    results, _ = act2_truth()
    sizes = ", ".join(f"{COMPRESSION_SHORT[k]} {mb(results[k].uplink_per_client.m_as('B'))}"
                      for k in ACT2_OPTIONS)
    r = results["fp32"]
    return (f"Each phone reports {fmt.num(cases.act2_rounds() * r.reporting_per_round / POP2, 3)} "
            f"times on average ({fmt.num(cases.act2_rounds())} rounds × "
            f"{fmt.num(r.reporting_per_round)} reports ÷ {phones(POP2)}), so it uploads "
            f"{sizes}, against a budget of {mb(BUDGET)}.")


def act2_options() -> dict:
    fact = act2_fact()
    _, correct = act2_truth()

    def verdict(key: str) -> str:
        return f"Right. {fact}" if "ABCD"[ACT2_OPTIONS.index(key)] == correct else fact
    return {
        "A": ("None: 32-bit updates fit",
              f"{verdict('fp32')} A ResNet-50 update is {mb(update_bytes(ACT2['model']))}; "
              "a few reports per phone are enough to break a budget of tens of megabytes."),
        "B": ("16-bit updates (half the size)",
              f"{verdict('fp16')} Halving the update halves every phone's upload; whether that "
              "is enough depends on how many times each phone reports."),
        "C": ("8-bit updates (a quarter)",
              f"{verdict('int8')} Quantizing to 8 bits cuts the upload four times; the engine's "
              "accuracy curve, like the lab, counts that compression as free."),
        "D": ("8-bit values on a random 10% of the weights (a fortieth)",
              f"{verdict('mask_int8')} A fortieth of the bytes fits easily, but it is more "
              "compression than the budget asks for, and every step of compression risks "
              "some accuracy that the engine's illustrative curve does not count."),
    }


# ---- the page ---------------------------------------------------------------------------
@LAB.page
def page(ui):
    context = ui.toggle("context", "Where training happens", CONTEXT_LABELS)
    ui.reset()
    pred1 = act_one(ui)
    pred2, design = act_two(ui, context)
    closing(ui)
    save_to_ledger(ui, context, pred1, pred2, design)


def act_one(ui):
    r, correct = act1_truth()
    u = update_bytes(ACT1["model"])
    rounds = cases.act1_rounds()
    with ui.section("Act I · Calibration", "Does federated learning upload less than the data? "
                    "(12-15 min)"):
        ui.stakeholder(
            "Privacy lead, a messaging app",
            f"We want our reply-suggestion classifier, a {MODEL_NAMES[ACT1['model']]}, "
            f"fine-tuned on what our {fmt.num(ACT1['population'])} users actually write. I "
            "want the messages to stay on the phones and the training to be federated. The "
            "network team objects that federated learning 'ships the whole model back and "
            "forth hundreds of times'. Who is right about the upload?")
        ui.markdown(
            f"The numbers: {MODEL_NAMES[ACT1['model']]} has "
            f"{fmt.num(cases.MODELS[ACT1['model']].parameters / 1e6)} million parameters, so "
            f"one update at 32 bits is {mb(u)}. Each round, {ACT1['clients_per_round']} phones "
            f"report; the engine's illustrative FedAvg curve needs {fmt.num(rounds)} such "
            f"rounds to reach {pct(ACT1['target'])}. Each phone holds about "
            f"{mb(ACT1['data_b'])} of message text (illustrative: some 500,000 words). Count "
            "uploads only: the uplink is the scarce direction. Commit before you look.")
        pred = ui.predict_choice(
            "act1.prediction",
            "Over the whole training, how do the bytes the phones upload under federated "
            "learning compare with every phone uploading its text once?",
            act1_options(), correct=correct)

        bytes_figure(ui, r, u, rounds)
        ui.metrics([
            Metric("One update", mb(u), note="32-bit, the whole model"),
            Metric("Rounds to the target", fmt.num(rounds), tone="info",
                   note="illustrative FedAvg curve"),
            Metric("Federated upload", mb(r.upload_bytes.m_as("B")), tone="warn",
                   note=f"{mb(r.uplink_per_client.m_as('B'))} per phone on average"),
            Metric("Raw text upload", mb(r.raw_data_bytes.m_as("B")), tone="success",
                   note=f"{mb(ACT1['data_b'])} per phone, once"),
            Metric("Federated download", mb(r.download_bytes.m_as("B")),
                   note=f"the model to {r.selected_per_round} selected phones a round"),
        ], key="act1.metrics")
        ui.reveal(pred, f"federated {mb(r.upload_bytes.m_as('B'))} against "
                        f"{mb(r.raw_data_bytes.m_as('B'))} of raw text "
                        f"({fmt.num(r.upload_vs_raw)} times as much)",
                  text=pred.feedback, key="act1.overlay")
        act1_reflection(ui)
        with ui.math_peek("federated bytes against raw bytes", key="act1.mathpeek"):
            ui.markdown(mathpeek_bytes(r, u, rounds))
    return pred


def bytes_figure(ui, r, u, rounds):
    k = ACT1["clients_per_round"]
    raw = r.raw_data_bytes.m_as("B")
    top = max(rounds, 50) * 1.25
    xs = [top * i / 40 for i in range(41)]
    fed = [x * k * u / 1e12 for x in xs]
    even = raw / (k * u)
    traces = [
        plot.line(xs, fed, "federated upload", plot.COLORS["fleet"]),
        plot.line([0, top], [raw / 1e12] * 2, "raw text, uploaded once", plot.COLORS["good"],
                  dash="dash"),
        plot.points([rounds], [r.upload_bytes.m_as("B") / 1e12], "rounds to the target",
                    plot.COLORS["bad"], text=[f"{fmt.num(rounds)} rounds"]),
    ]
    figure = {"data": traces, "layout": plot.layout(
        "Bytes uploaded as training proceeds", height=360, showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        xaxis=plot.axis("rounds"), yaxis=plot.axis("uploaded (TB)"),
        shapes=[plot.vline(even, plot.COLORS["muted"])],
        annotations=[plot.note(even, raw / 1e12, f"break-even: {fmt.num(even)} rounds",
                               yshift=14, xanchor="left")])}
    rows = [[fmt.num(x), mb(x * k * u), mb(raw)] for x in (50, even, rounds)]
    ui.figure(figure, key="act1.bytes", caption=(
        f"Federated upload grows by {ACT1['clients_per_round']} × {mb(u)} = {mb(k * u)} a "
        f"round; the phones' raw text is {mb(raw)} once. The lines cross after "
        f"{fmt.num(even)} rounds; the training needs {fmt.num(rounds)}, and uploads "
        f"{mb(r.upload_bytes.m_as('B'))}."),
        table={"caption": "Bytes uploaded after a number of rounds",
               "columns": ["rounds", "federated upload", "raw text upload"], "rows": rows})


def act1_reflection(ui):
    base = cases.act1()
    options = {
        "A": ("Ten times as many phones reporting per round", "clients"),
        "B": ("16-bit updates instead of 32-bit", "fp16"),
        "C": ("Ten times as many users, each with the same text", "population"),
        "D": ("5G instead of LTE", "link"),
    }
    ratios = {
        "A": cases.federated(ACT1["model"], ACT1["link"], "fp32", 10 * ACT1["clients_per_round"],
                             cases.rounds_for(ACT1["target"], 10 * ACT1["clients_per_round"]),
                             ACT1["population"], ACT1["data_b"]).upload_vs_raw,
        "B": cases.act1("fp16").upload_vs_raw,
        "C": cases.act1(population=10 * ACT1["population"]).upload_vs_raw,
        "D": cases.federated(ACT1["model"], "5g", "fp32", ACT1["clients_per_round"],
                             cases.act1_rounds(), ACT1["population"],
                             ACT1["data_b"]).upload_vs_raw,
    }
    below = [k for k, v in ratios.items() if v < 1]
    correct = below[0] if len(below) == 1 else "C"
    now = f"Now it is {fmt.num(base.upload_vs_raw)} times the text"
    ui.reflection(
        "act1.reflection",
        "Which single change would bring the federated upload below the raw text upload?",
        {
            "A": (options["A"][0],
                  f"{now}; with ten times the reports per round it is "
                  f"{fmt.num(ratios['A'])} times. Beyond a few dozen reports the curve barely "
                  "needs fewer rounds, so every extra report is extra bytes."),
            "B": (options["B"][0],
                  f"{now}; at 16 bits, {fmt.num(ratios['B'])} times. Halving the update halves "
                  "the upload, which is not enough here."),
            "C": (options["C"][0],
                  f"{'Right. ' if correct == 'C' else ''}{now}; with ten times the users, "
                  f"{fmt.num(ratios['C'])} times. The federated upload depends on rounds, "
                  "reports and the update, not on how many phones exist; the raw upload grows "
                  "with every phone."),
            "D": (options["D"][0],
                  f"{now}, and on 5G it is still {fmt.num(ratios['D'])} times: a faster uplink "
                  "shortens each round but moves the same bytes."),
        }, correct=correct)


def mathpeek_bytes(r, u, rounds) -> str:
    k = ACT1["clients_per_round"]
    p = ACT1["population"]
    d = ACT1["data_b"]
    return (
        "Federated averaging uploads one update per report, every round; centralizing uploads "
        "each phone's data once:\n\n"
        r"$$B_{\text{fed}} = R\,K\,c\,U \qquad B_{\text{raw}} = P\,d \qquad "
        r"\frac{B_{\text{fed}}}{B_{\text{raw}}} = \frac{R\,K\,c\,U}{P\,d}$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $R$ | rounds (illustrative curve, to {pct(ACT1['target'])}) | {fmt.num(rounds)} |\n"
        f"| $K$ | reports per round | {k} |\n"
        f"| $U$ | one update: {fmt.num(cases.MODELS[ACT1['model']].parameters / 1e6)} M "
        f"parameters × 4 B | {mb(u)} |\n"
        "| $c$ | compression (1: none) | 1 |\n"
        f"| $P$ | phones | {fmt.num(p)} |\n"
        f"| $d$ | raw data per phone | {mb(d)} |\n\n"
        f"$B_{{\\text{{fed}}}}$ = {mb(r.upload_bytes.m_as('B'))}; $B_{{\\text{{raw}}}}$ = "
        f"{mb(r.raw_data_bytes.m_as('B'))}; the ratio is **{fmt.num(r.upload_vs_raw)}**. Per "
        f"phone: $R K c U / P$ = {mb(r.uplink_per_client.m_as('B'))} against $d$ = {mb(d)}. "
        f"Federated learning uploads less only when $d > R K c U / P$.")


# ---- Act II --------------------------------------------------------------------------------
def act_two(ui, context):
    results, correct = act2_truth()
    rounds0 = cases.act2_rounds()
    with ui.section("Act II · Design challenge", "A 20,000-phone pilot on a data budget "
                    "(20-25 min)"):
        ui.stakeholder(
            "Product lead, a camera app",
            f"Legal has cleared a pilot on {fmt.num(POP2)} phones for our scene classifier, "
            f"a {MODEL_NAMES[ACT2['model']]}. It must reach {pct(TARGET)} accuracy, and our "
            f"carrier deal lets each phone spend {mb(BUDGET)} of uplink on training over the "
            "whole campaign. Most of the pilot is on LTE. Can we do it, and what does it take?")
        ui.markdown(
            "Two designs. **Centralized**: every phone uploads its photos once (resized to "
            f"ImageNet size, about {mb(PHOTO_BYTES)} each) and the datacenter trains. "
            f"**Federated**: each round the server selects {fmt.percent(cases.ENGINE['overselection'] - 1, 0)} "
            f"more phones than the {ACT2['clients_per_round']} reports it needs, "
            f"{fmt.percent(cases.ENGINE['dropout'], 0)} drop out (Bonawitz et al. 2019), the "
            "rest download the model, train one pass over their photos and upload an update; "
            f"the round closes at the {ACT2['clients_per_round']}th report or at the deadline. "
            f"The federated plan starts at {fmt.num(rounds0)} rounds (enough for "
            f"{pct(TARGET)} on the illustrative curve), a {ACT2['deadline_min']}-minute "
            f"deadline and {fmt.percent(ACT2['participation'], 0)} of phones eligible at any "
            "time (idle and charging).")
        pred = ui.predict_choice(
            "act2.prediction",
            f"In the federated design, with {ACT2['clients_per_round']} reports per round and "
            f"{fmt.num(rounds0)} rounds, what is the least update compression that keeps a "
            f"phone's expected upload over the campaign within {mb(BUDGET)}?",
            act2_options(), correct=correct)

        photos = int(ui.slider("act2.photos", "Photos each phone trains on", *PHOTOS,
                               ACT2["photos"], unit="photos"))
        link = ui.select("act2.link", "Uplink", LINK_LABELS, default=ACT2["link"])
        if context == "federated":
            compression = ui.select("act2.compression", "Update compression",
                                    COMPRESSION_LABELS, default=ACT2["compression"])
            k = int(ui.slider("act2.clients", "Reports per round", *CLIENTS,
                              ACT2["clients_per_round"], unit="phones"))
            rounds = int(ui.slider("act2.rounds", "Rounds", *ROUNDS, rounds0, unit="rounds"))
            deadline = int(ui.slider("act2.deadline", "Round deadline", *DEADLINE,
                                     ACT2["deadline_min"], unit="min"))
            part = ui.slider("act2.participation", "Phones eligible at round time",
                             *PARTICIPATION, ACT2["participation"], unit="%", scale=100)
            design = {"context": context, "photos": photos, "link": link,
                      "compression": compression, "k": k, "rounds": rounds,
                      "deadline": deadline, "part": part}
            r = fed_result(design)
        else:
            ui.callout("info", (
                "Centralized, the phones train nothing: no rounds, no updates, no deadline. "
                "Each uploads its photos once over its uplink, and the datacenter trains on the "
                "pool. Switch to Federated for the round controls."),
                title="Nothing to tune on the phones", key="act2.central")
            design = {"context": context, "photos": photos, "link": link}
            r = cases.act2_centralized(link, photos)
        if not r.feasible:
            failure(ui, design, r)
        uplink_figure(ui, design)
        if context == "federated":
            accuracy_figure(ui, design, r)
            federated_metrics(ui, design, r)
        else:
            centralized_metrics(ui, design, r)
        both_contexts_table(ui, design)

        best = results[ACT2_OPTIONS["ABCD".index(correct)]]
        ui.reveal(pred, f"{COMPRESSION_SHORT[ACT2_OPTIONS['ABCD'.index(correct)]]}: "
                        f"{mb(best.uplink_per_client.m_as('B'))} per phone against "
                        f"{mb(BUDGET)} (32-bit: "
                        f"{mb(results['fp32'].uplink_per_client.m_as('B'))})",
                  text=pred.feedback, key="act2.overlay")
        act2_reflection(ui)
        with ui.math_peek("one phone's upload, the round's close and the accuracy",
                          key="act2.mathpeek"):
            ui.markdown(mathpeek_design(design, r))
    design["result"] = r
    return pred, design


def fed_result(design):
    return cases.act2(design["compression"], design["link"], design["k"], design["rounds"],
                      design["deadline"], design["part"], design["photos"])


def show(q) -> str:
    if str(q.dimensionality) == "dimensionless":
        if str(q.units) in ("percent", "%"):
            return acc(q.m_as(""))
        return f"{fmt.num(q.m_as(''))} reports"
    return fmt.quantity(q)


def displayed(violations) -> list:
    """The engine's violations with accuracy shown as a percentage and reports counted."""
    out = []
    for v in violations:
        if v.name == "accuracy":
            out.append(Constraint("accuracy", Q_(v.required.m_as("") * 100, "percent"),
                                  Q_(v.available.m_as("") * 100, "percent")))
        elif v.name == "clients reporting":
            out.append(Constraint("reports per round", Q_(v.required.m_as(""), "count"),
                                  Q_(v.available.m_as(""), "count")))
        elif v.name == "client uplink":
            out.append(Constraint("uplink per phone", v.required, v.available))
        else:
            out.append(v)
    return out


def ways_out(design, r) -> list[str]:
    """Single moves that clear every violation, each checked with the engine."""
    ways = []
    if design["context"] == "centralized":
        most = int(BUDGET // PHOTO_BYTES) // PHOTOS[2] * PHOTOS[2]
        if most >= PHOTOS[0]:
            ways.append(f"keep at most {most} photos per phone")
        fed = cases.act2(ACT2["compression"], design["link"], photos=design["photos"])
        if fed.feasible:
            ways.append("switch to Federated")
        else:
            ways.append("switch to Federated (and compress its updates)")
        return ways
    names = {v.name for v in r.violations}
    d = dict(design)

    def ok(**change) -> bool:
        return fed_result({**d, **change}).feasible

    if "client uplink" in names:
        for key in ACT2_OPTIONS[ACT2_OPTIONS.index(d["compression"]) + 1:]:
            if ok(compression=key):
                ways.append(f"compress updates to {COMPRESSION_SHORT[key]}")
                break
    if "accuracy" in names:
        need = cases.rounds_for(TARGET, max(r.reporting_per_round, 1e-9)) \
            if r.reporting_per_round > 0 else None
        if need is not None:
            need = -(-need // ROUND_STEP) * ROUND_STEP
            if need <= ROUNDS[1] and ok(rounds=need):
                ways.append(f"raise the rounds to {need}")
    if "clients reporting" in names:
        for minutes_ in range(d["deadline"] + 1, DEADLINE[1] + 1):
            if ok(deadline=minutes_):
                ways.append(f"allow {minutes_} minutes per round")
                break
        need = math.ceil(cases.ENGINE["overselection"] * d["k"] - 1e-9) / POP2
        step = PARTICIPATION[2]
        need = round(math.ceil(need / step - 1e-9) * step, 3)
        if need > d["part"] and need <= PARTICIPATION[1] and ok(part=need):
            ways.append(f"make {fmt.percent(need, 1)} of phones eligible")
        for key in LINKS:
            if key != d["link"] and ok(link=key):
                ways.append(f"use {LINK_LABELS[key]}")
                break
    return ways


def failure(ui, design, r):
    names = {v.name for v in r.violations}
    if design["context"] == "centralized":
        title = "Over the uplink budget: the photos do not fit"
        text = (f"{fmt.num(design['photos'])} photos at {mb(PHOTO_BYTES)} each are "
                f"{mb(r.per_client_b)} per phone, more than the {mb(BUDGET)} each may send. ")
    else:
        parts = []
        if "client uplink" in names:
            parts.append(
                f"Each phone reports {fmt.num(design['rounds'] * r.reporting_per_round / POP2, 3)} "
                f"times on average and sends "
                f"{mb(update_bytes(ACT2['model']) * COMPRESSIONS[design['compression']])} each "
                f"time: {mb(r.uplink_per_client.m_as('B'))}, above its {mb(BUDGET)}.")
        if "clients reporting" in names:
            wanted = math.ceil(cases.ENGINE["overselection"] * design["k"] - 1e-9)
            if r.selected_per_round < wanted:
                parts.append(
                    f"Only {fmt.num(r.available_clients)} phones are eligible, so the server "
                    f"selects {r.selected_per_round} instead of {wanted}; after dropouts "
                    f"{fmt.num(r.survivors_per_round)} remain, fewer than the "
                    f"{design['k']} reports the round needs.")
            elif r.reporting_per_round == 0:
                parts.append(
                    f"The fastest phone needs {minutes(r.fastest_client_time.m_as('s'))} to "
                    f"download, train and upload, longer than the {design['deadline']}-minute "
                    "deadline: no report ever arrives.")
            else:
                parts.append(
                    f"A phone needs at least {minutes(r.fastest_client_time.m_as('s'))} to "
                    f"download, train and upload; with stragglers, only "
                    f"{fmt.num(r.reporting_per_round)} of the {design['k']} reports arrive "
                    f"before the {design['deadline']}-minute deadline.")
        if "accuracy" in names:
            parts.append(
                f"{design['rounds']} rounds of {fmt.num(r.reporting_per_round)} reports reach "
                f"{acc(r.accuracy)} on the illustrative curve, short of {pct(TARGET)}.")
        first = next(n for n in ("client uplink", "clients reporting", "accuracy") if n in names)
        title = {"client uplink": "Over the uplink budget",
                 "clients reporting": "Too few reports: the rounds close short",
                 "accuracy": f"Below the {pct(TARGET)} accuracy target"}[first]
        if len(names) > 1:
            title += ", and more"
        text = " ".join(parts) + " "
    ways = ways_out(design, r)
    if ways:
        text += "To get out: " + ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + \
            ways[-1] + "."
    else:
        text += "No single control clears every constraint: fix them one at a time, in the order above."
    ui.failure(title, displayed(r.violations), text=text.strip(), key="act2.failure", show=show)


def uplink_figure(ui, design):
    photos, link = design["photos"], design["link"]
    central = cases.act2_centralized(link, photos)
    names = ["centralized: raw photos"]
    values = [central.per_client_b]
    for key in ACT2_OPTIONS:
        if design["context"] == "federated":
            res = fed_result({**design, "compression": key})
        else:
            res = cases.act2(key, link, photos=photos)
        names.append(f"federated, {COMPRESSION_SHORT[key]}")
        values.append(res.uplink_per_client.m_as("B"))
    colors = [plot.COLORS["bad"] if v > BUDGET else plot.COLORS["good"] for v in values]
    figure = {"data": [plot.bar(names, [v / 1e6 for v in values], colors,
                                text=[mb(v) for v in values])],
              "layout": plot.layout("What one phone uploads over the campaign", height=380,
                                    yaxis=plot.axis("MB per phone (log scale)", log=True),
                                    shapes=[plot.hline(BUDGET / 1e6, plot.COLORS["ink"], "dash")],
                                    annotations=[plot.note(1, math.log10(BUDGET / 1e6),
                                                           f"budget {mb(BUDGET)}", xref="paper",
                                                           xanchor="right", yshift=10)])}
    setting = ("with the round settings shown" if design["context"] == "federated"
               else f"with the default round settings ({ACT2['clients_per_round']} reports, "
                    f"{fmt.num(cases.act2_rounds())} rounds)")
    ui.figure(figure, key="act2.uplink", caption=(
        f"Per-phone upload with {photos} photos per phone on {LINK_LABELS[link]}, federated "
        f"{setting}: " + "; ".join(f"{n} {mb(v)}" for n, v in zip(names, values))
        + f". The budget is {mb(BUDGET)}."),
        table={"caption": "Upload per phone, by design",
               "columns": ["design", "upload per phone", f"within {mb(BUDGET)}"],
               "rows": [[n, mb(v), "yes" if v <= BUDGET else "no"]
                        for n, v in zip(names, values)]})


def accuracy_figure(ui, design, r):
    top = max(ROUNDS[1], design["rounds"])
    pts = cases.accuracy_curve(r.reporting_per_round, top, 51)
    xs = [p[0] for p in pts]
    ys = [p[1] * 100 for p in pts]
    traces = [
        plot.line(xs, ys, f"{fmt.num(r.reporting_per_round)} reports per round",
                  plot.COLORS["fleet"]),
        plot.points([design["rounds"]], [r.accuracy * 100], "your rounds",
                    plot.COLORS["bad"] if r.accuracy < TARGET else plot.COLORS["good"],
                    text=[acc(r.accuracy)]),
    ]
    figure = {"data": traces, "layout": plot.layout(
        "Accuracy against rounds (illustrative curve)", height=340, showlegend=True,
        legend={"orientation": "h", "y": -0.3},
        xaxis=plot.axis("rounds"), yaxis=plot.axis("accuracy (%)", range=[0, 100]),
        shapes=[plot.hline(TARGET * 100, plot.COLORS["ink"], "dash")],
        annotations=[plot.note(0, TARGET * 100, f"target {pct(TARGET)}", xref="paper",
                               xanchor="left", yshift=10)])}
    need = cases.rounds_for(TARGET, r.reporting_per_round) if r.reporting_per_round > 0 else None
    ui.figure(figure, key="act2.accuracy", caption=(
        f"The engine's illustrative FedAvg curve for {fmt.num(r.reporting_per_round)} reports "
        f"per round: {design['rounds']} rounds reach {acc(r.accuracy)} against the "
        f"{pct(TARGET)} target"
        + (f"; the target needs {fmt.num(need)} rounds." if need else
           "; with no reports the model never improves.")
        + " The curve's shape follows McMahan et al. 2017 and Bonawitz et al. 2019; its "
        "numbers are illustrative."),
        table={"caption": "Illustrative accuracy after a number of rounds",
               "columns": ["rounds", "accuracy"],
               "rows": [[fmt.num(x), pct(y / 100)] for x, y in zip(xs[::10], ys[::10])]})


def federated_metrics(ui, design, r):
    over = r.uplink_per_client.m_as("B") > BUDGET
    ui.metrics([
        Metric("Upload per phone", mb(r.uplink_per_client.m_as("B")),
               tone="danger" if over else "success", note=f"budget {mb(BUDGET)}"),
        Metric("Accuracy", acc(r.accuracy), tone="danger" if r.accuracy < TARGET else "success",
               note=f"target {pct(TARGET)}, illustrative"),
        Metric("Reports per round", fmt.num(r.reporting_per_round),
               tone="danger" if r.reporting_per_round < design["k"] - 1e-9 else None,
               note=f"{r.selected_per_round} selected, {fmt.num(r.survivors_per_round)} stay"),
        Metric("Fastest phone", minutes(r.fastest_client_time.m_as("s")),
               note="download + train + upload"),
        Metric("Round time", minutes(r.round_time.m_as("s")), tone="info",
               note=f"{fmt.num(r.dropped_stragglers)} stragglers cut"),
        Metric("Training time", minutes(r.total_time.m_as("s")),
               note=f"{design['rounds']} rounds"),
        Metric("Into the server", mb(r.upload_bytes.m_as("B")), note="all updates"),
    ], key="act2.metrics")


def centralized_metrics(ui, design, r):
    over = not r.feasible
    ui.metrics([
        Metric("Upload per phone", mb(r.per_client_b), tone="danger" if over else "success",
               note=f"budget {mb(BUDGET)}"),
        Metric("One phone's upload", minutes(r.upload_s), tone="info",
               note=LINK_LABELS[design["link"]]),
        Metric("Into the datacenter", mb(r.total_b), note=phones(POP2)),
        Metric("Accuracy", acc(r.accuracy), tone="success",
               note="the curve's ceiling: pooled data, illustrative"),
    ], key="act2.metrics")


def both_contexts_table(ui, design):
    photos, link = design["photos"], design["link"]
    c = cases.act2_centralized(link, photos)
    if design["context"] == "federated":
        f = fed_result(design)
        fed_label = (f"Federated ({COMPRESSION_SHORT[design['compression']]}, {design['k']} "
                     f"reports, {design['rounds']} rounds)")
    else:
        f = cases.act2(ACT2["compression"], link, photos=photos)
        fed_label = "Federated (default round settings)"
    rows = [
        ["Centralized", mb(c.per_client_b), acc(c.accuracy),
         "within budget" if c.feasible else "over budget"],
        [fed_label, mb(f.uplink_per_client.m_as("B")), acc(f.accuracy),
         "meets both" if f.feasible else
         ", ".join(sorted({"over budget" if v.name == "client uplink" else
                           "too few reports" if v.name == "clients reporting" else
                           "below target" for v in f.violations}))],
    ]
    ui.table(f"The same pilot both ways ({photos} photos per phone, {LINK_LABELS[link]})",
             ["design", "upload per phone", "accuracy", "verdict"], rows, key="act2.contexts")


def act2_reflection(ui):
    k = 20
    r = cases.act2("fp32", clients_per_round=k)
    names = {v.name for v in r.violations}
    budget_ok = "client uplink" not in names
    target_ok = "accuracy" not in names
    correct = {(True, True): "A", (True, False): "B", (False, True): "C",
               (False, False): "D"}[(budget_ok, target_ok)]
    need = cases.act2_rounds(k)
    at_need = cases.act2("fp32", clients_per_round=k, rounds=need)
    fact = (f"With {k} reports per round each phone uploads "
            f"{mb(r.uplink_per_client.m_as('B'))} at 32 bits, and {fmt.num(cases.act2_rounds())} "
            f"rounds reach {acc(r.accuracy)}: fewer reports per round make each round teach "
            f"less. At {need} rounds the target is met with {mb(at_need.uplink_per_client.m_as('B'))} "
            "per phone.")
    ui.reflection(
        "act2.reflection",
        f"Instead of compressing, cut the reports per round from {ACT2['clients_per_round']} "
        f"to {k}, keep 32-bit updates and {fmt.num(cases.act2_rounds())} rounds. What happens?",
        {
            "A": ("It meets both the budget and the target",
                  ("Right. " if correct == "A" else "") + fact),
            "B": ("It fits the budget but misses the accuracy target",
                  ("Right. " if correct == "B" else "") + fact + " Fewer phones per round is "
                  "a real lever on bytes, paid for in rounds and time."),
            "C": ("It meets the target but still breaks the budget",
                  ("Right. " if correct == "C" else "") + fact + " Each phone now reports a "
                  "fifth as often."),
            "D": ("It breaks both",
                  ("Right. " if correct == "D" else "") + fact + " Only the accuracy suffers."),
        }, correct=correct)


def mathpeek_design(design, r) -> str:
    u = update_bytes(ACT2["model"])
    if design["context"] == "centralized":
        d = r.per_client_b
        return (
            "Centralized, a phone uploads its data once:\n\n"
            r"$$B_{\text{phone}} = n\,s \qquad t_{\text{up}} = \frac{n\,s}{b_{\text{up}}}$$"
            "\n\n| symbol | meaning | value |\n| --- | --- | --- |\n"
            f"| $n$ | photos per phone | {design['photos']} |\n"
            f"| $s$ | one photo at ImageNet size | {mb(PHOTO_BYTES)} |\n"
            f"| $b_{{\\text{{up}}}}$ | uplink, {LINK_LABELS[design['link']]} | "
            f"{fmt.si(LINKS[design['link']].bandwidth.m_as('B/s'), 'B/s')} |\n\n"
            f"$B_{{\\text{{phone}}}}$ = **{mb(d)}** against a budget of {mb(BUDGET)}; "
            f"$t_{{\\text{{up}}}}$ = {minutes(r.upload_s)}. The federated design's upload "
            "does not depend on $n$ at all: it sends updates, not photos.")
    link = LINKS[design["link"]]
    c = COMPRESSIONS[design["compression"]]
    m = int(round(r.survivors_per_round))
    goal = min(design["k"], m)
    gap = cases.harmonic_gap(m, goal) if goal else 0.0
    return (
        "One phone's upload over the campaign, the time a round takes to collect its reports, "
        "and the illustrative accuracy:\n\n"
        r"$$B_{\text{phone}} = \frac{R\,K_{\text{rep}}}{P}\,c\,U \qquad "
        r"t_0 = \frac{U}{b_{\text{down}}} + t_{\text{train}} + \frac{c\,U}{b_{\text{up}}} \qquad "
        r"t_{\text{round}} = \min\!\left(t_0 + \theta\,(H_M - H_{M-K}),\ D\right)$$" "\n\n"
        "| symbol | meaning | value |\n| --- | --- | --- |\n"
        f"| $R$ | rounds | {design['rounds']} |\n"
        f"| $K_{{\\text{{rep}}}}$ | reports that arrive per round (goal $K$ = {design['k']}) | "
        f"{fmt.num(r.reporting_per_round)} |\n"
        f"| $P$ | phones in the pilot | {fmt.num(POP2)} |\n"
        f"| $c\\,U$ | one update: {fmt.num(c, 3)} × {mb(u)} | {mb(c * u)} |\n"
        f"| $b_{{\\text{{down}}}}$, $b_{{\\text{{up}}}}$ | {LINK_LABELS[design['link']]} | "
        f"{fmt.si(link.downlink.m_as('B/s'), 'B/s')}, {fmt.si(link.bandwidth.m_as('B/s'), 'B/s')} |\n"
        f"| $t_{{\\text{{train}}}}$ | one pass over {design['photos']} photos on the phone | "
        f"{fmt.duration(cases.local_compute_s(ACT2['model'], design['photos']))} |\n"
        f"| $M$ | phones still working: {r.selected_per_round} selected × "
        f"(1 − {fmt.percent(cases.ENGINE['dropout'], 0)}) | {fmt.num(r.survivors_per_round)} |\n"
        f"| $\\theta$ | mean extra time of a straggler (illustrative) | {fmt.duration(STRAGGLER_S)} |\n"
        f"| $D$ | deadline | {design['deadline']} min |\n\n"
        f"$B_{{\\text{{phone}}}}$ = **{mb(r.uplink_per_client.m_as('B'))}** (budget "
        f"{mb(BUDGET)}); $t_0$ = {minutes(r.fastest_client_time.m_as('s'))}; "
        f"$H_M - H_{{M-K}}$ = {fmt.num(gap, 3)}; the round closes after "
        f"{minutes(r.round_time.m_as('s'))}. Accuracy "
        r"$a(R) = a_{\max}\,(1 - e^{-R\,s(K_{\text{rep}})/\tau})$ "
        f"(illustrative, $a_{{\\max}}$ = {pct(cases.ENGINE['curve']['max_accuracy'])}, "
        f"$\\tau$ = {fmt.num(cases.ENGINE['curve']['tau_rounds'])} rounds; $s(K)$, the "
        f"speed-up of a round with $K$ reports, rises from 1 towards "
        f"{fmt.num(cases.ENGINE['curve']['s_max'])} with diminishing returns) gives "
        f"**{acc(r.accuracy)}** against {pct(TARGET)}.\n\n"
        "$B_{\\text{phone}}$ is an average: selection is random, so some phones report more "
        "often than others, and a production system also caps how often one phone may take "
        "part.")


def closing(ui):
    r1, _ = act1_truth()
    results, correct = act2_truth()
    best = results[ACT2_OPTIONS["ABCD".index(correct)]]
    with ui.section("Connections"):
        ui.markdown(
            "- @sec-v2-edge-intelligence-break-even derives when federated learning uploads "
            "less than the data; @sec-v2-edge-intelligence-compression lists what compressed "
            "updates cost; @sec-v2-edge-intelligence-stragglers explains the round's close.\n"
            "- Volume I's @sec-data-engineering-gravity moved data to compute; "
            "@sec-training-on-device showed what fine-tuning costs on one phone.\n"
            "- Next, Lab 12 (@sec-v2-ops-scale) composes service-level objectives across a "
            "fleet and meets cascading failures.\n"
            "- TinyTorch, Module 15 (Quantization): the quantizer you write there is what "
            "turns a 32-bit update into an 8-bit one.")
    with ui.section("Key takeaways"):
        ui.markdown(
            f"1. Federated learning uploads rounds × reports × update, whatever the phones "
            f"hold: for {MODEL_NAMES[ACT1['model']]} on message text that is "
            f"{fmt.num(r1.upload_vs_raw)} times the raw text. It keeps data home; it does not "
            "always save bytes.\n"
            f"2. A phone's share is rounds × reports ÷ population updates: in the pilot, "
            f"{COMPRESSION_SHORT[ACT2_OPTIONS['ABCD'.index(correct)]]} updates bring it to "
            f"{mb(best.uplink_per_client.m_as('B'))} under a {mb(BUDGET)} budget.\n"
            "3. Rounds close on the slowest reports they wait for: deadlines, eligibility and "
            "over-selection decide how many arrive, and secure aggregation needs enough of "
            "them.")


def save_to_ledger(ui, context, pred1, pred2, design):
    """One entry per lab (LAB_PROTOCOL "Design Ledger"); the runtime adds completed_at."""
    r1, _ = act1_truth()
    r = design["result"]
    if context == "federated":
        decision = (f"Federated: {COMPRESSION_SHORT[design['compression']]} updates, "
                    f"{design['k']} reports per round, {design['rounds']} rounds, "
                    f"{design['deadline']}-minute deadline, {pct(design['part'])} eligible, "
                    f"{LINK_LABELS[design['link']]}")
        per = r.uplink_per_client.m_as("B")
    else:
        decision = (f"Centralized: {design['photos']} photos per phone uploaded over "
                    f"{LINK_LABELS[design['link']]}")
        per = r.per_client_b
    entry = ledger.make_entry(
        LAB.ledger_key, context, pred1,
        (bands.log_middle(ACT1_BANDS, pred1.value), r1.upload_vs_raw), pred2,
        decision=decision, result=per / 1e6, unit="MB", constraint_hit=not r.feasible)
    ui.ledger(entry, ledger.summary(
        CONTEXT_LABELS[context], pred1, pred2, ("Design", decision),
        ("Upload per phone", mb(per))))

"""The cases Chapter 27 (book/vol2/edge_intelligence.qmd) and Lab 11 both compute, in one place.

Federated averaging (McMahan et al. 2017) on a population of phones: every round the server
sends the model to the phones it selects, each trains on its own data and uploads an update the
size of the model (times a compression factor). The engine's FederatedRoundModel gives the
bytes, the round time with dropout and stragglers (Bonawitz et al. 2019) and an ILLUSTRATIVE
accuracy curve; the centralized alternative uploads each phone's raw data once and trains in
the datacenter. The chapter evaluates these at build time and the lab in the reader's browser,
so a number the chapter states and the lab shows come from the same call.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Systems
from mlsysim.core.constants import Q_, bytes_per_element
from mlsysim.core.results import Constraint
from mlsysim.core.solver import FederatedRoundModel, LinkTransferModel, TrainingTimeModel
from mlsysim.resolvers.federated import DROPOUT, FEDAVG_CURVE, OVERSELECTION, fedavg_accuracy

from labs.vol1.data_engineering_cases import JPEG_BYTES

# ---- the machines, links and models ---------------------------------------------------------
#: The phone each client is (the Mobile context of Volume I) and the access links it uploads
#: over: median measured rates (Opensignal 2019, Ookla 2021 and 2023; the registry cites them).
PHONE = Hardware.Mobile.A17Pro
LINKS = {"lte": Systems.Links.LTE, "5g": Systems.Links.FiveG, "wifi": Systems.Links.WiFi}
MODELS = {"mobilenetv2": Models.MobileNetV2, "resnet50": Models.ResNet50,
          "bert_base": Models.BERT_Base}
#: Updates are differences of FP32 weights (the precision phones train in here); a compressed
#: update is a fraction of that size.
UPDATE_PRECISION = "fp32"
#: A photo as training data: resized to ImageNet size and stored as JPEG, about 116 kB (Volume
#: I's estimate from the ImageNet training set, data_engineering_cases.JPEG_BYTES).
PHOTO_BYTES = JPEG_BYTES.m_as("B")


def _fraction(precision: str) -> float:
    return (bytes_per_element(precision) / bytes_per_element(UPDATE_PRECISION)).m_as("")


#: Update compression (Konečný et al. 2016): the size of an update relative to FP32. Quantizing
#: each value to 16 or 8 bits, and a "random mask" structured update that sends 8-bit values
#: for a random 10% of the weights, chosen by a seed the server knows (no indices sent).
MASK_KEPT = 0.10
COMPRESSIONS = {"fp32": 1.0, "fp16": _fraction("fp16"), "int8": _fraction("int8"),
                "mask_int8": MASK_KEPT * _fraction("int8")}

# ---- scenario constants (illustrative; the chapter and the lab say so) ----------------------
#: Mean extra time a client takes beyond the fastest (busy phone, weak signal): the theta of the
#: engine's shifted-exponential straggler model. Illustrative.
STRAGGLER_S = 60.0
#: Local training runs at this fraction of the phone NPU's FP16 peak. Illustrative: phone
#: accelerators are built for inference, and training reaches a small share of their peak.
PHONE_MFU = 0.10
#: The goal count of reports per round: Bonawitz et al. 2019 (Sec. 9) find "a few hundred"
#: devices per round sufficient; the scenarios use 100.
CLIENTS_PER_ROUND = 100
#: Accuracy the product needs, on the engine's illustrative FedAvg curve (ceiling 90%).
TARGET = 0.85


def rounds_for(target: float, reporting: float) -> int:
    """Fewest rounds whose illustrative FedAvg accuracy reaches ``target`` with ``reporting``
    reports per round (the engine's curve)."""
    rounds = 1
    while fedavg_accuracy(rounds, reporting) < target:
        rounds += 1
        if rounds > 100_000:
            raise ValueError(f"{target} is above the curve's ceiling")
    return rounds


def update_bytes(model: str) -> float:
    """One uncompressed update: the model's weights at FP32."""
    return MODELS[model].size_in_bytes(UPDATE_PRECISION).m_as("B")


@lru_cache(maxsize=64)
def local_compute_s(model: str, examples: int) -> float:
    """One local epoch over ``examples`` on the phone (3 x forward FLOP each, engine)."""
    r = TrainingTimeModel().solve(model=MODELS[model], hardware=PHONE, steps=1,
                                  batch_size=examples, mfu=PHONE_MFU, precision="fp16")
    return r.total_time.m_as("s")


# ---- the lab's and the chapter's scenarios ----------------------------------------------------
#: Act I: BERT-Base fine-tuned on message text across a million phones (the model Volume I
#: fine-tunes on one phone, @sec-training-on-device). Population and text per phone are
#: illustrative: 3 MB of plain text is some 500,000 words.
ACT1 = {"model": "bert_base", "population": 1_000_000, "data_b": 3e6, "link": "lte",
        "clients_per_round": CLIENTS_PER_ROUND, "target": TARGET}
#: Act II: a ResNet-50 photo classifier trained across a pilot of 20,000 phones, each allowed
#: to spend at most 50 MB of uplink on training over the whole campaign. All illustrative.
ACT2 = {"model": "resnet50", "population": 20_000, "budget_b": 50e6, "link": "lte",
        "clients_per_round": CLIENTS_PER_ROUND, "target": TARGET, "deadline_min": 10,
        "participation": 0.10, "photos": 300, "compression": "fp32"}
#: The chapter's example: a MobileNetV2 photo classifier across 100,000 phones with 500 photos
#: each, trained to 80% on the illustrative curve; its compression example is a 5,000-phone
#: pilot with a 50 MB budget. All illustrative.
CHAPTER = {"model": "mobilenetv2", "population": 100_000, "photos": 500, "link": "lte",
           "clients_per_round": CLIENTS_PER_ROUND, "target": 0.80, "deadline_min": 10,
           "participation": 0.10, "pilot": 5_000, "budget_b": 50e6}


@lru_cache(maxsize=4096)
def federated(model: str, link: str, compression: str, clients_per_round: int, rounds: int,
              population: int, data_b: float, budget_b: float | None = None,
              target: float | None = None, deadline_s: float | None = None,
              participation: float = 1.0, examples: int | None = None):
    """The engine's federated rounds for one design (FederatedRoundModel, with its dropout and
    over-selection from Bonawitz et al. 2019 and the illustrative straggler delay)."""
    up = LINKS[link]
    local = local_compute_s(model, examples) if examples else None
    return FederatedRoundModel().solve(
        model_bytes=Q_(update_bytes(model), "B"), rounds=rounds,
        clients_per_round=clients_per_round, downlink=up.downlink, uplink=up.bandwidth,
        compression=COMPRESSIONS[compression],
        local_compute_time=None if local is None else Q_(local, "s"),
        clients=population, participation=participation,
        deadline=None if deadline_s is None else Q_(deadline_s, "s"),
        straggler_delay=Q_(STRAGGLER_S, "s"), data_bytes=Q_(data_b, "B"),
        byte_budget=None if budget_b is None else Q_(budget_b, "B"),
        target_accuracy=target)


@dataclass(frozen=True)
class Centralized:
    """Every phone uploads its raw data once; the datacenter trains on the pool."""

    per_client_b: float       # raw bytes one phone uploads
    total_b: float            # bytes into the datacenter
    upload_s: float           # one phone's upload time on its link (engine)
    accuracy: float           # the illustrative curve's ceiling: pooled, IID training
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations


@lru_cache(maxsize=512)
def centralized(link: str, population: int, data_b: float,
                budget_b: float | None = None) -> Centralized:
    t = LinkTransferModel().solve(message_bytes=Q_(data_b, "B"), link=LINKS[link]).time
    violations = ()
    if budget_b is not None and data_b > budget_b:
        violations = (Constraint("client uplink", Q_(data_b, "B"), Q_(budget_b, "B")),)
    return Centralized(per_client_b=data_b, total_b=data_b * population,
                       upload_s=t.m_as("s"), accuracy=FEDAVG_CURVE["max_accuracy"],
                       violations=violations)


# ---- named cases ---------------------------------------------------------------------------
def act1_rounds() -> int:
    return rounds_for(ACT1["target"], ACT1["clients_per_round"])


def act1(compression: str = "fp32", population: int | None = None):
    """Act I's federated run (no deadline, every round closes with its goal of reports)."""
    return federated(ACT1["model"], ACT1["link"], compression, ACT1["clients_per_round"],
                     act1_rounds(), population or ACT1["population"], ACT1["data_b"])


#: The lab's rounds slider moves in steps of this many rounds.
ROUND_STEP = 10


def act2_rounds(clients_per_round: int = ACT2["clients_per_round"]) -> int:
    """Rounds to reach Act II's target, rounded up to the lab slider's step."""
    r = rounds_for(ACT2["target"], clients_per_round)
    return -(-r // ROUND_STEP) * ROUND_STEP


def act2(compression: str = "fp32", link: str = ACT2["link"],
         clients_per_round: int = ACT2["clients_per_round"], rounds: int | None = None,
         deadline_min: float = ACT2["deadline_min"],
         participation: float = ACT2["participation"], photos: int = ACT2["photos"]):
    """An Act II federated design (defaults: the prediction's case)."""
    return federated(ACT2["model"], link, compression, clients_per_round,
                     rounds or act2_rounds(), ACT2["population"], photos * PHOTO_BYTES,
                     ACT2["budget_b"], ACT2["target"], deadline_min * 60.0, participation,
                     photos)


def act2_centralized(link: str = ACT2["link"], photos: int = ACT2["photos"]) -> Centralized:
    return centralized(link, ACT2["population"], photos * PHOTO_BYTES, ACT2["budget_b"])


def chapter_rounds() -> int:
    return rounds_for(CHAPTER["target"], CHAPTER["clients_per_round"])


def chapter(compression: str = "fp32", population: int | None = None,
            budget_b: float | None = None, deadline_min: float | None = None,
            link: str | None = None):
    """The chapter's MobileNetV2 run (optionally the pilot, a budget or a deadline)."""
    return federated(CHAPTER["model"], link or CHAPTER["link"], compression,
                     CHAPTER["clients_per_round"], chapter_rounds(),
                     population or CHAPTER["population"], CHAPTER["photos"] * PHOTO_BYTES,
                     budget_b, None, None if deadline_min is None else deadline_min * 60.0,
                     CHAPTER["participation"], CHAPTER["photos"])


def chapter_centralized(population: int | None = None) -> Centralized:
    return centralized(CHAPTER["link"], population or CHAPTER["population"],
                       CHAPTER["photos"] * PHOTO_BYTES)


def accuracy_curve(reporting: float, rounds_max: int, points: int = 61):
    """(rounds, illustrative accuracy) for ``reporting`` reports per round."""
    step = max(1, rounds_max // (points - 1))
    return [(r, fedavg_accuracy(r, reporting)) for r in range(0, rounds_max + 1, step)]


def harmonic_gap(survivors: int, goal: int) -> float:
    """H_M - H_{M-K}: the straggler multiplier of the engine's round-close time."""
    return sum(1.0 / i for i in range(survivors - goal + 1, survivors + 1))


ENGINE = {"dropout": DROPOUT, "overselection": OVERSELECTION, "curve": FEDAVG_CURVE}

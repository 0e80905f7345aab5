"""The cases Volume II's Chapter 31 (book/vol2/sustainable_ai.qmd) and its Lab 15 both compute.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics is the
engine's: EnergyCarbonModel (energy = devices x power x time x PUE; carbon = energy x grid
intensity), EmbodiedCarbonModel (manufacturing carbon amortised over a service life),
JevonsReboundModel (efficiency gain g with demand elasticity e: energy x g^(e-1)),
CarbonAwareScheduleModel (a job's carbon over the hours it runs on an hourly intensity
profile, the best start within a deadline) and TrainingTimeModel (C = 6ND at a fraction of
peak). This module fixes which grids, fleets, jobs and budgets a case means, and declares the
constants the engine does not hold, each with its source.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (CarbonAwareScheduleModel, EmbodiedCarbonModel,
                                 EnergyCarbonModel, JevonsReboundModel, TrainingTimeModel)
from mlsysim.resolvers.economics import DEFAULT_LIFETIME_YEARS, DEFAULT_PUE
from mlsysim.resolvers.sustainability import HOURLY_PROFILES

# ---- the hardware ----------------------------------------------------------------------------
#: Every fleet here is built of the registry's DGX H100 node: 8 H100 SXM, 700 W TDP each.
NODE = Systems.Nodes.DGX_H100
GPU = NODE.hardware
GPUS_PER_NODE = NODE.accelerators
#: Power usage effectiveness: the engine's default (an efficient facility, 1.2; the Uptime
#: Institute's 2023 survey average is 1.58, hyperscale operators report about 1.1).
PUE = DEFAULT_PUE
#: Service life over which embodied carbon is amortised: the engine's default (4 years).
LIFETIME_YEARS = DEFAULT_LIFETIME_YEARS
HOURS_PER_YEAR = 365.25 * 24

#: Embodied (manufacturing) carbon. Luccioni, Viguier & Ligozat 2023, "Estimating the Carbon
#: Footprint of BLOOM, a 176B Parameter Language Model", JMLR 24(253), Sec. 4.1: about 150 kg
#: CO2e per GPU and about 2,500 kg CO2e per server node without its GPUs (HPE Apollo 6500
#: Gen10 Plus nodes with 8 A100 each; 11.2 t for BLOOM's 1.08 M GPU-hours over a 6-year life
#: at 85% use). No manufacturer figure for a DGX H100 was used: these A100-era estimates stand
#: in for it, an ESTIMATE.
EMBODIED_GPU_KG = 150.0
EMBODIED_SERVER_KG = 2500.0
#: BLOOM's own accounting (same paper, Table 1 and Sec. 4.1), for the chapter's check.
BLOOM_GPU_HOURS = 1_082_990
BLOOM_GPUS = 384           # 48 nodes of 8 A100 80 GB on the Jean Zay cluster
BLOOM_LIFETIME_YEARS = 6.0
BLOOM_USE = 0.85
BLOOM_EMBODIED_T = 11.2
BLOOM_DYNAMIC_T = 24.7
BLOOM_GRID_G = 57          # gCO2e/kWh the paper used for the French grid


def embodied_per_gpu_kg() -> float:
    """One GPU's share of its node's manufacturing carbon: the GPU and 1/8 of the server."""
    return EMBODIED_GPU_KG + EMBODIED_SERVER_KG / GPUS_PER_NODE


# ---- the two contexts: where the fleet's electricity comes from ------------------------------
#: Coal grid: India, 713 gCO2e/kWh in 2023 (Ember via Our World in Data, registry value), about
#: three quarters of its electricity from coal. Renewable grid: Norway, 30 gCO2e/kWh (same
#: source), almost all hydropower.
GRID_KEYS = {"coal_grid": "India", "renewable_grid": "Norway"}
GRIDS = {ctx: getattr(Systems.Grids, key) for ctx, key in GRID_KEYS.items()}
#: The engine's ILLUSTRATIVE hourly shapes (HOURLY_PROFILES): a coal-dominated grid swings about
#: +-10 % over a day; a hydro grid dispatches its reservoirs to follow demand, so its intensity
#: is taken as flat.
PROFILES = {"coal_grid": "coal", "renewable_grid": "flat"}


# ---- Act I: the Jevons paradox on a serving fleet --------------------------------------------
#: A serving fleet of 128 DGX H100 nodes. ILLUSTRATIVE scenario size.
SERVING_GPUS = 1024
#: Average draw as a share of TDP across a day of serving. ILLUSTRATIVE.
SERVING_UTILIZATION = 0.6
#: How much the queries grow in the year after the change. ILLUSTRATIVE (a product forecast).
DEMAND_GROWTH = 3.0
#: Act I's efficiency change: serving at FP8 instead of FP16 on the same H100s. The gain in work
#: per joule is the ratio of the registry's dense peaks at the same power (a compute-bound
#: best case; decode is memory-bound, and FP8 halves its bytes too).
ACT1_PRECISIONS = ("fp16", "fp8")


def efficiency_gain() -> float:
    """Work per joule after / before: the H100's FP8 peak over its FP16 peak at one TDP."""
    return (GPU.compute.peak(ACT1_PRECISIONS[1]) / GPU.compute.peak(ACT1_PRECISIONS[0])).m_as("")


def elasticity(gain: float, demand: float) -> float:
    """The constant price elasticity that turns a gain g into demand growth d: d = g^e."""
    return math.log(demand) / math.log(gain)


@lru_cache(maxsize=64)
def jevons(gain: float, demand: float):
    """JevonsReboundModel for a gain ``gain`` that drew demand growth ``demand``."""
    return JevonsReboundModel().solve(efficiency_gain=gain, elasticity=elasticity(gain, demand))


def act1_jevons():
    return jevons(efficiency_gain(), DEMAND_GROWTH)


@lru_cache(maxsize=8)
def serving_year(context: str):
    """A year of the serving fleet before the change, on the context's grid (annual mean)."""
    return EnergyCarbonModel().solve(duration=Q_(HOURS_PER_YEAR, "hour"), hardware=GPU,
                                     devices=SERVING_GPUS, utilization=SERVING_UTILIZATION,
                                     pue=PUE, grid=GRIDS[context])


# ---- Act II: a deferrable nightly job, scheduled in time and placed by grid ------------------
#: The nightly job: continued training of Llama 3 8B on each day's new data. ILLUSTRATIVE
#: size: 20 billion tokens a night, BF16, at the engine's default MFU (0.40, an estimate).
JOB_MODEL = Models.Llama3_8B
JOB_TOKENS = 20e9
JOB_PRECISION = "bf16"
#: The day's data lands at 18:00; the refreshed model must be serving before the next day's
#: data lands, 24 hours later (the job runs daily, so a late run collides with the next one).
#: ILLUSTRATIVE scenario constants.
SUBMIT_HOUR = 18
SLA_HOURS = 24
#: The team's carbon budget per run, operational + embodied. ILLUSTRATIVE scenario constant.
CARBON_TARGET_KG = 400.0
#: The controls: DGX H100 nodes (min, max, step, default) and hours of delay after 18:00.
NODES = (4, 64, 4, 16)
DELAY = (0, 23, 1, 0)


@lru_cache(maxsize=64)
def job_time(nodes: int):
    """TrainingTimeModel: 6ND for the night's tokens on ``nodes`` DGX H100 at the default MFU."""
    return TrainingTimeModel().solve(model=JOB_MODEL, hardware=GPU, steps=1,
                                     batch_size=JOB_TOKENS, precision=JOB_PRECISION,
                                     devices=nodes * GPUS_PER_NODE)


def clock(hour: float) -> str:
    """A time of day, 18.75 -> '18:45'."""
    minutes = round((hour % 24) * 60)
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Design:
    context: str
    nodes: int
    delay: int                 # hours after the data lands
    hours: float               # the job's run time
    start_hour: float          # clock hour it starts
    energy_kwh: float          # facility energy (with PUE)
    operational_kg: float
    embodied_kg: float
    best_delay: float          # the start within the SLA that emits least (hours after 18:00)
    best_operational_kg: float
    hourly: tuple              # 24 intensities, gCO2e/kWh, hour 0-23
    violations: tuple

    @property
    def gpus(self) -> int:
        return self.nodes * GPUS_PER_NODE

    @property
    def total_kg(self) -> float:
        return self.operational_kg + self.embodied_kg

    @property
    def best_total_kg(self) -> float:
        return self.best_operational_kg + self.embodied_kg

    @property
    def saving(self) -> float:
        """Share of the whole run's carbon (operational + embodied) saved by starting at the
        best hour within the SLA instead of on arrival (delay 0)."""
        on_arrival = design(self.context, self.nodes, 0)
        return 1.0 - self.best_total_kg / on_arrival.total_kg

    @property
    def finish_after(self) -> float:
        return self.delay + self.hours

    @property
    def feasible(self) -> bool:
        return not self.violations

    def violation(self, name: str):
        return next((v for v in self.violations if v.name == name), None)

    @property
    def mean_intensity(self) -> float:
        """Average gCO2e/kWh over the hours the job runs."""
        return self.operational_kg * 1000 / self.energy_kwh


CARBON_NAME = "carbon per run (operational + embodied)"


@lru_cache(maxsize=512)
def design(context: str, nodes: int, delay: int) -> Design:
    """The nightly job on ``nodes`` nodes, started ``delay`` hours after the data lands, on the
    context's grid: CarbonAwareScheduleModel for its operational carbon and the SLA (the
    engine's deadline check, with the hours left before the SLA as the deadline),
    EmbodiedCarbonModel for its share of the hardware's manufacturing carbon, and the team's
    carbon budget checked against their sum."""
    hours = job_time(nodes).hours
    gpus = nodes * GPUS_PER_NODE
    common = dict(duration=Q_(hours, "hour"), hardware=GPU, devices=gpus, pue=PUE,
                  grid=GRIDS[context], profile=PROFILES[context])
    at = CarbonAwareScheduleModel().solve(start_hour=(SUBMIT_HOUR + delay) % 24,
                                          deadline=Q_(SLA_HOURS - delay, "hour"), **common)
    best = CarbonAwareScheduleModel().solve(start_hour=SUBMIT_HOUR,
                                            deadline=Q_(SLA_HOURS, "hour"), **common)
    emb = EmbodiedCarbonModel().solve(embodied_carbon=Q_(embodied_per_gpu_kg(), "kgCO2e"),
                                      duration=Q_(hours, "hour"), devices=gpus,
                                      lifetime=Q_(LIFETIME_YEARS, "year"))
    op = at.carbon.m_as("kgCO2e")
    emb_kg = emb.amortized.m_as("kgCO2e")
    violations = list(at.violations)
    if op + emb_kg > CARBON_TARGET_KG:
        violations.append(Constraint(CARBON_NAME, Q_(op + emb_kg, "kgCO2e"),
                                     Q_(CARBON_TARGET_KG, "kgCO2e")))
    # A flat grid has no better hour: keep the arrival start rather than float noise.
    best_delay = (best.best_start_hour - SUBMIT_HOUR) % 24 if best.saving > 1e-9 else 0.0
    best_op = best.best_carbon.m_as("kgCO2e") if best.saving > 1e-9 else best.carbon.m_as("kgCO2e")
    return Design(context=context, nodes=nodes, delay=delay, hours=hours,
                  start_hour=(SUBMIT_HOUR + delay) % 24, energy_kwh=at.energy.m_as("kWh"),
                  operational_kg=op, embodied_kg=emb_kg, best_delay=best_delay,
                  best_operational_kg=best_op, hourly=tuple(at.hourly_g_per_kwh),
                  violations=tuple(violations))


def act2_case() -> Design:
    """Act II's prediction: the default job (16 nodes) on the coal grid."""
    return design("coal_grid", NODES[3], 0)


# ---- the chapter's worked examples (not the lab's cases) -------------------------------------
#: The chapter's training run: Llama 3 70B on 15 trillion tokens (Llama Team 2024: "over 15T
#: tokens") on the registry's frontier-scale cluster, 1,024 DGX H100 nodes.
CHAPTER_CLUSTER = Systems.Clusters.Frontier_8K
CHAPTER_MODEL = Models.Llama3_70B
CHAPTER_TOKENS = 15e12
#: Meta's Llama 3 model card (github.com/meta-llama/llama3, MODEL_CARD.md, "Training Energy
#: Use"): Llama 3 70B took 6.4 M H100-80GB GPU-hours at 700 W TDP and emitted an estimated
#: 1,900 tCO2e (location-based; the card says 100 % was offset).
META_70B_GPU_HOURS = 6.4e6
META_70B_T = 1900.0
#: Uptime Institute, Global Data Center Survey 2023: the average PUE its respondents reported.
SURVEY_PUE = 1.58
#: The chapter's serving fleet, to set a training run against a year of inference: 4,096 H100
#: drawing half their TDP on average. ILLUSTRATIVE (not the lab's fleet).
CHAPTER_SERVING_GPUS = 4096
CHAPTER_SERVING_UTILIZATION = 0.5
#: The grids the chapter compares the run on (registry, Ember 2023 via OWID).
CHAPTER_GRIDS = ("Norway", "France", "Brazil", "Canada", "US", "Germany", "World",
                 "Australia", "China", "Poland", "India")
#: The chapter's scheduling example: an 8-node (64-GPU) job of 6 hours on a solar-heavy grid
#: (Australia's 2023 mean with the engine's ILLUSTRATIVE solar 'duck' shape), released at
#: 20:00 with 24 hours to finish; and the same job on Poland's and France's grids (flat).
SCHED_NODES = 8
SCHED_HOURS = 6.0
SCHED_RELEASE = 20
SCHED_GRID = "Australia"


@lru_cache(maxsize=1)
def chapter_time():
    return TrainingTimeModel().solve(model=CHAPTER_MODEL, hardware=GPU, steps=1,
                                     batch_size=CHAPTER_TOKENS,
                                     devices=CHAPTER_CLUSTER.total_accelerators)


@lru_cache(maxsize=16)
def chapter_run(grid: str, pue: float = PUE):
    """The chapter's training run on ``grid``: energy and operational carbon (TDP, PUE)."""
    return EnergyCarbonModel().solve(duration=Q_(chapter_time().hours, "hour"), hardware=GPU,
                                     devices=CHAPTER_CLUSTER.total_accelerators, pue=pue,
                                     grid=getattr(Systems.Grids, grid))


@lru_cache(maxsize=1)
def chapter_serving_year():
    """A year of the chapter's serving fleet on the world-average grid."""
    return EnergyCarbonModel().solve(duration=Q_(HOURS_PER_YEAR, "hour"), hardware=GPU,
                                     devices=CHAPTER_SERVING_GPUS,
                                     utilization=CHAPTER_SERVING_UTILIZATION, pue=PUE,
                                     grid=Systems.Grids.World)


@lru_cache(maxsize=1)
def chapter_embodied():
    return EmbodiedCarbonModel().solve(
        embodied_carbon=Q_(embodied_per_gpu_kg(), "kgCO2e"),
        duration=Q_(chapter_time().hours, "hour"), devices=CHAPTER_CLUSTER.total_accelerators,
        lifetime=Q_(LIFETIME_YEARS, "year"))


@lru_cache(maxsize=1)
def bloom_embodied():
    """BLOOM's embodied carbon recomputed: 1.08 M GPU-hours on 384 GPUs, each GPU carrying
    its own 150 kg and 1/8 of a 2,500 kg server, over 85 % of a 6-year life."""
    return EmbodiedCarbonModel().solve(
        embodied_carbon=Q_(embodied_per_gpu_kg(), "kgCO2e"), devices=BLOOM_GPUS,
        duration=Q_(BLOOM_GPU_HOURS / BLOOM_GPUS, "hour"),
        lifetime=Q_(BLOOM_LIFETIME_YEARS * BLOOM_USE, "year"))


@lru_cache(maxsize=1)
def bloom_dynamic():
    """BLOOM's dynamic energy recomputed: the A100's TDP for 1.08 M GPU-hours on France's grid
    (the paper counts no PUE here: idle and cooling are its separate lines)."""
    return EnergyCarbonModel().solve(duration=Q_(BLOOM_GPU_HOURS, "hour"),
                                     hardware=Hardware.Cloud.A100_80GB, grid=Systems.Grids.France)


def per_watt(hw, precision: str = "fp16") -> float:
    """Dense peak FLOP/s per watt of TDP."""
    return (hw.compute.peak(precision) / hw.tdp).m_as("FLOP/s/W")


def generation_gain() -> float:
    """Work per joule, H100 over A100 (80 GB), both at FP16 dense peak and TDP."""
    return per_watt(GPU) / per_watt(Hardware.Cloud.A100_80GB)


#: The chapter's elasticities (no lab case uses them): inelastic, unit, elastic demand.
CHAPTER_ELASTICITIES = (0.5, 1.0, 1.5)


@lru_cache(maxsize=16)
def sched(grid: str, profile: str, start: float, deadline: float | None = None):
    return CarbonAwareScheduleModel().solve(
        duration=Q_(SCHED_HOURS, "hour"), hardware=GPU, devices=SCHED_NODES * GPUS_PER_NODE,
        pue=PUE, grid=getattr(Systems.Grids, grid), profile=profile, start_hour=start,
        deadline=None if deadline is None else Q_(deadline, "hour"))


def profile_extremes(profile: str) -> tuple[float, float]:
    """The lowest and highest hourly multiplier of an engine profile (1 = the daily mean)."""
    shape = HOURLY_PROFILES[profile]
    return min(shape), max(shape)

"""The cases Chapter 32 (book/vol2/responsible_ai.qmd) and Vol II Lab 16 both compute.

The chapter evaluates these at build time and the lab in the reader's browser, so a rate, a
gap or a count of wrong decisions a day that the chapter states and the lab shows come from
the same engine call. Physics is the engine's: ChouldechovaModel gives the false-positive rate
that a base rate, a positive predictive value and a false-negative rate imply
(Chouldechova 2017, Eq. 2.6); ThresholdSweepModel gives each group's rates at its threshold on
a binormal score model, the equalized-odds gap and the wrong decisions per day at a decision
volume; AuditSampleSizeModel sizes a per-group audit; PrefillDecodeModel prices scoring the
posts on a GPU. This module fixes the two scenarios, the rules each organisation holds a
design to, and how a fairness criterion sets the second group's threshold.

The scenario. A platform's moderation classifier scores posts that users reported; a post
whose score is above its language's threshold is removed. A *positive* is a post that violates
the policy (as an expert review would judge it). So a false positive removes a legitimate post
(its author is harmed), a false negative leaves a violating post up (its readers are harmed),
and the positive predictive value is the share of removals that were right: one minus the
share an appeal would overturn. Thresholds per language are ordinary practice for a
multilingual classifier, unlike thresholds per protected group in lending or hiring, which US
law forbids (Chapter 15 of Volume I).

Everything about the score distributions, the languages' shares and base rates, the volumes
and the rules is ILLUSTRATIVE: a scenario built to show the mechanisms, not a measurement of
any platform. The lab and the chapter say so wherever the numbers appear.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AuditSampleSizeModel, ChouldechovaModel, PrefillDecodeModel,
                                 ThresholdSweepModel)
from mlsysim.resolvers.fairness import DEFAULT_CONFIDENCE, DEFAULT_TEST_POWER
from mlsysim.resolvers.scaling import DEFAULT_MFU

# ---- the lab's scenario (ILLUSTRATIVE) ----------------------------------------------------
#: Share of the reported posts in each language: A is the platform's large language, B a
#: smaller one with fewer labelled training posts.
LAB_SHARE = {"A": 0.7, "B": 0.3}
#: Share of reported posts that violate the policy (the base rate), per language. Illustrative:
#: reports in language B are more often right (a coordinated abuse campaign in that language).
LAB_BASE_RATE = {"A": 0.2, "B": 0.4}
#: The binormal score model per language: (mean score of violating posts, mean score of
#: legitimate posts), both with standard deviation 1 (Pepe 2003, Sec. 4.4; the engine's
#: ThresholdSweepModel). Legitimate posts in language B score 0.2 higher: classifiers trained
#: mostly on one variety of a language read another's ordinary words as abusive more often
#: (Sap et al. 2019, "The Risk of Racial Bias in Hate Speech Detection", ACL). Illustrative.
LAB_SCORES = {"A": (2.4, 0.0), "B": (2.5, 0.2)}
#: Reported posts the classifier decides a day, both languages (illustrative fleet volume).
LAB_POSTS_PER_DAY = 1_000_000
#: Act I's case: both languages' removals are right 80% of the time (PPV) and both miss 25%
#: of violating posts (FNR). Illustrative round values.
ACT1_PPV = 0.80
ACT1_FNR = 0.25

# ---- the rules (ILLUSTRATIVE scenario choices) ---------------------------------------------
#: Both organisations' fairness rules allow a gap of 3 percentage points between languages.
TOLERANCE = 0.03
#: Both must catch at least 70% of violating posts in every language (an enforcement floor:
#: without it, removing almost nothing would meet any parity rule, Chouldechova's degenerate
#: case).
CATCH_FLOOR = 0.70
#: The two organisations (the lab's contexts): "accuracy" makes the fewest wrong decisions
#: subject to predictive parity (a removal means the same in every language: removal
#: precision within TOLERANCE); "equity" puts equal error rates first (false-positive and
#: false-negative rates within TOLERANCE: equalized odds, Hardt, Price & Srebro 2016).
CONTEXTS = ("accuracy", "equity")

# ---- the chapter's scenario (ILLUSTRATIVE), same rules -------------------------------------
CHAPTER_SHARE = {"1": 0.6, "2": 0.4}
CHAPTER_BASE_RATE = {"1": 0.2, "2": 0.55}
CHAPTER_SCORES = {"1": (2.4, 0.0), "2": (2.5, 0.25)}
CHAPTER_POSTS_PER_DAY = 400_000
CHAPTER_PPV = 0.75
CHAPTER_FNR = 0.30

# ---- how a criterion sets the second group's threshold -------------------------------------
#: Criterion key -> what it equalizes between the groups (None: one threshold for both).
CRITERIA = ("same", "ppv", "fpr", "fnr", "balanced")
#: Language A's threshold: the slider's grid (score units).
THRESHOLD_MIN, THRESHOLD_MAX, THRESHOLD_STEP = 0.5, 2.5, 0.05
THRESHOLD_GRID = tuple(round(THRESHOLD_MIN + THRESHOLD_STEP * i, 2) for i in range(41))

# ---- the fleet: scoring the posts with a Llama-3-8B-class safety classifier ---------------
#: Meta's Llama Guard 3 is a Llama 3.1 8B model fine-tuned to classify content (Llama Team
#: 2024, "The Llama 3 Herd of Models"); the registry's Llama 3 8B stands in for it.
CLASSIFIER = Models.Llama3_8B
GPU = Hardware.Cloud.H100
#: Tokens per scored post: the post plus the policy prompt (illustrative).
TOKENS_PER_POST = 512
SCORING_BATCH = 64


def case_spec(case: str) -> dict:
    """The engine's ``score_distributions`` for "lab" or "chapter"."""
    share, base, scores = ((LAB_SHARE, LAB_BASE_RATE, LAB_SCORES) if case == "lab" else
                           (CHAPTER_SHARE, CHAPTER_BASE_RATE, CHAPTER_SCORES))
    return {g: {"base_rate": base[g], "pos_mean": pos, "neg_mean": neg, "share": share[g]}
            for g, (pos, neg) in scores.items()}


def groups(case: str) -> tuple[str, str]:
    return tuple(LAB_SHARE) if case == "lab" else tuple(CHAPTER_SHARE)


def shares(case: str) -> dict:
    return LAB_SHARE if case == "lab" else CHAPTER_SHARE


def base_rates(case: str) -> dict:
    return LAB_BASE_RATE if case == "lab" else CHAPTER_BASE_RATE


def volume(case: str) -> int:
    return LAB_POSTS_PER_DAY if case == "lab" else CHAPTER_POSTS_PER_DAY


# ---- Chouldechova's identity ----------------------------------------------------------------
@lru_cache(maxsize=1024)
def chouldechova(base_rate: float, ppv: float, fnr: float):
    """The FPR a group with ``base_rate`` has when its PPV and FNR are given."""
    return ChouldechovaModel().solve(base_rate=base_rate, ppv=ppv, fnr=fnr)


def fpr_pair(case: str, ppv: float, fnr: float) -> dict:
    """{group: FPR} when both groups share ``ppv`` and ``fnr``."""
    return {g: chouldechova(p, ppv, fnr).fpr for g, p in base_rates(case).items()}


def fpr_ratio(case: str, ppv: float, fnr: float) -> float:
    """The second group's FPR over the first's (equal PPV and FNR): the odds ratio."""
    g1, g2 = groups(case)
    f = fpr_pair(case, ppv, fnr)
    return f[g2] / f[g1]


def ppv_for_fpr(base_rate: float, fpr: float, fnr: float) -> float:
    """The PPV a group with ``base_rate`` must drop to for its FPR to be ``fpr`` at ``fnr``:
    the identity solved for PPV, checked against the engine."""
    x = fpr * (1 - base_rate) / (base_rate * (1 - fnr))      # (1 - PPV) / PPV
    v = 1 / (1 + x)
    assert abs(chouldechova(base_rate, v, fnr).fpr - fpr) < 1e-9
    return v


def odds(p: float) -> float:
    return p / (1 - p)


def fnr_for_fpr(base_rate: float, fpr: float, ppv: float) -> float:
    """The FNR at which a group with ``base_rate`` has false-positive rate ``fpr`` at
    precision ``ppv``: the identity solved for FNR, checked against the engine."""
    f = 1 - fpr / (odds(base_rate) * (1 - ppv) / ppv)
    assert abs(chouldechova(base_rate, ppv, f).fpr - fpr) < 1e-9
    return f


# ---- rates at thresholds ---------------------------------------------------------------------
def _solve(case: str, t1: float, t2: float):
    """The engine's per-group rates alone (the bisections call this many times)."""
    g1, g2 = groups(case)
    return ThresholdSweepModel().solve(score_distributions=case_spec(case),
                                       threshold={g1: t1, g2: t2})


@lru_cache(maxsize=4096)
def sweep(case: str, t1: float, t2: float):
    """The engine's rates, gaps, equalized-odds check and wrong decisions a day at thresholds
    (t1, t2)."""
    g1, g2 = groups(case)
    return ThresholdSweepModel().solve(
        score_distributions=case_spec(case), threshold={g1: t1, g2: t2}, max_gap=TOLERANCE,
        arrival_rate=Q_(volume(case), "1/day"))


def _bisect(f, lo: float = -3.0, hi: float = 6.0) -> float:
    """The root of a monotone f on [lo, hi]; the nearer end when f keeps one sign."""
    flo, fhi = f(lo), f(hi)
    if (flo > 0) == (fhi > 0):
        return lo if abs(flo) < abs(fhi) else hi
    for _ in range(26):
        mid = (lo + hi) / 2
        fm = f(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return (lo + hi) / 2


@lru_cache(maxsize=2048)
def partner_threshold(case: str, criterion: str, t1: float) -> float:
    """The second group's threshold that meets ``criterion`` when the first group's is t1,
    found by bisection on the engine's rates: "same" (one threshold), "ppv" (equal removal
    precision), "fpr", "fnr" (equal false-positive or false-negative rates), "balanced"
    (the two rate gaps equal in size: the smallest equalized-odds gap one threshold allows)."""
    if criterion == "same":
        return t1
    g1, g2 = groups(case)
    ref = _solve(case, t1, t1).groups[g1]

    def rate(t, key):
        m = _solve(case, t1, t).groups[g2]
        return m["tpr"] + m["fpr"] if key == "balanced" else m[key]

    target = ref["tpr"] + ref["fpr"] if criterion == "balanced" else ref[criterion]
    return _bisect(lambda t: rate(t, criterion) - target)


# ---- one design and the rules it meets -------------------------------------------------------
@dataclass(frozen=True)
class Design:
    case: str
    criterion: str
    t1: float
    t2: float
    result: object                 # the engine's ThresholdSweepResult
    per_day: dict                  # {group: {"removed", "fp", "fn", "posts"}} a day
    violations: dict               # {context: tuple of Constraints}

    @property
    def errors(self) -> float:
        """Wrong decisions a day (the engine's errors_per_day)."""
        return self.result.errors_per_day

    @property
    def ppv_gap(self) -> float:
        g = self.result.groups
        a, b = groups(self.case)
        return abs(g[a]["ppv"] - g[b]["ppv"])

    def passes(self, context: str) -> bool:
        return not self.violations[context]


def _floor_violations(case: str, r) -> list:
    out = []
    for g in groups(case):
        caught = r.groups[g]["tpr"]
        if caught < CATCH_FLOOR:
            out.append(Constraint(f"violating posts caught, {group_name(case, g)}",
                                  Q_(CATCH_FLOOR * 100, "percent"), Q_(caught * 100, "percent")))
    return out


def group_name(case: str, g: str) -> str:
    return f"language {g}"


@lru_cache(maxsize=2048)
def design(case: str, criterion: str, t1: float) -> Design:
    """The design (criterion, first group's threshold) and every rule each context holds it
    to: the engine's equalized-odds violation (equity), the removal-precision gap (accuracy,
    composed from the engine's per-group PPVs) and the catch floor (both, composed)."""
    t2 = round(partner_threshold(case, criterion, t1), 6)
    r = sweep(case, t1, t2)
    per_day = {}
    for g in groups(case):
        m = r.groups[g]
        posts = volume(case) * shares(case)[g]
        p = m["base_rate"]
        per_day[g] = {"posts": posts, "removed": posts * m["selection_rate"],
                      "fp": posts * (1 - p) * m["fpr"], "fn": posts * p * m["fnr"]}
    a, b = groups(case)
    ppv_gap = abs(r.groups[a]["ppv"] - r.groups[b]["ppv"])
    floor = _floor_violations(case, r)
    accuracy = list(floor)
    if ppv_gap > TOLERANCE:
        accuracy.insert(0, Constraint("gap in removal precision", Q_(ppv_gap, ""),
                                      Q_(TOLERANCE, "")))
    equity = list(r.violations) + floor
    return Design(case, criterion, t1, t2, r, per_day,
                  {"accuracy": tuple(accuracy), "equity": tuple(equity)})


@lru_cache(maxsize=8)
def designs(case: str) -> tuple[Design, ...]:
    """Every design the lab's controls can reach (criterion x the slider's grid)."""
    return tuple(design(case, c, t) for c in CRITERIA for t in THRESHOLD_GRID)


@lru_cache(maxsize=8)
def best_design(case: str, context: str | None = None) -> Design:
    """The reachable design with the fewest wrong decisions a day that meets the context's
    rules (every design when ``context`` is None)."""
    pool = [d for d in designs(case) if context is None or d.passes(context)]
    return min(pool, key=lambda d: (d.errors, CRITERIA.index(d.criterion), d.t1))


def meets_both(case: str) -> tuple[Design, ...]:
    """Designs that meet both organisations' rules at once (none, in both scenarios)."""
    return tuple(d for d in designs(case) if d.passes("accuracy") and d.passes("equity"))


def equity_cost(case: str) -> tuple[float, float]:
    """(extra wrong decisions a day, as a share) of the equity rule's best design over the
    accuracy rule's best."""
    acc, eq = best_design(case, "accuracy"), best_design(case, "equity")
    return eq.errors - acc.errors, eq.errors / acc.errors - 1


def excess_fp(d: Design) -> float:
    """Legitimate posts of the second group removed a day beyond the first group's rate."""
    a, b = d.result.groups, groups(d.case)
    return (a[b[1]]["fpr"] - a[b[0]]["fpr"]) * d.per_day[b[1]]["posts"] * (1 - base_rates(d.case)[b[1]])


@lru_cache(maxsize=64)
def drifted(case: str, t1: float, t2: float, base_rate_2: float):
    """The same thresholds after the second group's base rate has moved to ``base_rate_2``
    (the classifier's scores for each class unchanged)."""
    g1, g2 = groups(case)
    spec = case_spec(case)
    spec[g2] = {**spec[g2], "base_rate": base_rate_2}
    return ThresholdSweepModel().solve(score_distributions=spec, threshold={g1: t1, g2: t2},
                                       max_gap=TOLERANCE, arrival_rate=Q_(volume(case), "1/day"))


# ---- auditing many groups ------------------------------------------------------------------
@lru_cache(maxsize=64)
def audit(gap: float, base_rate: float, group_count: int = 2):
    """Labelled posts per group for an audit to detect a ``gap`` in false-negative rates (the
    engine's two-proportion size, sampled until each group holds enough violating posts)."""
    return AuditSampleSizeModel().solve(gap=gap, base_rate=base_rate, group_count=group_count,
                                        confidence=DEFAULT_CONFIDENCE, test_power=DEFAULT_TEST_POWER)


# ---- the classifier's compute ---------------------------------------------------------------
@lru_cache(maxsize=4)
def scoring():
    """One batch of posts scored on one H100 (prefill of TOKENS_PER_POST, one output token)."""
    return PrefillDecodeModel().solve(model=CLASSIFIER, hardware=GPU, prompt_tokens=TOKENS_PER_POST,
                                      output_tokens=1, batch_size=SCORING_BATCH, precision="fp16",
                                      mfu=DEFAULT_MFU)


def gpu_hours_per_day(posts_per_day: float) -> float:
    """H100-hours a day to score ``posts_per_day`` posts."""
    per_batch = scoring().prefill_time.m_as("h")
    return posts_per_day / SCORING_BATCH * per_batch

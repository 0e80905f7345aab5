"""Training compute and compute-optimal scaling.

- Training FLOP = 6 N D (Kaplan et al. 2020, "Scaling Laws for Neural Language Models",
  Sec. 2.1): ~2 N FLOP per token forward and ~4 N backward, i.e. training = 3 x forward.
- Compute-optimal (Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models"):
  N and D grow in equal proportion with C, about 20 training tokens per parameter
  (Chinchilla: 70 B parameters, 1.4 T tokens). With C = 6 N D and D = k N:
  N = sqrt(C / (6 k)), D = k N.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel, BaseSolver
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c

#: Backward pass costs ~2x the forward pass, so a training step is ~3x forward FLOP
#: (Kaplan et al. 2020, Sec. 2.1: C ~ 6 N per token vs 2 N forward).
TRAINING_TO_FORWARD = assume(
    "scaling.TRAINING_TO_FORWARD", 3.0, "paper", "Kaplan et al. 2020, Sec. 2.1",
    "https://arxiv.org/abs/2001.08361", "C ~ 6N per token vs 2N forward")
#: Chinchilla-optimal tokens per parameter (Hoffmann et al. 2022, Table 3: ~20).
CHINCHILLA_TOKENS_PER_PARAM = assume(
    "scaling.CHINCHILLA_TOKENS_PER_PARAM", 20.0, "paper",
    "Hoffmann et al. 2022, Training Compute-Optimal Large Language Models, Table 3",
    "https://arxiv.org/abs/2203.15556", "about 20 tokens per parameter")
#: Default model FLOPs utilisation of a well-tuned large training run. Chowdhery et al. 2022
#: (PaLM, Table 3) report 46.2 % MFU for PaLM 540B and list GPT-3 at 21.3 %, Megatron-Turing
#: NLG at 30.2 %; 0.40 is a typical tuned value (estimate). Small edge devices reach less.
DEFAULT_MFU = assume(
    "scaling.DEFAULT_MFU", 0.40, "estimate", "Chowdhery et al. 2022, PaLM, Table 3",
    "https://arxiv.org/abs/2204.02311",
    "between GPT-3's 21.3 % and PaLM 540B's 46.2 % reported MFU")
DEFAULT_MFU_SOURCE = ("estimate: 0.40, between GPT-3 (21.3 %) and PaLM (46.2 %) MFU reported "
                      "by Chowdhery et al. 2022")


class TrainingComputeResult(SolverResult):
    parameters: float
    tokens: float
    training_flops: Quantity
    tokens_per_parameter: float


class TrainingComputeModel(BaseModel):
    """C = 6 N D: training FLOP for N parameters on D tokens (Kaplan et al. 2020)."""

    requires = ("parameters", "tokens")
    produces = TrainingComputeResult

    def solve(self, *, tokens, parameters=None, model=None) -> TrainingComputeResult:
        if model is not None:
            if parameters is not None:
                raise InvalidInputError("parameters", "either parameters or model, not both",
                                        parameters)
            parameters = c.need_model(model).parameters
        n = c.num("parameters", parameters, lo=0, lo_open=True)
        d = c.num("tokens", tokens, lo=0, lo_open=True)
        return TrainingComputeResult(parameters=n, tokens=d,
                                     training_flops=c.q(6.0 * n * d, c.FLOP),
                                     tokens_per_parameter=d / n)


class ComputeOptimalResult(SolverResult):
    training_flops: Quantity
    parameters: float
    tokens: float
    tokens_per_parameter: float
    source: str


class ComputeOptimalSolver(BaseSolver):
    """Compute-optimal N and D for a FLOP budget C: N = sqrt(C / (6k)), D = k N, with
    k = tokens per parameter (default 20, Hoffmann et al. 2022)."""

    requires = ("training_flops",)
    produces = ComputeOptimalResult

    def solve(self, *, training_flops, tokens_per_parameter=CHINCHILLA_TOKENS_PER_PARAM
              ) -> ComputeOptimalResult:
        cflop = c.qty("training_flops", training_flops, c.COMPUTE, c.FLOP,
                      example="5.76e23 FLOP")
        k = c.num("tokens_per_parameter", tokens_per_parameter, lo=0, lo_open=True)
        n = math.sqrt(cflop / (6.0 * k))
        return ComputeOptimalResult(training_flops=c.q(cflop, c.FLOP), parameters=n,
                                    tokens=k * n,
                                    tokens_per_parameter=k,
                                    source="Hoffmann et al. 2022 (Chinchilla), C = 6ND")


class TrainingTimeResult(SolverResult):
    flops_per_sample: Quantity
    flops_per_step: Quantity
    total_flops: Quantity
    sustained_flops: Quantity
    time_per_step: Quantity
    total_time: Quantity
    hours: float
    mfu: float
    devices: int
    mfu_source: str


class TrainingTimeModel(BaseModel):
    """Wall-clock for ``steps`` steps of ``batch_size`` samples: FLOP per sample = 3 x the
    model's forward FLOP (Kaplan et al. 2020, the 6ND rule), run at ``mfu`` x peak on
    ``devices`` copies of ``hardware`` (peak at the precision rule's precision). For a
    language model, a sample is a token (the registry's ``flops_per_inference`` is per
    token), so give ``batch_size`` in tokens. ``mfu`` defaults to 0.40 (an estimate; see
    ``DEFAULT_MFU``).
    """

    requires = ("model", "hardware", "steps")
    produces = TrainingTimeResult

    def solve(self, *, model, hardware, steps, batch_size=1, mfu=None, precision=None,
              devices=1, flops_per_sample=None) -> TrainingTimeResult:
        hardware = c.need_hardware(hardware)
        n_steps = c.num("steps", steps, lo=0, lo_open=True)
        batch = c.num("batch_size", batch_size, lo=0, lo_open=True)
        n_dev = c.positive_int("devices", devices)
        if mfu is None:
            eff, src = DEFAULT_MFU, DEFAULT_MFU_SOURCE
        else:
            eff, src = c.fraction("mfu", mfu), "input"
        if flops_per_sample is None:
            per = TRAINING_TO_FORWARD * c.forward_flops(c.need_model(model))
        else:
            per = c.qty("flops_per_sample", flops_per_sample, c.COMPUTE, c.FLOP)
        rate = c.peak_flops(hardware, c.precision_for(precision, hardware)) * eff * n_dev
        step_flops = per * batch
        t_step = step_flops / rate
        total = t_step * n_steps
        return TrainingTimeResult(
            flops_per_sample=c.q(per, c.FLOP), flops_per_step=c.q(step_flops, c.FLOP),
            total_flops=c.q(step_flops * n_steps, c.FLOP), sustained_flops=c.q(rate, c.FLOPS),
            time_per_step=c.q(t_step, c.S), total_time=c.q(total, c.S), hours=total / 3600.0,
            mfu=eff, devices=n_dev, mfu_source=src)

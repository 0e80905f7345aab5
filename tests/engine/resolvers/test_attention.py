import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import AttentionMemoryModel

ORIN = mlsysim.Hardware.Edge.JetsonOrinNX  # 16 GB LPDDR5 (NVIDIA Jetson Orin datasheet)


def test_score_matrix_is_b_heads_s_squared():
    # Standard attention stores S = Q K^T: b x heads x s x s per layer (fp16: 2 B).
    r = AttentionMemoryModel().solve(seq_len=2048, heads=12, batch_size=4, precision="fp16")
    assert r.score_bytes_per_layer.m_as("B") == 4 * 12 * 2048 ** 2 * 2
    assert r.attention_bytes == r.score_bytes_per_layer and r.layers_held == 1


def test_doubling_context_quadruples_the_scores():
    # Vol I Lab 06, Act I: s -> 2 s multiplies the score matrix by 4.
    one = AttentionMemoryModel().solve(seq_len=4096, heads=32, precision="fp16")
    two = AttentionMemoryModel().solve(seq_len=8192, heads=32, precision="fp16")
    assert two.score_bytes_per_layer == 4 * one.score_bytes_per_layer


def test_fused_attention_is_linear_in_context():
    # FlashAttention (Dao et al. 2022, Algorithm 1) keeps 2 fp32 statistics per row: linear
    # in s. Doubling s doubles it; at 8k it is s/4 = 2048x smaller than fp16 scores.
    a = AttentionMemoryModel().solve(seq_len=4096, heads=32, fused=True)
    b = AttentionMemoryModel().solve(seq_len=8192, heads=32, fused=True)
    assert b.score_bytes_per_layer == 2 * a.score_bytes_per_layer
    std = AttentionMemoryModel().solve(seq_len=8192, heads=32, precision="fp16")
    assert std.score_bytes_per_layer / b.score_bytes_per_layer == pytest.approx(8192 * 2 / 8)


def test_attention_exceeds_orin_and_fused_fixes_it():
    # GPT-2 (12 heads, 124 M parameters) at 32k context, batch 8, fp16 on the 16 GB Orin:
    # 8 x 12 x 32768^2 x 2 B = 206 GB of scores for one layer: infeasible; fused fits.
    std = AttentionMemoryModel().solve(model=mlsysim.Models.GPT2, seq_len=32768, batch_size=8,
                                       hardware=ORIN, precision="fp16")
    assert std.score_bytes_per_layer.m_as("GB") == pytest.approx(8 * 12 * 32768 ** 2 * 2 / 1e9)
    assert not std.feasible
    v = std.violation("LPDDR5 capacity")
    assert v.available.m_as("GB") == 16
    fused = AttentionMemoryModel().solve(model=mlsysim.Models.GPT2, seq_len=32768,
                                         batch_size=8, hardware=ORIN, precision="fp16",
                                         fused=True)
    assert fused.feasible
    assert fused.total.m_as("B") == pytest.approx(124439808 * 2 + 8 * 12 * 32768 * 8)


def test_training_keeps_every_layers_scores():
    r = AttentionMemoryModel().solve(model=mlsysim.Models.GPT2, seq_len=1024, training=True,
                                     precision="fp16")
    assert r.layers_held == 12 and r.attention_bytes == 12 * r.score_bytes_per_layer


@pytest.mark.parametrize("kwargs, name", [
    (dict(seq_len=0, heads=4), "seq_len"),
    (dict(seq_len=8), "heads"),
    (dict(seq_len=8, heads=4, fused="yes"), "fused"),
    (dict(seq_len=8, heads=4, training=True), "layers"),
    (dict(seq_len=8, heads=4, precision="fp7"), "precision"),
])
def test_attention_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        AttentionMemoryModel().solve(**kwargs)

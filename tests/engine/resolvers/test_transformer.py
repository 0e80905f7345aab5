import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import (BatchingCapacityModel, KVCacheModel, PrefillDecodeModel,
                               TransformerCountsModel)


def test_kv_cache_llama3_8b_8k_fp16_is_1_gib(llama3_8b):
    # 2 x 32 layers x 8 kv heads x 128 x 8192 tokens x 2 B = 2^30 B = 1 GiB per sequence.
    r = KVCacheModel().solve(seq_len=8192, model=llama3_8b)
    assert r.bytes_per_sequence.m_as("GiB") == 1.0
    assert r.bytes_per_token.m_as("KiB") == 128
    assert r.gqa_saving == 4


def test_gpt3_parameter_count():
    # GPT-3 175B (Brown et al. 2020, Table 2.1): 96 layers, d = 12288, 96 heads, ctx 2048,
    # vocab 50257 -> 12 L d^2 + V d = 174.6 B ~ "175B".
    r = TransformerCountsModel().solve(seq_len=2048, layers=96, hidden_size=12288, heads=96,
                                       vocab_size=50257)
    assert r.parameters == pytest.approx(175e9, rel=0.005)
    # Kaplan: attention term 2 L n_ctx d is ~1.4 % of 2N at 2048 tokens for GPT-3
    assert r.attention_flops_per_token.m_as("FLOP") == 2 * 96 * 2048 * 12288
    assert r.attention_share == pytest.approx(2 * 2048 / (2 * 12 * 12288 + 2 * 2048), rel=1e-3)


def test_attention_share_grows_with_context():
    a = TransformerCountsModel().solve(seq_len=1024, layers=12, hidden_size=768, heads=12)
    b = TransformerCountsModel().solve(seq_len=32768, layers=12, hidden_size=768, heads=12)
    assert b.attention_share > a.attention_share


def test_decode_is_memory_bound_prefill_compute_bound(h100, llama3_8b):
    r = PrefillDecodeModel().solve(model=llama3_8b, hardware=h100, prompt_tokens=2048,
                                   output_tokens=256)
    assert r.prefill_binding == "compute" and r.decode_binding == "memory"
    # decode: (16.06 GB weights + KV(2304 tokens) = 0.302 GB) / 3.35 TB/s = 4.88 ms
    kv = 2 * 32 * 8 * 128 * 2304 * 2
    assert r.decode_time_per_token.m_as("s") == pytest.approx((16.06e9 + kv) / 3.35e12)
    assert r.prefill_time.m_as("s") == pytest.approx(2 * 8.03e9 * 2048 / 989e12)


def test_continuous_batching_holds_more_sequences(h100, llama3_8b):
    r = BatchingCapacityModel().solve(model=llama3_8b, hardware=h100, max_seq_len=8192,
                                      mean_seq_len=1024)
    # budget = 72 GB - 16.06 GB = 55.94 GB; static: 55.94e9 // 2^30 = 52
    assert r.static_sequences == int((72e9 - 16.06e9) // 2**30)
    assert r.capacity_gain == pytest.approx(8, rel=0.02)


@pytest.mark.parametrize("kwargs, name", [
    (dict(seq_len=0), "seq_len"), (dict(batch_size=-1), "batch_size"),
    (dict(precision="fp5"), "precision"), (dict(kv_heads=3), "kv_heads"),
])
def test_kv_cache_rejects_bad_inputs(llama3_8b, kwargs, name):
    args = dict(seq_len=8, model=llama3_8b) | kwargs
    with pytest.raises(InvalidInputError, match=name):
        KVCacheModel().solve(**args)


def test_counts_rejects_missing_shape():
    with pytest.raises(InvalidInputError, match="layers"):
        TransformerCountsModel().solve(seq_len=8, hidden_size=64, heads=4)


def test_batching_capacity_rejects_mean_above_max(h100, llama3_8b):
    with pytest.raises(InvalidInputError, match="mean_seq_len"):
        BatchingCapacityModel().solve(model=llama3_8b, hardware=h100, max_seq_len=10,
                                      mean_seq_len=20)

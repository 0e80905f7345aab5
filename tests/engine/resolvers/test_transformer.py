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


@pytest.mark.parametrize("key, published", [
    # Meta Llama 3 model cards / Llama 3 paper (Table 3 shapes): 8.03 B and 70.6 B parameters.
    ("Llama3_8B", 8.03e9), ("Llama3_70B", 70.6e9)])
def test_llama3_counts_match_published(key, published):
    # Before the registry carried ffn_hidden, gated and tied_embeddings the count was
    # 6.16 B for Llama 3 8B (4 d MLP, two matrices, tied embeddings).
    import mlsysim
    m = mlsysim.Models.get(key)
    r = TransformerCountsModel().solve(model=m, seq_len=m.context_length)
    assert r.parameters == pytest.approx(published, rel=1e-3)
    d, ff = m.hidden_size, m.ffn_hidden
    assert r.mlp_parameters == m.layers * 3 * d * ff  # SwiGLU: gate, up, down
    assert r.embedding_parameters == 2 * m.vocab_size * d  # untied input and output tables


def test_counts_inputs_override_the_registry_shape():
    import mlsysim
    m = mlsysim.Models.Llama3_8B
    tied = TransformerCountsModel().solve(model=m, seq_len=8, tied_embeddings=True)
    untied = TransformerCountsModel().solve(model=m, seq_len=8)
    assert untied.parameters - tied.parameters == m.vocab_size * m.hidden_size
    plain = TransformerCountsModel().solve(model=m, seq_len=8, gated=False)
    assert untied.mlp_parameters / plain.mlp_parameters == pytest.approx(1.5)
    with pytest.raises(InvalidInputError, match="gated"):
        TransformerCountsModel().solve(model=m, seq_len=8, gated="yes")


def test_gpt2_and_gpt3_counts_from_registry():
    # GPT-2 124,439,808 (released weights; we omit biases, norms and the position table:
    # 0.7 % less); GPT-3 175 B (Brown et al. 2020, Table 2.1).
    import mlsysim
    for key, rel in (("GPT2", 0.01), ("GPT3_175B", 0.005)):
        m = mlsysim.Models.get(key)
        r = TransformerCountsModel().solve(model=m, seq_len=m.context_length)
        assert r.parameters == pytest.approx(m.parameters, rel=rel)


# ---- serving with tensor parallelism ----
def test_kv_per_token_llama3_70b_gqa():
    # Llama 3 70B (Llama 3 paper, Table 3): 80 layers, 8 KV heads of 128: 2 x 80 x 8 x 128
    # x 2 B = 327,680 B = 320 KiB per token at FP16 (Vol II Lab 10's "~320 KB"); 8x less
    # than with 64 KV heads.
    import mlsysim
    r = KVCacheModel().solve(model=mlsysim.Models.Llama3_70B, seq_len=4096, precision="fp16")
    assert r.bytes_per_token.m_as("B") == 2 * 80 * 8 * 128 * 2 == 327680
    assert r.bytes_per_token.m_as("KiB") == 320 and r.gqa_saving == 8
    assert r.bytes_per_sequence.m_as("GiB") == pytest.approx(1.25)


def test_70b_fp16_needs_more_than_one_h100_in_both_serving_models(h100):
    import mlsysim
    m = mlsysim.Models.Llama3_70B  # 70.6e9 x 2 B = 141 GB of weights vs 80 GB
    one = PrefillDecodeModel().solve(model=m, hardware=h100, prompt_tokens=512,
                                     output_tokens=128, link=NVLINK)
    cap = BatchingCapacityModel().solve(model=m, hardware=h100, max_seq_len=4096,
                                        mean_seq_len=1000)
    assert not one.feasible and not cap.feasible
    assert one.violations[0].name == cap.violations[0].name == "HBM3 capacity"
    two = PrefillDecodeModel().solve(model=m, hardware=h100, prompt_tokens=512,
                                     output_tokens=128, tp=2, link=NVLINK)
    assert two.feasible
    assert two.memory_per_device.m_as("GB") < 80
    cap8 = BatchingCapacityModel().solve(model=m, hardware=h100, max_seq_len=4096,
                                         mean_seq_len=1000, tp=8)
    # per device: 72 GB usable - 17.65 GB weights; KV 40 KiB/token/device x 4096 tokens
    assert cap8.feasible
    assert cap8.static_sequences == int((72e9 - 70.6e9 * 2 / 8) // (327680 / 8 * 4096))


NVLINK = __import__("mlsysim.hardware.types", fromlist=["Interconnect"]).Interconnect(
    "NVLink 4", Q_(450, "GB/s"), Q_(2, "us"))


def test_tp_decode_adds_two_allreduces_per_layer(h100):
    # Megatron-LM (Shoeybi et al. 2019, Sec. 3): 2 AllReduces of b x h per layer in the
    # forward pass; ring over 8 GPUs on NVLink 450 GB/s with 2 us per step.
    import mlsysim
    m = mlsysim.Models.Llama3_70B
    r = PrefillDecodeModel().solve(model=m, hardware=h100, prompt_tokens=1024,
                                   output_tokens=128, batch_size=8, tp=8, link=NVLINK)
    ring = lambda n: 2 * 7 * 2e-6 + 2 * 7 / 8 * n / 450e9  # noqa: E731
    assert r.decode_communication_per_token.m_as("s") == pytest.approx(
        2 * 80 * ring(8 * 8192 * 2))
    assert r.prefill_communication.m_as("s") == pytest.approx(2 * 80 * ring(8 * 1024 * 8192 * 2))
    base = PrefillDecodeModel().solve(model=m, hardware=h100, prompt_tokens=1024,
                                      output_tokens=128, batch_size=8, tp=8,
                                      link=Interconnect_free())
    extra = (r.decode_time_per_token - base.decode_time_per_token).m_as("s")
    assert extra == pytest.approx((r.decode_communication_per_token
                                   - base.decode_communication_per_token).m_as("s"))
    # the latency term dominates a decode AllReduce: 160 x 28 us = 4.5 ms per token
    assert r.decode_communication_per_token.m_as("ms") == pytest.approx(4.5, rel=0.02)


def Interconnect_free():
    from mlsysim.hardware.types import Interconnect
    return Interconnect("ideal", Q_(1e9, "TB/s"))


def test_tp_link_must_be_an_interconnect(h100, llama3_8b):
    with pytest.raises(InvalidInputError, match="link"):
        PrefillDecodeModel().solve(model=llama3_8b, hardware=h100, prompt_tokens=8,
                                   output_tokens=8, tp=2, link="fast")


def test_kv_cache_is_split_by_heads_not_below_one_head(h100):
    # Llama 3 70B has 8 KV heads: tp = 8 leaves one per device; tp = 16 cannot split them
    # further, so each device still holds 1/8 of the cache (vLLM replicates KV heads).
    import mlsysim
    m = mlsysim.Models.Llama3_70B
    kw = dict(model=m, hardware=h100, prompt_tokens=4096, output_tokens=1, batch_size=16,
              link=NVLINK)
    t8 = PrefillDecodeModel().solve(tp=8, **kw)
    t16 = PrefillDecodeModel().solve(tp=16, **kw)
    kv = 327680 * 4097 * 16
    assert t8.kv_cache_bytes.m_as("B") == pytest.approx(kv)
    assert t8.memory_per_device.m_as("B") == pytest.approx(70.6e9 * 2 / 8 + kv / 8)
    assert t16.memory_per_device.m_as("B") == pytest.approx(70.6e9 * 2 / 16 + kv / 8)

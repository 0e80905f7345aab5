"""Registries: every number has provenance, lookups work, values match their sources."""
import pytest

import mlsysim
from mlsysim import _audit
from mlsysim.core.constants import Q_
from mlsysim.core.errors import UnknownEntryError
from mlsysim.core.provenance import KINDS, Provenance
from mlsysim.core.types import Quantity

REGISTRIES = [mlsysim.Hardware, mlsysim.Models, mlsysim.Systems]
ENTRIES = [(reg.name, key, entry) for reg in REGISTRIES for _, key, entry in reg.items()]


@pytest.mark.parametrize("reg, key, entry", ENTRIES, ids=[f"{r}.{k}" for r, k, _ in ENTRIES])
def test_every_number_has_provenance(reg, key, entry):
    paths = list(_audit.number_paths(entry))
    assert paths, f"{reg}.{key} has no numbers at all"
    for path, value in paths:
        prov = entry.provenance.get(path)
        assert isinstance(prov, Provenance), f"{reg}.{key}.{path} = {value} has no provenance"
        assert prov.kind in KINDS and prov.reference.strip()
        if prov.kind in ("datasheet", "paper"):
            assert prov.url, f"{reg}.{key}.{path}: {prov.kind} sources need a URL"


def test_audit_missing_is_empty_and_lists_estimates():
    assert _audit.missing() == []
    flagged = _audit.rows(only_audit=True)
    assert flagged and all(r["kind"] in ("estimate", "illustrative") for r in flagged)
    keys = {(r["key"], r["path"]) for r in flagged}
    assert ("STM32H743", "compute.precision_flops.fp32") in keys
    assert ("Frontier_8K", "nodes") in keys


def test_required_entries_exist():
    H, M, S = mlsysim.Hardware, mlsysim.Models, mlsysim.Systems
    for key in ["V100", "A100_40GB", "A100_80GB", "H100", "H100_PCIe", "H200", "B200",
                "MI300X", "TPUv4", "TPUv5e"]:
        assert getattr(H.Cloud, key).category == "Cloud"
    for key in ["JetsonOrinNX", "JetsonAGXOrin", "JetsonOrinNano"]:
        assert getattr(H.Edge, key).category == "Edge"
    assert len(H.Mobile) >= 2
    assert {"STM32H743", "ESP32S3", "nRF52840"} <= set(H.Tiny.keys())
    assert {"ResNet50", "MobileNetV2", "DS_CNN_S"} <= set(M.Vision.keys())
    assert {"BERT_Base", "GPT2", "GPT3_175B", "Llama3_8B", "Llama3_70B"} <= set(M.Language.keys())
    assert S.Nodes.DGX_H100.accelerators == 8
    assert S.Grids.France.carbon_intensity < S.Grids.India.carbon_intensity


def test_h100_matches_nvidia_datasheet():
    # NVIDIA H100 SXM datasheet: 1,979 TFLOPS FP16 with sparsity -> 989 dense; FP8 1,979 dense;
    # 80 GB HBM3 at 3.35 TB/s; 700 W; NVLink 900 GB/s counted over both directions.
    h = mlsysim.Hardware.Cloud.H100
    assert h.compute.peak_flops == Q_("989 TFLOP/s")
    assert h.compute.peak("fp8") == Q_("1979 TFLOP/s")
    assert h.memory.capacity == Q_("80 GB") and h.memory.kind == "HBM3"
    assert h.memory.bandwidth.to("GB/s").magnitude == pytest.approx(3350)
    assert h.tdp == Q_("700 W")
    assert (2 * h.interconnect("NVLink").bandwidth).to("GB/s").magnitude == pytest.approx(900)
    assert h.ridge_point.magnitude == pytest.approx(295, abs=1)  # not 590 (that is FP8)


def test_a100_bandwidths():
    H = mlsysim.Hardware
    assert H.Cloud.A100_40GB.memory.bandwidth == Q_("1555 GB/s")
    assert H.Cloud.A100_80GB.memory.bandwidth == Q_("2039 GB/s")
    assert H.get("A100") is H.Cloud.A100_80GB


def test_edge_and_tiny_values():
    nx = mlsysim.Hardware.Edge.JetsonOrinNX
    assert nx.compute.peak_flops == Q_("25 TFLOP/s")        # 100 sparse INT8 TOPS / 4
    assert nx.memory.bandwidth == Q_("102.4 GB/s")
    assert nx.memory.capacity == Q_("16 GB")
    m7 = mlsysim.Hardware.Tiny.STM32H743
    assert m7.compute.peak_flops.to("GFLOP/s").magnitude == pytest.approx(0.96)  # 480 MHz x 2
    assert m7.memory.flash == Q_("2 MiB")
    assert m7.provenance["compute.peak_flops"].kind == "estimate"
    # The H100 / Cortex-M7 compute gap is about 10^6 (Lab 01).
    gap = (mlsysim.Hardware.H100.compute.peak_flops / m7.compute.peak_flops).to("")
    assert 5e5 < gap.magnitude < 2e6


def test_orin_nx_gpu_only_is_separate_from_the_module_figure():
    # Orin NX 16GB: module 100 sparse INT8 TOPS (GPU + 2 DLA) -> 25 TFLOP/s dense FP16 is the
    # default entry; the GPU alone is 8 SM x 2048 FLOP/clock x 918 MHz = 15.04 TFLOP/s.
    E = mlsysim.Hardware.Edge
    gpu = E.JetsonOrinNX_GPU
    assert gpu.compute.peak_flops.to("TFLOP/s").magnitude == pytest.approx(8 * 2048 * 0.918e9 / 1e12, rel=1e-3)
    assert gpu.compute.peak("int8") == 2 * gpu.compute.peak_flops
    assert gpu.memory.bandwidth == E.JetsonOrinNX.memory.bandwidth
    assert "GPU + DLA" in E.JetsonOrinNX.provenance["compute.peak_flops"].note
    agx = E.JetsonAGXOrin_GPU
    assert agx.compute.peak("int8").to("TFLOP/s").magnitude == pytest.approx(170 / 2, rel=0.01)


def test_int8_and_int4_peaks_let_the_iron_law_run_at_those_precisions():
    from mlsysim.resolvers import IronLawModel
    H = mlsysim.Hardware
    for hw in (H.Cloud.H100, H.Cloud.A100_80GB, H.Cloud.L4, H.Edge.JetsonOrinNX,
               H.Edge.JetsonOrinNX_GPU, H.Mobile.A17Pro, H.Tiny.STM32H743):
        assert IronLawModel().solve(hardware=hw, model=mlsysim.Models.ResNet50,
                                    precision="int8").precision == "int8"
    # A100 datasheet: INT4 1,248 TOPS dense (2,496 with sparsity) = 2 x INT8
    a100 = H.Cloud.A100_80GB
    assert a100.compute.peak("int4") == 2 * a100.compute.peak("int8") == Q_("1248 TFLOP/s")
    # L4 datasheet: 485 INT8 TOPS and 242 FP16 TFLOPS with sparsity; 300 GB/s; 72 W
    l4 = H.Cloud.L4
    assert l4.compute.peak("int8") == Q_("242.5 TFLOP/s") and l4.tdp == Q_("72 W")
    assert l4.memory.bandwidth == Q_("300 GB/s")
    # the MCU's int8 rate is an estimate (clock x SMLAD MACs), and says so
    assert H.Tiny.STM32H743.provenance["compute.precision_flops.int8"].kind == "estimate"
    assert H.Mobile.A17Pro.compute.default_precision == "int8"


def test_rental_prices_are_dated_estimates_usable_as_price_per_hour():
    # AWS EC2 Capacity Blocks (late 2024): p5.48xlarge $39.33/h for 8 H100 = $4.916/GPU-h;
    # p4d.24xlarge $14.75/h for 8 A100 40GB = $1.844.
    from mlsysim.resolvers import CostPerInferenceModel, EconomicsModel
    h = mlsysim.Hardware.Cloud.H100
    assert h.price_per_hour.to("USD/hour").magnitude == pytest.approx(39.33 / 8, rel=1e-3)
    assert mlsysim.Hardware.Cloud.A100_40GB.price_per_hour.to("USD/hour").magnitude == \
        pytest.approx(14.75 / 8, rel=1e-3)
    prov = h.provenance["price_per_hour"]
    assert prov.kind == "estimate" and "2024" in prov.reference and prov.url
    r = EconomicsModel().solve(hardware=h, devices=8, duration=Q_(10, "hour"),
                               price_per_hour=h.price_per_hour)
    assert r.total_cost.m_as("USD") == pytest.approx(8 * 10 * 4.916)
    c = CostPerInferenceModel().solve(throughput=Q_(1000, "token/s"),
                                      price_per_hour=h.price_per_hour)
    assert c.cost_per_million.m_as("USD") == pytest.approx(4.916 / 3.6)


def test_vision_models():
    r50 = mlsysim.Models.Vision.ResNet50
    assert r50.parameters == pytest.approx(25.6e6, rel=0.01)
    assert r50.flops_per_inference.to("GFLOP").magnitude == pytest.approx(8.2)  # 4.1 GMAC x 2
    assert r50.size_in_bytes("fp32").to("MB").magnitude == pytest.approx(102.2, rel=0.01)
    mnv2 = mlsysim.Models.MobileNetV2
    assert mnv2.flops_per_inference == Q_("600 MFLOP")
    kws = mlsysim.Models.DS_CNN_S
    # Hello Edge (Zhang et al. 2017): DS-CNN small needs 38.6 KB = weights + activations.
    total = kws.size_in_bytes("int8") + kws.peak_activation_bytes
    assert total.to("KB").magnitude == pytest.approx(38.6, abs=0.1)


def _kaplan_nonembedding(m):
    d, L, ffn = m.hidden_size, m.layers, None
    if m.kv_heads == m.heads:  # GPT/BERT: 4 d^2 attention + 8 d^2 MLP
        return 12 * L * d * d
    ffn = {4096: 14336, 8192: 28672}[d]  # Llama 3 FFN widths (Llama 3 paper, Table 3)
    kv_dim = d * m.kv_heads // m.heads
    return L * (2 * d * d + 2 * d * kv_dim + 3 * d * ffn)


@pytest.mark.parametrize("key", ["BERT_Base", "GPT2", "GPT2_XL", "GPT3_175B", "Llama3_8B",
                                 "Llama3_70B"])
def test_language_flops_recomputed_from_shape(key):
    m = mlsysim.Models.get(key)
    expected = 2 * _kaplan_nonembedding(m) + 2 * m.layers * m.context_length * m.hidden_size
    assert m.flops_per_inference.to("FLOP").magnitude == pytest.approx(expected, rel=2e-3)


def test_llama_parameter_counts_recomputed():
    for key, params in [("Llama3_8B", 8.03e9), ("Llama3_70B", 70.6e9)]:
        m = mlsysim.Models.get(key)
        counted = _kaplan_nonembedding(m) + 2 * m.vocab_size * m.hidden_size  # untied embeddings
        assert counted == pytest.approx(params, rel=2e-3)
        assert m.kv_heads == 8


def test_frontier_cluster():
    c = mlsysim.Systems.Clusters.Frontier_8K
    assert c.total_accelerators == 8192
    assert c.hardware is mlsysim.Hardware.Cloud.H100
    assert c.fabric.bandwidth_per_gpu.to("GB/s").magnitude == pytest.approx(50)
    assert c.provenance["nodes"].kind == "illustrative"


def test_lookups_and_errors():
    H = mlsysim.Hardware
    assert H.get("h100") is H.Cloud.H100 is H.H100
    assert H.get("NVIDIA H100 SXM5 80GB") is H.H100
    assert H.Cloud.get("H100") is H.H100
    assert len(H.list()) == len(H) == sum(len(getattr(H, ns)) for ns in H.namespaces)
    with pytest.raises(UnknownEntryError, match="H100"):
        H.Cloud.H1000
    with pytest.raises(UnknownEntryError, match="Available"):
        H.get("H1000")
    with pytest.raises(UnknownEntryError):
        H.Edge.get("H100")   # exists, but not in this namespace
    with pytest.raises(KeyError):
        mlsysim.Models.get("Llama4")
    assert isinstance(mlsysim.Models.Language.Llama3_8B.flops_per_inference, Quantity)

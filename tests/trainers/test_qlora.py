"""QLoRA on CPU: 4-bit nf4 base, and gradients through a 4-bit layer stay right after an eval forward."""

from __future__ import annotations

import bitsandbytes as bnb
import torch

from trainers.qlora import load_4bit_model

from .conftest import tiny_config


def test_gradients_through_4bit_layer_match_dequantised_fp32_after_eval_forward(tiny_base, small_train_file, tmp_path):
    model = load_4bit_model(tiny_config(tiny_base, small_train_file, tmp_path / "x", "qlora"))
    layers = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert layers and all(m.support_avx512bf16_for_cpu is False for m in layers)
    layer = model.model.layers[0].mlp.down_proj
    assert isinstance(layer, bnb.nn.Linear4bit) and layer.weight.quant_state.quant_type == "nf4"
    assert layer.weight.quant_state.nested, "double quantisation"
    dense = bnb.functional.dequantize_4bit(layer.weight.data, layer.weight.quant_state).float()
    reference = torch.nn.Linear(dense.shape[1], dense.shape[0], bias=False)
    reference.weight.data = dense

    model.eval()  # the eval forward after which AVX512-BF16 CPUs used to repack weights and break gradients
    with torch.no_grad():
        model(input_ids=torch.tensor([[1, 2, 3, 4]]))
    model.train()

    torch.manual_seed(0)
    x = torch.randn(3, dense.shape[1], requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    upstream = torch.randn(3, dense.shape[0])
    out = layer(x)
    out.backward(upstream)
    reference(x_ref).backward(upstream)
    assert torch.allclose(out, reference(x_ref), atol=1e-4)
    assert torch.allclose(x.grad, x_ref.grad, atol=1e-4), (x.grad - x_ref.grad).abs().max()

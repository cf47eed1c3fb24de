"""QLoRA: a LoRA adapter trained over a 4-bit (bitsandbytes nf4, double-quantised) base model.

On CPUs with AVX512-BF16, bitsandbytes repacks a Linear4bit's weight into a CPU-only layout the first time
the layer runs a forward without gradients in eval mode, and the training forward that follows then computes
wrong gradients without any error. ``disable_avx512bf16_repack`` switches that path off on every 4-bit layer;
``load_4bit_model`` always applies it.

Compute dtype: bfloat16 on GPUs; float32 on CPUs (``compute_dtype = "auto"``), where bf16 matmuls are
emulated on most chips and the small models that train on a CPU gain nothing from halving activations.
"""

from __future__ import annotations

from typing import Any

from harness.errors import MissingDependency
from trainers.config import TrainConfig, compute_dtype, on_cuda


def quantization_config(config: TrainConfig) -> Any:
    """nf4 weights, double quantisation of the scales, compute in the run's compute dtype."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=compute_dtype(config))


def disable_avx512bf16_repack(model: Any) -> int:
    """Turn off bitsandbytes' CPU AVX512-BF16 weight repacking on every Linear4bit; return how many were set."""
    import bitsandbytes as bnb

    count = 0
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False
            count += 1
    return count


def load_4bit_model(config: TrainConfig) -> Any:
    """The base model quantised to 4 bits and prepared for k-bit training (norms in fp32, input grads on)."""
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise MissingDependency("bitsandbytes", "QLoRA (method = 'qlora')") from None
    from accelerate import PartialState
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    device = PartialState().local_process_index if on_cuda(config) else "cpu"
    model = AutoModelForCausalLM.from_pretrained(
        config.base, quantization_config=quantization_config(config), device_map={"": device},
        dtype=compute_dtype(config), use_safetensors=True, trust_remote_code=False)
    disable_avx512bf16_repack(model)
    model.config.use_cache = False
    return prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)

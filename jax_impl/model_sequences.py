"""The sequence layers as model specs: the forward of each kind of ``reference.model_sequences``.

Self-attention feeds the layer's input as query and value; ``residual`` adds it back.
"""

from jax_impl.layers import attention, position_embedding, recurrent
from reference.model_sequences import KINDS, RECURRENT_KINDS  # noqa: F401  (model's dispatch)


def layer_forward(kind, config, params, x):
    if kind in RECURRENT_KINDS:
        forward = getattr(recurrent, f"{kind}_forward")
        return forward(params, x, None, config.get("return_sequences", False))
    if kind == "position_embedding":
        return position_embedding.position_embedding_forward(params, x)
    causal = config.get("use_causal_mask", False)
    y = attention.multi_head_attention_forward(params, x, x, None, None, causal)
    return x + y if config.get("residual", False) else y

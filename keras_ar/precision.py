"""keras-ar models compute in float32, whatever Keras' global dtype policy says.

log p(x) = sum_i log p(x_i | x_<i) adds hundreds of terms (784 for an MNIST digit):
with bfloat16's 8-bit significand a sum near 90 nats is rounded to a multiple of 0.5
(float16: of 0.0625), and the running sums of NADE and the sampling loops carry state
across every step, where rounding errors add up as well. So a model and every layer
inside it take the "float32" policy: under `keras.config.set_dtype_policy(
"mixed_bfloat16")` (or "mixed_float16"), set for other models in the same program, a
keras-ar model still trains, evaluates, samples and exports in float32 (with a warning,
once per model class), and asking a model itself for another policy is an error that
says why. What float32 costs, measured on a CPU with bfloat16 matrix units (AMX):
DeepNADE 1000x1000 with bfloat16 layers trained about 1.5x faster at batch 512, and
slower at batch 100 (docs/contract.md, "Precision").
"""

import warnings

import keras

from keras_ar.validation import user_stacklevel

FLOAT32 = "float32"
WHY = ("exact log-probabilities add hundreds of terms and the sampling loops carry state "
       "across every step, which bfloat16 and float16 would round or overflow")
_warned = set()


def float32_policy(model_name, dtype=None):
    """The dtype policy of a keras-ar model: "float32".

    `dtype` is the model's `dtype` argument (None, a policy name, a `DTypePolicy` or its
    config, as in a saved model). Anything other than float32 raises a ValueError; with
    `dtype=None` a non-float32 global policy is overridden, with a warning once per model
    class.
    """
    if dtype is None:
        policy = keras.config.dtype_policy()
        if _is_float32(policy) or model_name in _warned:
            return FLOAT32
        _warned.add(model_name)
        warnings.warn(
            f"{model_name} computes in float32: Keras' global dtype policy is "
            f"{policy.name!r}, which applies to other layers and models but not to "
            f"keras-ar models ({WHY}).",
            stacklevel=user_stacklevel(),
        )
        return FLOAT32
    try:
        policy = keras.dtype_policies.get(dtype)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{model_name}: unknown dtype {dtype!r} ({error}).") from None
    if not _is_float32(policy):
        raise ValueError(
            f"{model_name} computes in float32, got dtype={policy.name!r}: {WHY}. "
            "Leave `dtype` unset (the model is float32 even under a mixed global "
            "policy) or pass dtype='float32'."
        )
    return FLOAT32


def _is_float32(policy):
    return (
        policy.compute_dtype == FLOAT32
        and policy.variable_dtype == FLOAT32
        and policy.quantization_mode is None
    )


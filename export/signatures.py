"""The exported functions of any `AutoregressiveModel`, built from the contract alone.

Every format exposes the same signatures (docs/contract.md, docs/manifest.md):

- `initial_state`: `noise` `(B,)` -> the state tensors by name. The uniform only matters
  when the initial state is random (MADE with several masks picks its mask); the input
  exists for every model because LiteRT's Java `runSignature` rejects calls without inputs.
- `step`: state tensors by name + `x_prev` `(B,)` + `noise` `(B, noise_size)` +
  `temperature` `(1,)` -> `new_<state>` + `sample` + `distribution.export_outputs`.
- `log_prob`: `x` `(B, input_dim)` (CharRNN: `(B, sequence_length)` ids, < 0 = padding)
  -> `log_prob` `(B,)`.
- `sample` (image models): `noise` `(B, input_dim, noise_size)` + `temperature` (+
  `initial_noise` `(B,)` when the initial state is random) -> `sample` `(B, input_dim)`
  in data order; the whole ancestral loop (`Sampler.run`, a `fori_loop`) in one call.
- `conditional_sample` (order-agnostic models, `model.exact_conditionals`): `image`
  `(B, input_dim)` + `mask` `(B, input_dim)` float32 (1 = observed) + `noise`
  `(B, input_dim, noise_size)` + `temperature` -> `sample` `(B, input_dim)`, the image
  completed from the exact p(x_missing | x_observed) (the loop inside, data order).

Shapes are static; B is the export batch size (1 by default).
"""

import dataclasses

import numpy as np
from keras import ops

from keras_ar.conditional import run_from_evidence
from keras_ar.samplers import Sampler

# float16 artifacts keep float32 inputs/outputs; names of the dtypes we emit
_DTYPES = {"float32", "int32"}


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """Name, dtype and static shape of one signature input or output."""

    name: str
    dtype: str
    shape: tuple

    def to_json(self):
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}

    @classmethod
    def from_json(cls, data):
        return cls(str(data["name"]), str(data["dtype"]), tuple(int(s) for s in data["shape"]))


@dataclasses.dataclass
class Signature:
    """A function of positional tensors (in `inputs` order) returning a dict of outputs."""

    name: str
    fn: object
    inputs: list
    outputs: list

    def tensor_specs(self):
        import tensorflow as tf

        return [tf.TensorSpec(i.shape, i.dtype, name=i.name) for i in self.inputs]

    def to_json(self):
        return {
            "inputs": [i.to_json() for i in self.inputs],
            "outputs": [o.to_json() for o in self.outputs],
        }


def is_sequence_model(model):
    """CharRNN-like models have no fixed `input_dim`; their length is chosen at export."""
    return getattr(model, "input_dim", None) is None


def _dtype_name(tensor):
    name = str(ops.convert_to_numpy(tensor).dtype)
    if name not in _DTYPES:
        raise TypeError(f"Exported tensors must be float32 or int32, got {name}.")
    return name


def _infer_outputs(fn, inputs):
    """Traces `fn` (no execution) to read the output names, dtypes and static shapes."""
    import tensorflow as tf

    specs = [tf.TensorSpec(i.shape, i.dtype, name=i.name) for i in inputs]
    outputs = tf.function(fn).get_concrete_function(*specs).structured_outputs
    infos = []
    for name, value in outputs.items():
        if not value.shape.is_fully_defined():
            raise ValueError(
                f"Output {name!r} has a dynamic shape {value.shape}; export needs static shapes."
            )
        if value.dtype.name not in _DTYPES:
            raise TypeError(
                f"Exported tensors must be float32 or int32; {name!r} is {value.dtype.name}."
            )
        infos.append(TensorInfo(name, value.dtype.name, tuple(int(s) for s in value.shape)))
    return infos


def initial_state_is_random(model, batch_size=1):
    """Whether `initial_state` depends on its noise (MADE with several masks picks a mask)."""
    low = model.initial_state(batch_size, noise=ops.zeros((batch_size,)))
    high = model.initial_state(batch_size, noise=ops.full((batch_size,), 0.999999))
    return any(
        not np.array_equal(ops.convert_to_numpy(low[k]), ops.convert_to_numpy(high[k])) for k in low
    )


def state_infos(model, batch_size=1):
    """The state tensors, in the order of the step signature."""
    state = model.initial_state(batch_size)
    return [
        TensorInfo(name, _dtype_name(value), tuple(int(s) for s in value.shape))
        for name, value in state.items()
    ]


class _TensorTemperatureSampler(Sampler):
    """`Sampler` whose temperature is a tensor input of the exported function."""

    def __init__(self, temperature):
        self.temperature = temperature


def build_signatures(model, batch_size=1, sequence_length=64):
    """The export functions of `model` as `{name: Signature}`.

    Args:
        model: a built `AutoregressiveModel`.
        batch_size: static batch size B of every signature.
        sequence_length: length T of the `log_prob` input of sequence models.

    Returns:
        dict with keys `initial_state`, `step`, `log_prob` and, for image models, `sample`.
    """
    distribution = model.distribution
    value_dtype = distribution.value_dtype
    noise_size = distribution.noise_size
    states = state_infos(model, batch_size)
    names = [s.name for s in states]
    random_start = initial_state_is_random(model, batch_size)

    # --- initial_state ----------------------------------------------------------------
    # Always one input: LiteRT's Java `runSignature` refuses a call without inputs. The
    # uniform picks the random part of the state (MADE's mask); other models ignore it.
    init_inputs = [TensorInfo("noise", "float32", (batch_size,))]

    def initial_state_fn(noise):
        state = model.initial_state(batch_size, noise=noise if random_start else None)
        # an identity op per output keeps constant outputs addressable in every format
        return {name: ops.add(state[name], ops.zeros_like(state[name])) for name in names}

    # --- step -------------------------------------------------------------------------
    step_inputs = list(states) + [
        TensorInfo("x_prev", value_dtype, (batch_size,)),
        TensorInfo("noise", "float32", (batch_size, noise_size)),
        TensorInfo("temperature", "float32", (1,)),
    ]

    def step_fn(*args):
        state = dict(zip(names, args[: len(names)]))
        x_prev, noise, temperature = args[len(names) :]
        params, new_state = model.step(state, x_prev)
        outputs = {f"new_{name}": new_state[name] for name in names}
        outputs["sample"] = ops.cast(distribution.sample(params, noise, temperature), value_dtype)
        outputs.update(distribution.export_outputs(params, temperature))
        return outputs

    # --- log_prob ---------------------------------------------------------------------
    if is_sequence_model(model):
        x_info = TensorInfo("x", "int32", (batch_size, int(sequence_length)))

        def log_prob_fn(x):
            return {"log_prob": _sequence_log_prob(model, x)}

    else:
        x_info = TensorInfo("x", value_dtype, (batch_size, model.input_dim))

        def log_prob_fn(x):
            return {"log_prob": model(x, training=False)}

    signatures = {
        "initial_state": (initial_state_fn, init_inputs),
        "step": (step_fn, step_inputs),
        "log_prob": (log_prob_fn, [x_info]),
    }

    # --- sample (image models) --------------------------------------------------------
    if not is_sequence_model(model):
        sample_inputs = [
            TensorInfo("noise", "float32", (batch_size, model.input_dim, noise_size)),
            TensorInfo("temperature", "float32", (1,)),
        ]
        if random_start:
            sample_inputs.append(TensorInfo("initial_noise", "float32", (batch_size,)))

        def sample_fn(noise, temperature, initial_noise=None):
            sampler = _TensorTemperatureSampler(temperature)
            values = sampler.run(model, noise, initial_noise=initial_noise)
            return {"sample": model.to_data_order(values)}

        signatures["sample"] = (sample_fn, sample_inputs)

    # --- conditional_sample (order-agnostic models) -----------------------------------
    if getattr(model, "exact_conditionals", False):
        image_shape = (batch_size, model.input_dim)
        conditional_inputs = [
            TensorInfo("image", value_dtype, image_shape),
            TensorInfo("mask", "float32", image_shape),
            TensorInfo("noise", "float32", image_shape + (noise_size,)),
            TensorInfo("temperature", "float32", (1,)),
        ]

        def conditional_sample_fn(image, mask, noise, temperature):
            sampler = _TensorTemperatureSampler(temperature)
            observed = model.to_step_order(mask) > 0.5
            values = run_from_evidence(model, noise, model.to_step_order(image), observed, sampler)
            return {"sample": model.to_data_order(values)}

        signatures["conditional_sample"] = (conditional_sample_fn, conditional_inputs)

    return {
        name: Signature(name, fn, inputs, _infer_outputs(fn, inputs))
        for name, (fn, inputs) in signatures.items()
    }


def _sequence_log_prob(model, tokens):
    """log p(ids) of a sequence model through its `step` loop (ids < 0 are padding).

    Uses the step function rather than the sequence layers so that the exported graph
    is one WHILE over a single cell (TFLite builtins only; a whole-sequence Keras
    RNN layer converts to Flex TensorList ops).
    """
    batch_size, length = tokens.shape[0], tokens.shape[1]
    distribution = model.distribution
    state = model.initial_state(batch_size)
    x_prev = ops.zeros((batch_size,), "int32")  # the boundary token starts every item
    total = ops.zeros((batch_size,), "float32")

    def body(i, carry):
        state, x_prev, total = carry
        params, state = model.step(state, x_prev)
        token = ops.take(tokens, i, axis=1)  # (batch,)
        valid = ops.cast(token >= 0, "float32")
        token = ops.maximum(token, 0)
        total = total + valid * distribution.log_prob(params, token)
        return state, token, total

    _, _, total = ops.fori_loop(0, length, body, (state, x_prev, total))
    return total

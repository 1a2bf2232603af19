"""Lossless image codec from a trained image model: range coding of p(x_i | x_<i).

The model's exact conditionals drive `constriction`'s range coder (a queue: symbols are
decoded in the order they were encoded, which is the model's step order). The encoder
and the decoder compute every conditional through the same code path, `model.step`
on batches of the same size, then the same float64 numpy pmf from its float32 outputs,
so they quantize identical probabilities and decoding is bit-exact. The compressed size
is within a few bits per image of the model's NLL, -log2 p(x).

File format (`.kar`): the magic ``b"KARC"``, a uint32 (little-endian) header length,
a UTF-8 JSON header (shape, dtype, model fingerprint, batch size, word count), then the
range coder's uint32 words (little-endian).

Example:
>>> data = compress(model, images)           # doctest: +SKIP
>>> np.array_equal(decompress(model, data), images)  # doctest: +SKIP
True
"""

import hashlib
import json
import struct

import keras
import numpy as np

from keras_ar.host_heads import discretized_logistic_pmf

MAGIC = b"KARC"
FORMAT_VERSION = 1
DEFAULT_BATCH_SIZE = 500
DISCRETE_HEADS = ("bernoulli", "categorical", "discretized_logistic_mixture")


def _constriction():
    try:
        import constriction
    except ImportError:
        raise ImportError(
            "The codec needs `constriction` (pip install 'keras-ar[codec]')."
        ) from None
    return constriction


def model_fingerprint(model):
    """sha256 of the model's class, config and weights: the decoder must use the same model."""
    model.ensure_built()
    digest = hashlib.sha256(type(model).__name__.encode())
    digest.update(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for weight in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
    return digest.hexdigest()


def step_pmf(distribution, params):
    """The float64 `(batch, K)` pmf of one step from the head's float32 outputs."""
    params = {name: np.asarray(keras.ops.convert_to_numpy(v)) for name, v in params.items()}
    name = distribution.name
    if name == "bernoulli":
        p = 1.0 / (1.0 + np.exp(-params["logits"].astype(np.float64)))
        return np.stack([1.0 - p, p], axis=-1)
    if name == "categorical":
        logits = params["logits"].astype(np.float64)
        shifted = np.exp(logits - logits.max(-1, keepdims=True))
        return shifted / shifted.sum(-1, keepdims=True)
    if name == "discretized_logistic_mixture":
        log_scales = np.clip(params["log_scales"], distribution.min_log_scale, distribution.max_log_scale)
        logits = params["mixture_logits"].astype(np.float64)
        weights = np.exp(logits - logits.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        return discretized_logistic_pmf(
            weights, params["means"], np.exp(log_scales.astype(np.float64)), distribution.num_values
        )
    raise ValueError(f"The codec needs a discrete head {DISCRETE_HEADS}, got {name!r}.")


def _check_model(model):
    if getattr(model, "input_dim", None) is None:
        raise ValueError(f"The codec takes image models (with an input_dim), not {type(model).__name__}.")
    if model.distribution.name not in DISCRETE_HEADS:
        raise ValueError(
            f"The codec needs a discrete head {DISCRETE_HEADS}; {type(model).__name__} has "
            f"a {model.distribution.name} head (continuous values cannot be coded losslessly)."
        )


def _code(model, coder, steps, batch_size, decode):
    """Runs the step loop over `steps` ((N, n) in step order; None when decoding)."""
    constriction = _constriction()
    family = constriction.stream.model.Categorical(perfect=False)
    dtype = model.distribution.value_dtype
    count, n = steps.shape
    for start in range(0, count, batch_size):
        rows = min(batch_size, count - start)
        block = steps[start : start + rows]
        # pad to the batch size so that every batch has the same shapes on both sides
        padded = np.zeros((batch_size, n), block.dtype)
        padded[:rows] = block
        state = model.initial_state(batch_size)
        x_prev = np.zeros((batch_size,), dtype)
        for i in range(n):
            params, state = model.step(state, x_prev)
            pmf = step_pmf(model.distribution, params)[:rows]
            if decode:
                padded[:rows, i] = coder.decode(family, pmf)
            else:
                coder.encode(padded[:rows, i].astype(np.int32), family, pmf)
            x_prev = padded[:, i].astype(dtype)
        block[:] = padded[:rows]
    return steps


def compress(model, images, batch_size=DEFAULT_BATCH_SIZE):
    """The `.kar` bytes of `images` ((N, n) or (N, *image_shape)) under `model`."""
    constriction = _constriction()
    _check_model(model)
    original = np.asarray(images)
    x = np.asarray(model.check_inputs(original))
    x = x.reshape(x.shape[0], model.input_dim)
    if x.shape[0] == 0:
        raise ValueError("Nothing to compress: `images` holds 0 images.")
    steps = np.ascontiguousarray(x[:, model.ordering]).astype(np.int64)
    encoder = constriction.stream.queue.RangeEncoder()
    _code(model, encoder, steps, int(batch_size), decode=False)
    words = encoder.get_compressed().astype("<u4")
    header = {
        "format_version": FORMAT_VERSION,
        "shape": list(original.shape),
        "dtype": str(original.dtype),
        "model": type(model).__name__,
        "model_fingerprint": model_fingerprint(model),
        "batch_size": int(batch_size),
        "words": int(words.size),
    }
    header_bytes = json.dumps(header, sort_keys=True).encode()
    return MAGIC + struct.pack("<I", len(header_bytes)) + header_bytes + words.tobytes()


def read_header(data):
    """(header dict, uint32 words) of `.kar` bytes; ValueError if malformed."""
    if len(data) < 8 or data[:4] != MAGIC:
        raise ValueError("Not a keras-ar compressed file (missing the KARC magic).")
    (length,) = struct.unpack("<I", data[4:8])
    try:
        header = json.loads(data[8 : 8 + length].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"Corrupt .kar header ({error}).") from None
    words = np.frombuffer(data[8 + length :], "<u4")
    if header.get("format_version") != FORMAT_VERSION or words.size != header.get("words"):
        raise ValueError(
            f"Corrupt or truncated .kar file: expected format {FORMAT_VERSION} and "
            f"{header.get('words')} words, found format {header.get('format_version')} "
            f"and {words.size} words."
        )
    return header, words.astype(np.uint32)


def decompress(model, data):
    """The images that `compress(model, images)` turned into `data`, bit for bit."""
    constriction = _constriction()
    _check_model(model)
    header, words = read_header(data)
    fingerprint = model_fingerprint(model)
    if header["model_fingerprint"] != fingerprint:
        raise ValueError(
            f"This file was compressed with another model ({header['model']}, fingerprint "
            f"{header['model_fingerprint'][:12]}...); this model is {type(model).__name__} "
            f"{fingerprint[:12]}... Decode with the same trained model."
        )
    shape = tuple(header["shape"])
    steps = np.zeros((shape[0], model.input_dim), np.int64)
    decoder = constriction.stream.queue.RangeDecoder(words)
    _code(model, decoder, steps, int(header["batch_size"]), decode=True)
    x = np.empty_like(steps)
    x[:, model.ordering] = steps
    return x.astype(header["dtype"]).reshape(shape)


def compression_report(model, images, data):
    """File bits next to the model's NLL in bits (the gap is the coder's overhead)."""
    x = np.asarray(images).reshape(len(images), -1)
    nll_bits = float(-np.sum(keras.ops.convert_to_numpy(model.log_prob(x)).astype(np.float64)) / np.log(2.0))
    header, words = read_header(data)
    file_bits = 8 * len(data)
    dims = x.size
    return {
        "images": int(x.shape[0]),
        "file_bits": file_bits,
        "payload_bits": 32 * int(words.size),
        "nll_bits": nll_bits,
        "file_bits_per_dim": file_bits / dims,
        "nll_bits_per_dim": nll_bits / dims,
        "overhead_bits_per_image": (file_bits - nll_bits) / x.shape[0],
        "overhead_percent": 100.0 * (file_bits - nll_bits) / nll_bits,
    }



"""What `fit`, `evaluate` and `sample` check before any computation: clear errors
instead of NaN or a deep backend traceback."""

import keras
import numpy as np
from keras import ops

from keras_ar.validation import nonfinite_summary, to_numpy_or_none


def check_fit_data(model, data):
    """`data` (an array or a `tf.data.Dataset` of x alone) for `fit`/`evaluate`."""
    if isinstance(data, tuple) and len(data) == 1:
        data = data[0]
    elif isinstance(data, tuple):
        raise ValueError(
            f"Got a tuple of {len(data)} arrays; density models use x alone (no "
            "targets): pass `x` (or `validation_data=x_val`)."
        )
    if hasattr(data, "take") and hasattr(data, "element_spec"):  # tf.data
        for batch in data.take(1):
            if isinstance(batch, (tuple, list)):
                if len(batch) != 1:
                    raise ValueError(
                        "The dataset yields tuples of "
                        f"{len(batch)} elements; density models train on x alone. "
                        "Map it to x only: `ds.map(lambda x, y: x)`."
                    )
                batch = batch[0]
            model.check_inputs(batch)
        return data
    if to_numpy_or_none(data) is not None:
        return model.check_inputs(data)
    return data


# fit arguments only Keras' own array adapter implements
_KERAS_ADAPTER_ONLY = ("validation_split", "sample_weight", "class_weight", "steps_per_epoch")


def _uses_keras_adapter_only(kwargs):
    """Whether a fit argument only Keras' array adapter implements is set (not at its
    default: None, or 0.0 for validation_split)."""
    return any(kwargs.get(name) is not None and not (name == "validation_split" and not kwargs[name])
               for name in _KERAS_ADAPTER_ONLY)


def fit_input(x, kwargs, callbacks=()):
    """(x, fit kwargs) with an in-memory array turned into `fit_pipeline` on TensorFlow
    (same batches as Keras' adapter, without its input threads; see there). Other
    backends, datasets, and calls using arguments only Keras' adapter implements keep
    Keras' adapter, and so do fits with `BackupAndRestore`: a run resumed in a new
    process replays Keras' adapter's epoch order, not the pipeline's."""
    shuffle = kwargs.get("shuffle", True)
    resumable = any(isinstance(c, keras.callbacks.BackupAndRestore) for c in callbacks)
    if (keras.backend.backend() != "tensorflow" or not isinstance(x, np.ndarray) or resumable
            or not isinstance(shuffle, bool) or _uses_keras_adapter_only(kwargs)):
        return x, kwargs
    from keras_ar.datasets.tf_data import fit_pipeline

    batch_size = kwargs.get("batch_size") or 32  # Keras' default
    # the pipeline batches and shuffles; shuffle=False keeps Keras from warning about it
    kwargs = {**{k: v for k, v in kwargs.items() if k != "batch_size"}, "shuffle": False}
    return fit_pipeline(x, batch_size, shuffle), kwargs


def check_noise(model, noise, num_samples, length):
    """`noise` as uniforms `(num_samples, length, noise_size)` in [0, 1), as a tensor."""
    try:
        noise = np.asarray(ops.convert_to_numpy(noise), dtype="float32")
    except (TypeError, ValueError) as error:
        raise TypeError(f"`noise` must be a float array of uniforms ({error}).") from None
    expected = (length, model.distribution.noise_size)
    if noise.ndim != 3 or tuple(noise.shape[1:]) != expected or noise.shape[0] == 0:
        raise ValueError(
            f"`noise` must have shape (num_samples, {expected[0]}, {expected[1]}), "
            f"got {tuple(noise.shape)}."
        )
    if num_samples not in (1, noise.shape[0]):  # 1 is the default: take noise's batch
        raise ValueError(
            f"num_samples={num_samples} but `noise` holds {noise.shape[0]} samples."
        )
    if not np.all((noise >= 0) & (noise < 1)):  # also catches NaN
        finite = noise[np.isfinite(noise)]
        value_range = f"[{finite.min()}, {finite.max()}]" if finite.size else "none finite"
        raise ValueError(
            "`noise` must hold uniforms in [0, 1) (no NaN); got range "
            f"{value_range}, {int(np.sum(np.isnan(noise)))} NaN."
        )
    return ops.convert_to_tensor(noise)


def prepare_given(model, given, observed, num_samples, length):
    """(`given` values, `observed` mask) for conditional sampling, in step order, as
    tensors `(num_samples, length)`; NaN in `given` marks unknowns when `observed` is None."""
    try:
        given = np.asarray(ops.convert_to_numpy(given), dtype="float32")
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"`given` must be a numeric array (NaN = unknown); could not convert it ({error})."
        ) from None
    if given.ndim == 0:
        raise ValueError(f"`given` must have shape ({num_samples}, {length}), got a scalar.")
    if given.ndim == 1:
        given = np.broadcast_to(given, (num_samples, given.shape[0]))
    given = given.reshape(given.shape[0], -1)
    if given.shape != (num_samples, length):
        raise ValueError(
            f"`given` must have shape ({num_samples}, {length})"
            + (f" or ({num_samples}, *{model.image_shape})" if model.image_shape else "")
            + f" (or one row to broadcast), got {given.shape}."
        )
    if observed is None:
        observed = ~np.isnan(given)
    else:
        observed = np.asarray(ops.convert_to_numpy(observed))
        if observed.dtype != bool:
            raise TypeError(f"`observed` must be a boolean mask, got dtype {observed.dtype}.")
        try:
            observed = np.broadcast_to(observed.reshape(observed.shape[0], -1)
                                       if observed.ndim > 1 else observed, given.shape)
        except ValueError:
            raise ValueError(
                f"`observed` has shape {observed.shape}; it must match `given` "
                f"{given.shape} (or be one row)."
            ) from None
    known = np.where(observed, given, 0.0)
    try:
        model.check_inputs(known)
    except ValueError as error:
        raise ValueError(f"Invalid `given` values: {error}") from None
    if model.input_kind == "tokens" and np.any(known < 0):
        raise ValueError(
            "Invalid `given` values: observed token ids must be >= 0 (padding cannot "
            "be given); mark unknown positions with `observed=False` instead."
        )
    if model.input_dim is not None and not model._identity_order:
        known, observed = known[:, model.ordering], observed[:, model.ordering]
    return (
        ops.convert_to_tensor(known.astype(model.distribution.value_dtype)),
        ops.convert_to_tensor(observed),
    )


def check_finite_samples(values):
    """Raises FloatingPointError if concrete samples hold NaN/inf (traced: no check)."""
    try:
        values = ops.convert_to_numpy(values)
    except Exception:  # traced: nothing to check
        return
    found = nonfinite_summary(values)
    if found:
        raise FloatingPointError(
            f"Sampling produced {found[0]} NaN/inf value(s) (first at step "
            f"{found[1][1]}): the model's weights are not finite or "
            "its conditionals overflow float32. Check the weights (training diverged?)."
        )

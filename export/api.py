"""`export_model`: every format, the manifest and a report, written atomically.

    report = export_model(model, "exports/nade", quantize=("float16", "int8"))

writes `exports/nade/` with `saved_model/`, `model.tflite` (+ quantized variants),
`initial_state.onnx`, `step.onnx`, `log_prob.onnx`, `sample.onnx` and `manifest.json`.
Everything is written to a temporary directory beside `out_dir` and renamed at the end,
so a failed export never leaves a half-written directory.
"""

import os
import shutil
import tempfile

import numpy as np

from keras_ar.export.report import artifact_sizes

FORMATS = ("saved_model", "tflite", "onnx")


def _validate(model, formats, quantize, batch_size, sequence_length):
    from keras_ar.export.quantization import canonical_quantization
    from keras_ar.models import AutoregressiveModel
    from keras_ar.validation import check_positive_int

    if not isinstance(model, AutoregressiveModel):
        raise TypeError(
            f"export_model needs a keras_ar AutoregressiveModel, got {type(model).__name__}."
        )
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(dict.fromkeys(str(f).lower() for f in formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"Unknown export format(s) {unknown or list(formats)}; choose from {list(FORMATS)}."
        )
    if isinstance(quantize, str):
        quantize = (quantize,)
    quantize = tuple(dict.fromkeys(canonical_quantization(q) for q in quantize or ()))
    if quantize and "tflite" not in formats:
        raise ValueError("Quantization applies to TFLite: add 'tflite' to formats.")
    batch_size = check_positive_int("batch_size", batch_size)
    sequence_length = check_positive_int("sequence_length", sequence_length)
    if not model.built or not model.weights:
        raise ValueError("model has no weights: build it (call log_prob or fit) before export.")
    return formats, quantize, batch_size, sequence_length


def _evaluation_batch(model, evaluation_data, sequence_length, functions, batch_size, size=16):
    """Data for the NLL checks: the given data, or samples of the model itself (seeded).

    Image models are sampled with the traced `sample` endpoint (a graph loop, much
    faster than eager `model.sample` for large n), sequences with `model.sample`.
    """
    from keras import ops

    if evaluation_data is not None:
        return model.check_inputs(evaluation_data)
    if model.input_dim is None:
        values = ops.convert_to_numpy(model.sample(size, seed=0, length=sequence_length))
        return model.check_inputs(values)
    rng = np.random.default_rng(0)
    noise_shape = (batch_size, model.input_dim, model.distribution.noise_size)
    args = [rng.random(noise_shape).astype("float32") for _ in range(-(-size // batch_size))]
    temperature = np.ones((1,), "float32")
    extra = (
        [np.zeros((batch_size,), "float32")] if len(functions["sample"].input_signature) > 2 else []
    )
    values = [
        ops.convert_to_numpy(functions["sample"](u, temperature, *extra)["sample"]) for u in args
    ]
    return model.check_inputs(np.concatenate(values)[:size])


def _nll(log_prob):
    return float(-np.mean(np.asarray(log_prob, "float64")))


def export_model(
    model,
    out_dir,
    formats=FORMATS,
    quantize=(),
    batch_size=1,
    overwrite=False,
    sequence_length=64,
    evaluation_data=None,
):
    """Exports `model` to `out_dir` in every requested format, with manifest.json.

    Args:
        model: a built `AutoregressiveModel` (trained, or at least with weights).
        out_dir: the export directory (created; see `overwrite`).
        formats: any of "saved_model", "tflite", "onnx".
        quantize: extra TFLite variants: "float16" and/or "int8" (dynamic range).
        batch_size: static batch size of every signature (1 for the app).
        overwrite: replace an existing `out_dir` (otherwise it is an error).
        sequence_length: length of the `log_prob` input of sequence models (CharRNN).
        evaluation_data: a small batch for the NLL checks; model samples when None.

    Returns:
        the report dict: files and sizes, signatures, the NLL of every TFLite variant
        and its relative change against Keras, and max |log_prob| differences.

    Raises:
        ValueError: unbuilt model, unknown format or quantization.
        FileExistsError: `out_dir` exists and `overwrite` is False.
        ExportError: a converter failed or an artifact failed its check.
    """
    import keras
    import tensorflow as tf

    from keras_ar.export import manifest as manifest_lib
    from keras_ar.export import runtime
    from keras_ar.export.onnx import OPSET, export_onnx
    from keras_ar.export.quantization import QUANTIZATIONS
    from keras_ar.export.saved_model import export_saved_model, make_archive
    from keras_ar.export.signatures import build_signatures, initial_state_is_random
    from keras_ar.export.tflite import export_tflite
    from keras_ar.version import __version__

    formats, quantize, batch_size, sequence_length = _validate(
        model, formats, quantize, batch_size, sequence_length
    )
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not overwrite:
        raise FileExistsError(
            f"{out_dir} already exists; pass overwrite=True (CLI: --overwrite) to replace it."
        )
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.partial-", dir=parent)
    scratch = None
    try:
        signatures = build_signatures(model, batch_size, sequence_length)
        archive, functions = make_archive(model, signatures)
        files = {}
        warnings = []
        saved_model_dir = os.path.join(work, "saved_model")
        if "saved_model" not in formats:  # TFLite converts from a SavedModel anyway
            scratch = tempfile.mkdtemp(prefix=".saved_model-", dir=parent)
            saved_model_dir = os.path.join(scratch, "saved_model")
        if "saved_model" in formats or "tflite" in formats:
            export_saved_model(model, saved_model_dir, archive=archive)
            if "saved_model" in formats:
                files["saved_model"] = "saved_model"

        tflite_keys = list(signatures)
        if "tflite" in formats:
            variants = (None,) + quantize
            for index, variant in enumerate(variants):
                path = os.path.join(work, QUANTIZATIONS[variant].file)
                try:
                    export_tflite(saved_model_dir, path, tflite_keys, variant)
                except Exception as error:
                    # the fused `sample` loop is optional on TFLite: drop it, keep the rest
                    if index or "sample" not in tflite_keys:
                        raise
                    tflite_keys = [k for k in tflite_keys if k != "sample"]
                    warnings.append(f"`sample` left out of TFLite: {error}")
                    export_tflite(saved_model_dir, path, tflite_keys, variant)
                files[QUANTIZATIONS[variant].files_key] = QUANTIZATIONS[variant].file
        if "onnx" in formats:
            files["onnx"] = export_onnx(functions, signatures, work, OPSET)

        options = {
            "batch_size": batch_size,
            "sequence_length": sequence_length if model.input_dim is None else None,
            "onnx_opset": OPSET if "onnx" in formats else None,
            "tflite_signatures": tflite_keys if "tflite" in formats else None,
            "keras_version": keras.__version__,
            "tensorflow_version": tf.__version__,
        }
        manifest = manifest_lib.build_manifest(
            model, signatures, files, options, __version__, initial_state_is_random(model)
        )
        manifest_lib.write_manifest(work, manifest)

        report = {
            "out_dir": out_dir,
            "model": manifest["model"]["kind"],
            "formats": list(formats),
            "batch_size": batch_size,
            "signatures": {
                "saved_model": list(signatures) if "saved_model" in formats else [],
                "tflite": tflite_keys if "tflite" in formats else [],
                "onnx": list(files.get("onnx", {})),
            },
            "sizes": artifact_sizes(work, files),
            "warnings": warnings,
        }
        x = _evaluation_batch(model, evaluation_data, sequence_length, functions, batch_size)
        report.update(_check_nll(model, work, files, quantize, x, runtime))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    _move_into_place(work, out_dir)
    return report


def _check_nll(model, work, files, quantize, x, runtime):
    """NLL of Keras and of every exported runtime on one small batch `x`."""
    from keras import ops

    from keras_ar.export.quantization import quantization

    reference = ops.convert_to_numpy(model.log_prob(x))
    keras_nll = _nll(reference)
    result = {
        "evaluation_examples": int(x.shape[0]),
        "keras_nll": keras_nll,
        "nll": {},
        "max_abs_log_prob_diff": {},
    }
    checks = []
    if "tflite" in files:
        checks.append(("tflite", "litert", None))
        checks.extend((quantization(q).files_key, "litert", q) for q in quantize)
    if "onnx" in files:
        checks.append(("onnx", "onnx", None))
    step_reference = None
    for key, backend, variant in checks:
        runner = runtime.load(work, backend=backend, variant=variant)
        log_prob = runner.log_prob(x)
        nll = _nll(log_prob)
        entry = result["nll"][key] = {
            "nll": nll,
            "change": nll - keras_nll,
            "relative_change": _relative(nll, keras_nll),
        }
        result["max_abs_log_prob_diff"][key] = float(np.max(np.abs(log_prob - reference)))
        if quantize and backend == "litert":
            # a quantized file may quantize `step` (what sampling runs) but not `log_prob`
            step_nll = _nll(runner.step_log_prob(x))
            if variant is None:
                step_reference = step_nll
            entry["step_nll"] = step_nll
            entry["step_relative_change"] = _relative(step_nll, step_reference)
    return result


def _relative(value, reference):
    return abs(value - reference) / max(abs(reference), 1e-12)


def _move_into_place(work, out_dir):
    """Renames the finished temp dir to `out_dir` (replacing an old one last)."""
    if not os.path.exists(out_dir):
        os.rename(work, out_dir)
        return
    old = tempfile.mkdtemp(
        prefix=f".{os.path.basename(out_dir)}.old-", dir=os.path.dirname(out_dir)
    )
    os.rmdir(old)
    os.rename(out_dir, old)
    try:
        os.rename(work, out_dir)
    except BaseException:
        os.rename(old, out_dir)
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)

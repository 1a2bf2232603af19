"""ONNX export with tf2onnx: one `.onnx` per signature (opset 17), each checked in ORT.

tf2onnx logs unsupported ops and still writes a file that onnxruntime rejects, so every file is
loaded in onnxruntime and run once right after it is written; a file that does not
load, does not run, or lacks a signature output raises `ExportError`.
"""

import logging
import os

import numpy as np

from keras_ar.export.errors import ExportError

OPSET = 17


def example_inputs(signature):
    """Valid inputs for a signature: zeros, noise 0.5, temperature 1."""
    feeds = {}
    for info in signature.inputs:
        if info.name == "temperature":
            value = np.ones(info.shape, info.dtype)
        elif "noise" in info.name:
            value = np.full(info.shape, 0.5, info.dtype)
        else:
            value = np.zeros(info.shape, info.dtype)
        feeds[info.name] = value
    return feeds


def check_onnx(path, signature):
    """Loads `path` in onnxruntime and runs it; raises `ExportError` when it is not usable."""
    import onnx
    import onnxruntime as ort

    try:
        onnx.checker.check_model(os.fspath(path))
        session = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    except Exception as error:
        raise ExportError(
            f"{path} does not load in onnxruntime (tf2onnx may have left an unsupported "
            f"op in it): {error}"
        ) from error
    inputs = [i.name for i in session.get_inputs()]
    outputs = [o.name for o in session.get_outputs()]
    expected_in = [i.name for i in signature.inputs]
    expected_out = [o.name for o in signature.outputs]
    if sorted(inputs) != sorted(expected_in) or sorted(outputs) != sorted(expected_out):
        raise ExportError(
            f"{path}: inputs {inputs} / outputs {outputs} differ from the signature "
            f"{expected_in} / {expected_out}."
        )
    try:
        session.run(None, example_inputs(signature))
    except Exception as error:
        raise ExportError(f"{path} loads but does not run in onnxruntime: {error}") from error
    return session


def export_onnx(functions, signatures, out_dir, opset=OPSET):
    """Converts each traced endpoint to `<out_dir>/<name>.onnx` and checks it.

    Args:
        functions: `{name: tf.function}` from `saved_model.make_archive`.
        signatures: `{name: Signature}` (input specs and expected outputs).
        out_dir: existing directory.
        opset: ONNX opset (17, pinned).

    Returns:
        `{signature name: file name}` (relative to `out_dir`).
    """
    import tf2onnx

    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    files = {}
    for name, signature in signatures.items():
        filename = f"{name}.onnx"
        path = os.path.join(out_dir, filename)
        try:
            tf2onnx.convert.from_function(
                functions[name],
                input_signature=signature.tensor_specs(),
                opset=opset,
                output_path=path,
            )
        except Exception as error:
            raise ExportError(f"tf2onnx could not convert signature {name!r}: {error}") from error
        check_onnx(path, signature)
        files[name] = filename
    return files

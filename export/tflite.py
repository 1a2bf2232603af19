"""TFLite (LiteRT) export from the SavedModel: builtin ops only, optional quantization.

The op list of every written `.tflite` is read from the flatbuffer's operator codes
(not from converter logs), and any custom or Flex op is an `ExportError`: the Android
app links the plain LiteRT runtime, without the select-TF-ops library.
"""

import os
import re

from keras_ar.export.errors import ExportError
from keras_ar.export.quantization import canonical_quantization


def _schema():
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:  # pragma: no cover - older LiteRT wheels
        from tensorflow.lite.python import schema_py_generated as schema
    return schema


def list_ops(model):
    """Sorted op names of a `.tflite` (bytes or path): builtins by name, others as
    `CUSTOM:<code>` (Flex ops are custom ops whose code starts with `Flex`)."""
    if isinstance(model, (str, os.PathLike)):
        with open(model, "rb") as f:
            model = f.read()
    schema = _schema()
    names = {
        value: key
        for key, value in vars(schema.BuiltinOperator).items()
        if not key.startswith("_") and isinstance(value, int)
    }
    try:
        flat = schema.Model.GetRootAsModel(bytearray(model), 0)
        ops = set()
        for i in range(flat.OperatorCodesLength()):
            code = flat.OperatorCodes(i)
            # builtin codes > 127 live in BuiltinCode; older ones in DeprecatedBuiltinCode
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            if builtin == schema.BuiltinOperator.CUSTOM:
                custom = code.CustomCode()
                ops.add("CUSTOM:" + (custom.decode() if custom else "?"))
            else:
                ops.add(names.get(builtin, f"BUILTIN_{builtin}"))
    except Exception as error:
        raise ExportError(f"Cannot parse the TFLite flatbuffer: {error}") from error
    return sorted(ops)


def non_builtin_ops(ops):
    """The custom/Flex ops among `list_ops` names."""
    return [op for op in ops if op.startswith("CUSTOM:")]


def check_builtin_only(model, label="model"):
    """Raises `ExportError` when the `.tflite` uses a custom or Flex op; returns the op list."""
    ops = list_ops(model)
    bad = non_builtin_ops(ops)
    if bad:
        raise ExportError(
            f"The TFLite {label} contains non-builtin ops {bad}: it would need the Flex "
            "(select TF ops) runtime. Replace these ops in the exported functions."
        )
    return ops


def flex_ops_in_message(message):
    """TF op names that a converter error says need Flex (TF Select)."""
    names = []
    match = re.search(r"TF Select ops: ([^\n]+)", message)
    if match:
        names.extend(n.strip() for n in match.group(1).split(","))
    names.extend(re.findall(r"'tf\.(\w+)' op is neither a custom op nor a flex op", message))
    return sorted({n for n in names if n})


def convert(saved_model_dir, signature_keys, quantization=None):
    """Converts the SavedModel's `signature_keys` to `.tflite` bytes (builtins only)."""
    import tensorflow as tf

    quantization = canonical_quantization(quantization)
    converter = tf.lite.TFLiteConverter.from_saved_model(
        os.fspath(saved_model_dir), signature_keys=list(signature_keys)
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "dynamic_int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]  # weights int8, activations float
    try:
        return converter.convert()
    except Exception as error:
        message = str(error)
        flex = flex_ops_in_message(message)
        if flex or "ERROR_NEEDS_FLEX_OPS" in message or "TF Select" in message:
            raise ExportError(
                f"TFLite conversion of {list(signature_keys)} needs Flex (select TF) ops "
                f"{flex or '(unnamed)'}, which the builtin-only LiteRT runtime lacks. "
                "Avoid these TF ops (e.g. random ops: feed noise as an input instead)."
            ) from error
        raise ExportError(
            f"TFLite conversion of {list(signature_keys)} failed: {message[:2000]}"
        ) from error


def export_tflite(saved_model_dir, path, signature_keys, quantization=None):
    """Writes `path` (a `.tflite`) from the SavedModel and checks its op list.

    Args:
        saved_model_dir: a SavedModel from `export_saved_model`.
        path: output file.
        signature_keys: signatures to convert (e.g. `["initial_state", "step", ...]`).
        quantization: None, "float16" (weights in float16) or "dynamic_int8" / "int8"
            (dynamic-range: int8 weights, float activations).

    Returns:
        dict with `path`, `bytes`, `ops`, `signatures`, `quantization`.

    Raises:
        ExportError: conversion failed (naming Flex ops when that is why) or the result
            contains a custom/Flex op.
    """
    quantization = canonical_quantization(quantization)
    content = convert(saved_model_dir, signature_keys, quantization)
    ops = check_builtin_only(content, label=os.path.basename(os.fspath(path)))
    with open(path, "wb") as f:
        f.write(content)
    return {
        "path": os.fspath(path),
        "bytes": len(content),
        "ops": ops,
        "signatures": list(signature_keys),
        "quantization": quantization,
    }

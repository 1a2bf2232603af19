"""The TFLite quantization variants: one table for the exporter, the manifest and the
runners (pure Python, no TensorFlow)."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Quantization:
    """A TFLite variant: the names it is asked by, its file, its manifest `files` key."""

    names: tuple
    file: str
    files_key: str


# canonical name (None: plain float32) -> variant
QUANTIZATIONS = {
    None: Quantization((None, "float32", "fp32"), "model.tflite", "tflite"),
    "float16": Quantization(("float16", "fp16"), "model_float16.tflite", "tflite_float16"),
    "dynamic_int8": Quantization(("int8", "dynamic_int8"), "model_int8.tflite", "tflite_int8"),
}


def canonical_quantization(name):
    """None/"float32" -> None, "fp16" -> "float16", "int8" -> "dynamic_int8"; ValueError else."""
    key = None if name is None else str(name).lower()
    for canonical, variant in QUANTIZATIONS.items():
        if key in variant.names:
            return canonical
    raise ValueError(
        f"Unknown quantization {name!r}; use one of 'float16', 'int8' (= 'dynamic_int8')."
    )


def quantization(name):
    """The `Quantization` asked for by any of its names."""
    return QUANTIZATIONS[canonical_quantization(name)]

"""Export of keras-ar models: SavedModel, TFLite (LiteRT, builtin ops only) and ONNX.

    from keras_ar.export import export_model, load
    report = export_model(model, "exports/nade", quantize=("float16",))
    runner = load("exports/nade", backend="litert")

Signature names, the noise convention and manifest.json: docs/contract.md and
docs/manifest.md.
"""

from keras_ar.export.api import FORMATS, export_model
from keras_ar.export.errors import ExportError, ManifestError
from keras_ar.export.manifest import read_manifest, validate_manifest, write_manifest
from keras_ar.export.onnx import export_onnx
from keras_ar.export.quantization import QUANTIZATIONS, canonical_quantization
from keras_ar.export.report import format_report
from keras_ar.export.runtime import Runner, load
from keras_ar.export.saved_model import export_saved_model
from keras_ar.export.signatures import build_signatures
from keras_ar.export.tflite import export_tflite, list_ops
from keras_ar.saving import load_model as load_keras_model  # the one loader, old name

__all__ = [
    "FORMATS",
    "QUANTIZATIONS",
    "ExportError",
    "ManifestError",
    "Runner",
    "build_signatures",
    "canonical_quantization",
    "export_model",
    "export_onnx",
    "export_saved_model",
    "export_tflite",
    "format_report",
    "list_ops",
    "load",
    "load_keras_model",
    "read_manifest",
    "validate_manifest",
    "write_manifest",
]

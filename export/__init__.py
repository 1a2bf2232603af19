"""Export of keras-ar models (SavedModel, TFLite, ONNX)."""

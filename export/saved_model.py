"""SavedModel export through `keras.export.ExportArchive` (one endpoint per signature)."""

import os

import keras

from keras_ar.export.errors import ExportError
from keras_ar.export.signatures import build_signatures


def make_archive(model, signatures):
    """An `ExportArchive` tracking `model` with one endpoint per signature.

    Returns:
        `(archive, functions)`, `functions[name]` the traced `tf.function` of each
        endpoint (tf2onnx converts these directly).
    """
    archive = keras.export.ExportArchive()
    archive.track(model)
    functions = {}
    for name, signature in signatures.items():
        functions[name] = archive.add_endpoint(
            name, signature.fn, input_signature=signature.tensor_specs()
        )
    return archive, functions


def export_saved_model(
    model, path, signatures=None, batch_size=1, sequence_length=64, archive=None
):
    """Writes a SavedModel whose signatures are `initial_state`, `step`, `log_prob`, `sample`.

    Args:
        model: a built `AutoregressiveModel`.
        path: the SavedModel directory to create (must not exist).
        signatures: `{name: Signature}`; built from the model when None.
        batch_size, sequence_length: see `signatures.build_signatures`.
        archive: an `ExportArchive` from `make_archive` to write instead of a new one.

    Returns:
        the SavedModel directory.
    """
    if os.path.exists(path):
        raise FileExistsError(f"{path} already exists.")
    if archive is None:
        if signatures is None:
            signatures = build_signatures(model, batch_size, sequence_length)
        archive, _ = make_archive(model, signatures)
    try:
        archive.write_out(os.fspath(path), verbose=False)
    except Exception as error:  # surface which artifact failed
        raise ExportError(f"Writing the SavedModel to {path} failed: {error}") from error
    return path

"""manifest.json: everything a runtime needs to drive the exported signatures.

Format: docs/manifest.md (format_version 1). `write_manifest` writes it, `read_manifest`
reads and validates it (a corrupt, truncated or inconsistent file raises a
`ManifestError` naming the problem).
"""

import hashlib
import json
import os

from keras_ar import files
from keras_ar.export.errors import ManifestError
from keras_ar.export.manifest_schema import (  # noqa: F401  (the format's names, here too)
    DISTRIBUTIONS,
    DTYPES,
    FILENAME,
    FORMAT_VERSION,
    MIXTURES,
    NOISE_CONVENTIONS,
    REQUIRED_SIGNATURES,
    validate_manifest,
)


def describe_model(model):
    """The `model` section: kind, sizes, ordering, distribution and vocabulary."""
    distribution = model.distribution
    image_model = getattr(model, "input_dim", None) is not None
    vocabulary = getattr(model, "vocabulary", None)
    description = {
        "kind": type(model).__name__,
        "input_dim": int(model.input_dim) if image_model else None,
        "image_shape": (
            [int(s) for s in model.image_shape]
            if image_model and model.image_shape is not None
            else None
        ),
        "ordering": [int(i) for i in model.ordering] if image_model else None,
        "distribution": distribution.name,
        "num_categories": (
            int(distribution.num_categories)
            if distribution.name == "categorical"
            else int(distribution.num_values)
            if distribution.name == "discretized_logistic_mixture"
            else None
        ),
        "num_components": (
            int(distribution.num_components)
            if distribution.name in MIXTURES
            else None
        ),
        "vocabulary": None,
    }
    if vocabulary is not None:
        description["vocabulary"] = {
            "tokens": list(vocabulary.tokens),
            "boundary_id": int(vocabulary.boundary_id),
            "unknown_id": None if vocabulary.unknown_id is None else int(vocabulary.unknown_id),
        }
    if hasattr(model, "num_masks"):
        description["num_masks"] = int(model.num_masks)
    if getattr(model, "exact_conditionals", False):  # `conditional_sample` is exported
        description["exact_conditionals"] = True
    return description


def build_manifest(
    model, signatures, files, export_options, keras_ar_version, initial_state_is_random=False
):
    """The manifest dict of an export.

    Args:
        model: the exported `AutoregressiveModel`.
        signatures: `{name: Signature}` from `signatures.build_signatures`.
        files: the `files` section (paths relative to the export directory).
        export_options: dict with `batch_size`, `sequence_length`, `onnx_opset`, versions.
        keras_ar_version: version string of the package.
        initial_state_is_random: whether the `noise` input of `initial_state` matters.
    """
    state = [i.to_json() for i in signatures["initial_state"].outputs]
    distribution = model.distribution
    return {
        "format_version": FORMAT_VERSION,
        "keras_ar_version": keras_ar_version,
        "model": describe_model(model),
        "noise": {
            "size": int(distribution.noise_size),
            "convention": NOISE_CONVENTIONS[distribution.name],
            "initial_state": bool(initial_state_is_random),
        },
        "files": files,
        "state": state,
        "signatures": {name: sig.to_json() for name, sig in signatures.items()},
        "export": dict(export_options),
    }


def file_checksums(directory):
    """`{relative path: {"bytes": n, "sha256": hex}}` of every file under `directory`."""
    sums = {}
    for root, _, names in os.walk(directory):
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, directory).replace(os.sep, "/")
            if rel == FILENAME:
                continue
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            sums[rel] = {"bytes": os.path.getsize(path), "sha256": digest.hexdigest()}
    return dict(sorted(sums.items()))


def write_manifest(directory, manifest, checksums=True):
    """Validates `manifest`, adds file checksums and writes `directory/manifest.json`."""
    manifest = dict(manifest)
    if checksums:
        manifest["checksums"] = file_checksums(directory)
    validate_manifest(manifest, directory)
    path = os.path.join(directory, FILENAME)
    files.write_json(path, manifest, indent=2)  # whole or not at all
    return path


def read_manifest(path, check_files=True):
    """Reads and validates a manifest (`path` is the export directory or the json file).

    Raises:
        ManifestError: missing, not JSON (corrupt or truncated), or inconsistent.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, FILENAME)
    if not os.path.isfile(path):
        raise ManifestError(f"No manifest at {path}: not an export directory of keras-ar.")
    try:
        with open(path, "r", encoding="utf-8") as f:
            manifest = json.load(f)
    except UnicodeDecodeError as error:
        raise ManifestError(f"{path} is not UTF-8 text (corrupt file?): {error}") from None
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"{path} is not valid JSON (truncated or corrupt?): {error.msg} at line "
            f"{error.lineno}, column {error.colno}. Re-export the model."
        ) from None
    validate_manifest(manifest, os.path.dirname(path) if check_files else None)
    return manifest

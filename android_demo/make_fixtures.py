"""Regenerates the host-test fixtures of core/ from the real exporter.

    cd <repository root> && python android_demo/make_fixtures.py

Exports the tiny NADE (4x4 binary image, permuted ordering) and CharRNN (2-layer GRU over
a small vocabulary with a non-ASCII token) of android_demo/app_traces.py with
`keras_ar.export.export_model` (all default formats, so `files` lists every artifact),
then writes into core/src/test/resources/:

- manifest_nade.json, manifest_charrnn.json: the exporter's manifest.json, unchanged;
- trace_nade.json, trace_charrnn.json: sampling runs of the exported model.tflite under
  LiteRT by the app's loop (app_loop.py), each with Keras' sample for the same noise.
  RecordedTraceTest replays them through the Kotlin core (ContractCheck.replay).

It refuses to write fixtures when the Python app loop and Keras disagree. Run it again
whenever the exporter's manifest or signatures change; tests/test_android_contract.py
does the same checks on a fresh export every time it runs.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESOURCES = HERE / "core" / "src" / "test" / "resources"
sys.path.insert(0, str(HERE))

import app_loop
import app_traces

PROMPT = "cl"


def export_tiny_models(root, formats=None):
    """Exports the tiny NADE and CharRNN under `root`; returns {name: (model, dir)}."""
    from keras_ar.export import FORMATS, export_model

    formats = FORMATS if formats is None else formats
    exported = {}
    for name, model, options in (
        ("nade", app_traces.tiny_nade(), {}),
        ("charrnn", app_traces.tiny_char_rnn(), {"sequence_length": 16}),
    ):
        directory = os.path.join(root, name)
        export_model(model, directory, formats=formats, **options)
        exported[name] = (model, directory)
    return exported


def contract_runs(name, model, directory):
    """The app-loop runs of one export; raises if the app loop and Keras disagree."""
    if name == "nade":
        runs = app_traces.image_runs(model, directory)
    else:
        runs = app_traces.text_runs(model, directory, model.vocabulary.encode(PROMPT))
    for run in runs:
        if run["app"] != run["expected"]:
            raise AssertionError(
                f"{name} {run['name']}: app loop {run['app']} != Keras {run['expected']}"
            )
    problems = app_loop.AppLoop(directory).signature_problems()
    if problems:
        raise AssertionError(f"{name}: .tflite signatures differ from manifest.json: {problems}")
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(RESOURCES), help="resources folder")
    args = parser.parse_args(argv)
    import keras

    keras.utils.set_random_seed(0)
    root = tempfile.mkdtemp(prefix="keras-ar-fixtures-")
    try:
        for name, (model, directory) in export_tiny_models(root).items():
            runs = contract_runs(name, model, directory)
            shutil.copyfile(
                os.path.join(directory, "manifest.json"),
                os.path.join(args.out, f"manifest_{name}.json"),
            )
            app_traces.write_trace(directory, runs, os.path.join(args.out, f"trace_{name}.json"))
            print(f"{name}: manifest_{name}.json, trace_{name}.json ({len(runs)} runs)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

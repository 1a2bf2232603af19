"""The Android demo's committed models (android_demo/app/src/main/assets/{digits,names}).

They are committed so that a fresh clone builds and runs the app with no Python step. These
tests prove that they are current and loadable:

- each manifest.json passes the exporter's own validation (`read_manifest`: format, file
  checksums) and equals, section by section, the manifest the exporter writes today for a
  model of the same configuration (model, noise, state, signatures): an exporter change that
  makes the committed assets stale fails here (then run `python android_demo/make_assets.py`);
- each model.tflite loads in LiteRT, its signatures match the manifest (names, shapes,
  dtypes), and the app's loop (`app_loop.AppLoop`) samples exactly what the exporter's
  reference runner samples for the same noise: a binary 8x8 digit, names in the vocabulary;
- the Kotlin core of the app parses both manifests and binds a StepSession to them
  (`run_host_tests.sh --exports-only`; skipped when the JVM toolchain is absent).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert", reason="ai-edge-litert not installed (pip install -e '.[export]')")

ROOT = Path(__file__).resolve().parents[1]
ANDROID = ROOT / "android_demo"
ASSETS = ANDROID / "app" / "src" / "main" / "assets"
sys.path.insert(0, str(ANDROID))

import app_loop  # noqa: E402  (android_demo/app_loop.py)

NAMES = ("digits", "names")


def _fresh_model(name, manifest):
    """A model of the configuration make_assets.py exports (keras_ar.demo), untrained."""
    from keras_ar.models import NADE, CharRNN
    from keras_ar.vocabulary import Vocabulary

    if name == "digits":
        return NADE(64, hidden_units=64, image_shape=(8, 8))
    tokens = manifest["model"]["vocabulary"]["tokens"]
    units = manifest["state"][0]["shape"][-1]
    return CharRNN(vocabulary=Vocabulary(tokens), units=units, num_layers=len(manifest["state"]))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_committed_manifest_is_what_the_exporter_writes_today(name):
    from keras_ar.export.manifest import build_manifest, read_manifest
    from keras_ar.export.signatures import build_signatures, initial_state_is_random

    directory = ASSETS / name
    manifest = read_manifest(directory)  # format_version, structure, file sizes and sha256
    assert set(manifest["files"]) == {"tflite"}, "the app reads only manifest.json + model.tflite"
    assert sorted(p.name for p in directory.iterdir()) == ["manifest.json", "model.tflite"]
    assert manifest["export"]["batch_size"] == 1

    model = _fresh_model(name, manifest)
    options = manifest["export"]
    signatures = build_signatures(model, options["batch_size"], options["sequence_length"] or 64)
    fresh = build_manifest(
        model,
        signatures,
        manifest["files"],
        options,
        manifest["keras_ar_version"],
        initial_state_is_random(model),
    )
    for section in ("format_version", "model", "noise", "state", "signatures"):
        assert fresh[section] == manifest[section], (
            f"assets/{name}/manifest.json: '{section}' differs from the exporter's; "
            "run python android_demo/make_assets.py"
        )


def test_digits_asset_samples_like_the_reference_runner():
    from keras_ar.export import load

    loop = app_loop.AppLoop(ASSETS / "digits")
    assert loop.signature_problems() == []
    runner = load(str(ASSETS / "digits"), backend="litert")
    rng = np.random.default_rng(0)
    for _ in range(3):
        noise = rng.random((64, 1)).astype("float32")
        image = loop.sample_image(app_loop.Uniforms(noise))
        assert set(np.unique(image)) <= {0.0, 1.0}
        np.testing.assert_array_equal(image, np.asarray(runner.sample(noise), "float32"))
    # a trained model, not noise: on the held-out digits it is far better than uniform
    # Bernoulli(0.5) pixels (64 ln 2 = 44.4 nats); make_assets.py reports about 17.6
    from keras_ar import datasets

    test = np.asarray(datasets.load("digits", "test"), "float32")[:100]
    nll = -np.mean([float(np.asarray(runner.log_prob(x[None])).reshape(-1)[0]) for x in test])
    assert nll < 25.0, nll


def test_names_asset_generates_names_in_its_vocabulary():
    loop = app_loop.AppLoop(ASSETS / "names")
    assert loop.signature_problems() == []
    tokens = loop.manifest["model"]["vocabulary"]["tokens"]
    uniforms = app_loop.Uniforms(np.random.default_rng(1).random(4096).astype("float32"))
    names = []
    for _ in range(5):
        ids, ended = loop.generate_text(uniforms, max_new_tokens=30)
        assert all(0 < i < len(tokens) for i in ids)
        names.append("".join(tokens[i] for i in ids))
    assert sum(1 for n in names if n) >= 3, names
    assert all(n.isalpha() and n.islower() for n in names if n), names


def test_kotlin_core_reads_the_committed_assets():
    from test_android_host import _missing_toolchain

    reason = _missing_toolchain()
    if reason:
        pytest.skip(f"JVM toolchain: {reason}")
    script = ANDROID / "run_host_tests.sh"
    dirs = [str(ASSETS / name) for name in NAMES]
    result = subprocess.run(
        ["bash", str(script), "--exports-only"],
        cwd=ROOT,
        env=dict(os.environ, MANIFEST_DIR=os.pathsep.join(dirs)),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    read = {}
    for line in result.stdout.splitlines():
        if line.startswith("MANIFEST "):
            summary = json.loads(line[len("MANIFEST ") :])
            read[Path(summary["dir"]).name] = summary
    assert sorted(read) == sorted(NAMES), output[-4000:]
    assert read["digits"]["model"]["image_shape"] == [8, 8]
    assert read["names"]["model"]["distribution"] == "categorical"
    assert "exports: 2 checked, 0 failed" in result.stdout

"""Reliability battery, part 5: the CLI (`keras-ar train`) and `export_model`.

These features are built on other branches (training, export). Every test here is
guarded: it is skipped, with the reason, while the feature is missing, and runs as
soon as it is merged. Kept few on purpose (each CLI run starts a Python process).

- export: bad arguments are refused; a failing export leaves no half-written
  directory (and never damages an existing one); a corrupt or truncated manifest
  gives a ValueError naming the file.
- CLI: bad options exit with status 2 and a message; killing `keras-ar train` and
  rerunning the same command resumes from the last checkpoint and ends with the same
  weights as an uninterrupted run (tolerance below).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import keras_ar as ka

from model_zoo import make

REPO = Path(ka.__file__).resolve().parent.parent


def _export_module():
    return pytest.importorskip(
        "keras_ar.export", reason="keras_ar.export needs the export extra (pip install -e '.[export]')"
    )


def _manifest_module():
    _export_module()
    return pytest.importorskip("keras_ar.export.manifest", reason="keras_ar.export.manifest missing")


def _training_cli():
    pytest.importorskip("keras_ar.training", reason="keras_ar.training cannot be imported")
    from keras_ar import cli

    return cli


# ----------------------------------------------------------------------------- export


def test_export_rejects_bad_arguments_before_writing(tmp_path):
    export_model = _export_module().export_model
    model = make("nade")
    out = tmp_path / "out"
    cases = [
        (lambda: export_model(object(), out), TypeError, "AutoregressiveModel"),
        (lambda: export_model(model, out, formats=("pickle",)), ValueError, "pickle"),
        (lambda: export_model(model, out, batch_size=0), ValueError, "batch_size"),
        (lambda: export_model(ka.NADE(4, hidden_units=2), out), ValueError, "build"),
    ]
    for call, exc, word in cases:
        with pytest.raises(exc, match=word):
            call()
    assert not out.exists() and list(tmp_path.iterdir()) == []


def _inject_failure(monkeypatch):
    manifest = _manifest_module()

    def fail(*args, **kwargs):
        raise RuntimeError("injected failure while writing the manifest")

    monkeypatch.setattr(manifest, "write_manifest", fail)


def test_failed_export_leaves_no_half_written_directory(tmp_path, monkeypatch):
    export_model = _export_module().export_model
    _inject_failure(monkeypatch)
    out = tmp_path / "exports" / "nade"
    with pytest.raises(RuntimeError, match="injected failure"):
        export_model(make("nade"), out, formats=("saved_model",))
    assert not out.exists()
    assert list((tmp_path / "exports").iterdir()) == []  # no .partial temp dir left


def test_failed_overwrite_keeps_the_previous_export_intact(tmp_path, monkeypatch):
    export_model = _export_module().export_model
    _inject_failure(monkeypatch)
    out = tmp_path / "nade"
    out.mkdir()
    (out / "manifest.json").write_text('{"previous": true}')
    with pytest.raises(RuntimeError, match="injected failure"):
        export_model(make("nade"), out, formats=("saved_model",), overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nade"]
    assert json.loads((out / "manifest.json").read_text()) == {"previous": True}


@pytest.mark.parametrize(
    "content, pattern",
    [
        (b'{"format_version": 1, "model": {"kind": "NA', r"not valid JSON \(truncated or corrupt"),
        (b"", r"not valid JSON"),
        (b"\xff\xfe\x00garbage", r"not UTF-8|not valid JSON"),
    ],
    ids=["truncated", "empty", "binary"],
)
def test_corrupt_manifest_gives_a_value_error_naming_the_file(tmp_path, content, pattern):
    manifest = _manifest_module()
    (tmp_path / "manifest.json").write_bytes(content)
    with pytest.raises(ValueError, match=pattern) as info:
        manifest.read_manifest(tmp_path)
    assert "manifest.json" in str(info.value)


def test_manifest_that_is_not_an_object_is_invalid(tmp_path):
    manifest = _manifest_module()
    (tmp_path / "manifest.json").write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match=r"manifest"):
        manifest.read_manifest(tmp_path)


def test_missing_manifest_gives_a_value_error(tmp_path):
    manifest = _manifest_module()
    with pytest.raises(ValueError, match="manifest"):
        manifest.read_manifest(tmp_path)


# -------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    "argv, pattern",
    [
        (["train", "nade", "--data", "no_such_data"], r"no_such_data"),
        (["train", "no_such_model", "--data", "digits"], r"no_such_model"),
        (["train", "nade", "--data", "digits", "--epochs", "0"], r"epochs"),
        (["train", "nade", "--data", "digits", "--hidden-units", "-3"], r"hidden_units"),
        (["train", "char_rnn", "--data", "digits"], r"char_rnn|CharRNN"),
    ],
    ids=["unknown-data", "unknown-model", "epochs-0", "hidden-negative", "model-data-mismatch"],
)
def test_cli_train_rejects_bad_options(tmp_path, capsys, argv, pattern):
    cli = _training_cli()
    code = cli.main(argv + ["--out", str(tmp_path / "run"), "--quiet"])
    assert code == 2
    import re

    assert re.search(pattern, capsys.readouterr().err)


EPOCHS = 5
TRAIN_ARGS = ["train", "nade", "--data", "digits", "--hidden-units", "16", "--batch-size", "16",
              "--epochs", str(EPOCHS), "--seed", "3", "--learning-rate", "0.01",
              "--patience", "100", "--quiet"]


def _start_subprocess(out):
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_BACKEND="tensorflow", CUDA_VISIBLE_DEVICES="")
    return subprocess.Popen([sys.executable, "-m", "keras_ar.cli", *TRAIN_ARGS, "--out", str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_killed_training_resumes_to_the_same_weights(tmp_path):
    """`keras-ar train` killed with SIGKILL after its first epoch checkpoint (so in a
    later epoch), then the same command rerun: it resumes from the checkpoint and ends
    with the weights of an uninterrupted run with the same seed.

    Only the interrupted run is a separate process (the kill must be real); the
    reference and the resume run in-process through `cli.main` to save two TensorFlow
    start-ups. Tolerance 1e-5 rather than bit equality: the resumed process restores
    weights, optimizer state and epoch from the checkpoint and replays the same data
    order, but float32 reductions may be reassociated differently across processes
    (oneDNN thread scheduling), which could move weights by ~1e-7. (Observed with the
    training branch: bit-identical weights.)
    """
    cli = _training_cli()
    reference = tmp_path / "reference"
    assert cli.main(TRAIN_ARGS + ["--out", str(reference)]) == 0

    resumed = tmp_path / "resumed"
    process = _start_subprocess(resumed)
    try:
        deadline = time.time() + 240
        history_file = resumed / "history.json"
        while time.time() < deadline and process.poll() is None:
            try:
                if len(json.loads(history_file.read_text())) >= 1:
                    break  # epoch 1 is done, checkpointed and logged
            except (OSError, ValueError):
                pass  # not written yet, or being written
            time.sleep(0.05)
        time.sleep(0.2)  # into epoch 2
        assert process.poll() is None, "training ended before it could be interrupted"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert not (resumed / "results.json").exists(), "the killed run must not have finished"
    history = resumed / "history.json"
    epochs_done = len(json.loads(history.read_text())) if history.exists() else 0
    assert 1 <= epochs_done < EPOCHS

    assert cli.main(TRAIN_ARGS + ["--out", str(resumed)]) == 0  # the same command again
    epochs = [r["epoch"] for r in json.loads(history.read_text())]
    assert epochs[-1] == EPOCHS and len(epochs) == EPOCHS  # resumed, not restarted
    a = ka.load_model(reference / "best.keras").get_weights()
    b = ka.load_model(resumed / "best.keras").get_weights()
    assert len(a) == len(b)
    for wa, wb in zip(a, b):
        np.testing.assert_allclose(wb, wa, rtol=1e-5, atol=1e-5)

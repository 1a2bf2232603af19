"""The `keras-ar` command line reads the same everywhere, and says only its own things."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_ar as ka
from keras_ar import cli

from model_zoo import make

REPO = Path(ka.__file__).resolve().parent.parent
NOISE = ("absl", "oneDNN", "I0000", "W0000", "cuda")


def _parsers():
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    return commands.choices


def test_every_command_has_examples_and_the_same_flag_names():
    parsers = _parsers()
    assert set(parsers) == {"demo", "train", "evaluate", "sample", "export", "compress",
                            "decompress", "data"}
    for name, parser in parsers.items():
        assert "examples:" in parser.format_help(), name
        flags = {s for a in parser._actions for s in a.option_strings}
        assert "--verbose" in flags, name
        # one spelling per idea: no --results/--force/--test/--output next to --json/--overwrite/--split/--out
        assert not flags & {"--results", "--force", "--test", "--output"}, name
    for name in ("evaluate", "sample", "export", "compress", "decompress"):  # a run folder or a .keras file
        positional = [a for a in parsers[name]._actions if not a.option_strings]
        assert positional[0].metavar == "RUN", name
    for name in ("train", "evaluate", "export"):
        assert "--json" in parsers[name].format_help(), name


@pytest.mark.parametrize("argv", [
    ["evaluate", "nowhere/run"],
    ["sample", "nowhere.keras", "--out", "x.png"],
    ["export", "nowhere.keras", "--out", "x"],
    ["train", "nade", "--data", "digits", "--data-option", "num_levels"],
    ["data", "get", "names"],
    ["compress", "nowhere.keras", "x.npy", "--out", "x.kar"],
    ["decompress", "nowhere.keras", "x.kar", "--out", "x.npy"],
])
def test_bad_input_exits_2_with_a_message_on_every_command(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv + (["--out", "r"] if argv[0] == "train" else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"keras-ar {argv[0]}: error: ") and "Traceback" not in err


def _run(*argv, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(PYTHONPATH=str(REPO), KERAS_BACKEND="tensorflow", CUDA_VISIBLE_DEVICES="",
               **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "keras_ar.cli", *argv], env=env,
                          capture_output=True, text=True, timeout=300)


def test_quiet_command_line(tmp_path):
    """Without TF_CPP_MIN_LOG_LEVEL, `keras-ar` prints no absl/oneDNN lines; --verbose
    shows them (so the check above looks at lines that do exist)."""
    help_run = _run("--help")
    assert help_run.returncode == 0 and "examples" not in help_run.stderr
    assert help_run.stderr == ""
    path = tmp_path / "nade.keras"
    make("nade").save(path)
    quiet = _run("evaluate", str(path), "--data", "digits", "--data-option", "threshold=8")
    assert quiet.returncode == 2  # the made-up model has 8 inputs, digits 64
    assert not [line for line in quiet.stderr.splitlines() if any(n in line for n in NOISE)], \
        quiet.stderr
    assert quiet.stderr.startswith("keras-ar evaluate: error:")
    verbose = _run("evaluate", str(path), "--data", "digits", "--verbose")
    assert "oneDNN" in verbose.stderr or "absl" in verbose.stderr, verbose.stderr


def test_export_takes_a_run_folder(tmp_path, capsys):
    pytest.importorskip("tf2onnx", reason="the export extra is not installed")
    from keras_ar.export import load, read_manifest
    from keras_ar.training import train

    run = tmp_path / "run"
    train(dict(model="nade", data="digits", hidden_units=4, epochs=1, max_train_examples=64),
          run, verbose=0)
    out = tmp_path / "exported"
    report = tmp_path / "report.json"
    assert cli.main(["export", str(run), "--out", str(out), "--formats", "tflite",
                     "--json", str(report)]) == 0
    assert read_manifest(out)["model"]["kind"] == "NADE"
    assert json.loads(report.read_text())["formats"] == ["tflite"]
    model = ka.load_model(run / "best.keras")
    x = keras.ops.convert_to_numpy(model.sample(3, seed=0))
    np.testing.assert_allclose(load(out).log_prob(x), np.asarray(model.log_prob(x)), atol=1e-4)

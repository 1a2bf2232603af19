"""export_model's checks, atomic writes, quantization report, fixed batch and the CLI."""

import os

import keras
import numpy as np
import pytest
from export_helpers import TEMPERATURE, keras_sample, make_noise, to_numpy
from keras import ops

import keras_ar as ka
from keras_ar.cli import main
from keras_ar.export import ExportError, export_model, load, read_manifest

from model_zoo import make, randomize


def leftovers(parent):
    return sorted(p for p in os.listdir(parent) if p.startswith("."))


# --- refusals -------------------------------------------------------------------------
def test_unbuilt_model_is_refused(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="model has no weights: build it"):
        export_model(ka.NADE(5, hidden_units=4), out)
    assert not out.exists() and not leftovers(tmp_path)


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown export format.*'coreml'"):
        export_model(make("nade"), tmp_path / "out", formats=("tflite", "coreml"))
    with pytest.raises(ValueError, match="Unknown quantization"):
        export_model(make("nade"), tmp_path / "out", quantize=("int4",))
    with pytest.raises(ValueError, match="add 'tflite'"):
        export_model(make("nade"), tmp_path / "out", formats=("onnx",), quantize=("float16",))
    assert not (tmp_path / "out").exists()


def test_existing_directory_needs_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        export_model(make("nade"), out, formats=("saved_model",))
    assert (out / "keep.txt").read_text() == "mine"

    export_model(make("nade"), out, formats=("saved_model",), overwrite=True)
    assert not (out / "keep.txt").exists()
    assert read_manifest(out)["files"] == {"saved_model": "saved_model"}
    assert not leftovers(tmp_path)


def test_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    import keras_ar.export.onnx as onnx_export

    def broken(*args, **kwargs):
        raise ExportError("simulated tf2onnx failure")

    monkeypatch.setattr(onnx_export, "export_onnx", broken)
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="simulated"):
        export_model(make("nade"), out, formats=("tflite", "onnx"))
    assert not out.exists()
    assert not leftovers(tmp_path)  # neither the partial dir nor the scratch SavedModel


def test_failed_overwrite_keeps_the_old_export(tmp_path, monkeypatch):
    import keras_ar.export.onnx as onnx_export

    out = tmp_path / "out"
    export_model(make("nade"), out, formats=("saved_model",))
    before = read_manifest(out)
    monkeypatch.setattr(onnx_export, "export_onnx", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        export_model(make("nade"), out, formats=("onnx",), overwrite=True)
    assert read_manifest(out) == before
    assert not leftovers(tmp_path)


class RandomStepNADE(ka.NADE):
    """A NADE whose step draws its own random numbers: not exportable to builtins."""

    def compute_step(self, state, x_prev):
        params, new_state = super().compute_step(state, x_prev)
        jitter = keras.random.uniform(ops.shape(params["logits"]), seed=self.jitter_seed)
        return {"logits": params["logits"] + 0.0 * jitter}, new_state


def test_flex_op_fails_with_its_name_and_no_directory(tmp_path):
    model = RandomStepNADE(5, hidden_units=4)
    model.jitter_seed = keras.random.SeedGenerator(0)
    randomize(model)
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="Flex.*StatelessRandom"):
        export_model(model, out, formats=("tflite",))
    assert not out.exists() and not leftovers(tmp_path)


# --- quantization report --------------------------------------------------------------
def test_quantized_tflite_nll_change_is_reported_and_small(tmp_path):
    model = randomize(ka.NADE(64, hidden_units=64), seed=3, scale=0.3)
    data = np.random.default_rng(0).integers(0, 2, (32, 64)).astype("float32")
    report = export_model(
        model,
        tmp_path / "q",
        formats=("tflite",),
        quantize=("float16", "int8"),
        evaluation_data=data,
    )
    keras_nll = -float(np.mean(to_numpy(model.log_prob(data))))
    assert report["keras_nll"] == pytest.approx(keras_nll, rel=1e-6)
    nll = report["nll"]
    assert set(nll) == {"tflite", "tflite_float16", "tflite_int8"}
    assert nll["tflite"]["relative_change"] < 1e-5
    assert 0 < nll["tflite_float16"]["relative_change"] < 1e-3  # < 0.1%, and really quantized
    # the step path (what sampling runs) is scored too; int8 quantizes its GATHERed weights
    assert nll["tflite"]["step_relative_change"] == 0
    assert nll["tflite"]["step_nll"] == pytest.approx(keras_nll, rel=1e-5)
    assert 0 < nll["tflite_float16"]["step_relative_change"] < 1e-3
    assert 0 < nll["tflite_int8"]["step_relative_change"] < 5e-2
    assert nll["tflite_int8"]["relative_change"] < 5e-2
    assert report["sizes"]["tflite_float16"] < report["sizes"]["tflite"]
    runner = load(tmp_path / "q", backend="litert", variant="float16")
    fp16 = runner.log_prob(data)
    assert report["nll"]["tflite_float16"]["nll"] == pytest.approx(-float(np.mean(fp16)), rel=1e-6)


# --- a fixed batch --------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["litert", "onnx"])
def test_fixed_batch_export(tmp_path_factory, backend):
    out = tmp_path_factory.getbasetemp() / "batch3"
    model = make("categorical_nade")
    if not out.exists():
        export_model(model, out, formats=("tflite", "onnx"), batch_size=3)
    runner = load(out, backend=backend)
    noise = make_noise(model, batch_size=3, seed=9)
    expected = keras_sample(model, noise)
    np.testing.assert_array_equal(runner.sample(noise, temperature=TEMPERATURE), expected)
    np.testing.assert_array_equal(runner.sample_fused(noise, temperature=TEMPERATURE), expected)
    x = np.random.default_rng(1).integers(0, 3, (4, 5)).astype("int32")  # 4 rows: padded batch
    np.testing.assert_allclose(runner.log_prob(x), to_numpy(model.log_prob(x)), atol=1e-4)
    assert read_manifest(out)["signatures"]["step"]["inputs"][-2]["shape"] == [3, 1]


# --- CLI ------------------------------------------------------------------------------
def test_cli_exports_a_keras_file_and_prints_the_report(tmp_path, capsys):
    vocabulary = ka.Vocabulary.from_text("abc")
    model = randomize(ka.CharRNN(vocabulary=vocabulary, units=6, num_layers=1))
    path = tmp_path / "char.keras"
    model.save(path)
    out = tmp_path / "exported"
    code = main(
        [
            "export",
            str(path),
            "--out",
            str(out),
            "--formats",
            "tflite",
            "--quantize",
            "float16",
            "--sequence-length",
            "6",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "tflite_float16" in printed and "NLL" in printed and "KB" in printed
    manifest = read_manifest(out)
    assert manifest["model"]["vocabulary"]["tokens"] == ["<b>", "a", "b", "c"]
    assert manifest["signatures"]["log_prob"]["inputs"][0]["shape"] == [1, 6]
    ids = vocabulary.encode("abca", add_boundary=True)[None]
    np.testing.assert_allclose(load(out).log_prob(ids), to_numpy(model.log_prob(ids)), atol=1e-4)


def test_cli_reports_a_truncated_keras_file(tmp_path, capsys):
    path = tmp_path / "nade.keras"
    make("nade").save(path)
    path.write_bytes(path.read_bytes()[:-200])
    code = main(["export", str(path), "--out", str(tmp_path / "out")])
    assert code == 2  # the input cannot be used: the usage-error code of every command
    assert "truncated or corrupt" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main(["export", str(tmp_path / "missing.keras"), "--out", str(tmp_path / "o")]) == 2
    assert "No model file" in capsys.readouterr().err

"""The artifacts themselves: op lists, ONNX validity, SavedModel reload, manifest."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from export_helpers import EXPORTED_MODELS, IMAGE_EXPORTS, SEQUENCE_LENGTH, to_numpy
from keras import ops

from keras_ar.export import ExportError, ManifestError, list_ops, read_manifest
from keras_ar.export.onnx import check_onnx
from keras_ar.export.signatures import Signature, TensorInfo
from keras_ar.export.tflite import check_builtin_only, export_tflite

from model_zoo import REVERSED


# --- TFLite ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXPORTED_MODELS)
def test_tflite_has_builtin_ops_only(exported, name):
    ex = exported(name)
    ops_list = list_ops(os.path.join(ex.directory, "model.tflite"))
    assert ops_list and not [op for op in ops_list if op.startswith("CUSTOM")], ops_list
    assert not [op for op in ops_list if "FLEX" in op.upper()]
    # every signature made it into the file, the sample loop as a builtin WHILE
    manifest = read_manifest(ex.directory)
    expected = ["initial_state", "step", "log_prob"] + (["sample"] if name in IMAGE_EXPORTS else [])
    expected += ["conditional_sample"] if getattr(ex.model, "exact_conditionals", False) else []
    assert sorted(manifest["export"]["tflite_signatures"]) == sorted(expected)
    if name in IMAGE_EXPORTS or name.startswith("char_rnn"):
        assert "WHILE" in ops_list  # sample loop, or CharRNN's log_prob loop


@pytest.fixture(scope="module")
def flex_saved_model(tmp_path_factory):
    """A SavedModel whose function needs a Flex op (a stateless random op)."""

    class Noisy(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((1, 2), tf.float32, name="x")])
        def f(self, x):
            return {"y": x + tf.random.stateless_uniform((1, 2), seed=tf.constant([1, 2]))}

    path = str(tmp_path_factory.mktemp("flex") / "saved_model")
    module = Noisy()
    tf.saved_model.save(module, path, signatures={"f": module.f})
    return path


def test_tflite_export_names_the_flex_op(flex_saved_model, tmp_path):
    with pytest.raises(ExportError, match="StatelessRandomUniformV2"):
        export_tflite(flex_saved_model, tmp_path / "m.tflite", ["f"])
    assert not (tmp_path / "m.tflite").exists()


def test_op_inspection_sees_flex_ops(flex_saved_model):
    """The op-list check is not vacuous: with Flex allowed, the op shows up and fails."""
    converter = tf.lite.TFLiteConverter.from_saved_model(flex_saved_model, signature_keys=["f"])
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS,
        tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    content = converter.convert()
    assert "CUSTOM:FlexStatelessRandomUniformV2" in list_ops(content)
    with pytest.raises(ExportError, match="FlexStatelessRandomUniformV2"):
        check_builtin_only(content)


# --- ONNX -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXPORTED_MODELS)
def test_every_onnx_file_loads_and_runs(exported, name):
    import onnxruntime as ort

    ex = exported(name)
    manifest = read_manifest(ex.directory)
    files = manifest["files"]["onnx"]
    assert sorted(files) == sorted(manifest["signatures"])
    for signature, filename in files.items():
        session = ort.InferenceSession(
            str(ex.directory / filename), providers=["CPUExecutionProvider"]
        )
        spec = manifest["signatures"][signature]
        assert [i.name for i in session.get_inputs()] == [i["name"] for i in spec["inputs"]]
        assert sorted(o.name for o in session.get_outputs()) == sorted(
            o["name"] for o in spec["outputs"]
        )
        feeds = {
            i["name"]: np.full(
                i["shape"],
                0.5 if "noise" in i["name"] or i["name"] == "temperature" else 0,
                i["dtype"],
            )
            for i in spec["inputs"]
        }
        for output, value in zip(session.get_outputs(), session.run(None, feeds)):
            assert np.all(np.isfinite(value)), (signature, output.name)
    import onnx

    assert onnx.load(str(ex.directory / files["step"])).opset_import[0].version == 17


def test_check_onnx_rejects_a_broken_file(tmp_path):
    path = tmp_path / "step.onnx"
    path.write_bytes(b"\x08\x07garbage")
    signature = Signature("step", None, [TensorInfo("x", "float32", (1,))], [])
    with pytest.raises(ExportError, match="does not load"):
        check_onnx(path, signature)


# --- SavedModel -----------------------------------------------------------------------
SAVED_MODEL_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    results = {}
    for directory in sys.argv[1:]:
        manifest = json.load(open(directory + "/manifest.json"))
        loaded = tf.saved_model.load(directory + "/saved_model")
        outputs = {}
        initial = {}
        for name in ["initial_state"] + [n for n in manifest["signatures"] if n != "initial_state"]:
            feeds = {}
            for info in manifest["signatures"][name]["inputs"]:
                fill = 0.7 if "noise" in info["name"] else 0
                fill = 1.0 if info["name"] == "temperature" else fill
                feeds[info["name"]] = tf.constant(np.full(info["shape"], fill, info["dtype"]))
            if name == "step":  # start from the exported initial state
                feeds.update(initial)
            result = loaded.signatures[name](**feeds)
            if name == "initial_state":
                initial = dict(result)
            outputs[name] = {k: v.numpy().tolist() for k, v in result.items()}
        results[directory] = outputs
    print(json.dumps(results))
    """
)


def test_saved_model_loads_and_runs_in_a_fresh_process(exported, tmp_path):
    names = ["nade", "categorical_nade", "rnade", "made_ensemble", "char_rnn"]
    directories = [str(exported(n).directory) for n in names]
    script = tmp_path / "load.py"
    script.write_text(SAVED_MODEL_SCRIPT)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, str(script), *directories],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for name, directory in zip(names, directories):
        model = exported(name).model
        outputs = results[directory]
        manifest = read_manifest(directory)
        assert sorted(outputs) == sorted(manifest["signatures"])
        # the step of the reloaded SavedModel is Keras' step at the initial state
        initial_noise = 0.7 if manifest["noise"]["initial_state"] else None
        state = model.initial_state(1, noise=None if initial_noise is None else ops.full((1,), 0.7))
        for key, value in state.items():
            np.testing.assert_allclose(outputs["initial_state"][key], to_numpy(value), atol=1e-6)
        x_prev = ops.zeros((1,), model.distribution.value_dtype)
        params, new_state = model.step(state, x_prev)
        for key, value in new_state.items():
            np.testing.assert_allclose(outputs["step"][f"new_{key}"], to_numpy(value), atol=1e-5)
        noise = np.full((1, model.distribution.noise_size), 0.7, "float32")
        expected = to_numpy(model.distribution.sample(params, noise, 1.0))
        np.testing.assert_allclose(outputs["step"]["sample"], expected, atol=1e-5)
        length = SEQUENCE_LENGTH if model.input_dim is None else model.input_dim
        x = np.zeros((1, length), model.distribution.value_dtype)
        np.testing.assert_allclose(
            outputs["log_prob"]["log_prob"], to_numpy(model.log_prob(x)), atol=1e-4
        )


# --- manifest -------------------------------------------------------------------------
def test_manifest_describes_the_model(exported):
    nade = read_manifest(exported("nade").directory)
    assert nade["format_version"] == 1
    assert nade["model"]["kind"] == "NADE"
    assert nade["model"]["ordering"] == REVERSED
    assert nade["model"]["distribution"] == "bernoulli"
    assert nade["noise"] == {"size": 1, "convention": "inverse_cdf", "initial_state": False}
    assert [s["name"] for s in nade["state"]] == ["running_preactivation", "position"]
    step = nade["signatures"]["step"]
    assert [i["name"] for i in step["inputs"]] == [
        "running_preactivation",
        "position",
        "x_prev",
        "noise",
        "temperature",
    ]
    assert {o["name"] for o in step["outputs"]} == {
        "new_running_preactivation",
        "new_position",
        "sample",
        "probs",
    }
    noise_input = [{"name": "noise", "dtype": "float32", "shape": [1]}]
    assert nade["signatures"]["initial_state"]["inputs"] == noise_input  # LiteRT Java needs one
    assert nade["signatures"]["sample"]["inputs"][0]["shape"] == [1, 5, 1]
    assert nade["files"]["tflite"] == "model.tflite"
    assert nade["files"]["onnx"]["step"] == "step.onnx"

    rnade = read_manifest(exported("rnade").directory)
    assert rnade["noise"]["size"] == 3 and rnade["model"]["num_components"] == 3
    assert {"mixture_weights", "means", "scales"} <= {
        o["name"] for o in rnade["signatures"]["step"]["outputs"]
    }
    made = read_manifest(exported("made_ensemble").directory)
    assert made["noise"]["initial_state"] is True
    assert made["signatures"]["initial_state"]["inputs"] == noise_input
    assert made["signatures"]["sample"]["inputs"][-1]["name"] == "initial_noise"
    char = read_manifest(exported("char_rnn").directory)
    assert char["model"]["input_dim"] is None and char["model"]["ordering"] is None
    assert char["model"]["num_categories"] == 4
    assert char["signatures"]["log_prob"]["inputs"][0] == {
        "name": "x",
        "dtype": "int32",
        "shape": [1, SEQUENCE_LENGTH],
    }
    assert "sample" not in char["signatures"]


@pytest.fixture
def copied_export(exported, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(exported("nade").directory, target)
    return target


def test_truncated_manifest_is_a_clear_error(copied_export):
    path = copied_export / "manifest.json"
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ManifestError, match="not valid JSON.*truncated"):
        read_manifest(copied_export)


def test_corrupt_manifests_are_rejected(copied_export):
    path = copied_export / "manifest.json"
    good = json.loads(path.read_text())

    def rejects(mutate, match):
        manifest = json.loads(json.dumps(good))
        mutate(manifest)
        path.write_text(json.dumps(manifest))
        with pytest.raises(ManifestError, match=match):
            read_manifest(copied_export)

    rejects(lambda m: m.update(format_version=2), "format_version 2")
    rejects(lambda m: m.pop("signatures"), "signatures")
    rejects(lambda m: m["model"].update(ordering=[0, 0, 1, 2, 3]), "permutation")
    rejects(lambda m: m["model"].update(distribution="poisson"), "distribution")
    rejects(lambda m: m["signatures"]["step"]["inputs"].pop(), "step")
    rejects(lambda m: m["state"][0].update(dtype="float64"), "dtype")
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ManifestError):
        read_manifest(copied_export)
    path.write_text(json.dumps(good))
    assert read_manifest(copied_export)["model"]["kind"] == "NADE"


def test_missing_or_truncated_artifact_is_detected(copied_export):
    tflite = copied_export / "model.tflite"
    tflite.write_bytes(tflite.read_bytes()[:1000])
    with pytest.raises(ManifestError, match="model.tflite.*truncated"):
        read_manifest(copied_export)
    tflite.unlink()
    with pytest.raises(ManifestError, match="model.tflite"):
        read_manifest(copied_export)
    assert read_manifest(copied_export, check_files=False)["model"]["kind"] == "NADE"


@pytest.mark.parametrize("backend", ["litert", "onnx"])
def test_nade_initial_state_is_the_hidden_bias_not_zeros(exported, backend):
    """Why a runtime must call `initial_state` (docs/manifest.md) instead of zero-filling."""
    from keras_ar.export import load

    ex = exported("nade")
    state = load(ex.directory, backend=backend).initial_state()
    bias = to_numpy(ex.model.hidden_bias)
    assert np.abs(bias).max() > 0.1
    np.testing.assert_allclose(state["running_preactivation"][0], bias, atol=1e-6)

"""The contract between the exporter and the Android demo (android_demo/).

A tiny NADE (4x4 binary image, permuted ordering) and a tiny CharRNN (vocabulary with a
non-ASCII token) are exported with `keras_ar.export.export_model`, then:

(a) their model.tflite runs under `ai_edge_litert.interpreter.Interpreter` exactly as the
    app runs it (android_demo/app_loop.py: names, shapes and dtypes read only from
    manifest.json; `initial_state` called with noise 0; two state buffer sets swapped;
    x_prev fed back; observed top-half pixels / prompt ids fed instead of the sample;
    text stopped at the boundary id), and the samples must equal Keras
    `model.sample(noise=..., given=..., observed=...)` for the same noise;
(b) the Kotlin core (android_demo/core, compiled with kotlinc) parses the fresh
    manifest.json, must read back every field the app uses, and replays the runs of (a)
    through StepSession / ImageSampleRun / TextGeneration with bit-identical signature
    inputs and Keras' samples as result. Skipped only when kotlinc / JUnit are missing.
"""

import itertools
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
SCRIPT = ANDROID / "run_host_tests.sh"
JAVA_LIBS = Path(os.environ.get("JAVA_LIBS", "/usr/share/java"))
PROMPT = "cl"
sys.path.insert(0, str(ANDROID))

import app_loop  # noqa: E402  (android_demo/app_loop.py)
import app_traces  # noqa: E402  (android_demo/app_traces.py)


def _missing_kotlin():
    from test_android_host import _missing_toolchain

    return _missing_toolchain()


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    from keras_ar.export import export_model

    root = tmp_path_factory.mktemp("android_exports")
    nade = app_traces.tiny_nade()
    char_rnn = app_traces.tiny_char_rnn()
    export_model(nade, root / "nade", formats=("tflite",))
    export_model(char_rnn, root / "charrnn", formats=("tflite",), sequence_length=16)
    return {"nade": (nade, root / "nade"), "charrnn": (char_rnn, root / "charrnn")}


@pytest.fixture(scope="module")
def runs(exports):
    """The app-loop runs of both exports, also written as app_trace.json for Kotlin."""
    nade, nade_dir = exports["nade"]
    char_rnn, char_dir = exports["charrnn"]
    result = {
        "nade": app_traces.image_runs(nade, nade_dir),
        "charrnn": app_traces.text_runs(char_rnn, char_dir, char_rnn.vocabulary.encode(PROMPT)),
    }
    app_traces.write_trace(nade_dir, result["nade"])
    app_traces.write_trace(char_dir, result["charrnn"])
    return result


def _manifest(directory):
    with open(Path(directory) / "manifest.json", encoding="utf-8") as f:
        return json.load(f)


# --- (a) the app's loop on the real .tflite ---------------------------------------------
@pytest.mark.parametrize("name", ["nade", "charrnn"])
def test_manifest_has_what_the_app_binds(exports, name):
    model, directory = exports[name]
    manifest = _manifest(directory)
    state = [s["name"] for s in manifest["state"]]
    signatures = manifest["signatures"]
    assert manifest["export"]["batch_size"] == 1
    assert {"initial_state", "step"} <= set(manifest["export"]["tflite_signatures"])
    assert signatures["initial_state"]["inputs"] == [
        {"name": "noise", "dtype": "float32", "shape": [1]}
    ]
    assert [o["name"] for o in signatures["initial_state"]["outputs"]] == state
    step_inputs = {i["name"]: i for i in signatures["step"]["inputs"]}
    assert set(step_inputs) == set(state) | {"x_prev", "noise", "temperature"}
    assert step_inputs["x_prev"]["dtype"] == model.distribution.value_dtype
    assert step_inputs["x_prev"]["shape"] == [1]
    assert step_inputs["noise"]["shape"] == [1, manifest["noise"]["size"]]
    assert step_inputs["temperature"] == {"name": "temperature", "dtype": "float32", "shape": [1]}
    step_outputs = {o["name"]: o for o in signatures["step"]["outputs"]}
    assert set(step_outputs) == {"new_" + s for s in state} | {"sample", "probs"}
    assert step_outputs["sample"]["dtype"] == step_inputs["x_prev"]["dtype"]
    assert manifest["noise"]["convention"] == "inverse_cdf"
    assert manifest["noise"]["initial_state"] is False
    assert manifest["checksums"][manifest["files"]["tflite"]]["bytes"] == os.path.getsize(
        Path(directory) / manifest["files"]["tflite"]
    )


@pytest.mark.parametrize("name", ["nade", "charrnn"])
def test_tflite_signatures_match_the_manifest(exports, name):
    """The app allocates buffers from manifest.json and binds them by name."""
    assert app_loop.AppLoop(exports[name][1]).signature_problems() == []


def test_initial_state_is_the_hidden_bias_not_zeros(exports):
    from keras import ops

    model, directory = exports["nade"]
    loop = app_loop.AppLoop(directory)
    loop.reset(0.0)
    state = loop.state()
    expected = ops.convert_to_numpy(model.initial_state(1)["running_preactivation"])
    np.testing.assert_array_equal(state["running_preactivation"], expected)
    assert np.abs(state["running_preactivation"]).min() > 0  # zeros would be wrong
    assert state["position"].tolist() == [0]


def test_image_samples_equal_keras(runs):
    names = [run["name"] for run in runs["nade"]]
    assert names == [
        "sample_host_t1",
        "sample_graph_t0.8",
        "complete_top_half_host_t1",
        "complete_top_half_graph_t0.8",
    ]
    for run in runs["nade"]:
        assert run["app"] == run["expected"], run["name"]
        calls = run["calls"]
        assert [c["signature"] for c in calls] == ["initial_state"] + ["step"] * 16
        assert calls[0]["inputs"] == {"noise": [0.0]}
        # the state of step i+1 is the new_<state> output of step i (swapped buffers)
        for before, after in itertools.pairwise(calls[1:]):
            assert (
                after["inputs"]["running_preactivation"]
                == (before["outputs"]["new_running_preactivation"])
            )
            assert after["inputs"]["position"] == before["outputs"]["new_position"]
        assert (
            calls[1]["inputs"]["running_preactivation"]
            == (calls[0]["outputs"]["running_preactivation"])
        )
        temperature = 1.0 if run["host_sampling"] else np.float32(run["temperature"])
        assert all(c["inputs"]["temperature"] == [temperature] for c in calls[1:])
        if run["observed"] is not None:
            app = np.array(run["app"])
            observed = np.array(run["observed"])
            np.testing.assert_array_equal(app[observed], np.array(run["given"])[observed])
    # the conditional runs really condition: x_prev carries the observed pixels
    conditional = runs["nade"][2]
    ordering = app_traces.nade_ordering()
    fed = [c["inputs"]["x_prev"][0] for c in conditional["calls"][2:]]
    kept = [conditional["app"][d] for d in ordering[:-1]]
    assert fed == kept


def test_text_continuations_equal_keras(runs, exports):
    model, _ = exports["charrnn"]
    boundary = model.vocabulary.boundary_id
    prompt = model.vocabulary.encode(PROMPT).tolist()
    for run in runs["charrnn"]:
        assert run["app"] == run["expected"], run["name"]
        p = len(run["prompt"])
        assert run["keras_full"][:p] == run["prompt"]
        tokens = run["app"]["tokens"]
        ended = run["app"]["ended_on_boundary"]
        steps = [c for c in run["calls"] if c["signature"] == "step"]
        # stops right after drawing the boundary id (or at max_new_tokens)
        assert len(steps) == p + len(tokens) + (1 if ended else 0)
        assert ended or len(tokens) == run["max_new_tokens"]
        assert boundary not in tokens
        fed = [c["inputs"]["x_prev"][0] for c in steps]
        assert fed == [boundary] + run["prompt"] + tokens[: len(steps) - 1 - p]
    by_name = {run["name"]: run for run in runs["charrnn"]}
    assert by_name["prompt_host_t1"]["prompt"] == prompt
    assert by_name["prompt_graph_t0.8_limit3"]["max_new_tokens"] == 3
    # at least one run stops on the boundary id after generating something
    assert any(r["app"]["ended_on_boundary"] and r["app"]["tokens"] for r in runs["charrnn"])


# --- (b) the Kotlin core on the fresh export ----------------------------------------------
def _expected_summary(manifest):
    model = manifest["model"]
    keys = (
        "kind",
        "input_dim",
        "image_shape",
        "ordering",
        "distribution",
        "num_categories",
        "num_components",
        "num_masks",
        "vocabulary",
    )
    return {
        "format_version": manifest["format_version"],
        "keras_ar_version": manifest.get("keras_ar_version"),
        "model": {k: model.get(k) for k in keys},
        "noise": {
            "size": manifest["noise"]["size"],
            "convention": manifest["noise"]["convention"],
            "initial_state": manifest["noise"].get("initial_state", False),
        },
        "tflite": manifest["files"].get("tflite"),
        "state": manifest["state"],
        "signatures": {
            k: {"inputs": v["inputs"], "outputs": v["outputs"]}
            for k, v in manifest["signatures"].items()
        },
        "batch_size": manifest["export"]["batch_size"],
        "sequence_length": manifest["export"]["sequence_length"],
        "checksums": manifest.get("checksums", {}),
    }


def test_kotlin_core_reads_the_export_and_replays_the_runs(exports, runs):
    reason = _missing_kotlin()
    if reason:
        pytest.skip(f"Kotlin part of the contract test: {reason}")
    dirs = [str(exports[name][1]) for name in ("nade", "charrnn")]
    env = dict(os.environ, MANIFEST_DIR=os.pathsep.join(dirs))
    result = subprocess.run(
        ["bash", str(SCRIPT), "--exports-only"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    summaries = {}
    for line in result.stdout.splitlines():
        if line.startswith("MANIFEST "):
            summary = json.loads(line[len("MANIFEST ") :])
            summaries[summary.pop("dir")] = summary
    assert sorted(summaries) == sorted(dirs), output[-4000:]
    for name in ("nade", "charrnn"):
        directory = str(exports[name][1])
        manifest = _manifest(directory)
        summary = summaries[directory]
        session = summary.pop("session")
        assert summary == _expected_summary(manifest), name
        assert session["state"] == [s["name"] for s in manifest["state"]]
        assert session["noise_size"] == manifest["noise"]["size"]
        assert session["initial_state_is_random"] is False
        for run in runs[name]:
            assert f"REPLAY {directory} {run['name']} ok" in result.stdout, output[-4000:]
    assert "exports: 2 checked, 0 failed" in result.stdout

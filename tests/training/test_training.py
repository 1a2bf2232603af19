"""keras-ar train / evaluate / sample: small runs on the embedded data sets."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_ar import cli
from keras_ar.training import MODEL_KINDS, TrainConfig, text_windows, train

TINY = dict(
    model="nade", data="digits", hidden_units=8, epochs=1, batch_size=64, max_train_examples=256
)


def test_train_writes_checkpoint_history_and_tensorboard(tmp_path):
    out = tmp_path / "run"
    results = train(TINY, out, verbose=0)
    assert (out / "best.keras").exists()
    assert (out / "best.weights.h5").exists()
    assert (out / "config.json").exists()
    history = json.loads((out / "history.json").read_text())
    assert [r["epoch"] for r in history] == [1]
    assert {"nll", "val_nll", "val_bits_per_dim", "learning_rate"} <= set(history[0])
    events = list((out / "tensorboard").rglob("events.out.tfevents.*"))
    assert events, "no TensorBoard event file"
    saved = json.loads((out / "results.json").read_text())
    assert saved["valid"]["nll_nats"] == pytest.approx(results["valid"]["nll_nats"])
    assert "test" not in saved  # the test split is only touched on request
    assert not (out / "backup").exists()  # BackupAndRestore cleans up after a full run


class _Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.at_epoch:
            raise KeyboardInterrupt("simulated interruption")


class _EpochRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_resume_after_interruption(tmp_path):
    out = tmp_path / "run"
    config = dict(TINY, epochs=3)
    with pytest.raises(KeyboardInterrupt):
        train(config, out, verbose=0, extra_callbacks=[_Interrupt(at_epoch=2)])
    assert (out / "backup").exists()
    assert [r["epoch"] for r in json.loads((out / "history.json").read_text())] == [1, 2]
    recorder = _EpochRecorder()
    results = train(config, out, verbose=0, extra_callbacks=[recorder])
    assert recorder.epochs == [2]  # only the third epoch (index 2) ran again
    history = json.loads((out / "history.json").read_text())
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert results["epochs_run"] == 3
    assert not (out / "backup").exists()


def test_cli_train_evaluate_sample_images(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main([
        "train", "nade", "--data", "digits", "--hidden-units", "8", "--epochs", "1",
        "--max-train-examples", "256", "--batch-size", "64", "--out", str(out), "--quiet",
        "--json", str(tmp_path / "results.json"), "--split", "test",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "valid: nll" in printed and "test: nll" in printed
    assert json.loads((tmp_path / "results.json").read_text())["test"]["split"] == "test"

    assert cli.main(["evaluate", str(out), "--split", "valid", "--json", str(tmp_path / "e.json")]) == 0
    printed = capsys.readouterr().out
    assert "nats" in printed and "bits/dim" in printed
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["bits_per_dim"] == pytest.approx(result["nll_nats"] / (64 * np.log(2)))

    png = tmp_path / "samples.png"
    assert cli.main(["sample", str(out), "--out", str(png), "--num-samples", "8"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_char_rnn_on_names_samples_text(tmp_path, capsys):
    out = tmp_path / "rnn"
    code = cli.main([
        "train", "char_rnn", "--data", "embedded_names", "--hidden-units", "8",
        "--num-layers", "1", "--epochs", "1", "--batch-size", "32", "--out", str(out), "--quiet",
    ])
    assert code == 0
    assert "nats/char" in capsys.readouterr().out
    text = tmp_path / "names.txt"
    assert cli.main(["sample", str(out), "--out", str(text), "--num-samples", "5",
                     "--length", "12"]) == 0
    assert len(text.read_text().splitlines()) == 5
    assert cli.main(["evaluate", str(out)]) == 0
    assert "nats/char" in capsys.readouterr().out


def test_recipe_file_and_overrides(tmp_path):
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"name": "tiny", "target": "x", **TINY, "epochs": 5}))
    out = tmp_path / "run"
    assert cli.main(["train", "categorical_nade", "--recipe", str(recipe), "--epochs", "1",
                     "--out", str(out), "--quiet", "--data-option", "num_levels=3"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "categorical_nade"
    assert config["epochs"] == 1 and config["data_options"] == {"num_levels": 3}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "nade", "--data", "names"], "cannot be trained"),
        (["train", "nope", "--data", "digits"], "Unknown model"),
        (["train", "nade", "--data", "digits", "--epochs", "0"], "epochs must be"),
    ],
)
def test_cli_errors(tmp_path, capsys, argv, message):
    assert cli.main(argv + ["--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err


def test_unknown_recipe_option():
    with pytest.raises(ValueError, match="Unknown training option"):
        TrainConfig.from_dict({"model": "nade", "data": "digits", "hiden_units": 3})


def test_text_windows_pad_last():
    windows = text_windows(np.arange(1, 8), 3)
    np.testing.assert_array_equal(windows, [[1, 2, 3], [4, 5, 6], [7, -1, -1]])


def test_ensemble_of_orderings_log_mean_exp(tmp_path, capsys):
    runs = []
    for seed in (1, 2):
        out = tmp_path / f"order{seed}"
        train(dict(TINY, ordering_seed=seed), out, verbose=0)
        runs.append(str(out))
    assert cli.main(["evaluate", *runs, "--json", str(tmp_path / "ens.json")]) == 0
    assert "ensemble" in capsys.readouterr().out
    result = json.loads((tmp_path / "ens.json").read_text())
    members = [m["nll_nats"] for m in result["members"]]
    # Jensen: the mixture is never worse than the mean member
    assert result["nll_nats"] <= np.mean(members) + 1e-6
    # and it is exactly -mean_n log((p_1(x_n) + p_2(x_n)) / 2), recomputed here per example
    from keras_ar.training import PreparedData, load_run

    per_example = []
    for run in runs:
        model, config = load_run(run)
        x = PreparedData(config).load("valid")
        per_example.append(np.asarray(model.log_prob(x), "float64"))
    per_example = np.stack(per_example)
    expected = -np.mean(np.logaddexp(per_example[0], per_example[1]) - np.log(2))
    assert result["nll_nats"] == pytest.approx(expected, abs=1e-3)
    # per example it lies between the better member and the better member - log 2
    assert np.mean(per_example.max(0)) - np.log(2) <= -result["nll_nats"] + 1e-6


def test_init_from_continues_a_finished_run(tmp_path):
    first = train(TINY, tmp_path / "a", verbose=0)
    second = train(dict(TINY, init_from=str(tmp_path / "a"), learning_rate=1e-9), tmp_path / "b",
                   verbose=0)
    assert second["valid"]["nll_nats"] == pytest.approx(first["valid"]["nll_nats"], rel=1e-3)


@pytest.mark.parametrize("name", ["reverse", "transpose"])
def test_named_orderings(name):
    from keras_ar.training import PreparedData, build_model

    config = TrainConfig.from_dict(dict(TINY, ordering=name))
    model = build_model(config, PreparedData(config))
    expected = {
        "reverse": np.arange(64)[::-1],
        "transpose": np.arange(64).reshape(8, 8).T.reshape(-1),
    }[name]
    np.testing.assert_array_equal(model.ordering, expected)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"ordering": "spiral"}, "ordering must be one of"),
        ({"ordering": "reverse", "ordering_seed": 3}, "either `ordering` or `ordering_seed`"),
        ({"kernel_l2": 1e-4}, "kernel_l2 is not an option of model 'nade'"),  # TINY is a NADE
        ({"model": "made", "num_components": 3}, "num_components is not an option"),
        ({"model": "fvsbn", "kernel_l2": -1.0}, "kernel_l2 is a weight penalty"),
        ({"model": "fvsbn", "kernel_l1": -1.0}, "kernel_l1 is a weight penalty"),
    ],
)
def test_ordering_and_penalty_errors(options, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_dict(dict(TINY, **options))


def test_fvsbn_kernel_l2_shrinks_weights_and_is_not_in_nll(tmp_path):
    FVSBN = dict(TINY, model="fvsbn", hidden_units=None)
    plain = train(dict(FVSBN, epochs=3, learning_rate=0.05), tmp_path / "plain", verbose=0)
    penalized = train(dict(FVSBN, epochs=3, learning_rate=0.05, kernel_l2=0.5), tmp_path / "l2",
                      verbose=0)
    from keras_ar import load_model

    def weight_norm(run):
        model = load_model(run / "best.keras")
        return float(np.sum(np.square(model.conditional_logits.masked_kernel())))

    assert weight_norm(tmp_path / "l2") < 0.5 * weight_norm(tmp_path / "plain")
    train(dict(FVSBN, epochs=3, learning_rate=0.05, kernel_l1=0.05), tmp_path / "l1",
          verbose=0)
    assert weight_norm(tmp_path / "l1") < 0.5 * weight_norm(tmp_path / "plain")
    history = json.loads((tmp_path / "l2" / "history.json").read_text())
    # the reported NLL is the data term alone; `loss` adds the penalty
    assert history[-1]["loss"] > history[-1]["nll"] + 1e-4
    # and results.json reports that data term: -mean log p(x) of the saved model
    from keras_ar.training import PreparedData, load_run

    for run, results in ((tmp_path / "plain", plain), (tmp_path / "l2", penalized)):
        model, config = load_run(run)
        x = PreparedData(config).load("valid")
        nll = -float(np.mean(np.asarray(model.log_prob(x), "float64")))
        assert results["valid"]["nll_nats"] == pytest.approx(nll, rel=1e-5)


def test_fit_mixture_weights_finds_the_likelihood_maximum():
    from keras_ar.training import fit_mixture_weights

    rng = np.random.RandomState(0)
    good = -rng.gamma(5.0, 2.0, size=2000)
    members = np.stack([good, good - np.abs(rng.normal(0, 3, 2000)), good - 50.0])
    weights = fit_mixture_weights(members)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[2] < 1e-6  # a member 50 nats worse everywhere gets no weight

    def objective(w):
        joint = members + np.log(np.maximum(w, 1e-300))[:, None]
        top = joint.max(0)
        return np.mean(top + np.log(np.exp(joint - top).sum(0)))

    grid = max(objective(np.array([a, 1 - a, 0.0])) for a in np.linspace(0, 1, 1001))
    assert objective(weights) >= grid - 1e-6
    assert objective(weights) > objective(np.full(3, 1 / 3))


def test_ensemble_weights_fit_on_valid_and_errors(tmp_path, capsys):
    runs = []
    for seed in (1, 2):
        out = tmp_path / f"order{seed}"
        train(dict(TINY, ordering_seed=seed, epochs=1 + seed), out, verbose=0)
        runs.append(str(out))
    assert cli.main(["evaluate", *runs, "--weights", "fit", "--json", str(tmp_path / "e.json")]) == 0
    fitted = json.loads((tmp_path / "e.json").read_text())
    assert fitted["weights_fitted_on"] == "valid"
    assert sum(fitted["weights"]) == pytest.approx(1.0)
    assert cli.main(["evaluate", *runs, "--json", str(tmp_path / "u.json")]) == 0
    uniform = json.loads((tmp_path / "u.json").read_text())
    assert uniform["weights"] == [0.5, 0.5]
    # fitted on valid, so on valid it can only do better than uniform
    assert fitted["nll_nats"] <= uniform["nll_nats"] + 1e-6
    assert cli.main(["evaluate", *runs, "--weights", "0.9,0.1", "--json", str(tmp_path / "w.json")]) == 0
    assert json.loads((tmp_path / "w.json").read_text())["weights"] == pytest.approx([0.9, 0.1])
    capsys.readouterr()
    for bad in ("0.5", "a,b", "-1,2", "best"):
        assert cli.main(["evaluate", *runs, f"--weights={bad}"]) != 0
        assert "weights" in capsys.readouterr().err


def test_evaluate_a_run_that_is_still_training(tmp_path):
    out = tmp_path / "run"
    finished = train(TINY, out, verbose=0)
    (out / "best.keras").unlink()  # as during training: config + best weights so far
    from keras_ar.training import evaluate

    result = evaluate(str(out), split="valid")
    assert result["nll_nats"] == pytest.approx(finished["valid"]["nll_nats"], rel=1e-5)
    (out / "best.weights.h5").unlink()
    with pytest.raises(FileNotFoundError, match="No model at"):
        evaluate(str(out), split="valid")


def test_phases_continue_from_the_best_weights_with_a_fresh_schedule(tmp_path):
    """A recipe with two phases equals the chain `train A; train B --init-from A`."""
    phases = [{"epochs": 2, "learning_rate": 0.01}, {"epochs": 1, "learning_rate": 1e-9}]
    out = tmp_path / "run"
    results = train(dict(TINY, phases=phases), out, verbose=0)
    history = json.loads((out / "history.json").read_text())
    assert [(r["epoch"], r["phase"]) for r in history] == [(1, 1), (2, 1), (3, 2)]
    assert history[-1]["learning_rate"] == pytest.approx(1e-9)
    first = json.loads((out / "phase_1" / "results.json").read_text())
    # phase 2 (a rate of 1e-9) starts from phase 1's best weights: the same NLL
    assert results["valid"]["nll_nats"] == pytest.approx(first["valid"]["nll_nats"], rel=1e-4)
    assert [p["epochs_run"] for p in results["phases"]] == [2, 1]
    chain = train(dict(TINY, epochs=2, learning_rate=0.01), tmp_path / "a", verbose=0)
    assert chain["valid"]["nll_nats"] == pytest.approx(first["valid"]["nll_nats"], rel=1e-5)
    # re-running the command after phase 2 was lost trains phase 2 only
    import shutil

    shutil.rmtree(out / "phase_2")
    recorder = _EpochRecorder()
    train(dict(TINY, phases=phases), out, verbose=0, extra_callbacks=[recorder])
    assert recorder.epochs == [0]


@pytest.mark.parametrize("phases, message", [
    ([{"hidden_units": 3}], "cannot change between phases"),
    ([{"epochs": 0}], "epochs must be"),
    (["fast"], "must be an object"),
])
def test_phase_errors(phases, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_dict(dict(TINY, phases=phases))


def test_a_new_model_kind_is_one_registry_entry(tmp_path, monkeypatch):
    from keras_ar import models
    from keras_ar.training import MODEL_KINDS, kind_of
    from keras_ar.training.model_kinds import ModelKind

    @keras.saving.register_keras_serializable(package="keras_ar_test")
    class WideNADE(models.NADE):
        pass

    monkeypatch.setitem(MODEL_KINDS, "wide_nade", ModelKind(WideNADE, {"hidden_units": "hidden_units"}))
    results = train(dict(TINY, model="wide_nade", model_options={"activation": "relu"}),
                    tmp_path / "run", verbose=0)
    from keras_ar.training import load_run

    model, _ = load_run(tmp_path / "run")
    assert kind_of(model) == "wide_nade" and model.hidden_units == 8
    assert model.get_config()["activation"] == "relu"
    assert results["model"].startswith("WideNADE")


RECIPES = sorted((Path(__file__).resolve().parents[2] / "recipes").glob("*.json"))
# what may differ between a recipe and the recorded run it reproduces
_NOT_COMPARED = {"epochs", "max_minutes", "init_from", "phases", "notes", "evaluate_test"}


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_recipe_reproduces_its_recorded_run(path):
    """Each recipe is valid and asks for what its result files record: the same
    settings per phase, and the epochs that ran (a run cut by a time limit records
    fewer epochs than it asked for; the recipe asks for exactly those)."""
    results_dir = path.parent / "results"
    recipe = json.loads(path.read_text())
    if "runner" in recipe:  # trained by its own script (order-agnostic models)
        assert (path.parent.parent / recipe["runner"]).exists(), recipe["runner"]
        summary = results_dir / f"{path.stem}.train.json"
        if summary.exists():  # the recorded run's training settings, and room for all its epochs
            recorded = json.loads(summary.read_text())
            how_evaluated = {"runner", "eval_minutes", "eval_batch_size", "eval_block_size", "eval_jit_compile"}
            for key in (set(recipe) | set(recorded["recipe"])) - _NOT_COMPARED - how_evaluated:
                assert recipe.get(key) == recorded["recipe"].get(key), key
            assert recipe["epochs"] >= recorded["epochs"]
        return
    if "ensemble" in recipe:
        for member in recipe["ensemble"]:
            assert (path.parent / f"{member}.json").exists(), member
        result = json.loads((results_dir / f"{path.stem}.{recipe['split']}.json").read_text())
        assert [m["run"] for m in result["members"]] == [f"runs/{m}" for m in recipe["ensemble"]]
        return
    config = TrainConfig.from_dict(recipe)
    phases = config.phase_configs()
    names = [path.stem] if len(phases) == 1 else [f"{path.stem}.phase_{k}" for k in
                                                  range(1, len(phases) + 1)]
    defaults = TrainConfig().to_dict()
    if not all((results_dir / f"{name}.json").exists() for name in names):
        # no finished run recorded yet: the recipe must still build its model
        assert config.model in MODEL_KINDS, config.model
        return
    for phase, name in zip(phases, names):
        recorded = json.loads((results_dir / f"{name}.json").read_text())
        ran = {k: recorded["config"].get(k, defaults[k]) for k in defaults if k not in _NOT_COMPARED}
        asked = {k: v for k, v in phase.to_dict().items() if k not in _NOT_COMPARED}
        assert asked == ran, name
        if recorded["stopped_by_time_limit"]:
            assert recorded["epochs_run"] == phase.epochs, name
        else:
            assert recorded["epochs_run"] <= phase.epochs, name


def test_scalar_tensorboard_writes_the_epoch_logs_as_keras_tensorboard_names_them(tmp_path):
    import tensorflow as tf

    from keras_ar.training.callbacks import ScalarTensorBoard

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.25), loss="mse")
    board = ScalarTensorBoard(tmp_path)
    board.set_model(model)
    board.on_epoch_end(0, {"nll": 3.5, "val_nll": 4.25})
    board.on_epoch_end(1, {"nll": 2.5, "val_nll": 3.75})
    board.on_train_end()
    seen = {}
    for split in ("train", "validation"):
        for path in sorted((tmp_path / split).glob("events.out.tfevents.*")):
            for event in tf.compat.v1.train.summary_iterator(str(path)):
                for value in event.summary.value:
                    number = float(tf.make_ndarray(value.tensor))
                    seen[(split, value.tag, event.step)] = number
    assert seen == {("train", "epoch_nll", 0): 3.5, ("train", "epoch_nll", 1): 2.5,
                    ("validation", "epoch_nll", 0): 4.25, ("validation", "epoch_nll", 1): 3.75,
                    ("train", "epoch_learning_rate", 0): 0.25, ("train", "epoch_learning_rate", 1): 0.25}


class _WeightsAtEpochEnd(keras.callbacks.Callback):
    """The trained weights and the optimizer's averages after the last epoch's callbacks."""

    def on_epoch_end(self, epoch, logs=None):
        optimizer = self.model.optimizer
        self.trained = [keras.ops.convert_to_numpy(v) for v in optimizer._trainable_variables]
        self.average = [keras.ops.convert_to_numpy(v) for v in optimizer._model_variables_moving_average]
        self.names = [v.path for v in optimizer._trainable_variables]


def test_ema_validates_and_keeps_the_moving_average_and_trains_on(tmp_path):
    """With `ema`, val_nll, the best checkpoint and best.keras are the averaged weights,
    while training itself continues from the trained ones."""
    seen = _WeightsAtEpochEnd()
    config = dict(TINY, ema=0.9, learning_rate=0.05)
    results = train(config, tmp_path / "run", verbose=0, extra_callbacks=[seen])
    assert max(np.max(np.abs(t - a)) for t, a in zip(seen.trained, seen.average)) > 1e-3  # they differ
    saved = keras.saving.load_model(tmp_path / "run" / "best.keras")
    by_path = {v.path: keras.ops.convert_to_numpy(v) for v in saved.trainable_variables}
    for name, average in zip(seen.names, seen.average):
        np.testing.assert_allclose(by_path[name], average, rtol=0, atol=1e-7)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert results["valid"]["nll_nats"] == pytest.approx(history[0]["val_nll"], rel=1e-4)
    with pytest.raises(ValueError, match="ema is a momentum"):
        train(dict(TINY, ema=1.5), tmp_path / "bad", verbose=0)

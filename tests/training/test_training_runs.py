"""`keras_ar.training.train`: small runs on the digits data set. What a run writes
(checkpoints, history, TensorBoard, results), resuming after an interruption,
`init_from`, phases, weight penalties, the moving average of the weights (`ema`), and
a new model kind added as one registry entry."""

import json

import keras
import numpy as np
import pytest

from keras_ar.training import train

from training_helpers import TINY


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


def test_init_from_continues_a_finished_run(tmp_path):
    first = train(TINY, tmp_path / "a", verbose=0)
    second = train(dict(TINY, init_from=str(tmp_path / "a"), learning_rate=1e-9), tmp_path / "b",
                   verbose=0)
    assert second["valid"]["nll_nats"] == pytest.approx(first["valid"]["nll_nats"], rel=1e-3)


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

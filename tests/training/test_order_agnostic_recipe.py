"""The order-agnostic recipe's bookkeeping (recipes/order_agnostic.py), on tiny files:
continuing from another run's weights, and `merge`, which folds the orderings of
`evaluate` and `more-orderings` into the result file's ensembles."""

import importlib.util
import json
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import keras_ar as ka
from keras_ar.training import log_mean_exp

RECIPE_SCRIPT = Path(__file__).resolve().parents[2] / "recipes" / "order_agnostic.py"


@pytest.fixture
def recipe_module(tmp_path, monkeypatch):
    """The recipe script as a module, working in an empty folder (runs/, recipes/results/)."""
    monkeypatch.syspath_prepend(str(RECIPE_SCRIPT.parent))  # its modules, as when run as a script
    spec = importlib.util.spec_from_file_location("order_agnostic_recipe", RECIPE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recipes" / "results").mkdir(parents=True)
    return module


@pytest.fixture
def eval_module(recipe_module):
    """The test stages' module (recipes/order_agnostic_eval.py), which the script imports."""
    return sys.modules["order_agnostic_eval"]


def saved_deep_nade(recipe_module, tmp_path, monkeypatch, num_orderings):
    """A recipe, its saved DeepNADE-5 in runs/r/best.keras, and the 7 rows every split
    loads."""
    recipe = {"name": "r", "model": "deep_nade", "hidden_units": [6], "num_orderings": num_orderings,
              "eval_jit_compile": False, "eval_batch_size": 4}
    model = ka.DeepNADE(5, hidden_units=[6])
    model.ensure_built()
    (tmp_path / "runs" / "r").mkdir(parents=True)
    model.save(tmp_path / "runs" / "r" / "best.keras")
    data = (np.random.default_rng(1).random((7, 5)) < 0.5).astype("float32")
    monkeypatch.setattr(recipe_module.datasets, "load", lambda name, split: data)
    return recipe, model, data


def test_init_from_starts_from_that_runs_selected_weights(recipe_module, tmp_path):
    recipe = {"name": "second", "model": "deep_nade", "hidden_units": [6], "init_from": "first"}
    earlier = recipe_module.build({**recipe, "name": "first", "seed": 3})
    earlier.ensure_built()
    (tmp_path / "runs" / "first").mkdir(parents=True)
    earlier.save(tmp_path / "runs" / "first" / "best.keras")
    (tmp_path / "recipes" / "results" / "first.train.json").write_text(
        json.dumps({"epochs": 12, "training_minutes": 4.5}))
    model = recipe_module.build(recipe)
    model.ensure_built()
    assert not np.array_equal(model.get_weights()[0], earlier.get_weights()[0])  # another seed
    summary = recipe_module.continue_from(model, recipe)
    assert summary == {"continued_from": "first", "earlier_epochs": 12, "earlier_training_minutes": 4.5}
    for mine, theirs in zip(model.get_weights(), earlier.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert recipe_module.continue_from(model, {"name": "alone"}) == {}
    # a continuation of a continuation counts every earlier run
    (tmp_path / "recipes" / "results" / "first.train.json").write_text(json.dumps(
        {"epochs": 12, "training_minutes": 4.5, "earlier_epochs": 30, "earlier_training_minutes": 10.25}))
    summary = recipe_module.continue_from(model, recipe)
    assert summary == {"continued_from": "first", "earlier_epochs": 42, "earlier_training_minutes": 14.75}


def test_merge_folds_every_finished_orderings_file_into_the_ensembles(recipe_module, tmp_path):
    rng = np.random.default_rng(0)
    results = tmp_path / "recipes" / "results"
    first, more = (rng.normal(-90, 5, size=(50, k)).astype("float32") for k in (3, 2))
    np.save(results / "r.test_per_ordering.npy", first)
    np.save(results / "r.test_per_ordering.more1000.npy", more)
    np.save(results / "r.test_per_ordering.more1000.npy.partial.npy", first)  # unfinished: left out
    (results / "r.test_per_ordering.more2000.npy.partial").write_bytes(b"half")  # likewise
    (results / "r.json").write_text(json.dumps({"test": {"ensemble_1": "old", "seconds": 1.0}}))
    recipe_module.merge({"name": "r"})
    test = json.loads((results / "r.json").read_text())["test"]
    columns = np.concatenate([first, more], axis=1)
    assert test["orderings_evaluated"] == 5
    assert test["orderings_files"] == ["r.test_per_ordering.npy", "r.test_per_ordering.more1000.npy"]
    assert test["ensemble_4"][0] == pytest.approx(-np.mean(log_mean_exp(columns[:, :4], axis=1)), rel=1e-6)
    assert test["ensemble_1"][0] == pytest.approx(-np.mean(first[:, 0]), rel=1e-6)
    assert "ensemble_8" not in test and test["seconds"] == 1.0
    assert not list(results.glob("*.json.partial"))


def test_more_orderings_stops_when_the_files_hold_num_orderings(recipe_module, eval_module, tmp_path,
                                                                monkeypatch):
    """Two processes side by side, each counting the other's finished files, stop at the
    largest ensemble; their columns are exact log p_o of the test rows, o from the seed."""
    recipe, model, data = saved_deep_nade(recipe_module, tmp_path, monkeypatch, num_orderings=5)
    results = tmp_path / "recipes" / "results"
    np.save(results / "r.test_per_ordering.npy", np.zeros((7, 2), "float32"))  # evaluate's two
    recipe_module.more_orderings(recipe, 1000, minutes=1)
    assert np.load(results / "r.test_per_ordering.more1000.npy").shape == (7, 3)
    recipe_module.more_orderings(recipe, 2000, minutes=1)  # nothing left to do
    assert not (results / "r.test_per_ordering.more2000.npy").exists()
    assert eval_module.orderings_on_disk(str(results / "r")) == 5
    ordering = np.random.default_rng([1000, 1]).permutation(5)
    expected = model.log_prob(data, ordering=ordering)
    np.testing.assert_allclose(np.load(results / "r.test_per_ordering.more1000.npy")[:, 0], expected, atol=1e-5)


def test_merge_without_evaluate_says_so(recipe_module):
    with pytest.raises(SystemExit, match="run `evaluate` first"):
        recipe_module.merge({"name": "r"})


def test_more_orderings_resumes_with_the_same_orderings(recipe_module, tmp_path, monkeypatch):
    recipe, _, _ = saved_deep_nade(recipe_module, tmp_path, monkeypatch, num_orderings=4)
    results = tmp_path / "recipes" / "results"
    recipe_module.more_orderings(recipe, 1000, minutes=1)
    whole = np.load(results / "r.test_per_ordering.more1000.npy")
    assert whole.shape == (7, 4)
    np.save(results / "r.test_per_ordering.more1000.npy", whole[:, :1])  # stopped after one
    recipe_module.more_orderings(recipe, 1000, minutes=1)
    np.testing.assert_allclose(np.load(results / "r.test_per_ordering.more1000.npy"), whole, atol=1e-6)


def test_train_resumes_after_an_interruption_and_skips_a_finished_run(recipe_module, tmp_path, monkeypatch,
                                                                      capsys):
    """Killed after epoch 2, the same command carries on at epoch 3 with the optimizer's
    and the moving average's state; the history has each epoch once; a finished run is
    not trained again."""
    recipe = {"name": "r", "model": "deep_nade", "hidden_units": [6], "learning_rate": 0.01, "epochs": 4,
              "batch_size": 8, "max_minutes": 60, "patience": 10, "ema": 0.9, "jit_compile": False}
    rng = np.random.default_rng(0)
    monkeypatch.setattr(recipe_module.datasets, "load",
                        lambda name, split: (rng.random((32, 784)) < 0.3).astype("float32"))
    begun, fitted = [], []
    original_begin = recipe_module.SelectOnValid.on_epoch_begin

    def on_epoch_begin(self, epoch, logs=None):
        begun.append(epoch + 1)
        fitted.append(int(self.model.optimizer.iterations))
        if epoch == 2 and begun.count(3) == 1:
            raise KeyboardInterrupt  # killed after two epochs
        return original_begin(self, epoch, logs)

    monkeypatch.setattr(recipe_module.SelectOnValid, "on_epoch_begin", on_epoch_begin)
    with pytest.raises(KeyboardInterrupt):
        recipe_module.train(recipe)
    assert (tmp_path / "runs" / "r" / "backup").exists()
    recipe_module.train(recipe)
    assert begun == [1, 2, 3, 3, 4]
    assert fitted == [0, 4, 8, 8, 12]  # the resumed optimizer has taken epoch 1 and 2's steps
    history = json.loads((tmp_path / "recipes" / "results" / "r.history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]
    summary = json.loads((tmp_path / "recipes" / "results" / "r.train.json").read_text())
    assert summary["epochs"] == 4 and summary["training_minutes"] == history[-1]["elapsed_minutes"]
    assert not (tmp_path / "runs" / "r" / "backup").exists()  # removed when training ends
    capsys.readouterr()
    recipe_module.train(recipe)
    assert begun == [1, 2, 3, 3, 4] and "is trained" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["deep_nade", "made"])
def test_evaluate_scores_test_once_and_resumes(recipe_module, eval_module, tmp_path, monkeypatch, kind):
    """DeepNADE: a column of exact log p_o per ordering (the first is the model's own),
    the ensembles, the inpainting rows; stopped after one ordering, it carries on with
    the same orderings. MADE: the mask ensembles."""
    recipe = {"name": "r", "model": kind, "hidden_units": [6], "num_orderings": 3, "num_masks": 2,
              "eval_batch_size": 4, "eval_jit_compile": False, "eval_minutes": 5}
    model = recipe_module.build(recipe)
    model.ensure_built()
    (tmp_path / "runs" / "r").mkdir(parents=True)
    model.save(tmp_path / "runs" / "r" / "best.keras")
    data = (np.random.default_rng(2).random((8, 784)) < 0.2).astype("float32")
    monkeypatch.setattr(recipe_module.datasets, "load", lambda name, split: data)
    results = tmp_path / "recipes" / "results"
    recipe_module.evaluate(recipe)
    test = json.loads((results / "r.json").read_text())["test"]
    if kind == "made":
        exact = np.asarray(model.log_prob(data))  # the 2-mask ensemble
        assert test["2_masks"][0] == pytest.approx(-exact.mean(), rel=1e-5)
        return
    columns = np.load(results / "r.test_per_ordering.npy")
    assert columns.shape == (8, 3) and test["orderings_evaluated"] == 3
    twin = eval_module.with_random_ordering(model, 7)
    for k, ordering in enumerate(twin.random_orderings(3, seed=8)):
        np.testing.assert_allclose(columns[:, k], twin.log_prob(data, ordering=ordering), rtol=1e-5, atol=1e-4)
    assert test["ensemble_2"][0] == pytest.approx(-np.mean(log_mean_exp(columns[:, :2], axis=1)), rel=1e-5)
    inpainting = json.loads((results / "r.json").read_text())["inpainting_test"]
    assert set(inpainting) == {"bottom_half_missing", "left_half_missing"}
    np.save(results / "r.test_per_ordering.npy", columns[:, :1])  # stopped after one ordering
    recipe_module.evaluate(recipe)
    np.testing.assert_allclose(np.load(results / "r.test_per_ordering.npy"), columns, atol=1e-5)
    assert "inpainting_test" in json.loads((results / "r.json").read_text())  # kept


def test_a_fresh_clone_trains_the_chain_again_and_drops_the_old_results(recipe_module, tmp_path, monkeypatch,
                                                                        capsys):
    """The repository's result files without their weights (a fresh clone): `train` of a
    continuation first trains the run it continues, and each fresh run removes the
    earlier run's files, so that `evaluate` cannot resume from another model's orderings."""
    base = {"model": "deep_nade", "hidden_units": [6], "learning_rate": 0.01, "epochs": 1, "batch_size": 8,
            "max_minutes": 60, "jit_compile": False}
    recipes, results = tmp_path / "recipes", tmp_path / "recipes" / "results"
    (recipes / "first.json").write_text(json.dumps({**base, "name": "first"}))
    second = {**base, "name": "second", "init_from": "first"}
    old_columns = np.full((7, 3), -1.0, "float32")
    for name in ("first", "second"):  # what a clone holds: summaries, orderings, the log
        (results / f"{name}.train.json").write_text(json.dumps({"epochs": 99, "training_minutes": 9.0}))
        (results / f"{name}.json").write_text(json.dumps({"test": {"orderings_evaluated": 3}}))
        np.save(results / f"{name}.test_per_ordering.npy", old_columns)
        (results / f"{name}.log").write_text("the earlier run's log\n")
    rng = np.random.default_rng(0)
    monkeypatch.setattr(recipe_module.datasets, "load",
                        lambda name, split: (rng.random((16, 784)) < 0.3).astype("float32"))
    recipe_module.train(second)
    out = capsys.readouterr().out
    assert "training first first" in out and "replaces the 3 result files" in out
    for name in ("first", "second"):
        assert (tmp_path / "runs" / name / "best.keras").exists()
        assert json.loads((results / f"{name}.train.json").read_text())["epochs"] == 1
        assert not (results / f"{name}.json").exists()
        assert not (results / f"{name}.test_per_ordering.npy").exists()
        assert (results / f"{name}.log").read_text() == "the earlier run's log\n"
    assert json.loads((results / "second.train.json").read_text())["continued_from"] == "first"
    recipe_module.train(second)  # both trained here now: nothing to do
    assert "is trained" in capsys.readouterr().out


def test_evaluate_without_weights_says_how_to_get_them(recipe_module):
    with pytest.raises(SystemExit, match=r"no runs/r/best.keras: train it first \(python recipes/order_agnostic.py"):
        recipe_module.evaluate({"name": "r", "model": "deep_nade"})


def test_init_optimizer_goes_on_with_the_earlier_runs_optimizer_state(recipe_module, tmp_path, monkeypatch):
    """With `"init_optimizer"` the continuation's first step is the earlier run's next one
    (step count, Adam moments and moving average as saved with its selected weights), at
    the recipe's own initial learning rate;
    without it the optimizer starts afresh; an optimizer of another shape is refused."""
    rng = np.random.default_rng(0)
    monkeypatch.setattr(recipe_module.datasets, "load",
                        lambda name, split: (rng.random((32, 784)) < 0.3).astype("float32"))
    base = {"model": "deep_nade", "hidden_units": [6], "learning_rate": 0.01, "epochs": 2, "batch_size": 8,
            "patience": 10, "ema": 0.9, "weight_decay": 0.05, "jit_compile": False}
    recipe_module.train({**base, "name": "first"})
    with zipfile.ZipFile(tmp_path / "runs" / "first" / "best.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as h5:
        saved = [h5["optimizer/vars"][str(i)][()] for i in range(len(h5["optimizer/vars"]))]
    assert int(saved[0]) in (4, 8)  # the step count of the selected epoch
    first_state, rates = [], []
    original_begin = recipe_module.SelectOnValid.on_train_begin

    def on_train_begin(self, logs=None):
        first_state.append([np.array(v) for v in self.model.optimizer.variables])
        rates.append(float(self.model.optimizer.learning_rate))
        return original_begin(self, logs)

    monkeypatch.setattr(recipe_module.SelectOnValid, "on_train_begin", on_train_begin)
    recipe_module.train({**base, "name": "fresh", "init_from": "first"})
    recipe_module.train({**base, "name": "second", "init_from": "first", "init_optimizer": True,
                         "learning_rate": 0.004, "lr_decay": 0.5})
    fresh, second = first_state
    assert rates == [pytest.approx(0.01), pytest.approx(0.004)]  # the decay counts the new run's epochs
    assert int(fresh[0]) == 0
    assert len(second) == len(saved)
    for mine, theirs in zip(second, saved):
        np.testing.assert_array_equal(mine, theirs)
    other = recipe_module.build({**base, "name": "other"})
    other.compile(optimizer="adam")  # no weight decay, no moving average
    with pytest.raises(ValueError, match="does not fit this optimizer"):
        recipe_module.runs.load_optimizer_state(other, tmp_path / "runs" / "first" / "best.keras")
    path = tmp_path / "lonely.json"
    path.write_text(json.dumps({**base, "init_optimizer": True}))
    with pytest.raises(SystemExit, match="init_from"):
        recipe_module.load_recipe(str(path))

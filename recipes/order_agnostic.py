"""Order-agnostic recipes: DeepNADE and order/connectivity-agnostic MADE on binarized MNIST.

    python recipes/order_agnostic.py train recipes/deep_nade_2x500.json
    python recipes/order_agnostic.py evaluate recipes/deep_nade_2x500.json
    python recipes/order_agnostic.py more-orderings recipes/deep_nade_2x500.json 1000  # beside it
    python recipes/order_agnostic.py more-orderings recipes/deep_nade_2x500.json 2000 25  # 25 more minutes
        # (each stops when the result files hold the recipe's num_orderings, 128)
    python recipes/order_agnostic.py merge recipes/deep_nade_2x500.json

Every stage can be stopped and run again: `train` resumes from its last epoch (and
skips a run finished on this machine), `evaluate` and `more-orderings` from their last
ordering. On a fresh clone, which has the repository's results but no weights, `train`
trains again (replacing those results), and first trains the run a recipe continues
(`"init_from"`, with a fresh optimizer, or with that run's saved optimizer state too when
`"init_optimizer": true`), so one command rebuilds a chain of runs.

`train` fits on the train split, selects the epoch on valid (DeepNADE: the unbiased
order-agnostic estimate on valid with fixed masks, one exact pass per example; MADE: the
exact mask ensemble) and writes runs/<name>/best.keras, recipes/results/<name>.history.json.
`evaluate` touches test once with the selected weights: DeepNADE exact log p_o(x) for
K orderings (the model's own first, then random ones), every ensemble size 1, 2, 4, ..., K
by log-mean-exp, and the inpainting conditionals (bottom half, left half missing); MADE
its 1..M mask ensembles. Both stop starting new work after the recipe's minute caps.

This script holds the training stage; order_agnostic_eval.py the test stages and
order_agnostic_runs.py where a recipe's files live (both imported from beside it).
"""

import glob
import json
import os
import sys
import time

import keras
import numpy as np

from keras_ar import backend, compiled, datasets, files
from keras_ar.training import FlooredExponentialDecay, environment, runs, schedule
from keras_ar.training.callbacks import averaged_weights

from order_agnostic_eval import evaluate, merge, more_orderings
from order_agnostic_runs import (
    batched,
    build,
    load_recipe,
    locations,
    paths,
    selected_weights,
    trained,
)

__all__ = ["evaluate", "merge", "more_orderings", "train"]


def validation_fn(model, recipe, valid):
    """-mean log p on valid: DeepNADE's estimator with fixed masks, MADE's exact ensemble."""
    if recipe["model"] == "deep_nade":
        rng = np.random.default_rng(1234)
        split = rng.integers(0, 784, size=(len(valid), 1))
        known = (np.argsort(np.argsort(rng.random((len(valid), 784)), 1), 1) < split).astype("float32")
        score = keras.ops.convert_to_numpy
        fn = backend.compile_function(model, ("recipe", "valid"),
                                      lambda x, k: model.order_agnostic_log_prob(x, known=k))
        return lambda: -np.mean(np.concatenate([score(fn(valid[i : i + 500], known[i : i + 500]))
                                                for i in range(0, len(valid), 500)]))
    fn = compiled.compiled_log_prob(model)
    return lambda: -np.mean(batched(fn, valid, 500))


class SelectOnValid(keras.callbacks.Callback):
    """Scores valid (with the weights' moving average) every `validate_every` epochs,
    saves the best model, stops at `patience` scores without progress or after
    `max_minutes` of training if the recipe sets it (`epochs` is the cap that does not
    depend on the machine). Its state lives in the history file, so a run resumed by
    `BackupAndRestore` (which comes after it) carries on where the rows end."""

    def __init__(self, recipe, valid, run, history_path):
        super().__init__()
        self.recipe, self.valid, self.run, self.history_path = recipe, valid, run, history_path

    def on_train_begin(self, logs=None):
        self.score = validation_fn(self.model, self.recipe, self.valid)
        self.history = []
        if os.path.exists(self.history_path):
            with open(self.history_path) as handle:
                self.history = json.load(handle)

    def on_epoch_begin(self, epoch, logs=None):
        # a resumed run restarts at `epoch`: rows from there on are replaced
        self.history = [row for row in self.history if row["epoch"] <= epoch]
        scores = [row["valid_nll"] for row in self.history if "valid_nll" in row]
        self.best = min(scores, default=np.inf)
        self.bad = len(scores) - 1 - int(np.argmin(scores)) if scores else 0
        self.minutes_before = self.history[-1]["elapsed_minutes"] if self.history else 0.0
        self.epoch_start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        train_seconds = time.time() - self.epoch_start
        tick = time.time()
        every = self.recipe.get("validate_every", 1)
        row = {"epoch": epoch + 1, "train_nll": float(logs["loss"]), "train_seconds": round(train_seconds, 1)}
        if (epoch + 1) % every == 0:
            with averaged_weights(self.model):
                valid = float(self.score())
                row.update(valid_nll=valid, valid_seconds=round(time.time() - tick, 1))
                if valid < self.best:
                    self.best, self.bad = valid, 0
                    self.model.save(os.path.join(self.run, "best.keras"))
                    row["saved"] = True
                else:
                    self.bad += 1
        row["elapsed_minutes"] = round(self.minutes_before + (time.time() - self.epoch_start) / 60, 2)
        self.history.append(row)
        print(json.dumps(row), flush=True)
        files.write_json(self.history_path, self.history, indent=1)
        if row["elapsed_minutes"] > self.recipe.get("max_minutes", np.inf) or self.bad >= self.recipe.get("patience", 10):
            self.model.stop_training = True


def train(recipe):
    """Fits and selects on valid. Interrupted (killed, out of time), the same command
    resumes from the last finished epoch (`keras.callbacks.BackupAndRestore` in
    runs/<name>/backup: weights, optimizer and moving average, epoch); a run finished
    here is not trained again. A recipe with `"init_from"` trains that run first when its
    weights are not here; a fresh run removes the result files of an earlier one (on a
    fresh clone, the repository's), so that `evaluate` does not resume from them."""
    run, base = paths(recipe)
    if trained(recipe):
        print(f"{base}.train.json and {run}/best.keras exist: {recipe['name']} is trained "
              "(delete them to train again)", flush=True)
        return
    earlier = recipe.get("init_from")
    if earlier and not trained({"name": earlier}):
        print(f"{recipe['name']} starts from {earlier}'s selected weights, which are not here: "
              f"training {earlier} first", flush=True)
        train(load_recipe(os.path.join("recipes", earlier + ".json")))
    if not os.path.exists(os.path.join(run, "backup")):  # not resuming: a fresh run
        stale = [f for f in glob.glob(base + ".*") if not f.endswith(".log")]
        if stale:  # e.g. the repository's results, on a machine without its weights
            print(f"{recipe['name']}: no {run}/best.keras here; training again replaces the "
                  f"{len(stale)} result files of the earlier run", flush=True)
            for path in stale:
                os.remove(path)
    train_x = datasets.load("binarized_mnist", "train")
    valid = datasets.load("binarized_mnist", "valid")
    keras.utils.set_random_seed(recipe.get("seed", 0))
    model = build(recipe)
    before = continue_from(model, recipe)
    batch_size = recipe.get("batch_size", 100)
    steps = int(np.ceil(len(train_x) / batch_size))
    earlier_optimizer = selected_weights({"name": recipe["init_from"]}) if recipe.get("init_optimizer") else None
    earlier_state = runs.saved_optimizer_state(earlier_optimizer) if earlier_optimizer else None
    start_step = int(earlier_state[0]) if earlier_state is not None else 0  # Keras keeps the step count first
    rate = FlooredExponentialDecay(recipe["learning_rate"], steps, recipe.get("lr_decay", 1.0),
                                   recipe.get("min_learning_rate", 0.0), start_step=start_step)
    optimizer = schedule.optimizer(recipe.get("optimizer", "adam"), rate, weight_decay=recipe.get("weight_decay"),
                                   ema=recipe.get("ema"))
    model.compile(optimizer=optimizer, jit_compile=recipe.get("jit_compile", True))
    if earlier_optimizer:  # go on with init_from's optimizer state (the decay counts from its step)
        runs.load_optimizer_state(model, earlier_optimizer, saved=earlier_state)
    select = SelectOnValid(recipe, valid, run, base + ".history.json")
    backup = keras.callbacks.BackupAndRestore(os.path.join(run, "backup"))  # after `select`: see there
    model.fit(train_x, epochs=recipe["epochs"], batch_size=batch_size, callbacks=[select, backup],
              verbose=0, shuffle=True)
    summary = {"name": recipe["name"], "recipe": recipe, "best_valid_estimate": select.best,
               "epochs": len(select.history), "training_minutes": select.history[-1]["elapsed_minutes"],
               **before, "environment": environment()}
    files.write_json(base + ".train.json", summary, indent=1)
    print(json.dumps(summary), flush=True)


def continue_from(model, recipe):
    """`"init_from": NAME` starts from runs/NAME/best.keras (the weights that run
    selected; a fresh optimizer, so the recipe's learning rate picks up where NAME's
    schedule ended, unless `"init_optimizer": true` also loads NAME's optimizer state,
    step count included) and returns NAME's epochs and minutes, which the summary adds."""
    name = recipe.get("init_from")
    if not name:
        return {}
    runs.load_weights(model, selected_weights({"name": name}))
    with open(locations({"name": name})[1] + ".train.json") as handle:
        earlier = json.load(handle)
    # NAME may itself continue a run: count every earlier run
    return {"continued_from": name,
            "earlier_epochs": earlier["epochs"] + earlier.get("earlier_epochs", 0),
            "earlier_training_minutes": round(earlier["training_minutes"]
                                              + earlier.get("earlier_training_minutes", 0), 2)}


if __name__ == "__main__":
    stage, path, *more = sys.argv[1:]
    stages = {"train": train, "evaluate": evaluate, "merge": merge,
              "more-orderings": lambda recipe: more_orderings(recipe, int(more[0]), *map(float, more[1:]))}
    stages[stage](load_recipe(path))

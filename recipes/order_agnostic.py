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
(`"init_from"`), so one command rebuilds a chain of runs.

`train` fits on the train split, selects the epoch on valid (DeepNADE: the unbiased
order-agnostic estimate on valid with fixed masks, one exact pass per example; MADE: the
exact mask ensemble) and writes runs/<name>/best.keras, recipes/results/<name>.history.json.
`evaluate` touches test once with the selected weights: DeepNADE exact log p_o(x) for
K orderings (the model's own first, then random ones), every ensemble size 1, 2, 4, ..., K
by log-mean-exp, and the inpainting conditionals (bottom half, left half missing); MADE
its 1..M mask ensembles. Both stop starting new work after the recipe's minute caps.
"""

import glob
import json
import os
import sys
import time

import keras
import numpy as np

import keras_ar as ka
from keras_ar import backend, compiled, datasets, files
from keras_ar.training import FlooredExponentialDecay, environment, runs, schedule
from keras_ar.training.callbacks import averaged_weights
from keras_ar.training.ensembles import log_mean_exp


def load_recipe(path):
    with open(path) as handle:
        recipe = json.load(handle)
    recipe.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    return recipe


def build(recipe):
    kind = recipe["model"]
    if kind == "deep_nade":
        return ka.DeepNADE(784, hidden_units=recipe["hidden_units"], activation=recipe.get("activation", "relu"),
                           seed=recipe.get("seed", 0), image_shape=(28, 28))
    if kind == "made":
        return ka.MADE(784, hidden_units=recipe["hidden_units"], num_masks=recipe["num_masks"],
                       activation=recipe.get("activation", "relu"), seed=recipe.get("seed", 0),
                       order_agnostic=recipe.get("order_agnostic", False),
                       direct_connection=recipe.get("direct_connection", False), image_shape=(28, 28))
    raise ValueError(f"unknown model {kind!r}")


def locations(recipe):
    """(runs/<name>: the weights, recipes/results/<name>: the stem of the result files)."""
    return os.path.join("runs", recipe["name"]), os.path.join("recipes", "results", recipe["name"])


def paths(recipe):
    """`locations`, with their folders made."""
    run, base = locations(recipe)
    os.makedirs(run, exist_ok=True)
    os.makedirs(os.path.dirname(base), exist_ok=True)
    return run, base


def batched(fn, x, batch_size):
    return np.concatenate([keras.ops.convert_to_numpy(fn(x[i : i + batch_size]))
                           for i in range(0, len(x), batch_size)])


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
    `max_minutes` of training. Its state lives in the history file, so a run resumed by
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
        if row["elapsed_minutes"] > self.recipe["max_minutes"] or self.bad >= self.recipe.get("patience", 10):
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
    rate = FlooredExponentialDecay(recipe["learning_rate"], steps, recipe.get("lr_decay", 1.0),
                                   recipe.get("min_learning_rate", 0.0))
    optimizer = schedule.optimizer(recipe.get("optimizer", "adam"), rate, weight_decay=recipe.get("weight_decay"),
                                   ema=recipe.get("ema"))
    model.compile(optimizer=optimizer, jit_compile=recipe.get("jit_compile", True))
    select = SelectOnValid(recipe, valid, run, base + ".history.json")
    backup = keras.callbacks.BackupAndRestore(os.path.join(run, "backup"))  # after `select`: see there
    model.fit(train_x, epochs=recipe["epochs"], batch_size=batch_size, callbacks=[select, backup],
              verbose=0, shuffle=True)
    summary = {"name": recipe["name"], "recipe": recipe, "best_valid_estimate": select.best,
               "epochs": len(select.history), "training_minutes": select.history[-1]["elapsed_minutes"],
               **before, "environment": environment()}
    files.write_json(base + ".train.json", summary, indent=1)
    print(json.dumps(summary), flush=True)


def trained(recipe):
    """Trained on this machine: its summary and its selected weights both exist (a fresh
    clone holds the repository's summaries, not the weights)."""
    _, base = locations(recipe)
    return os.path.exists(base + ".train.json") and os.path.exists(selected_weights(recipe))


def selected_weights(recipe):
    """runs/<name>/best.keras: the model `train` selected on valid."""
    return os.path.join(locations(recipe)[0], "best.keras")


def selected_model(recipe):
    """The model `train` selected, or a clear error."""
    path = selected_weights(recipe)
    if not os.path.exists(path):
        raise SystemExit(f"no {path}: train it first (python recipes/order_agnostic.py train "
                         f"recipes/{recipe['name']}.json)")
    return ka.load_model(path)


def continue_from(model, recipe):
    """`"init_from": NAME` starts from runs/NAME/best.keras (the weights that run
    selected; a fresh optimizer, so the recipe's learning rate picks up where NAME's
    schedule ended) and returns NAME's epochs and minutes, which the summary adds."""
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


def bind(method, **constants):
    """`x -> method(x, **constants)`: host arrays stay constants in the compiled
    function (passed as arguments they would become symbolic tensors)."""
    return lambda x: method(x, **constants)


def with_random_ordering(model, seed, block_size=None):
    """The same DeepNADE with a random ordering: training saw random subsets, so random
    orderings are in distribution (a raster prefix is a contiguous block, which random
    subsets almost never are; measured 128 vs 111 nats early in training)."""
    ordering = np.random.default_rng(seed).permutation(model.input_dim)
    config = {**model.get_config(), "ordering": ordering.tolist()}
    if block_size:  # positions per block of the exact evaluation (default: the model's, 32)
        config["block_size"] = int(block_size)
    twin = type(model).from_config(config)
    twin.ensure_built()
    twin.set_weights(model.get_weights())
    return twin


def mean_and_error(values):
    return float(-np.mean(values)), float(np.std(values) / np.sqrt(len(values)))


def made_log_prob(x, model, mask_index):
    """log p_m(x) of one MADE mask."""
    steps = model.to_step_order(x)
    params = model.conditionals(steps, mask_index=mask_index)
    return keras.ops.sum(model.distribution.log_prob(params, steps), axis=-1)


def evaluate(recipe):
    _, base = paths(recipe)
    model = selected_model(recipe)
    if recipe["model"] == "deep_nade":
        model = with_random_ordering(model, recipe.get("ordering_seed", 7), recipe.get("eval_block_size"))
    batch = recipe.get("eval_batch_size", 100)
    results = {"name": recipe["name"], "recipe": recipe, "environment": environment(),
               "selected_on": "valid", "test_touched": "once, with the weights selected on valid"}
    splits = {s: datasets.load("binarized_mnist", s) for s in recipe.get("eval_splits", ["test"])}
    start = time.time()
    cap = 60.0 * recipe.get("eval_minutes", 30)

    def save():
        files.write_json(base + ".json", results, indent=1)

    if recipe["model"] == "made":
        for name, data in splits.items():
            fns = [backend.compile_function(model, ("recipe", "mask", m),
                                            bind(made_log_prob, model=model, mask_index=m))
                   for m in range(model.num_masks)]
            tick = time.time()
            per_mask = np.stack([batched(fn, data, batch) for fn in fns], axis=1)
            sizes = [k for k in (1, 2, 4, 8, 16, 32, 64) if k <= model.num_masks]
            results[name] = {f"{k}_masks": mean_and_error(log_mean_exp(per_mask[:, :k], axis=1)) for k in sizes}
            results[name]["seconds"] = round(time.time() - tick, 1)
            save()
        results["evaluation_minutes"] = round((time.time() - start) / 60, 2)
        save()
        print(json.dumps(results), flush=True)
        return
    # the model's (random) ordering first, then more random ones
    orderings = model.random_orderings(recipe.get("num_orderings", 128), seed=recipe.get("ordering_seed", 7) + 1)
    score = ordering_scorer(model, recipe)
    if os.path.exists(base + ".json"):  # a resumed evaluation keeps what is done
        with open(base + ".json") as handle:
            results = {**json.load(handle), **results}
    for name, data in splits.items():
        columns = finished_columns(base + f".{name}_per_ordering.npy")
        tick = time.time()
        limit = recipe.get("valid_orderings", 1) if name == "valid" else len(orderings)
        for k, ordering in enumerate(orderings[:limit]):
            if k < len(columns):
                continue
            if k >= 1 and (time.time() - start > cap or name == "test" and orderings_on_disk(base) >= limit):
                break
            columns.append(score(ordering, data))
            stacked = np.stack(columns, axis=1)
            results[name] = {**ensembles(stacked), "seconds": round(time.time() - tick, 1)}
            save()
            files.save_array(base + f".{name}_per_ordering.npy", stacked.astype("float32"))
            print(name, json.dumps(results[name]), flush=True)
            if name == "test" and k == 0 and recipe.get("inpainting", True):
                inpainting(model, data, batch, results, save)
    results["evaluation_minutes"] = round((time.time() - start) / 60, 2)
    save()
    print(json.dumps(results), flush=True)


def ensembles(stacked):
    """Mean single-ordering NLL and the ensembles of the first 1, 2, 4, ... columns."""
    sizes = [s for s in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if s <= stacked.shape[1]]
    return {"orderings_evaluated": stacked.shape[1], "single_ordering_mean": float(-stacked.mean()),
            **{f"ensemble_{s}": mean_and_error(log_mean_exp(stacked[:, :s], axis=1)) for s in sizes}}


def ordering_scorer(model, recipe):
    """`score(ordering, data)` -> exact log p_o of every row (host ordering, batches of
    the recipe's `eval_batch_size`): the ordering is an input, one compilation for all."""
    fn = backend.compile_function(model, ("recipe", "ordering"),
                                  lambda x, ordering: model.ordering_log_prob(x, ordering),
                                  xla=recipe.get("eval_jit_compile", False))
    batch = recipe.get("eval_batch_size", 100)

    def score(ordering, data):
        ordering = keras.ops.convert_to_tensor(ordering, "int32")
        return batched(lambda x: fn(x, ordering), data, batch)

    return score


def finished_columns(path):
    """The per-ordering columns a stopped `evaluate` / `more-orderings` left in `path`
    (none if it has not written one), so that it resumes after them."""
    return list(np.load(path).T) if os.path.exists(path) else []


def ordering_files(base):
    """The finished per-ordering test files: `evaluate`'s, then `more-orderings`' by seed."""
    more = sorted(f for f in glob.glob(base + ".test_per_ordering.more*.npy") if ".partial" not in f)
    return [f for f in [base + ".test_per_ordering.npy"] + more if os.path.exists(f)]


def orderings_on_disk(base):
    return sum(np.load(f, mmap_mode="r").shape[1] for f in ordering_files(base))


def more_orderings(recipe, seed, minutes=None):
    """Exact test log p_o(x) for more random orderings (drawn from `seed`), for
    `minutes` (default: the recipe's `eval_minutes`) or until the finished files hold the
    recipe's `num_orderings` (the largest ensemble), in a process beside `evaluate`
    (e.g. a core each, with `taskset`) or after it; `merge` then adds them to the result
    file's ensembles."""
    _, base = paths(recipe)
    model = with_random_ordering(selected_model(recipe),
                                 recipe.get("ordering_seed", 7), recipe.get("eval_block_size"))
    data = datasets.load("binarized_mnist", "test")
    score = ordering_scorer(model, recipe)
    rng, start = np.random.default_rng([seed, 1]), time.time()
    columns = finished_columns(base + f".test_per_ordering.more{seed}.npy")
    for _ in columns:  # resumed: the same orderings, from where the file ends
        rng.permutation(model.input_dim)
    wanted = recipe.get("num_orderings", 128)
    while time.time() - start < 60 * (minutes or recipe.get("eval_minutes", 30)):
        if orderings_on_disk(base) >= wanted:
            print(f"the result files hold {wanted} orderings (num_orderings): done", flush=True)
            break
        columns.append(score(rng.permutation(model.input_dim), data))
        files.save_array(base + f".test_per_ordering.more{seed}.npy", np.stack(columns, axis=1).astype("float32"))
        print("more orderings", len(columns), round(time.time() - start), flush=True)


def merge(recipe):
    """The result file's test ensembles over `evaluate`'s orderings, then `more_orderings`'."""
    _, base = paths(recipe)
    if not os.path.exists(base + ".test_per_ordering.npy"):
        raise SystemExit(f"merge: no {base}.test_per_ordering.npy; run `evaluate` first")
    with open(base + ".json") as handle:
        result = json.load(handle)
    sources = ordering_files(base)
    stacked = np.concatenate([np.load(f) for f in sources], axis=1)
    result["test"] = {**result["test"], **ensembles(stacked),
                      "orderings_files": [os.path.basename(f) for f in sources]}
    files.write_json(base + ".json", result, indent=1)
    print(json.dumps(result["test"]), flush=True)


def inpainting(model, data, batch, results, save):
    """-log p(x_missing | x_observed) on test: bottom half and left half missing."""
    for label, region in (("bottom_half_missing", (slice(0, 14), slice(None))),
                          ("left_half_missing", (slice(None), slice(14, 28)))):
        observed = np.zeros((28, 28), bool)
        observed[region] = True
        observed = np.broadcast_to(observed.reshape(-1), (batch, data.shape[1]))
        model.conditional_log_prob(data[:batch], observed)  # the public API checks once
        # same mask in every batch: a host constant, so fully observed dims are skipped
        fn = backend.compile_function(model, ("recipe", "inpainting", label),
                                      bind(model.exact_conditional_log_prob, observed=observed), xla=False)
        tick = time.time()
        values = batched(fn, data, batch)
        results.setdefault("inpainting_test", {})[label] = {
            "nll_nats": mean_and_error(values), "seconds": round(time.time() - tick, 1)}
        save()
        print(label, json.dumps(results["inpainting_test"][label]), flush=True)


if __name__ == "__main__":
    stage, path, *more = sys.argv[1:]
    stages = {"train": train, "evaluate": evaluate, "merge": merge,
              "more-orderings": lambda recipe: more_orderings(recipe, int(more[0]), *map(float, more[1:]))}
    stages[stage](load_recipe(path))

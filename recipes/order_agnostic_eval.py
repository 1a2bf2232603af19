"""The order-agnostic recipes' test stages: `evaluate`, `more-orderings` and `merge`
(run through recipes/order_agnostic.py).

DeepNADE: exact log p_o(x) of every test row for K orderings, the ensembles
log p(x) = logsumexp_k log p_{o_k}(x) - log K, and the inpainting conditionals; MADE:
its 1..M mask ensembles."""

import glob
import json
import os
import time

import keras
import numpy as np

from keras_ar import backend, datasets, files
from keras_ar.training import environment
from keras_ar.training.ensembles import log_mean_exp

from order_agnostic_runs import batched, paths, selected_model


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
    fn = model.compiled_ordering_log_prob(xla=recipe.get("eval_jit_compile", False))
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

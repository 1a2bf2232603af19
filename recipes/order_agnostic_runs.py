"""Where an order-agnostic recipe's things live, and its model: the recipe file, the
selected weights (runs/<name>/best.keras), the result files (recipes/results/<name>.*)."""

import json
import os

import keras
import numpy as np

import keras_ar as ka


def load_recipe(path):
    """The recipe's settings; its name defaults to the file's."""
    with open(path) as handle:
        recipe = json.load(handle)
    recipe.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    if recipe.get("init_optimizer") and not recipe.get("init_from"):
        raise SystemExit(f"{path}: \"init_optimizer\" loads the optimizer state of the run "
                         "named by \"init_from\", which this recipe does not set")
    return recipe


def build(recipe):
    """The recipe's untrained DeepNADE or MADE on 28x28 binary images."""
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


def batched(fn, x, batch_size):
    """`fn` over `x` in batches, as one host array."""
    return np.concatenate([keras.ops.convert_to_numpy(fn(x[i : i + batch_size]))
                           for i in range(0, len(x), batch_size)])

"""Training configuration: `TrainConfig` refuses unknown options and bad orderings,
penalties and phases, named orderings build the model they name, text is cut into
windows, and every recipe under recipes/ is valid and asks for what its recorded
run used."""

import json
from pathlib import Path

import numpy as np
import pytest

from keras_ar.training import MODEL_KINDS, TrainConfig, text_windows

from training_helpers import TINY


def test_unknown_recipe_option():
    with pytest.raises(ValueError, match="Unknown training option"):
        TrainConfig.from_dict({"model": "nade", "data": "digits", "hiden_units": 3})


def test_text_windows_pad_last():
    windows = text_windows(np.arange(1, 8), 3)
    np.testing.assert_array_equal(windows, [[1, 2, 3], [4, 5, 6], [7, -1, -1]])


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


@pytest.mark.parametrize("phases, message", [
    ([{"hidden_units": 3}], "cannot change between phases"),
    ([{"epochs": 0}], "epochs must be"),
    (["fast"], "must be an object"),
])
def test_phase_errors(phases, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_dict(dict(TINY, phases=phases))


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

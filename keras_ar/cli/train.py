"""Train a model (checkpoints, TensorBoard, early stopping, resume).

examples:
  keras-ar train nade --data digits --hidden-units 64 --epochs 20 --out runs/nade
  keras-ar train --recipe recipes/nade_binarized_mnist.json --out runs/nade --split test
  keras-ar train categorical_nade --data digits --data-option num_levels=17 --out runs/c
  (re-run the same command to resume an interrupted run)
"""

import json
from pathlib import Path

from keras_ar.cli import common

# TrainConfig fields that are not flags of their own
_NOT_FLAGS = ("model", "data_options", "model_options", "jit_compile", "evaluate_test",
              "phases", "notes")


def _config_flags():
    """(flag, field, type, help) for every TrainConfig field set by a flag of its name."""
    import dataclasses

    from keras_ar.training.config import TrainConfig

    for field in dataclasses.fields(TrainConfig):
        if field.name not in _NOT_FLAGS:
            kind = str if field.type in ("object", object) else field.type
            yield ("--" + field.name.replace("_", "-"), field.name, kind,
                   field.metadata.get("help"))

NAME = "train"
OUT = "run folder (re-run the same command to resume)"


def add_arguments(parser):
    parser.add_argument("kind", nargs="?", metavar="MODEL",
                        help="a model kind: fvsbn, nade, categorical_nade, rnade, made, char_rnn, "
                        "... (keras_ar.training.MODEL_KINDS)")
    parser.add_argument("--recipe", help="JSON recipe (command-line flags override it)")
    parser.add_argument("--split", choices=["valid", "test"],
                        help="test: also evaluate the test split, once, with the model chosen "
                        "on valid (default: the recipe's evaluate_test, else valid only)")
    parser.add_argument("--data-option", action="append", metavar="KEY=VALUE",
                        help="data loader option, e.g. num_levels=17 (repeatable)")
    parser.add_argument("--model-option", action="append", metavar="KEY=VALUE",
                        help="any other model constructor argument (repeatable)")
    parser.add_argument("--jit-compile", choices=["auto", "on", "off"])
    common.add_json_argument(parser, "the results")
    common.add_verbosity_arguments(parser)
    for flag, _, kind, help in _config_flags():
        parser.add_argument(flag, type=kind, help=help)


def recipe_values(args):
    """The TrainConfig dict: the recipe, then the flags given on the line."""
    values = json.loads(Path(args.recipe).read_text()) if args.recipe else {}
    if args.kind:
        values["model"] = args.kind
    for _, key, _, _ in _config_flags():
        value = getattr(args, key)
        if value is not None:
            values[key] = _hidden_units(value) if key == "hidden_units" else value
    for flag, given, key in (("--data-option", args.data_option, "data_options"),
                             ("--model-option", args.model_option, "model_options")):
        options = common.parse_options(given, flag)
        if options:
            values[key] = {**(values.get(key) or {}), **options}
    if args.jit_compile is not None:
        values["jit_compile"] = {"auto": "auto", "on": True, "off": False}[args.jit_compile]
    if args.split is not None:
        values["evaluate_test"] = args.split == "test"
    if "model" not in values:
        raise common.UsageError(
            "Give a MODEL (e.g. `keras-ar train nade --data digits`) or --recipe.")
    return values


def _hidden_units(text):
    try:
        parts = [int(p) for p in str(text).split(",") if p.strip()]
    except ValueError:
        raise common.UsageError(f"--hidden-units takes integers like 500 or 500,500, "
                                f"got {text!r}.") from None
    return parts[0] if len(parts) == 1 else parts


def run(args):
    from keras_ar.training import TrainConfig, train
    from keras_ar.training.reports import format_split

    values = recipe_values(args)
    name = values.get("name")
    results = train(TrainConfig.from_dict(values), args.out, verbose=common.keras_verbosity(args))
    if name:
        results["recipe"] = name
    common.write_json(args.json, results)
    for split in ("valid", "test"):
        if split in results:
            print(format_split(results[split]))
    print(f"best epoch {results['best_epoch']} of {results['epochs_run']}, "
          f"{results['train_seconds_sum_of_epochs']:.0f} s of training; model: "
          f"{Path(args.out) / 'best.keras'}")

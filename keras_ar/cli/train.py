"""`keras-ar train`: one recipe (or a model kind and flags) into a run folder."""

import json
from pathlib import Path

from keras_ar.cli import common

# flags that map 1:1 to TrainConfig fields (None = not given on the line)
CONFIG_FLAGS = {
    "--data": dict(type=str, help="data set name (keras_ar.datasets.list_datasets())"),
    "--epochs": dict(type=int),
    "--batch-size": dict(type=int),
    "--hidden-units": dict(type=str, help="int (NADE family, CharRNN units) or comma list (MADE)"),
    "--activation": dict(type=str),
    "--num-layers": dict(type=int, help="CharRNN layers"),
    "--cell": dict(type=str, choices=["gru", "simple_rnn"]),
    "--dropout": dict(type=float),
    "--embedding-dim": dict(type=int),
    "--num-components": dict(type=int, help="RNADE mixture components"),
    "--num-masks": dict(type=int, help="MADE masks"),
    "--num-categories": dict(type=int, help="CategoricalNADE categories"),
    "--ordering": dict(type=str, choices=["identity", "reverse", "transpose"],
                       help="pixel ordering (transpose: column by column)"),
    "--ordering-seed": dict(type=int, help="random pixel ordering with this seed"),
    "--seq-len": dict(type=int, help="tiny_shakespeare window length"),
    "--learning-rate": dict(type=float),
    "--lr-decay": dict(type=float, help="learning-rate factor per epoch (smooth)"),
    "--min-learning-rate": dict(type=float),
    "--clipnorm": dict(type=float),
    "--weight-decay": dict(type=float),
    "--kernel-l1": dict(type=float, help="FVSBN: L1 penalty on the weights"),
    "--kernel-l2": dict(type=float, help="FVSBN: L2 penalty on the weights"),
    "--patience": dict(type=int, help="early-stopping patience on val_nll"),
    "--seed": dict(type=int),
    "--steps-per-epoch": dict(type=int),
    "--max-train-examples": dict(type=int),
    "--max-minutes": dict(type=float, help="wall-time budget; the best checkpoint is kept"),
    "--init-from": dict(type=str, help="start from the best weights of this run folder"),
}


def add_parser(commands):
    parser = common.command_parser(
        commands, "train", "train a model (checkpoints, TensorBoard, early stopping, resume)",
        ["keras-ar train nade --data digits --hidden-units 64 --epochs 20 --out runs/nade",
         "keras-ar train --recipe recipes/nade_binarized_mnist.json --out runs/nade --split test",
         "keras-ar train categorical_nade --data digits --data-option num_levels=17 --out runs/c",
         "(re-run the same command to resume an interrupted run)"])
    parser.add_argument("kind", nargs="?", metavar="MODEL",
                        help="a model kind: fvsbn, nade, categorical_nade, rnade, made, char_rnn, "
                        "... (keras_ar.training.MODEL_KINDS)")
    parser.add_argument("--recipe", help="JSON recipe (command-line flags override it)")
    parser.add_argument("--out", required=True, help="run folder (re-run to resume)")
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
    for flag, kwargs in CONFIG_FLAGS.items():
        parser.add_argument(flag, default=None, **kwargs)
    return parser


def recipe_values(args):
    """The TrainConfig dict: the recipe, then the flags given on the line."""
    values = json.loads(Path(args.recipe).read_text()) if args.recipe else {}
    if args.kind:
        values["model"] = args.kind
    for flag in CONFIG_FLAGS:
        key = flag[2:].replace("-", "_")
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

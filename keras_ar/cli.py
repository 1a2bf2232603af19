"""The `keras-ar` command line: demo, train, evaluate, sample, export.

    keras-ar train nade --data binarized_mnist --hidden-units 500 --epochs 100 --out runs/nade
    keras-ar train --recipe recipes/nade_binarized_mnist.json --out runs/nade --results r.json
    keras-ar evaluate runs/nade --split test
    keras-ar evaluate runs/nade_order1 runs/nade_order2 --split valid   # ensemble
    keras-ar sample runs/nade --out samples.png
    keras-ar export runs/nade/best.keras --out exported/ --quantize float16 int8
"""

import argparse
import json
import sys
from pathlib import Path


def _demo(args):
    from keras_ar.demo import run

    run(out_dir=args.out, epochs=args.epochs, verbose=2 if args.quiet else 1)


# options of `train` that map 1:1 to TrainConfig fields (None = not given on the line)
_TRAIN_OPTIONS = {
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


def _parse_hidden_units(text):
    parts = [int(p) for p in str(text).split(",") if p.strip()]
    return parts[0] if len(parts) == 1 else parts


def _train(args):
    from keras_ar.training import TrainConfig, train

    values = json.loads(Path(args.recipe).read_text()) if args.recipe else {}
    recipe_name = values.pop("name", None)
    values.pop("target", None)
    values.pop("published", None)
    if args.model:
        values["model"] = args.model
    for option in _TRAIN_OPTIONS:
        key = option[2:].replace("-", "_")
        value = getattr(args, key)
        if value is not None:
            values[key] = _parse_hidden_units(value) if key == "hidden_units" else value
    if args.data_option:
        options = dict(values.get("data_options") or {})
        for item in args.data_option:
            key, _, raw = item.partition("=")
            try:
                options[key] = json.loads(raw)
            except json.JSONDecodeError:
                options[key] = raw
        values["data_options"] = options
    if args.jit_compile is not None:
        values["jit_compile"] = {"auto": "auto", "on": True, "off": False}[args.jit_compile]
    if args.test:
        values["evaluate_test"] = True
    if "model" not in values:
        raise ValueError("Give a MODEL (e.g. `keras-ar train nade --data digits`) or --recipe.")
    config = TrainConfig.from_dict(values)
    results = train(config, args.out, verbose=2 if args.quiet else 1)
    if recipe_name:
        results["recipe"] = recipe_name
    if args.results:
        Path(args.results).parent.mkdir(parents=True, exist_ok=True)
        Path(args.results).write_text(json.dumps(results, indent=2))
    _print_split(results["valid"])
    if "test" in results:
        _print_split(results["test"])
    print(f"best epoch {results['best_epoch']} of {results['epochs_run']}, "
          f"{results['train_seconds_sum_of_epochs']:.0f} s of training; model: "
          f"{Path(args.out) / 'best.keras'}")


def _print_split(result):
    if "nats_per_char" in result:
        print(f"{result['split']}: {result['nats_per_char']:.4f} nats/char "
              f"({result['bits_per_char']:.4f} bits/char, {result['characters']} characters)")
        return
    line = (f"{result['split']}: nll {result['nll_nats']:.3f} nats, "
            f"{result['bits_per_dim']:.4f} bits/dim ({result['examples']} examples)")
    if "nll_nats_pixel_space" in result:
        line += (f"; pixel space [0,256): {result['nll_nats_pixel_space']:.2f} nats, "
                 f"{result['bits_per_dim_pixel_space']:.4f} bits/dim")
    print(line)


def _evaluate(args):
    from keras_ar.training import evaluate

    options = None
    if args.data_option:
        options = {}
        for item in args.data_option:
            key, _, raw = item.partition("=")
            options[key] = json.loads(raw)
    if len(args.run) > 1:
        from keras_ar.training import evaluate_ensemble

        weights = args.weights
        if weights not in (None, "fit"):
            try:
                weights = [float(w) for w in weights.split(",")]
            except ValueError:
                raise ValueError(
                    f"--weights takes 'fit' or numbers like 0.5,0.5, got {weights!r}."
                ) from None
        result = evaluate_ensemble(args.run, split=args.split, weights=weights)
        for member, weight in zip(result["members"], result["weights"]):
            print(f"  {member['run']}: nll {member['nll_nats']:.3f} nats, weight {weight:.3f}")
        fitted = result["weights_fitted_on"]
        print("ensemble (log sum_k w_k p_k(x)" + (f", weights fitted on {fitted}" if fitted else "")
              + "):")
    else:
        result = evaluate(args.run[0], split=args.split, data=args.data, data_options=options)
    _print_split(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


def _sample(args):
    from keras_ar.training import sample

    path = sample(args.run, args.out, num_samples=args.num_samples, seed=args.seed,
                  temperature=args.temperature, length=args.length, prompt=args.prompt,
                  columns=args.columns)
    print(f"samples: {path}")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-ar", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train a NADE and a CharRNN on embedded data")
    demo.add_argument("--out", default="demo_output", help="output folder")
    demo.add_argument("--epochs", type=int, default=30)
    demo.add_argument("--quiet", action="store_true", help="one line per epoch")
    demo.set_defaults(handler=_demo)

    train = commands.add_parser(
        "train", help="train a model (checkpoints, TensorBoard, early stopping, resume)"
    )
    train.add_argument("model", nargs="?", help="fvsbn, nade, categorical_nade, rnade, made, char_rnn")
    train.add_argument("--recipe", help="JSON recipe (command-line options override it)")
    train.add_argument("--out", required=True, help="run folder (re-run the same command to resume)")
    train.add_argument("--results", help="also write the results JSON here")
    train.add_argument("--data-option", action="append", metavar="KEY=VALUE",
                       help="data loader option, e.g. num_levels=17 (repeatable)")
    train.add_argument("--jit-compile", choices=["auto", "on", "off"])
    train.add_argument("--test", action="store_true",
                       help="evaluate the test split once, with the model chosen on valid")
    train.add_argument("--quiet", action="store_true", help="one line per epoch")
    for option, kwargs in _TRAIN_OPTIONS.items():
        train.add_argument(option, default=None, **kwargs)
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser("evaluate", help="NLL (nats) and bits/dim of a trained run")
    evaluate.add_argument("run", nargs="+",
                          help="run folder (or its best.keras); several image runs = an "
                          "ensemble evaluated with log-mean-exp (e.g. NADE orderings)")
    evaluate.add_argument("--split", default="valid", choices=["train", "valid", "test"])
    evaluate.add_argument("--weights", help="ensembles: mixture weights, 'fit' (maximum "
                          "likelihood on the valid split) or w1,w2,... (default: uniform)")
    evaluate.add_argument("--data", help="data set (default: the run's config.json)")
    evaluate.add_argument("--data-option", action="append", metavar="KEY=VALUE")
    evaluate.add_argument("--json", help="write the result here")
    evaluate.set_defaults(handler=_evaluate)

    sample = commands.add_parser("sample", help="PNG grid of images, or text, from a run")
    sample.add_argument("run", help="run folder (or its best.keras)")
    sample.add_argument("--out", required=True, help=".png for images, .txt for text")
    sample.add_argument("--num-samples", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--temperature", type=float, default=1.0)
    sample.add_argument("--length", type=int, default=200, help="max characters (CharRNN)")
    sample.add_argument("--prompt", default="", help="text to continue (CharRNN)")
    sample.add_argument("--columns", type=int, default=8)
    sample.set_defaults(handler=_sample)
    export = commands.add_parser(
        "export", help="export a .keras model to SavedModel/TFLite/ONNX (see --help)",
        add_help=False,
    )
    export.set_defaults(handler=None)
    from keras_ar import codec_cli

    codec_cli.add_commands(commands)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["export"]:  # its own parser: keras_ar.export.api.main
        from keras_ar.export.api import main as export_main

        return export_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        code = args.handler(args)
    except (ValueError, FileNotFoundError, TypeError) as error:
        print(f"keras-ar {args.command}: error: {error}", file=sys.stderr)
        return 2
    return code or 0


if __name__ == "__main__":
    sys.exit(main())

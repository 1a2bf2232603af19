"""NLL (nats) and bits/dim of a trained run, or of an ensemble.

examples:
  keras-ar evaluate runs/nade --split test
  keras-ar evaluate demo_output/digits_nade.keras --data digits
  keras-ar evaluate runs/nade runs/nade_reverse --weights fit --split test --json e.json
"""

from keras_ar.cli import common

NAME = "evaluate"
RUN = "many"


def add_arguments(parser):
    parser.add_argument("--split", default="valid", choices=["train", "valid", "test"])
    parser.add_argument("--weights", help="ensembles: mixture weights, 'fit' (maximum "
                        "likelihood on the valid split) or w1,w2,... (default: uniform)")
    common.add_data_arguments(parser)
    common.add_json_argument(parser)
    common.add_verbosity_arguments(parser, quiet=False)


def run(args):
    from keras_ar.training import evaluate, evaluate_ensemble
    from keras_ar.training.reports import format_ensemble, format_split

    options = common.parse_options(args.data_option, "--data-option") or None
    if len(args.model) > 1:
        result = evaluate_ensemble(args.model, split=args.split, weights=_weights(args.weights))
        print(format_ensemble(result))
    else:
        result = evaluate(args.model[0], split=args.split, data=args.data, data_options=options)
        print(format_split(result))
    common.write_json(args.json, result)


def _weights(text):
    if text in (None, "fit"):
        return text
    try:
        return [float(w) for w in text.split(",")]
    except ValueError:
        raise common.UsageError(
            f"--weights takes 'fit' or numbers like 0.5,0.5, got {text!r}.") from None

"""`keras-ar demo`: a NADE and a CharRNN on embedded data, no download."""

from keras_ar.cli import common


def add_parser(commands):
    parser = common.command_parser(
        commands, "demo", "train a NADE and a CharRNN on embedded data (no download)",
        ["keras-ar demo --out demo_output", "keras-ar demo --epochs 5 --quiet"])
    parser.add_argument("--out", default="demo_output", help="output folder")
    parser.add_argument("--epochs", type=int, default=30)
    common.add_verbosity_arguments(parser)
    return parser


def run(args):
    from keras_ar.demo import run as run_demo

    run_demo(out_dir=args.out, epochs=args.epochs, verbose=common.keras_verbosity(args))

"""Train a NADE and a CharRNN on embedded data (no download).

examples:
  keras-ar demo --out demo_output
  keras-ar demo --epochs 5 --quiet
"""

from keras_ar.cli import common

NAME = "demo"


def add_arguments(parser):
    parser.add_argument("--out", default="demo_output", help="output folder")
    parser.add_argument("--epochs", type=int, default=30)
    common.add_verbosity_arguments(parser)


def run(args):
    from keras_ar.demo import run as run_demo

    run_demo(out_dir=args.out, epochs=args.epochs, verbose=common.keras_verbosity(args))

"""The `keras-ar` command line: demo, train, evaluate, sample, export."""

import argparse
import sys


def _demo(args):
    from keras_ar.demo import run

    run(out_dir=args.out, epochs=args.epochs, verbose=2 if args.quiet else 1)


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-ar", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train a NADE and a CharRNN on embedded data")
    demo.add_argument("--out", default="demo_output", help="output folder")
    demo.add_argument("--epochs", type=int, default=30)
    demo.add_argument("--quiet", action="store_true", help="one line per epoch")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except (ValueError, FileNotFoundError, TypeError) as error:
        print(f"keras-ar {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

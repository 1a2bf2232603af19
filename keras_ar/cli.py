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
    export = commands.add_parser(
        "export", help="export a .keras model to SavedModel/TFLite/ONNX (see --help)",
        add_help=False,
    )
    export.set_defaults(handler=None)
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

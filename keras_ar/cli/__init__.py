"""The `keras-ar` command line: demo, train, evaluate, sample, export, data.

    keras-ar demo --out demo_output
    keras-ar train --recipe recipes/nade_binarized_mnist.json --out runs/nade --split test
    keras-ar evaluate runs/nade --split test --json nll.json
    keras-ar sample runs/nade --out samples.png
    keras-ar export runs/nade --out exported/ --quantize float16 int8
    keras-ar data get binarized_mnist

Every command that reads a model takes a run folder or a `.keras` file (loaded by
`keras_ar.load_model`). Exit codes: 0 success, 2 the command cannot run as given (the
message says what to change), 1 a failure while working. TensorFlow's start-up log
lines are dropped unless `--verbose` (see `keras_ar.cli.quiet`).

To add a command, write a module with `NAME`, `HELP`, `EXAMPLES` (and `RUN`/`OUT` when
it reads a model or writes a file), `add_arguments(parser)` and `run(args)`, and add it
to `COMMANDS` (see `keras_ar.cli.common.command_parser`).
"""

import argparse
import sys

from keras_ar.cli import common, compress, data, decompress, demo, evaluate, export, sample, train
from keras_ar.cli.quiet import quiet

COMMANDS = (demo, train, evaluate, sample, export, compress, decompress, data)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-ar", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        common.command_parser(commands, module).set_defaults(run=module.run)
    return parser


def main(argv=None):
    """Runs one command; returns its exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    with quiet(verbose="--verbose" in argv):
        args = build_parser().parse_args(argv)
        try:
            args.run(args)
        except (ValueError, TypeError, FileNotFoundError, FileExistsError, ImportError) as error:
            print(f"keras-ar {args.command}: error: {error}", file=sys.stderr)
            return common.USAGE_ERROR
        except Exception as error:
            errors = sys.modules.get("keras_ar.export.errors")  # loaded if export ran
            if not (isinstance(error, OSError) or errors and isinstance(error, errors.ExportError)):
                raise
            print(f"keras-ar {args.command}: failed: {error}", file=sys.stderr)
            return common.FAILURE
    return 0

"""What every `keras-ar` command shares: flag names, KEY=VALUE options, JSON output,
errors and exit codes.

Exit codes: 0 success; 2 the command cannot run as given (bad option, unknown name,
missing or damaged file, missing data: the message says what to change); 1 a failure
while working (an exporter or converter error).
"""

import argparse
import json

from keras_ar import files

USAGE_ERROR = 2
FAILURE = 1


class UsageError(ValueError):
    """A command-line value that cannot be used (exit code 2)."""


def parse_options(items, flag):
    """["key=value", ...] -> {key: value}; values are JSON when they parse (3, 0.5,
    true, [1, 2]), else strings."""
    options = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} takes KEY=VALUE, got {item!r}.")
        try:
            options[key] = json.loads(raw)
        except json.JSONDecodeError:
            options[key] = raw
    return options


def add_data_arguments(parser, default_note="default: the run's config.json"):
    parser.add_argument("--data", help=f"data set name ({default_note})")
    parser.add_argument("--data-option", action="append", metavar="KEY=VALUE",
                        help="data loader option, e.g. num_levels=17 (repeatable)")


def add_json_argument(parser, what="the result"):
    parser.add_argument("--json", metavar="PATH", help=f"also write {what} as JSON here")


def add_verbosity_arguments(parser, quiet=True):
    """--verbose (TensorFlow's own log lines, progress bars) and, for commands that
    train, --quiet (only the results)."""
    group = parser.add_mutually_exclusive_group()
    if quiet:
        group.add_argument("--quiet", action="store_true", help="print only the results")
    group.add_argument("--verbose", action="store_true",
                       help="show TensorFlow's own log lines (and progress bars) too")


def keras_verbosity(args):
    """Keras `verbose`: 0 with --quiet, a progress bar with --verbose, else one line
    per epoch."""
    return 0 if args.quiet else 1 if args.verbose else 2


def write_json(path, value):
    if path:
        files.write_json(path, value)


def command_parser(commands, command):
    """The parser of a command module: its docstring gives the help (first line) and
    the examples (the rest, shown by --help); `NAME`, optional `RUN` ("one" or "many":
    the RUN argument) and `OUT` (help of a required --out), then the module's own
    `add_arguments(parser)`."""
    summary, _, examples = command.__doc__.partition("\n")
    parser = commands.add_parser(
        command.NAME, help=summary.rstrip("."), description=summary, epilog=examples.strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run = getattr(command, "RUN", None)
    if run is not None:
        parser.add_argument(
            "model", nargs="+" if run == "many" else None, metavar="RUN",
            help="a run folder of `keras-ar train` or a .keras file"
            + ("; several image runs = an ensemble, log sum_k w_k p_k(x)" if run == "many" else ""))
    if getattr(command, "OUT", None):
        parser.add_argument("--out", required=True, help=command.OUT)
    command.add_arguments(parser)
    return parser

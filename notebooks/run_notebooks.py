"""Executes the notebooks with nbclient and prints how long each one took.

    python notebooks/run_notebooks.py                       # every notebook, quick mode
    python notebooks/run_notebooks.py 01 03 --figures out/  # some of them; PNGs of figures
    python notebooks/run_notebooks.py --full --save         # full mode, outputs kept

Quick mode is the default (KERAS_AR_FULL unset). The notebooks are never modified unless
`--save` is given, and `--save` requires `--full`: committed outputs must come from a real
full-mode run (the notebook's metadata then records the mode, date and runtime).
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def notebook_paths(selection=()):
    paths = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if selection:
        paths = [p for p in paths if any(p.name.startswith(s) or p.stem == s for s in selection)]
    return paths


def kernel_env(full=False, figures=None):
    """Environment of the kernel: quick/full flag, repo on PYTHONPATH, quiet TensorFlow."""
    env = dict(os.environ)
    env.pop("KERAS_AR_FULL", None)
    if full:
        env["KERAS_AR_FULL"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(REPO), env.get("PYTHONPATH", "")] if p
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env.pop("KERAS_AR_FIGURES", None)
    if figures is not None:
        env["KERAS_AR_FIGURES"] = str(figures)
    return env


def execute(path, full=False, figures=None, timeout=900, kernel_name="python3"):
    """Runs one notebook in its own folder; returns (executed notebook, seconds).

    Raises `nbclient.exceptions.CellExecutionError` on the first failing cell.
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    env = kernel_env(full=full, figures=figures)
    start = time.time()
    # nbclient starts the kernel through jupyter_client, which passes `env` on.
    with client.setup_kernel(env=env):
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
    return notebook, time.time() - start


def cell_times(notebook):
    """(index, seconds) of every executed code cell, from nbclient's timing metadata."""
    out = []
    for index, cell in enumerate(notebook.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        begin, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if begin and end:
            parse = datetime.datetime.fromisoformat
            out.append((index, (parse(end.replace("Z", "+00:00"))
                                - parse(begin.replace("Z", "+00:00"))).total_seconds()))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="prefixes such as 01 or full stems")
    parser.add_argument("--full", action="store_true", help="full mode (KERAS_AR_FULL=1)")
    parser.add_argument("--save", action="store_true",
                        help="write the outputs into the notebooks (full mode only)")
    parser.add_argument("--figures", help="folder for PNG copies of every figure")
    parser.add_argument("--executed", help="folder for copies of the executed notebooks")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args(argv)
    if args.save and not args.full:
        parser.error("--save needs --full: only full-mode outputs are committed")
    paths = notebook_paths(args.notebooks)
    if not paths:
        parser.error(f"no notebook matches {args.notebooks}")
    times = {}
    for path in paths:
        print(f"running {path.name} ({'full' if args.full else 'quick'} mode) ...", flush=True)
        notebook, seconds = execute(path, full=args.full, figures=args.figures,
                                    timeout=None if args.full else args.timeout)
        times[path.name] = seconds
        print(f"  {seconds:.0f} s", flush=True)
        if args.executed:
            Path(args.executed).mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, Path(args.executed) / path.name)
            for index, seconds_cell in cell_times(notebook):
                if seconds_cell >= 5:
                    print(f"    cell {index}: {seconds_cell:.0f} s")
        if args.save:
            notebook.metadata["keras_ar"] = {
                "executed_mode": "full",
                "executed_on": datetime.date.today().isoformat(),
                "runtime_seconds": round(seconds),
            }
            nbformat.write(notebook, path)
    print("\n| notebook | mode | runtime |\n|---|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {'full' if args.full else 'quick'} | {seconds:.0f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

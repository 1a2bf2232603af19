"""Writes the tutorial notebooks of keras-ar from the cell sources in this folder.

The notebooks are code: edit the `nb_*.py` modules here, then run

    python notebooks/build_notebooks.py          # (re)write every .ipynb, outputs stripped
    python notebooks/build_notebooks.py --check  # fail if an .ipynb differs from its source

Each `nb_*.py` module defines `NAME` (the notebook's file stem) and `CELLS`, a list of
("markdown" | "code", source) pairs. Cell ids are deterministic, so rebuilding an
unchanged notebook gives the same file byte for byte.
"""

import argparse
import importlib.util
import sys
from pathlib import Path
from textwrap import dedent

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sources import _cells
SOURCES = sorted(HERE.glob("nb_*.py"))

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def load_source(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(module):
    """The notebook (nbformat node, no outputs) of one source module."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    }
    for index, (kind, source) in enumerate(module.CELLS):
        source = dedent(source).strip("\n")
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        elif kind == "code":
            cell = nbformat.v4.new_code_cell(source)
        else:
            raise ValueError(f"{module.NAME}: cell {index} has unknown kind {kind!r}")
        cell.id = f"cell-{index:02d}"
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def notebook_path(module):
    return HERE / f"{module.NAME}.ipynb"


def cell_sources(notebook):
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the committed notebooks with their sources; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path in SOURCES:
        module = load_source(path)
        notebook = build(module)
        target = notebook_path(module)
        if args.check:
            if not target.exists():
                stale.append(f"{target.name}: missing")
                continue
            committed = nbformat.read(target, as_version=4)
            if cell_sources(committed) != cell_sources(notebook):
                stale.append(f"{target.name}: cells differ from {path.name}")
        else:
            nbformat.write(notebook, target)
            print(f"wrote {target.relative_to(HERE.parent)} ({len(notebook.cells)} cells)")
    if stale:
        print("Notebooks out of date (run python notebooks/build_notebooks.py):", file=sys.stderr)
        for line in stale:
            print("  " + line, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

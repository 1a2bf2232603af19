"""Cells shared by every notebook (imported by the `nb_*.py` sources)."""

MODES = r"""
**Two modes.** *Quick* (the default) uses small data and finishes in under 3 minutes on
2 CPU cores; it is what CI runs. *Full* gives the real numbers and takes much longer:
start Jupyter with `KERAS_AR_FULL=1` (or set `FULL = True` in the next cell).
"""


def setup(name, stdlib=("math",), third_party=(), first_party=()):
    """The first code cell: mode flag, imports, seeding and the figure helper.

    `stdlib` are extra standard modules (sys and time are always imported);
    `third_party` and `first_party` are extra import lines. They are kept in isort order
    so that ruff accepts the notebooks.
    """
    stdlib_lines = sorted({"import sys", "import time", *(f"import {m}" for m in stdlib)})
    third = sorted(["import keras", "import matplotlib.pyplot as plt", "import numpy as np",
                    *third_party], key=lambda line: (line.startswith("from "), line))
    first = "\n".join(sorted(first_party))
    return (
        "code",
        r'''
import os

# Quick mode unless KERAS_AR_FULL=1 is set; you may also just write FULL = True here.
FULL = os.environ.get("KERAS_AR_FULL", "0") == "1"
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

'''
        + "\n".join(stdlib_lines)
        + r'''
from pathlib import Path

try:
    import keras_ar
except ImportError:  # a source checkout without `pip install -e .`: use the repo root
    sys.path.insert(0, str(Path.cwd().resolve().parent))
    import keras_ar
'''
        + "\n".join(third)
        + ("\n\n" + first if first else "")
        + rf'''

NOTEBOOK = "{name}"
START = time.time()
keras.utils.set_random_seed(0)
# Optional: a folder where every figure is also written as a PNG (used by CI and docs).
FIGURES = os.environ.get("KERAS_AR_FIGURES")


def show(fig, name):
    """Displays `fig` (and saves it as <KERAS_AR_FIGURES>/<notebook>_<name>.png if set)."""
    fig.tight_layout()
    if FIGURES:
        Path(FIGURES).mkdir(parents=True, exist_ok=True)
        fig.savefig(Path(FIGURES) / f"{{NOTEBOOK}}_{{name}}.png", dpi=100)
    plt.show()


print(f"{{'FULL' if FULL else 'QUICK'}} mode | keras-ar {{keras_ar.__version__}} | "
      f"keras {{keras.__version__}} ({{keras.backend.backend()}} backend)")
''',
    )


RUNTIME = (
    "code",
    r'''
# wall-clock time, and CPU time of this kernel (all threads; less sensitive to a busy machine)
print(f"{NOTEBOOK}: ran in {time.time() - START:.0f} s wall-clock, {time.process_time():.0f} s "
      f"CPU ({'full' if FULL else 'quick'} mode)")
''',
)

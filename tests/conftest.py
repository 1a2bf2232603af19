import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# The real data sets of this project's checkouts sit beside the repository; elsewhere
# set KERAS_AR_DATA (or `keras-ar data get NAME`). Tests that need them skip otherwise.
_SIBLING_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if _SIBLING_DATA.is_dir():
    os.environ.setdefault("KERAS_AR_DATA", str(_SIBLING_DATA))

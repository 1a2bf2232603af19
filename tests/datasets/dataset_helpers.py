"""Constants shared by the data set tests: the split names and the package's folder."""

from pathlib import Path

from keras_ar import datasets

SPLITS = ("train", "valid", "test")
PKG_DIR = Path(datasets.__file__).resolve().parent

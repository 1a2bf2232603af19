"""The data set tests' shared fixture: an environment where no data can be found."""

import sys

import pytest


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """An environment where no data file can be found and tfds is not importable."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("KERAS_AR_DATA", str(empty))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # import -> ImportError
    return empty

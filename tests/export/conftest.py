"""Shared exports: every model kind is exported once per session (export is slow)."""

import pytest
from export_helpers import SEQUENCE_LENGTH, Exported, make_model

from keras_ar.export import export_model


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    """`exported(name)` -> `Exported`, exporting on first use and caching for the session."""
    cache = {}
    root = tmp_path_factory.mktemp("exports")

    def get(name):
        if name not in cache:
            model = make_model(name)
            directory = root / name
            report = export_model(model, directory, sequence_length=SEQUENCE_LENGTH)
            cache[name] = Exported(name, model, directory, report)
        return cache[name]

    return get

"""Data-parallel training on 2 logical CPU devices equals single-device training on the
same global batch (TF MirroredStrategy; JAX keras.distribution.DataParallel)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).parent / "distributed_run.py"


def run(strategy, backend, out):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": str(SCRIPT.parents[1])}
    result = subprocess.run([sys.executable, str(SCRIPT), strategy, str(out)], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return np.load(out)


@pytest.mark.parametrize("backend,strategy", [("tensorflow", "mirrored"), ("jax", "data_parallel")])
def test_two_device_training_matches_one_device(backend, strategy, tmp_path):
    if backend == "jax":
        pytest.importorskip("jax", reason="jax is not installed (pip install -e '.[dev]')")
    single = run("none", backend, tmp_path / "single.npz")
    multi = run(strategy, backend, tmp_path / "multi.npz")
    np.testing.assert_allclose(multi["loss"], single["loss"], rtol=1e-4)
    for key in single.files:
        np.testing.assert_allclose(multi[key], single[key], atol=1e-5, err_msg=key)
    assert single["loss"][-1] < single["loss"][0]  # it did train


def test_unknown_strategy_is_a_clear_error():
    from keras_ar.distribute import strategy_scope

    with pytest.raises(ValueError, match="Unknown strategy"):
        strategy_scope("horovod")


@pytest.mark.slow
def test_models_built_in_a_strategy_scope_train_outside_it(tmp_path):
    """The Keras tutorial pattern: create and compile in `MirroredStrategy().scope()`,
    fit outside (weights built lazily by fit). Every model class trains, on 2 devices,
    to the weights that one device reaches from the same seed."""
    out = tmp_path / "zoo.npz"
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(SCRIPT.parent), str(SCRIPT.parents[1])])}
    result = subprocess.run([sys.executable, str(SCRIPT), "zoo", str(out)], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    weights = np.load(out)
    kinds = {key.split("/")[0] for key in weights.files}
    assert len(kinds) == 6
    for key in weights.files:
        if "/single/" in key:
            np.testing.assert_allclose(weights[key.replace("/single/", "/mirrored/")],
                                       weights[key], atol=1e-5, err_msg=key)

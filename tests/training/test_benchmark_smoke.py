"""The speed benchmark's pieces on tiny sizes (the script itself is not a timed test)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

SPEED = Path(__file__).resolve().parents[2] / "benchmarks" / "speed.py"


@pytest.fixture(scope="module")
def speed():
    spec = importlib.util.spec_from_file_location("speed", SPEED)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_loop_nade_matches_keras_ar_nade(speed):
    from keras_ar.models import NADE

    n, d = 10, 6
    loop = speed.LoopNADE(n, d)
    model = NADE(n, hidden_units=d)
    model.ensure_built()
    model.input_weights.assign(loop.W.numpy())
    model.output_weights.assign(loop.V.numpy())
    model.output_bias.assign(np.linspace(-1, 1, n).astype("float32"))
    loop.b.assign(np.linspace(-1, 1, n).astype("float32"))
    x = (np.random.RandomState(0).rand(5, n) < 0.5).astype("float32")
    np.testing.assert_allclose(loop.log_prob(x).numpy(), np.asarray(model.log_prob(x)), atol=1e-4)


@pytest.mark.parametrize("child", ["nade_ours", "nade_loop", "rnn_ours", "rnn_loop"])
def test_children_run_on_smoke_sizes(speed, child):
    p = dict(speed.MODES["smoke"], n=8, d=4, logprob_examples=16, sample_images=2, rnn_t=4,
             rnn_sample_chars=4, rnn_sample_batch=2)
    for task in ("log_prob", "sample"):
        result = speed.CHILDREN[child](p, task)
        assert result["per_second"] > 0


def test_compiled_sampler_matches_model_sample():
    from keras_ar.models import NADE
    from keras_ar.compiled import compiled_sampler

    model = NADE(12, hidden_units=5)
    samples = np.asarray(compiled_sampler(model, jit_compile=False)(3, seed=0))
    assert samples.shape == (3, 12) and set(np.unique(samples)) <= {0.0, 1.0}


def test_compiled_sampler_equals_model_sample_for_the_same_seed():
    from keras_ar.models import NADE
    from keras_ar.compiled import compiled_sampler

    model = NADE(12, hidden_units=5)
    for jit in (False, True):
        fast = np.asarray(compiled_sampler(model, jit_compile=jit)(4, seed=3, temperature=0.7))
        np.testing.assert_array_equal(fast, np.asarray(model.sample(4, seed=3, temperature=0.7)))

"""The core subset (normalization, autoregressive property, step agreement, sampling,
saving, fast paths, fitting again) also passes on the JAX and torch backends, in a subprocess per backend.

JAX is installed by the `dev` extra; torch is not (a CPU wheel is platform-specific:
`pip install torch --index-url .../cpu`), so its run skips with a reason when absent."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

CORE_SUBSET = [
    "test_normalization.py",
    "test_autoregressive_property.py",
    "test_step_agreement.py",
    "test_sampling.py",
    "test_saving.py",
    "test_fast_paths_training.py",
    "test_fast_paths_inference.py",
    "test_fit_again.py",
]


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
                    reason="already running on a non-default backend")
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_core_subset_passes_on_other_backends(backend):
    pytest.importorskip(backend, reason=f"{backend} is not installed")
    here = Path(__file__).parent
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
         *[str(here / name) for name in CORE_SUBSET]],
        env=env, capture_output=True, text=True, timeout=1200, cwd=here.parent,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
                    reason="already running on a non-default backend")
def test_jax_batch_parts_on_two_cpu_devices():
    """With one XLA CPU device per core (the README's advice for JAX on CPU), batch
    parts run on separate devices (`shard_map`): log p, gradients and samples still
    equal the reference formulations (NADE: 130 rows, 3 loops per device, and 1,100
    rows, a mapped loop per device; CharRNN), a second `fit` reuses the compiled step,
    and both CharRNN cells train (twice, with a moving average of the weights)."""
    pytest.importorskip("jax", reason="jax is not installed")
    here = Path(__file__).parent
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
         str(here / "test_fast_paths_training.py"),
         str(here / "test_fit_again.py"),
         "-k", "batch_parts and (130 or 1100) or gru_loop and True or second_fit or moving_average and char_rnn"],
        env=env, capture_output=True, text=True, timeout=600, cwd=here.parent,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "6 passed" in result.stdout


def test_first_sample_in_a_fresh_process_prints_no_autograph_warning():
    """The fast-path module is imported with keras_ar, not on a first call inside a traced
    function, where TensorFlow's AutoGraph warned that it could not transform the import."""
    code = ("import numpy as np, keras_ar as ka\n"
            "print(np.asarray(ka.NADE(6, hidden_units=4).sample(3, seed=0)).shape)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(3, 6)" in result.stdout
    assert "AutoGraph could not transform" not in result.stderr, result.stderr[-2000:]

"""The core subset (normalization, autoregressive property, step agreement, sampling,
saving) also passes on the JAX backend, in a subprocess with KERAS_BACKEND=jax."""

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
]


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
                    reason="already running on a non-default backend")
def test_core_subset_passes_on_jax():
    pytest.importorskip("jax", reason="jax is not installed (pip install -e '.[dev]')")
    here = Path(__file__).parent
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         *[str(here / name) for name in CORE_SUBSET]],
        env=env, capture_output=True, text=True, timeout=1200, cwd=here.parent,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout

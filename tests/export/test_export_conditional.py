"""The exported exact conditional sampler (`conditional_sample`) equals `model.sample`."""

import numpy as np
import pytest
from export_helpers import BACKENDS, TEMPERATURE, make_noise, to_numpy

from keras_ar.export import load, read_manifest

from model_zoo import random_inputs


def test_manifest_lists_the_conditional_sampler_only_for_order_agnostic_models(exported):
    manifest = read_manifest(exported("deep_nade").directory)
    assert manifest["model"]["exact_conditionals"] is True
    inputs = manifest["signatures"]["conditional_sample"]["inputs"]
    assert [i["name"] for i in inputs] == ["image", "mask", "noise", "temperature"]
    n = manifest["model"]["input_dim"]
    assert inputs[2]["shape"] == [1, n, 1]
    assert "conditional_sample" in manifest["export"]["tflite_signatures"]
    assert "conditional_sample" in manifest["files"]["onnx"]
    plain = read_manifest(exported("nade").directory)
    assert "conditional_sample" not in plain["signatures"]
    assert "exact_conditionals" not in plain["model"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_conditional_sample_signature_matches_model_sample(exported, backend):
    """Same image, mask and noise: the runtime's completion equals Keras' exact one."""
    ex = exported("deep_nade")
    model = ex.model
    runner = load(ex.directory, backend=backend)
    rng = np.random.default_rng(3)
    completions = set()
    for seed in range(4):
        image = random_inputs(model, batch_size=1, seed=10 + seed).astype("float32")
        mask = rng.random(image.shape) < 0.5
        noise = make_noise(model, seed=20 + seed)
        expected = to_numpy(model.sample(1, noise=noise, given=image, observed=mask, temperature=TEMPERATURE))
        out = runner.run("conditional_sample", image=image, mask=mask.astype("float32"),
                         noise=noise, temperature=np.full((1,), TEMPERATURE, "float32"))["sample"]
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(out[mask], image[mask])
        completions.add(tuple(out[0]))
    assert len(completions) > 1

"""The model-driven codec: bit-exact round trips, sizes at the model's NLL, clear errors."""

import numpy as np
import pytest

pytest.importorskip("constriction", reason="the codec needs constriction (extra 'codec')")

from keras_ar import codec  # noqa: E402
from keras_ar.cli import main  # noqa: E402

from model_zoo import make  # noqa: E402


def images_from(model, count, seed, dtype):
    return np.asarray(model.sample(count, seed=seed)).astype(dtype)


@pytest.mark.parametrize(
    "name, dtype",
    [("logistic_mixture_nade", "uint8"), ("categorical_nade", "int32"), ("nade", "float32")],
)
def test_round_trip_is_bit_exact_and_costs_the_nll(name, dtype):
    model = make(name, input_dim=6, ordering=[5, 3, 1, 0, 2, 4], seed=2)
    images = images_from(model, 150, seed=3, dtype=dtype)
    data = codec.compress(model, images, batch_size=64)  # 150 = 2 full batches + 22
    decoded = codec.decompress(model, data)
    assert decoded.dtype == images.dtype and decoded.shape == images.shape
    np.testing.assert_array_equal(decoded, images)
    report = codec.compression_report(model, images, data)
    # the range coder's payload is the NLL plus a few bits (quantized probabilities, flush)
    assert report["nll_bits"] - 1.0 <= report["payload_bits"] <= 1.01 * report["nll_bits"] + 64


def test_images_keep_their_shape():
    model = make("logistic_mixture_nade", input_dim=6, seed=4)
    images = images_from(model, 5, seed=1, dtype="uint8").reshape(5, 2, 3)
    model.image_shape = (2, 3)
    np.testing.assert_array_equal(codec.decompress(model, codec.compress(model, images)), images)


def test_another_model_or_a_damaged_file_is_refused():
    model = make("logistic_mixture_nade", input_dim=6, seed=4)
    other = make("logistic_mixture_nade", input_dim=6, seed=5)
    images = images_from(model, 4, seed=1, dtype="uint8")
    data = codec.compress(model, images)
    with pytest.raises(ValueError, match="another model"):
        codec.decompress(other, data)
    with pytest.raises(ValueError, match="truncated"):
        codec.decompress(model, data[:-4])
    with pytest.raises(ValueError, match="KARC"):
        codec.decompress(model, b"PNG" + data)


def test_continuous_models_and_bad_values_are_refused():
    with pytest.raises(ValueError, match="continuous"):
        codec.compress(make("rnade"), np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="outside"):
        codec.compress(make("logistic_mixture_nade", input_dim=5), np.full((2, 5), 300))


def test_cli_round_trip(tmp_path, capsys):
    model = make("logistic_mixture_nade", input_dim=6, seed=6)
    model.save(tmp_path / "model.keras")
    images = images_from(model, 20, seed=2, dtype="uint8")
    np.save(tmp_path / "images.npy", images)
    assert main(["compress", str(tmp_path / "model.keras"), str(tmp_path / "images.npy"),
                 "--out", str(tmp_path / "images.kar")]) == 0
    assert "bits/dim" in capsys.readouterr().out
    assert main(["decompress", str(tmp_path / "model.keras"), str(tmp_path / "images.kar"),
                 "--out", str(tmp_path / "out.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), images)
    assert main(["decompress", str(tmp_path / "model.keras"), str(tmp_path / "images.npy"),
                 "--out", str(tmp_path / "bad.npy")]) == 2
    assert not (tmp_path / "bad.npy").exists()

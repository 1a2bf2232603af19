"""keras_ar.datasets reading data files: the real files (each test skips when its file
is absent), made-up files in the same formats (MNIST, Frey faces with its
dequantization and log-Jacobian) and corrupt files, refused with a message that names
the file."""

import math
import random

import numpy as np
import pytest

from keras_ar import datasets
from keras_ar.datasets import paths

from dataset_helpers import SPLITS


def real_file(filename):
    """Path of a real data file found by the default lookup, or skip the test."""
    found, searched = paths.find_file(filename)
    if found is None:
        pytest.skip(f"real data {filename} absent (searched {[str(s) for s in searched]}); "
                    f"set KERAS_AR_DATA to a folder holding it, or `keras-ar data get`")
    return found


# ---------------------------------------------------------------- made-up MNIST file

def test_mnist_from_made_up_keras_npz(tmp_path):
    rng = np.random.RandomState(1)
    x_train = rng.randint(0, 256, size=(10012, 28, 28)).astype(np.uint8)
    x_test = rng.randint(0, 256, size=(7, 28, 28)).astype(np.uint8)
    file = tmp_path / "mnist.npz"
    np.savez(file, x_train=x_train, x_test=x_test, y_train=np.zeros(10012), y_test=np.zeros(7))
    tr = datasets.load("mnist", "train", path=file)
    va = datasets.load("mnist", "valid", path=tmp_path)  # a directory works too
    te = datasets.load("mnist", "test", data_dir=tmp_path, num_levels=8)
    assert tr.dtype == va.dtype == te.dtype == np.int32
    assert tr.shape == (12, 784) and va.shape == (10000, 784) and te.shape == (7, 784)
    np.testing.assert_array_equal(tr, x_train[:12].reshape(12, 784))
    np.testing.assert_array_equal(va, x_train[12:].reshape(10000, 784))
    np.testing.assert_array_equal(te, x_test.reshape(7, 784) // 32)
    assert te.max() <= 7


# ---------------------------------------------------------------- real data

def test_real_binarized_mnist():
    real_file("binarized_mnist.npz")
    sizes = {"train": 50000, "valid": 10000, "test": 10000}
    for split, n in sizes.items():
        x = datasets.load("binarized_mnist", split)
        assert x.shape == (n, 784) and x.dtype == np.float32
        assert set(np.unique(x)) == {0.0, 1.0}
    assert 0.1 < x.mean() < 0.2  # ~13% of pixels are on


def test_real_binarized_mnist_via_env_var(monkeypatch):
    file = real_file("binarized_mnist.npz")
    monkeypatch.setenv("KERAS_AR_DATA", str(file.parent))
    monkeypatch.chdir("/")
    assert datasets.load("binarized_mnist", "valid").shape == (10000, 784)


def test_real_tiny_shakespeare():
    file = real_file("tiny_shakespeare.txt")
    text = file.read_text(encoding="utf-8")
    train = datasets.load("tiny_shakespeare", "train")
    valid = datasets.load("tiny_shakespeare", "valid")
    assert isinstance(train, str)
    assert train + valid == text
    assert len(train) == int(0.9 * len(text)) == 1003854
    assert datasets.load("tiny_shakespeare", "test") == valid
    assert train.startswith("First Citizen")


def test_real_names():
    file = real_file("names.txt")
    words = [w.strip() for w in file.read_text().splitlines() if w.strip()]
    parts = {s: datasets.load("names", s) for s in SPLITS}
    assert {s: len(p) for s, p in parts.items()} == {"train": 25626, "valid": 3203,
                                                      "test": 3204}
    assert sorted(parts["train"] + parts["valid"] + parts["test"]) == sorted(words)
    # the makemore recipe: random.seed(42); random.shuffle(words); 80/10/10
    random.Random(42).shuffle(words)
    assert parts["train"] == words[:25626] and parts["test"] == words[28829:]
    assert datasets.load("names", "valid") == parts["valid"]  # deterministic
    assert datasets.load("names", "valid", seed=1) != parts["valid"]


def test_real_freyfaces():
    file = real_file("freyfaces.npz")
    pixels = np.load(file)["images"].reshape(-1, 560)
    xs = {s: datasets.load("freyfaces", s) for s in SPLITS}
    assert {s: x.shape for s, x in xs.items()} == {
        "train": (1565, 560), "valid": (200, 560), "test": (200, 560)}
    for x in xs.values():
        assert x.dtype == np.float32 and x.min() >= 0.0 and x.max() < 1.0
    v = np.floor(np.concatenate(list(xs.values())).astype(np.float64) * 256).astype(int)
    key = lambda a: a[np.lexsort(a.T[::-1])]
    np.testing.assert_array_equal(key(v), key(pixels.astype(int)))  # partition + floor = v
    np.testing.assert_array_equal(datasets.load("freyfaces", "valid"), xs["valid"])
    assert not np.array_equal(datasets.load("freyfaces", "valid", dequantize_seed=1),
                              xs["valid"])


def test_freyfaces_log_jacobian():
    assert datasets.freyfaces_log_jacobian(560) == pytest.approx(560 * math.log(256))
    assert datasets.freyfaces_log_jacobian(1) == pytest.approx(5.545177444479562)
    # density check: U[0,1)^D scaled from U[0,256)^D: NLL 0 -> D log 256
    assert 0.0 + datasets.freyfaces_log_jacobian(3) == pytest.approx(-math.log(256.0 ** -3))


def test_freyfaces_dequantization_made_up(tmp_path):
    v = np.zeros((405, 28, 20), dtype=np.uint8)
    v[:, :10] = 255
    v[:, 10:20] = 7
    np.savez(tmp_path / "freyfaces.npz", images=v)
    x = datasets.load("freyfaces", "train", data_dir=tmp_path)
    assert x.shape == (5, 560) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() < 1.0
    np.testing.assert_array_equal(np.floor(x.astype(np.float64) * 256),
                                  v[:5].reshape(5, 560).astype(np.float64))
    u = x * 256 - np.floor(x * 256)
    assert 0.3 < u.mean() < 0.7 and u.std() > 0.2  # noise is ~U[0,1), not constant
    plain = datasets.load("freyfaces", "train", path=tmp_path / "freyfaces.npz",
                          dequantize=False)
    np.testing.assert_array_equal(plain * 256, v[:5].reshape(5, 560))
    a = datasets.load("freyfaces", "test", data_dir=tmp_path, dequantize_seed=None)
    b = datasets.load("freyfaces", "test", data_dir=tmp_path, dequantize_seed=None)
    assert not np.array_equal(a, b)


# ---------------------------------------------------------------- corrupt files

def _bmnist(tmp_path, **arrays):
    file = tmp_path / "binarized_mnist.npz"
    np.savez(file, **arrays)
    return file


def test_corrupt_binarized_mnist(tmp_path):
    ok = np.zeros((3, 784), np.uint8)
    file = _bmnist(tmp_path, train=ok, valid=ok)
    with pytest.raises(ValueError, match=r"binarized_mnist\.npz.*missing key.*'test'"):
        datasets.load("binarized_mnist", path=file)
    file = _bmnist(tmp_path, train=np.zeros((3, 783), np.uint8), valid=ok, test=ok)
    with pytest.raises(ValueError, match=r"binarized_mnist\.npz.*shape \(3, 783\)"):
        datasets.load("binarized_mnist", "train", path=file)
    bad = ok.copy()
    bad[0, 5] = 255
    file = _bmnist(tmp_path, train=bad, valid=ok, test=ok)
    with pytest.raises(ValueError, match=r"binarized_mnist\.npz.*0/1.*255"):
        datasets.load("binarized_mnist", "train", path=file)
    assert datasets.load("binarized_mnist", "valid", path=file).shape == (3, 784)
    file.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match=r"binarized_mnist\.npz.*not a readable"):
        datasets.load("binarized_mnist", path=file)
    # a 28x28 layout is accepted and flattened
    file = _bmnist(tmp_path, train=np.ones((2, 28, 28), np.uint8), valid=ok, test=ok)
    assert datasets.load("binarized_mnist", path=file).shape == (2, 784)


def test_corrupt_freyfaces_and_mnist(tmp_path):
    np.savez(tmp_path / "freyfaces.npz", faces=np.zeros((500, 28, 20), np.uint8))
    with pytest.raises(ValueError, match=r"freyfaces\.npz.*missing key.*'images'"):
        datasets.load("freyfaces", data_dir=tmp_path)
    np.savez(tmp_path / "freyfaces.npz", images=np.zeros((500, 20, 28), np.uint8))
    with pytest.raises(ValueError, match=r"freyfaces\.npz.*shape \(500, 20, 28\)"):
        datasets.load("freyfaces", data_dir=tmp_path)
    np.savez(tmp_path / "freyfaces.npz", images=np.full((500, 560), 300, np.int32))
    with pytest.raises(ValueError, match=r"freyfaces\.npz.*0\.\.255"):
        datasets.load("freyfaces", data_dir=tmp_path)
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((5, 28, 28), np.uint8),
             x_test=np.zeros((5, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"mnist\.npz.*more than 10000"):
        datasets.load("mnist", "train", data_dir=tmp_path)
    np.save(tmp_path / "single.npy", np.zeros(3))
    (tmp_path / "single.npy").rename(tmp_path / "mnist.npz")
    with pytest.raises(ValueError, match=r"mnist\.npz.*np\.save"):
        datasets.load("mnist", "test", data_dir=tmp_path)

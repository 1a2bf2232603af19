"""Tests of keras_ar.datasets (fast: < 30 s; real-data tests skip when data is absent)."""

import ast
import math
import random
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from keras_ar import datasets
from keras_ar.datasets import paths

SPLITS = ("train", "valid", "test")
PKG_DIR = Path(datasets.__file__).resolve().parent


def real_file(filename):
    """Path of a real data file found by the default lookup, or skip the test."""
    found, searched = paths.find_file(filename)
    if found is None:
        pytest.skip(f"real data {filename} absent (searched {[str(s) for s in searched]}); "
                    f"set KERAS_AR_DATA to a folder holding it, or `keras-ar data get`")
    return found


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """An environment where no data file can be found and tfds is not importable."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("KERAS_AR_DATA", str(empty))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # import -> ImportError
    return empty


# ---------------------------------------------------------------- registry / errors

def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError) as e:
        datasets.load("cifar10")
    for name in ("binarized_mnist", "mnist", "tiny_shakespeare", "names", "freyfaces",
                 "digits", "embedded_names"):
        assert name in str(e.value)
    assert set(datasets.list_datasets()) == set(datasets.DATASETS)


@pytest.mark.parametrize("name", sorted(datasets.DATASETS))
def test_unknown_split_lists_splits(name, no_data):
    with pytest.raises(ValueError, match=r"valid splits: \['train', 'valid', 'test'\]"):
        datasets.load(name, "validation")


def test_unknown_option_and_misuse():
    with pytest.raises(ValueError, match="num_levels"):
        datasets.load("digits", levels=4)
    with pytest.raises(ValueError, match="as_dataset"):
        datasets.load("digits", batch_size=8)
    with pytest.raises(ValueError, match="embedded"):
        datasets.load("digits", path="/nonexistent")
    for name in ("embedded_names", "tiny_shakespeare", "names"):
        with pytest.raises(ValueError, match="not supported for the text"):
            datasets.load(name, as_dataset=True, batch_size=4)


def test_no_eager_tensorflow_or_sklearn_import():
    """No module of the package imports tensorflow/keras/sklearn at top level."""
    heavy = {"tensorflow", "keras", "sklearn", "tensorflow_datasets"}
    for file in PKG_DIR.glob("*.py"):
        tree = ast.parse(file.read_text())
        for node in tree.body:  # top-level statements only
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                assert n.split(".")[0] not in heavy, f"{file.name} imports {n} eagerly"


# ---------------------------------------------------------------- digits (always available)

def test_digits_shapes_dtypes_splits_deterministic():
    xs = {s: datasets.load("digits", s) for s in SPLITS}
    assert {s: x.shape for s, x in xs.items()} == {
        "train": (1437, 64), "valid": (180, 64), "test": (180, 64)}
    for x in xs.values():
        assert x.dtype == np.float32
        assert set(np.unique(x)) == {0.0, 1.0}
    again = datasets.load("digits", "train")
    np.testing.assert_array_equal(xs["train"], again)


def test_digits_splits_partition_the_data_and_binarize_at_8():
    from sklearn.datasets import load_digits

    raw = load_digits().data.astype(np.int32)
    grey = {s: datasets.load("digits", s, num_levels=17) for s in SPLITS}
    for g in grey.values():
        assert g.dtype == np.int32
    allg = np.concatenate([grey[s] for s in SPLITS])
    # same multiset of rows as the original data, i.e. disjoint splits covering all
    key = lambda a: a[np.lexsort(a.T[::-1])]
    np.testing.assert_array_equal(key(allg), key(raw))
    # binarization: 1 exactly where the grey value >= 8, row for row
    np.testing.assert_array_equal(datasets.load("digits", "valid"),
                                  (grey["valid"] >= 8).astype(np.float32))
    np.testing.assert_array_equal(datasets.load("digits", "test", threshold=1),
                                  (grey["test"] >= 1).astype(np.float32))


def test_digits_num_levels():
    x = datasets.load("digits", "train", num_levels=4)
    assert x.dtype == np.int32 and x.shape == (1437, 64)
    assert x.min() == 0 and x.max() == 3
    raw = datasets.load("digits", "train", num_levels=17)
    np.testing.assert_array_equal(x, raw * 4 // 17)
    with pytest.raises(ValueError, match="num_levels"):
        datasets.load("digits", num_levels=18)


# ---------------------------------------------------------------- quantization

def test_quantize_made_up_array():
    v = np.array([[0, 1, 63, 64], [127, 128, 254, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(datasets.quantize(v, 4),
                                  [[0, 0, 0, 1], [1, 2, 3, 3]])
    np.testing.assert_array_equal(datasets.quantize(v, 2), [[0, 0, 0, 0], [0, 1, 1, 1]])
    np.testing.assert_array_equal(datasets.quantize(v, 256), v.astype(np.int32))
    np.testing.assert_array_equal(datasets.quantize(v, 3), [[0, 0, 0, 0], [1, 1, 2, 2]])
    all_v = np.arange(256)
    for k in (2, 3, 5, 16, 100):
        q = datasets.quantize(all_v, k)
        assert q.dtype == np.int32
        np.testing.assert_array_equal(q, [math.floor(v * k / 256) for v in all_v])
        assert np.all(np.bincount(q, minlength=k) > 0)  # every level used
    np.testing.assert_array_equal(datasets.quantize(np.arange(17), 4, num_values=17),
                                  [0] * 5 + [1] * 4 + [2] * 4 + [3] * 4)
    with pytest.raises(ValueError):
        datasets.quantize(v, 1)
    with pytest.raises(ValueError):
        datasets.quantize(np.array([256]), 4)


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


# ---------------------------------------------------------------- missing data messages

@pytest.mark.parametrize("name,filename,must_mention", [
    ("binarized_mnist", "binarized_mnist.npz",
     ["'train', 'valid', 'test'", "uint8", "(50000, 784)", "keras-ar data get binarized_mnist",
      "download=True", "data_dir", "tensorflow_datasets is not installed"]),
    ("mnist", "mnist.npz", ["'x_train'", "'x_test'", "uint8", "keras-ar data get mnist",
                            "data_dir"]),
    ("tiny_shakespeare", "tiny_shakespeare.txt", ["UTF-8", "keras-ar data get tiny_shakespeare"]),
    ("names", "names.txt", ["one name per line", "embedded_names"]),
    ("freyfaces", "freyfaces.npz", ["'images'", "uint8", "(1965, 28, 20)"]),
])
def test_missing_file_messages(name, filename, must_mention, no_data):
    with pytest.raises(FileNotFoundError) as e:
        datasets.load(name, "train")
    assert isinstance(e.value, datasets.DatasetNotFoundError)
    msg = str(e.value)
    cache = no_data.parent / "keras_home" / "datasets" / "keras_ar"
    for text in [filename, "KERAS_AR_DATA", str(no_data / filename), str(cache / filename)] + must_mention:
        assert text in msg, f"{text!r} not in message:\n{msg}"
    # an explicit path that does not exist is reported as such
    with pytest.raises(datasets.DatasetNotFoundError, match="nowhere_dir"):
        datasets.load(name, path=no_data / "nowhere_dir" / filename)


def test_data_dir_overrides_env(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_AR_DATA", str(tmp_path / "missing"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "names.txt").write_text("ann\nbob\n\ncid\n")
    assert sorted(sum((datasets.load("names", s, data_dir=tmp_path / "d") for s in SPLITS),
                      [])) == ["ann", "bob", "cid"]


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


# ---------------------------------------------------------------- tfds fallback (faked)

def test_tfds_fallback_is_used_without_download(no_data, monkeypatch):
    calls = []
    images = {"train": np.zeros((4, 28, 28, 1), np.uint8),
              "validation": np.ones((2, 28, 28, 1), np.uint8),
              "test": np.ones((3, 28, 28, 1), np.uint8)}
    texts = {"train": b"abcdefghi", "validation": b"j", "test": b""}

    def fake_load(name, split, data_dir=None, download=True, batch_size=None):
        calls.append((name, split, data_dir, download, batch_size))
        if name == "tiny_shakespeare":
            return {"text": np.array([texts[split]], dtype=object)}
        return {"image": images[split], "label": np.zeros(len(images[split]))}

    fake = types.ModuleType("tensorflow_datasets")
    fake.load, fake.as_numpy = fake_load, (lambda x: x)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)
    x = datasets.load("binarized_mnist", "valid", data_dir=no_data)
    assert x.shape == (2, 784) and x.dtype == np.float32 and x.min() == 1.0
    assert calls[-1] == ("binarized_mnist", "validation", no_data, False, -1)
    assert datasets.load("mnist", "test", num_levels=2).shape == (3, 784)
    assert calls[-1][:2] == ("mnist", "test") and calls[-1][3] is False
    assert datasets.load("tiny_shakespeare", "train") == "abcdefghi"
    assert datasets.load("tiny_shakespeare", "valid") == "j"


# ---------------------------------------------------------------- embedded names

def test_embedded_names():
    parts = {s: datasets.load("embedded_names", s) for s in SPLITS}
    n = sum(len(p) for p in parts.values())
    assert n >= 150
    assert len(parts["train"]) == int(0.8 * n) and len(parts["test"]) == n - int(0.9 * n)
    names = parts["train"] + parts["valid"] + parts["test"]
    assert len(set(names)) == n and all(w.isascii() and w.isalpha() and w.islower()
                                        for w in names)
    assert datasets.load("embedded_names", "test") == parts["test"]
    assert datasets.load("embedded_names", "test", seed=0) != parts["test"]


# ---------------------------------------------------------------- tf.data + keras fit

def test_as_dataset_feeds_keras_fit_without_labels():
    import keras
    import tensorflow as tf

    ds = datasets.load("digits", "train", as_dataset=True, batch_size=128)
    assert isinstance(ds, tf.data.Dataset)
    assert isinstance(ds.element_spec, tf.TensorSpec)  # x only, no (x, y) tuple
    assert ds.element_spec.shape.as_list() == [None, 64]
    assert ds.element_spec.dtype == tf.float32
    # train is shuffled with a fixed seed, valid is in order
    first = next(iter(ds)).numpy()
    train = datasets.load("digits", "train")
    assert not np.array_equal(first, train[:128])
    ds2 = datasets.load("digits", "train", as_dataset=True, batch_size=128)
    np.testing.assert_array_equal(next(iter(ds2)).numpy(), first)
    valid = np.concatenate([b.numpy() for b in
                            datasets.load("digits", "valid", as_dataset=True, batch_size=64)])
    np.testing.assert_array_equal(valid, datasets.load("digits", "valid"))

    class AutoEncoder(keras.Model):
        """Loss on x only, like the keras-ar models: fit(x), no loss argument."""

        def __init__(self):
            super().__init__()
            self.enc = keras.layers.Dense(8, activation="relu")
            self.dec = keras.layers.Dense(64)

        def call(self, x):
            return self.dec(self.enc(x))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            return keras.ops.mean(keras.ops.square(x - y_pred))

    keras.utils.set_random_seed(0)
    model = AutoEncoder()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(ds, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    grey = datasets.load("digits", "test", as_dataset=True, num_levels=4, shuffle=True)
    assert grey.element_spec.dtype == tf.int32 and grey.element_spec.shape.as_list() == [64]


# ---------------------------------------------------------------- search order, download

def test_search_order_env_then_keras_cache_and_nothing_else(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    cache = home / "datasets" / "keras_ar"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("KERAS_AR_DATA", raising=False)
    assert paths.default_data_dirs() == [cache]
    monkeypatch.setenv("KERAS_AR_DATA", str(tmp_path / "env"))
    assert paths.default_data_dirs() == [tmp_path / "env", cache]
    cache.mkdir(parents=True)
    (cache / "names.txt").write_text("cached\n")
    assert paths.find_file("names.txt")[0] == cache / "names.txt"
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "names.txt").write_text("env\n")
    assert paths.find_file("names.txt")[0] == tmp_path / "env" / "names.txt"
    # the package never looks beside the repository or the working directory
    source = "".join(p.read_text() for p in PKG_DIR.rglob("*.py"))
    assert "shared" + "/data" not in source and '"shared"' not in source


class _FakeBuilder:
    """tfds.builder stand-in: records download_and_prepare, serves fixed splits."""

    calls = []

    def __init__(self, name, data_dir):
        self.name, self.data_dir = name, data_dir

    def download_and_prepare(self):
        self.calls.append((self.name, self.data_dir))

    def as_dataset(self, split, batch_size):
        assert batch_size == -1
        if self.name == "tiny_shakespeare":
            return {"text": np.array([{"train": b"First Citizen", "validation": b": Bef",
                                       "test": b"ore"}[split]], dtype=object)}
        sizes = {"train": 6, "validation": 2, "test": 3}
        rng = np.random.RandomState(len(split))
        return {"image": rng.randint(0, 2, (sizes[split], 28, 28, 1)).astype(np.uint8),
                "label": np.zeros(sizes[split])}


def test_download_goes_through_tfds_into_the_cache_only_when_asked(no_data, monkeypatch):
    fake = types.ModuleType("tensorflow_datasets")
    fake.builder = _FakeBuilder
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)
    _FakeBuilder.calls.clear()
    cache = paths.cache_dir()
    with pytest.raises(datasets.DatasetNotFoundError):  # never implicitly
        datasets.load("binarized_mnist", "valid")
    assert _FakeBuilder.calls == []
    x = datasets.load("binarized_mnist", "valid", download=True)
    assert _FakeBuilder.calls == [("binarized_mnist", str(cache / "tfds"))]
    expected = _FakeBuilder("binarized_mnist", None).as_dataset("validation", -1)["image"]
    np.testing.assert_array_equal(x, expected.reshape(2, 784).astype(np.float32))
    assert datasets.load("binarized_mnist", "test").shape == (3, 784)  # now found in the cache
    assert datasets.load("binarized_mnist", "valid", download=True).shape == (2, 784)
    assert len(_FakeBuilder.calls) == 1  # a file already there is not downloaded again
    path = datasets.download("tiny_shakespeare")
    assert path == cache / "tiny_shakespeare.txt"
    assert path.read_text() == "First Citizen: Before"
    assert [p.name for p in cache.iterdir() if "partial" in p.name] == []  # no partial file
    with pytest.raises(ValueError, match="cannot be downloaded"):
        datasets.download("names")


def test_download_without_tensorflow_datasets_says_how_to_install(no_data):
    with pytest.raises(ImportError, match=r"pip install 'keras-ar\[data\]'"):
        datasets.download("mnist")

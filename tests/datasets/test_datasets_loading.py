"""keras_ar.datasets without data files: the registry and its errors, the digits data
set (from scikit-learn, always available), quantization, the embedded names and the
`tf.data` pipeline that feeds `fit`. Fast, and no data file is needed."""

import ast
import math

import numpy as np
import pytest

from keras_ar import datasets

from dataset_helpers import PKG_DIR, SPLITS

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

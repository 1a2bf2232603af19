"""keras_ar.datasets finding its data: the search order (KERAS_AR_DATA, then the Keras
cache), what a missing file's message says, `data_dir`, the tensorflow_datasets
fallback and `download` into the cache (tfds faked, so nothing is downloaded)."""

import sys
import types

import numpy as np
import pytest

from keras_ar import datasets
from keras_ar.datasets import paths

from dataset_helpers import PKG_DIR, SPLITS

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

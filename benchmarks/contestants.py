"""What the speed benchmark times: one class per (implementation, model).

A contestant is built for one configuration `{"model", "task", "batch", ...}`; its
`run()` does one timed unit of work and returns how many examples (images, characters)
it processed. keras-ar runs through its public API only: `model.fit` on in-memory
data, `model.log_prob`, `model.sample`. Frameworks are imported inside the classes so
one worker process loads only what it runs.
"""

import os

import numpy as np


def limit_threads(threads):
    """Every framework to `threads` CPU threads (None/"": their defaults), before any
    of them starts."""
    if not threads:
        return
    threads = int(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen="
                               + ("false" if threads == 1 else "true")).strip()
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)


# ----------------------------------------------------------------------------- data
def binary_images(count, n):
    """Binarized MNIST training images (from $KERAS_AR_DATA) when n == 784, else random
    bits of the same shape. Returns (x, source)."""
    if n == 784:
        try:
            from keras_ar.datasets import load_binarized_mnist

            x = load_binarized_mnist("train")
            reps = -(-count // len(x))
            return np.tile(x, (reps, 1))[:count].astype("float32"), "binarized MNIST (train)"
        except Exception as error:  # noqa: BLE001 - any failure -> stated fallback
            reason = type(error).__name__
    else:
        reason = "smoke sizes"
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(count, n)) < 0.13).astype("float32")
    return x, f"random bits p=0.13 ({reason})"


def token_windows(count, length, vocab_size):
    """Windows of `length` ids from names.txt (names joined by the boundary id 0) when
    present, else uniform random ids. Returns (ids int32 (count, length), source)."""
    try:
        from keras_ar.datasets import load_names

        names = load_names("train")
        if isinstance(names, tuple):
            names = names[0]
        letters = sorted({c for name in names for c in name})
        if len(letters) + 1 != vocab_size:
            raise ValueError("vocabulary size differs")
        index = {c: i + 1 for i, c in enumerate(letters)}
        stream = np.array([t for name in names for t in [index[c] for c in name] + [0]], "int32")
        need = count * length
        stream = np.tile(stream, -(-need // len(stream)))[:need]
        return stream.reshape(count, length), "names.txt (train), joined by the boundary id"
    except Exception as error:  # noqa: BLE001 - any failure -> stated fallback
        rng = np.random.default_rng(0)
        ids = rng.integers(1, vocab_size, size=(count, length)).astype("int32")
        return ids, f"random ids ({type(error).__name__})"


# ----------------------------------------------------------------------------- keras-ar
class KerasAR:
    """keras-ar through its public API on $KERAS_BACKEND."""

    def __init__(self, config):
        import keras

        import keras_ar as ka

        self.config = c = config
        keras.utils.set_random_seed(0)
        if c["model"] == "nade":
            self.model = ka.NADE(c["n"], hidden_units=c["d"], activation=c["activation"])
        elif c["model"] == "made":
            self.model = ka.MADE(c["n"], hidden_units=c["hidden"])
        elif c["model"] == "deep_nade":
            self.model = ka.DeepNADE(c["n"], hidden_units=c["hidden"])
        else:
            self.model = ka.CharRNN(vocab_size=c["vocab"], units=c["units"],
                                    num_layers=c["layers"], embedding_dim=c["embedding"])
        self.model.ensure_built()
        self.data, self.data_source = _inputs(c)
        if c["task"] == "train":
            self.model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=self.jit_compile)
        self.calls = 0

    jit_compile = "auto"  # Keras' default

    def run(self):
        c, model = self.config, self.model
        if c["task"] == "train":
            model.fit(self.data, batch_size=c["batch"], epochs=1, shuffle=False, verbose=0)
            return _count(c, self.data)
        if c["task"] == "log_prob":
            np.asarray(model.log_prob(self.data, batch_size=c["batch"]))
            return _count(c, self.data)
        for _ in range(_calls(c)):
            self.calls += 1
            if c["model"] == "nade":
                np.asarray(model.sample(c["batch"], seed=self.calls))
            else:
                np.asarray(model.sample(c["batch"], seed=self.calls, length=c["length"]))
        return _samples(c)


class KerasARWithoutXLA(KerasAR):
    """keras-ar compiled with `jit_compile=False` (a labelled extra column for the
    models whose "auto" means XLA: what the default gains)."""

    jit_compile = False


# ----------------------------------------------------------------------------- torch
class _Torch:
    def __init__(self, config):
        import torch

        torch.manual_seed(0)
        self.torch, self.config = torch, config
        self.module = self.make(config)
        data, self.data_source = _inputs(config)
        if data is not None:
            data = torch.from_numpy(data if config["model"] != "char_rnn" else data.astype("int64"))
        self.data = data
        self.optimizer = self.module.optimizer() if config["task"] == "train" else None
        self.generator = torch.Generator().manual_seed(0)

    def run(self):
        c, torch = self.config, self.torch
        batch = c["batch"]
        if c["task"] == "train":
            for i in range(0, len(self.data), batch):
                self.module.train_step(self.data[i : i + batch], self.optimizer)
            return _count(c, self.data)
        if c["task"] == "log_prob":
            with torch.no_grad():
                for i in range(0, len(self.data), batch):
                    self.module.log_prob(self.data[i : i + batch])
            return _count(c, self.data)
        for _ in range(_calls(c)):
            if c["model"] == "nade":
                self.module.sample(batch, self.generator)
            else:
                self.module.sample(batch, c["length"], self.generator)
        return _samples(c)


class TorchLoopNADE(_Torch):
    def make(self, c):
        from peers.torch_nade import LoopNADE

        return LoopNADE(c["n"], c["d"], c["activation"])


class TorchCumsumNADE(_Torch):
    def make(self, c):
        from peers.torch_nade import CumsumNADE

        return CumsumNADE(c["n"], c["d"], c["activation"])


class TorchMADE(_Torch):
    def make(self, c):
        from peers.torch_mlp import MADE

        return MADE(c["n"], c["hidden"])


class TorchDeepNADE(_Torch):
    def make(self, c):
        from peers.torch_mlp import DeepNADE

        return DeepNADE(c["n"], c["hidden"])


class TorchGRU(_Torch):
    def make(self, c):
        from peers.torch_gru import TorchCharGRU

        return TorchCharGRU(c["vocab"], c["units"], c["layers"], c["embedding"])


# ----------------------------------------------------------------------------- TF eager
class TFEagerLoop:
    def __init__(self, config):
        import tensorflow as tf
        from peers.tf_loop import TFEagerLoopNADE

        self.tf, self.config = tf, config
        self.module = TFEagerLoopNADE(config["n"], config["d"], config["activation"])
        data, self.data_source = _inputs(config)
        self.data = None if data is None else tf.constant(data)
        self.calls = 0

    def run(self):
        c, batch = self.config, self.config["batch"]
        if c["task"] == "train":
            for i in range(0, len(self.data), batch):
                self.module.train_step(self.data[i : i + batch]).numpy()
            return _count(c, self.data)
        if c["task"] == "log_prob":
            for i in range(0, len(self.data), batch):
                self.module.log_prob(self.data[i : i + batch]).numpy()
            return _count(c, self.data)
        for _ in range(_calls(c)):
            self.calls += 1
            self.module.sample(batch, seed=self.calls).numpy()
        return _samples(c)


CONTESTANTS = {
    "keras_ar": KerasAR,
    "keras_ar_no_xla": KerasARWithoutXLA,
    "torch_loop": TorchLoopNADE,
    "torch_cumsum": TorchCumsumNADE,
    "torch_gru": TorchGRU,
    "torch_made": TorchMADE,
    "torch_deep_nade": TorchDeepNADE,
    "tf_eager_loop": TFEagerLoop,
}


def _inputs(c):
    """The same data for every contestant of a configuration."""
    if c["task"] == "sample":
        return None, "none (sampling)"
    count = c["batch"] * c["batches"]
    if c["model"] != "char_rnn":
        return binary_images(count, c["n"])
    return token_windows(count, c["length"], c["vocab"])


def _count(c, data):
    """Examples for the image models, characters for CharRNN."""
    return int(data.shape[0]) * _per_example(c)


def _per_example(c):
    """What one example counts: 1 image, or a CharRNN window's `length` characters."""
    return c["length"] if c["model"] == "char_rnn" else 1


def _calls(c):
    """Sampling calls per timed run: one call at batch 512 is tens of milliseconds, too
    short to time on a noisy machine, so a run makes `calls` of them."""
    return c.get("calls", 1)


def _samples(c):
    """What a sampling run produced: images, or characters for CharRNN."""
    return _calls(c) * c["batch"] * _per_example(c)

"""Training recipes: `keras-ar train / evaluate / sample` and their Python API.

A run is described by a `TrainConfig` (a flat dict, stored as JSON in `recipes/`):
the model kind and its hyper-parameters, the data set and its options, and the
optimisation settings. `train(config, out_dir)` runs `model.fit` with

- validation NLL every epoch (`val_nll`, `val_bits_per_dim`),
- early stopping and a best checkpoint on `val_nll` (mode "min"),
- TensorBoard logs (`out_dir/tensorboard`), a CSV log and `history.json`,
- resume after interruption (`keras.callbacks.BackupAndRestore` in `out_dir/backup`),
- `jit_compile` ("auto" lets Keras use XLA where the backend supports it),

and writes `out_dir/config.json`, `out_dir/best.keras` (the best model on the
validation split) and `out_dir/results.json`. The test split is evaluated only when
asked (`evaluate_test=True`, once, with the model selected on validation).

Text data:
- `names` / `embedded_names`: one item per row, padded with -1; the boundary token
  ends every item, so NLLs are nats per character *including* the end token.
- `tiny_shakespeare`: the split's text is cut into consecutive, non-overlapping
  windows of `seq_len` characters (the last one padded). CharRNN conditions position
  0 of every window on the boundary token, so each window is scored as a fresh
  sequence (no state carried across windows): the reported nats/char is slightly
  pessimistic compared to a stateful evaluation over the whole text.
"""

import dataclasses
import datetime
import json
import math
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np

from keras_ar import compiled

MODEL_KINDS = ("fvsbn", "nade", "categorical_nade", "rnade", "made", "char_rnn",
               "logistic_mixture_nade")
GREY_LEVEL_KINDS = ("categorical_nade", "logistic_mixture_nade")  # int32 data
TEXT_DATASETS = ("tiny_shakespeare", "names", "embedded_names")
IMAGE_SHAPES = {
    "binarized_mnist": (28, 28),
    "mnist": (28, 28),
    "fashion_mnist": (28, 28),
    "freyfaces": (28, 20),
    "digits": (8, 8),
}


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run (one recipe = one result row)."""

    model: str = "nade"
    data: str = "digits"
    data_options: dict = dataclasses.field(default_factory=dict)
    # model hyper-parameters (only those that apply to `model` are used)
    hidden_units: object = None  # int, or list for MADE
    activation: str = None
    num_layers: int = None  # CharRNN
    cell: str = None  # CharRNN: "gru" or "simple_rnn"
    dropout: float = None  # CharRNN
    embedding_dim: int = None  # CharRNN
    num_components: int = None  # RNADE, LogisticMixtureNADE
    num_masks: int = None  # MADE
    num_categories: int = None  # CategoricalNADE (default: from data_options num_levels)
    ordering: str = None  # "identity" (default), "reverse", "transpose" (column-major images)
    ordering_seed: int = None  # a random ordering from this seed (instead of `ordering`)
    seq_len: int = 256  # tiny_shakespeare windows
    # optimisation
    epochs: int = 10
    batch_size: int = 100
    learning_rate: float = 1e-3
    lr_decay: float = 1.0  # learning rate multiplied by this every epoch (smooth decay)
    min_learning_rate: float = 0.0  # floor of the decayed rate (0: none)
    clipnorm: float = None
    weight_decay: float = None  # AdamW when set
    kernel_l2: float = None  # FVSBN: L2 penalty on the weights, added to the NLL
    kernel_l1: float = None  # FVSBN: L1 penalty on the weights, added to the NLL
    patience: int = 10
    seed: int = 0
    jit_compile: object = "auto"
    evaluate_test: bool = False
    steps_per_epoch: int = None  # cap on batches per epoch (None: the whole split)
    max_train_examples: int = None  # keep only the first N training examples (smoke runs)
    max_minutes: float = None  # stop (keeping the best checkpoint) after this wall time
    init_from: str = None  # start from the best weights of this run folder (same model)
    notes: str = ""

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known - {"name", "target", "published"})
        if unknown:
            raise ValueError(f"Unknown training option(s) {unknown}; known: {sorted(known)}.")
        config = cls(**{k: v for k, v in values.items() if k in known})
        config.check()
        return config

    @classmethod
    def from_file(cls, path):
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_dict(self):
        return dataclasses.asdict(self)

    def check(self):
        if self.model not in MODEL_KINDS:
            raise ValueError(f"Unknown model {self.model!r}; choose one of {MODEL_KINDS}.")
        from keras_ar import datasets

        if self.data not in datasets.DATASETS:
            raise ValueError(
                f"Unknown data set {self.data!r}; known: {datasets.list_datasets()}."
            )
        is_text = self.data in TEXT_DATASETS
        if is_text != (self.model == "char_rnn"):
            raise ValueError(
                f"Model {self.model!r} cannot be trained on {self.data!r}: CharRNN takes "
                f"the text data sets {TEXT_DATASETS}, the other models take images."
            )
        for name in ("epochs", "batch_size", "patience", "seq_len"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}.")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}.")
        for name in ("kernel_l1", "kernel_l2"):
            value = getattr(self, name)
            if value is not None and (self.model != "fvsbn" or not value >= 0):
                raise ValueError(
                    f"{name} is a weight penalty (>= 0) for model 'fvsbn', got {value!r} "
                    f"for model {self.model!r}."
                )
        if self.ordering not in ORDERINGS:
            raise ValueError(f"ordering must be one of {ORDERINGS}, got {self.ordering!r}.")
        if self.ordering not in (None, "identity") and self.ordering_seed is not None:
            raise ValueError("Give either `ordering` or `ordering_seed`, not both.")


# --------------------------------------------------------------------------- data
class PreparedData:
    """Train/valid arrays (test loaded lazily) plus what the model needs to know."""

    def __init__(self, config):
        from keras_ar import datasets

        self.config = config
        self.name = config.data
        self.options = dict(config.data_options or {})
        self.is_text = self.name in TEXT_DATASETS
        self.vocabulary = None
        self.image_shape = IMAGE_SHAPES.get(self.name)
        self.log_jacobian = 0.0
        self._cache = {}
        if self.is_text:
            from keras_ar.vocabulary import Vocabulary

            texts = [datasets.load(self.name, s, **self.options) for s in ("train", "valid")]
            if self.name == "tiny_shakespeare":
                # valid == test here (char-rnn convention); the vocabulary of the whole text
                self.vocabulary = Vocabulary.from_text(texts[0] + texts[1])
            else:
                test = datasets.load(self.name, "test", **self.options)
                self.vocabulary = Vocabulary.from_text(texts[0] + texts[1] + test)
            self.input_dim = None
        else:
            valid = self.load("valid")
            self.input_dim = int(valid.shape[1])
            if self.image_shape is not None and int(np.prod(self.image_shape)) != self.input_dim:
                self.image_shape = None
            if self.name == "freyfaces":
                self.log_jacobian = datasets.freyfaces_log_jacobian(self.input_dim)
        self.num_categories = None
        if config.model in GREY_LEVEL_KINDS:
            self.num_categories = config.num_categories or self.options.get("num_levels")
            if self.num_categories is None:
                self.num_categories = int(self.load("train").max()) + 1

    def load(self, split):
        if split in self._cache:
            return self._cache[split]
        from keras_ar import datasets

        data = datasets.load(self.name, split, **self.options)
        if self.is_text:
            data = self.encode(data)
        elif self.config.model in GREY_LEVEL_KINDS:
            data = np.asarray(data, "int32")
        else:
            data = np.asarray(data, "float32")
        if split == "train" and self.config.max_train_examples:
            data = data[: int(self.config.max_train_examples)]
        self._cache[split] = data
        return data

    def encode(self, data):
        if isinstance(data, str):
            return text_windows(self.vocabulary.encode(data), self.config.seq_len)
        return self.vocabulary.encode_batch(data)

    def units_per_example(self, data):
        """Number of scored units (characters incl. end tokens, or dimensions)."""
        if self.is_text:
            return float(np.sum(data >= 0))
        return float(data.shape[0] * data.shape[1])

    def describe(self):
        info = {"data": self.name, "data_options": self.options}
        if self.is_text:
            info.update(vocab_size=self.vocabulary.size)
            if self.name == "tiny_shakespeare":
                info.update(
                    seq_len=self.config.seq_len,
                    note="fixed non-overlapping windows, each scored from the boundary token",
                )
            else:
                info.update(note="nats per character, the end-of-name token included")
        else:
            info.update(input_dim=self.input_dim, image_shape=self.image_shape)
        if self.log_jacobian:
            info.update(log_jacobian_nats=self.log_jacobian)
        return info


def text_windows(ids, seq_len):
    """1-D ids -> `(num_windows, seq_len)` consecutive windows, the last padded with -1."""
    ids = np.asarray(ids, "int32")
    count = -(-len(ids) // seq_len)
    out = np.full((count, seq_len), -1, "int32")
    out.reshape(-1)[: len(ids)] = ids
    return out


# --------------------------------------------------------------------------- model
ORDERINGS = (None, "identity", "reverse", "transpose")


def named_ordering(config, data):
    """The pixel ordering the recipe asks for, as a list (None for the identity)."""
    n = data.input_dim
    if config.ordering_seed is not None:
        return np.random.RandomState(int(config.ordering_seed)).permutation(n).tolist()
    if config.ordering == "reverse":
        return list(range(n - 1, -1, -1))
    if config.ordering == "transpose":
        if data.image_shape is None:
            raise ValueError(f"ordering 'transpose' needs an image data set, not {data.name!r}.")
        rows, cols = data.image_shape[:2]
        return np.arange(n).reshape(rows, cols).T.reshape(-1).tolist()
    return None


def build_model(config, data):
    """The keras-ar model described by `config` for the `PreparedData`."""
    from keras_ar import models

    c = config
    common = {}
    if not data.is_text:
        common["input_dim"] = data.input_dim
        if data.image_shape is not None:
            common["image_shape"] = data.image_shape
        ordering = named_ordering(c, data)
        if ordering is not None:
            common["ordering"] = ordering

    def pick(**options):
        return {k: v for k, v in options.items() if v is not None}

    if c.model == "fvsbn":
        regularizer = None
        if c.kernel_l1 or c.kernel_l2:
            penalty = {"l1": c.kernel_l1 or 0.0, "l2": c.kernel_l2 or 0.0}
            regularizer = {"class_name": "L1L2", "config": penalty}
        return models.FVSBN(**common, kernel_regularizer=regularizer)
    if c.model == "nade":
        return models.NADE(**common, **pick(hidden_units=c.hidden_units, activation=c.activation))
    if c.model == "categorical_nade":
        return models.CategoricalNADE(
            **common,
            num_categories=data.num_categories,
            **pick(hidden_units=c.hidden_units, activation=c.activation),
        )
    if c.model == "logistic_mixture_nade":
        return models.LogisticMixtureNADE(
            **common,
            num_categories=data.num_categories,
            **pick(hidden_units=c.hidden_units, num_components=c.num_components),
        )
    if c.model == "rnade":
        return models.RNADE(
            **common, **pick(hidden_units=c.hidden_units, num_components=c.num_components)
        )
    if c.model == "made":
        return models.MADE(
            **common,
            **pick(hidden_units=c.hidden_units, activation=c.activation, num_masks=c.num_masks),
        )
    return models.CharRNN(
        vocabulary=data.vocabulary,
        **pick(
            units=c.hidden_units,
            num_layers=c.num_layers,
            cell=c.cell,
            dropout=c.dropout,
            embedding_dim=c.embedding_dim,
        ),
    )


def make_optimizer(config, steps_per_epoch):
    import keras

    rate = config.learning_rate
    if config.lr_decay < 1.0:
        rate = FlooredExponentialDecay(
            config.learning_rate, steps_per_epoch, config.lr_decay, config.min_learning_rate
        )
    options = {"learning_rate": rate}
    if config.clipnorm:
        options["clipnorm"] = config.clipnorm
    if config.weight_decay:
        return keras.optimizers.AdamW(weight_decay=config.weight_decay, **options)
    return keras.optimizers.Adam(**options)


@keras.saving.register_keras_serializable(package="keras_ar")
class FlooredExponentialDecay(keras.optimizers.schedules.LearningRateSchedule):
    """initial * decay ** (step / steps_per_epoch), never below `floor` (smooth per-epoch decay)."""

    def __init__(self, initial, steps_per_epoch, decay, floor=0.0):
        self.initial, self.steps_per_epoch = float(initial), int(steps_per_epoch)
        self.decay, self.floor = float(decay), float(floor)

    def __call__(self, step):
        from keras import ops

        epochs = ops.cast(step, "float32") / float(self.steps_per_epoch)
        return ops.maximum(self.initial * ops.power(self.decay, epochs), self.floor)

    def get_config(self):
        return {
            "initial": self.initial,
            "steps_per_epoch": self.steps_per_epoch,
            "decay": self.decay,
            "floor": self.floor,
        }


# --------------------------------------------------------------------------- callbacks
def _history_callback(path, start_time):
    import keras

    class HistoryFile(keras.callbacks.Callback):
        """Appends every epoch's logs to `history.json` (kept across resumes)."""

        def on_train_begin(self, logs=None):
            self.records = json.loads(path.read_text()) if path.exists() else []
            self.epoch_start = time.time()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_start = time.time()
            # a resumed run restarts at `epoch`: drop anything recorded from there on
            self.records = [r for r in self.records if r["epoch"] < epoch + 1]

        def on_epoch_end(self, epoch, logs=None):
            record = {"epoch": epoch + 1}
            record.update({k: float(v) for k, v in (logs or {}).items()})
            record["learning_rate"] = float(
                keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            )
            record["epoch_seconds"] = round(time.time() - self.epoch_start, 2)
            record["elapsed_seconds"] = round(time.time() - start_time, 2)
            self.records.append(record)
            path.write_text(json.dumps(self.records, indent=1))

    return HistoryFile()


def tensorboard_callback(log_dir):
    """`keras.callbacks.TensorBoard`, or (when the `tensorboard` package is absent, as
    with `tensorflow-cpu` alone) a minimal writer of the same epoch scalars
    (`train/epoch_nll`, `validation/epoch_nll`, ...) readable by TensorBoard."""
    try:
        import tensorboard  # noqa: F401

        return keras.callbacks.TensorBoard(str(log_dir), write_graph=False)
    except ImportError:
        return _ScalarTensorBoard(str(log_dir))


class _ScalarTensorBoard(keras.callbacks.Callback):
    def __init__(self, log_dir):
        super().__init__()
        self.log_dir = log_dir
        self.writers = {}

    def _writer(self, name):
        import tensorflow as tf

        if name not in self.writers:
            self.writers[name] = tf.summary.create_file_writer(os.path.join(self.log_dir, name))
        return self.writers[name]

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        metadata = summary_pb2.SummaryMetadata()
        metadata.plugin_data.plugin_name = "scalars"
        logs = dict(logs or {})
        logs["learning_rate"] = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        for key, value in logs.items():
            split, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            with self._writer(split).as_default():
                tf.summary.write(f"epoch_{tag}", tf.constant(float(value)), step=epoch,
                                 metadata=metadata)
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self.writers.values():
            writer.close()
        self.writers = {}


def _time_limit_callback(max_minutes):
    import keras

    class TimeLimit(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.time()
            self.hit = False

        def on_epoch_end(self, epoch, logs=None):
            if max_minutes and time.time() - self.start > 60.0 * max_minutes:
                self.hit = True
                self.model.stop_training = True

    return TimeLimit()


def environment():
    """Date, machine and software versions, for result files."""
    import keras

    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} {_cpu_name()}, "
        f"{os.cpu_count()} logical CPUs",
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }
    try:
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    except ImportError:  # pragma: no cover
        pass
    info["numpy"] = np.__version__
    from keras_ar.version import __version__

    info["keras_ar"] = __version__
    return info


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    return platform.processor() or "unknown CPU"


# --------------------------------------------------------------------------- train
def train(config, out_dir, verbose=1, extra_callbacks=None):
    """Train the model described by `config`; files go to `out_dir` (see module doc).

    Returns the results dict (also written to `out_dir/results.json`).
    """
    import keras

    if isinstance(config, dict):
        config = TrainConfig.from_dict(config)
    config.check()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=2))
    keras.utils.set_random_seed(config.seed)

    data = PreparedData(config)
    train_x, valid_x = data.load("train"), data.load("valid")
    model = build_model(config, data)
    steps = -(-len(train_x) // config.batch_size)
    if config.steps_per_epoch:
        steps = min(steps, int(config.steps_per_epoch))
    model.compile(optimizer=make_optimizer(config, steps), jit_compile=config.jit_compile)
    if config.init_from:
        init = Path(config.init_from) / "best.weights.h5"
        if not init.exists():
            raise FileNotFoundError(f"init_from: no {init}.")
        model.ensure_built()
        model.load_weights(str(init))

    history_path = out_dir / "history.json"
    previous = json.loads(history_path.read_text()) if history_path.exists() else []
    best_so_far = min((r["val_nll"] for r in previous if "val_nll" in r), default=None)
    best_path = out_dir / "best.weights.h5"
    start = time.time()
    time_limit = _time_limit_callback(config.max_minutes)
    # BackupAndRestore comes after the checkpoint and history callbacks: once it records
    # epoch N as done, their files hold epoch N too (a SIGKILL in between only makes the
    # resumed run repeat epoch N, whose history row is then replaced, never lost)
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            str(best_path),
            monitor="val_nll",
            mode="min",
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=best_so_far,
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_nll", mode="min", patience=config.patience, restore_best_weights=False
        ),
        tensorboard_callback(out_dir / "tensorboard"),
        keras.callbacks.CSVLogger(str(out_dir / "log.csv"), append=True),
        _history_callback(history_path, start),
        time_limit,
        keras.callbacks.BackupAndRestore(str(out_dir / "backup")),
    ] + list(extra_callbacks or [])
    model.fit(
        train_x,
        validation_data=valid_x,
        epochs=config.epochs,
        batch_size=config.batch_size,
        steps_per_epoch=config.steps_per_epoch,
        shuffle=True,
        verbose=verbose,
        callbacks=callbacks,
    )
    train_seconds = time.time() - start
    if best_path.exists():
        model.load_weights(str(best_path))
    model.save(out_dir / "best.keras")

    history = json.loads(history_path.read_text()) if history_path.exists() else []
    best_record = min(history, key=lambda r: r.get("val_nll", math.inf), default={})
    results = {
        "config": config.to_dict(),
        "data": data.describe(),
        "model": f"{type(model).__name__} ({model.count_params()} parameters)",
        "epochs_run": len(history),
        "best_epoch": best_record.get("epoch"),
        "stopped_by_time_limit": bool(getattr(time_limit, "hit", False)),
        "train_seconds_this_session": round(train_seconds, 1),
        "train_seconds_total": history[-1]["elapsed_seconds"] if history else None,
        "train_seconds_sum_of_epochs": round(sum(r["epoch_seconds"] for r in history), 1),
        "valid": evaluate_model(model, data, "valid"),
        "environment": environment(),
    }
    if config.evaluate_test:
        results["test"] = evaluate_model(model, data, "test")
    (out_dir / "results.json").write_text(json.dumps(results, indent=2))
    return results


def batched_log_prob(model, x, batch_size, log_prob=None):
    """log p(x) per example (float64 numpy), after one input check, `batch_size` at a
    time through the compiled `log_prob` (pass one to reuse it across calls)."""
    model.check_inputs(x)
    log_prob = log_prob or compiled.compiled_log_prob(model)
    return np.concatenate(
        [np.asarray(log_prob(x[i : i + batch_size]), "float64") for i in range(0, len(x), batch_size)]
    )


def evaluate_model(model, data, split, batch_size=None):
    """NLL of a split in nats per example (per character for text) and bits/dim.

    Image models are evaluated 100 examples at a time: a NADE's (batch, n, d)
    hidden tensor is 157 MB at batch 100 (n=784, d=500); larger batches only cost memory.
    """
    x = data.load(split)
    batch_size = batch_size or (500 if data.is_text else 100)
    total = float(np.sum(batched_log_prob(model, x, batch_size)))
    units = data.units_per_example(x)
    result = {"split": split, "examples": int(len(x))}
    if data.is_text:
        nats = -total / units
        result.update(nats_per_char=nats, bits_per_char=nats / math.log(2), characters=int(units))
    else:
        nll = -total / len(x)
        result.update(nll_nats=nll, bits_per_dim=nll / (data.input_dim * math.log(2)))
        if data.log_jacobian:
            pixel = nll + data.log_jacobian
            result.update(
                nll_nats_pixel_space=pixel,
                bits_per_dim_pixel_space=pixel / (data.input_dim * math.log(2)),
            )
    return result


def load_run(path):
    """(model, TrainConfig) from a run folder or a `.keras` file inside one.

    A run still training has no `best.keras` yet; its `config.json` and the best
    checkpoint so far (`best.weights.h5`) are used instead."""
    import keras

    import keras_ar.models  # noqa: F401  (registers the classes)

    path = Path(path)
    model_file = path / "best.keras" if path.is_dir() else path
    weights_file = path / "best.weights.h5"
    if path.is_dir() and not model_file.exists() and weights_file.exists():
        if (path / "config.json").exists():
            config = TrainConfig.from_file(path / "config.json")
            model = build_model(config, PreparedData(config))
            model.ensure_built()
            model.load_weights(str(weights_file))
            return model, config
    if not model_file.exists():
        raise FileNotFoundError(f"No model at {model_file} (train one with `keras-ar train`).")
    config_file = model_file.parent / "config.json"
    config = TrainConfig.from_file(config_file) if config_file.exists() else None
    return keras.saving.load_model(model_file, compile=False), config


def evaluate(run, split="valid", data=None, data_options=None):
    """Evaluate a saved run on a split (data set and options from its config)."""
    model, config = load_run(run)
    if config is None:
        if data is None:
            raise ValueError("No config.json beside the model: pass the data set name.")
        config = TrainConfig(model=_kind_of(model), data=data)
    if data is not None:
        config.data = data
    if data_options is not None:
        config.data_options = data_options
    prepared = PreparedData(config)
    if prepared.is_text:
        prepared.vocabulary = model.vocabulary or prepared.vocabulary
    return evaluate_model(model, prepared, split)


def fit_mixture_weights(log_probs, iterations=200, tolerance=1e-9):
    """Mixture weights w maximizing sum_n log sum_k w_k p_k(x_n) (EM; the objective is
    concave in w): r_kn = w_k p_k(x_n) / sum_j w_j p_j(x_n), then w_k = mean_n r_kn.
    `log_probs` is (K, N), log p_k(x_n) in nats. Returns w (K,), summing to 1."""
    log_probs = np.asarray(log_probs, "float64")
    weights = np.full(log_probs.shape[0], 1.0 / log_probs.shape[0])
    previous = -np.inf
    for _ in range(iterations):
        joint = log_probs + np.log(np.maximum(weights, 1e-300))[:, None]
        total = _logsumexp(joint)
        weights = np.exp(joint - total).mean(axis=1)
        value = total.mean()
        if value - previous < tolerance:
            break
        previous = value
    return weights / weights.sum()


def _logsumexp(values):
    top = values.max(axis=0)
    return top + np.log(np.sum(np.exp(values - top), axis=0))


def evaluate_ensemble(runs, split="valid", batch_size=100, weights=None):
    """Mixture of several runs on the same image data (e.g. NADEs trained with different
    orderings): log p(x) = log sum_k w_k p_k(x), by log-sum-exp, never by averaging
    logits. `weights`: None (uniform, w_k = 1/K), a list, or "fit" (maximum likelihood
    on the *validation* split by EM, then used on `split`). Returns the ensemble's
    result and each member's, in nats per example."""
    if len(runs) < 2:
        raise ValueError("An ensemble needs at least two runs.")
    members, prepared, models = [], None, []
    for run in runs:
        model, config = load_run(run)
        if config is None:
            raise ValueError(f"{run}: no config.json beside the model.")
        data = PreparedData(config)
        if data.is_text:
            raise ValueError("Ensembles are for image models (same examples, nats per image).")
        if prepared is not None and (data.name, data.options) != (prepared.name, prepared.options):
            raise ValueError("All runs of an ensemble must use the same data set and options.")
        prepared = data
        models.append(model)

    log_probs = [compiled.compiled_log_prob(model) for model in models]

    def member_log_probs(split_name):
        x = prepared.load(split_name)
        return np.stack([batched_log_prob(model, x, batch_size, fn)
                         for model, fn in zip(models, log_probs)])  # (K, N)

    if isinstance(weights, str):
        if weights != "fit":
            raise ValueError(f"weights must be None, a list or 'fit', got {weights!r}.")
        weights = fit_mixture_weights(member_log_probs("valid"))
        fitted_on = "valid"
    elif weights is not None:
        weights = np.asarray(weights, "float64")
        if weights.shape != (len(runs),) or np.any(weights < 0) or not weights.sum() > 0:
            raise ValueError(
                f"weights must be {len(runs)} non-negative numbers, got {weights.tolist()}."
            )
        weights, fitted_on = weights / weights.sum(), None
    else:
        weights, fitted_on = np.full(len(runs), 1.0 / len(runs)), None
    stacked = member_log_probs(split)
    for run, values in zip(runs, stacked):
        members.append({"run": str(run), "nll_nats": float(-values.mean())})
    ensemble = _logsumexp(stacked + np.log(np.maximum(weights, 1e-300))[:, None])
    nll = float(-ensemble.mean())
    result = {"split": split, "examples": int(stacked.shape[1]), "members": members,
              "weights": [float(w) for w in weights], "weights_fitted_on": fitted_on,
              "nll_nats": nll, "bits_per_dim": nll / (prepared.input_dim * math.log(2))}
    if prepared.log_jacobian:
        result["nll_nats_pixel_space"] = nll + prepared.log_jacobian
        result["bits_per_dim_pixel_space"] = result["nll_nats_pixel_space"] / (
            prepared.input_dim * math.log(2))
    return result


def _kind_of(model):
    return {
        "FVSBN": "fvsbn",
        "NADE": "nade",
        "CategoricalNADE": "categorical_nade",
        "RNADE": "rnade",
        "LogisticMixtureNADE": "logistic_mixture_nade",
        "MADE": "made",
        "CharRNN": "char_rnn",
    }[type(model).__name__]


def sample(run, out, num_samples=64, seed=0, temperature=1.0, length=200, prompt="", columns=8):
    """Writes a PNG grid (image models) or a text file (CharRNN); returns the path."""
    import keras

    model, config = load_run(run)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if _kind_of(model) == "char_rnn":
        if config is not None and config.data == "tiny_shakespeare":
            texts = model.generate(prompt=prompt, max_length=length, num_samples=num_samples,
                                   seed=seed, temperature=temperature)
            body = "\n\n----\n\n".join(texts)
        else:
            texts = model.generate(prompt=prompt, max_length=length, num_samples=num_samples,
                                   seed=seed, temperature=temperature)
            body = "\n".join(texts)
        out.write_text(body + "\n")
        return out
    from keras_ar.images import save_image_grid

    values = keras.ops.convert_to_numpy(
        compiled.compiled_sampler(model)(num_samples, seed=seed, temperature=temperature)
    )
    values = values.astype("float32")
    shape = model.image_shape
    if shape is None:
        side = int(round(math.sqrt(model.input_dim)))
        shape = (side, model.input_dim // side) if side * (model.input_dim // side) == model.input_dim else (1, model.input_dim)
    if _kind_of(model) in GREY_LEVEL_KINDS:
        values = values / max(model.num_categories - 1, 1)
    elif _kind_of(model) == "rnade":
        values = 1.0 - np.clip(values, 0.0, 1.0)  # faces: bright = light (grid draws ink dark)
    save_image_grid(out, values.reshape(-1, *shape), columns=columns, scale=4)
    return out

"""`TrainConfig`: everything that defines a training run (a recipe is one, as JSON).

A recipe is a flat JSON object of `TrainConfig` fields, plus descriptive keys
(`name`, `target`, `published`) that training ignores. A run that continues from its
own best weights with another schedule is one recipe with `phases`: a list of objects
that override the optimisation fields (`PHASE_FIELDS`) for that phase, e.g.

    "phases": [{"epochs": 7, "learning_rate": 0.002},
               {"epochs": 14, "learning_rate": 0.0008}]

Each phase after the first starts from the best weights of the previous one with a
fresh optimizer (see `keras_ar.training.train`).
"""

import dataclasses
import json
from pathlib import Path

# keys a recipe may carry that only describe it
DESCRIPTIVE_KEYS = ("name", "target", "published")
ORDERINGS = (None, "identity", "reverse", "transpose")
OPTIMIZERS = ("adam", "adagrad")  # keras_ar.training.schedule builds them


def option(default, help):
    """A field with a help text (the `keras-ar train` flag of the same name shows it)."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run (one recipe = one result row)."""

    model: str = option("nade", "a model kind (keras_ar.training.MODEL_KINDS)")
    data: str = option("digits", "data set name (keras_ar.datasets.list_datasets())")
    data_options: dict = dataclasses.field(default_factory=dict)
    # model hyper-parameters (a kind accepts those in its `MODEL_KINDS` entry)
    hidden_units: object = option(None, "int (NADE family, CharRNN units) or comma list (MADE)")
    activation: str = None
    num_layers: int = option(None, "CharRNN layers")
    cell: str = option(None, "CharRNN cell: gru or simple_rnn")
    dropout: float = option(None, "CharRNN dropout")
    embedding_dim: int = option(None, "CharRNN embedding size")
    num_components: int = option(None, "RNADE mixture components")
    num_masks: int = option(None, "MADE masks")
    num_categories: int = option(None, "CategoricalNADE categories (default: the data's levels)")
    model_options: dict = dataclasses.field(default_factory=dict)  # other constructor args
    ordering: str = option(None, "pixel ordering: identity, reverse, transpose (column-major)")
    ordering_seed: int = option(None, "a random pixel ordering from this seed")
    seq_len: int = option(256, "tiny_shakespeare window length")
    # optimisation
    epochs: int = 10
    batch_size: int = 100
    optimizer: str = option("adam", "adam, or adagrad (no initial accumulator, as Duchi et al.)")
    learning_rate: float = 1e-3
    lr_decay: float = option(1.0, "learning-rate factor per epoch (smooth decay)")
    min_learning_rate: float = option(0.0, "floor of the decayed rate (0: none)")
    clipnorm: float = None
    weight_decay: float = option(None, "decoupled weight decay on weights, not biases, when set")
    ema: float = option(None, "momentum of a moving average of the weights (e.g. 0.999), which "
                              "validation, the best checkpoint and the saved model use")
    kernel_l2: float = option(None, "FVSBN: L2 penalty on the weights, added to the NLL")
    kernel_l1: float = option(None, "FVSBN: L1 penalty on the weights, added to the NLL")
    patience: int = option(10, "early-stopping patience on val_nll")
    seed: int = 0
    jit_compile: object = "auto"
    evaluate_test: bool = False
    steps_per_epoch: int = option(None, "cap on batches per epoch (None: the whole split)")
    max_train_examples: int = option(None, "keep only the first N training examples")
    max_minutes: float = option(None, "wall-time budget; the best checkpoint is kept")
    init_from: str = option(None, "start from the best weights of this run folder")
    phases: list = None  # schedule of continuations (see the module docstring)
    notes: str = ""

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known - set(DESCRIPTIVE_KEYS))
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
        """Raises ValueError, naming the option, for anything `train` could not run."""
        from keras_ar import datasets
        from keras_ar.training.model_kinds import MODEL_KINDS, model_kind

        kind = model_kind(self.model)
        if self.data not in datasets.DATASETS:
            raise ValueError(
                f"Unknown data set {self.data!r}; known: {datasets.list_datasets()}."
            )
        is_text = datasets.dataset_spec(self.data).kind == "text"
        if is_text != kind.text:
            text_kinds = sorted(k for k, v in MODEL_KINDS.items() if v.text)
            raise ValueError(
                f"Model {self.model!r} cannot be trained on {self.data!r}: {text_kinds} take "
                "text data sets, the other models take images."
            )
        for name in ("epochs", "batch_size", "patience", "seq_len"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}.")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}.")
        if self.ema is not None and not 0 < self.ema < 1:
            raise ValueError(f"ema is a momentum in (0, 1), e.g. 0.999; got {self.ema!r}.")
        for name in ("kernel_l1", "kernel_l2"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ValueError(f"{name} is a weight penalty (>= 0), got {value!r}.")
        kind.check_options(self)
        if self.ordering not in ORDERINGS:
            raise ValueError(f"ordering must be one of {ORDERINGS}, got {self.ordering!r}.")
        if self.ordering not in (None, "identity") and self.ordering_seed is not None:
            raise ValueError("Give either `ordering` or `ordering_seed`, not both.")
        if self.phases:
            for phase in self.phase_configs():
                phase.check()

    def phase_configs(self):
        """One `TrainConfig` per phase (just `[self]` without `phases`)."""
        if not self.phases:
            return [self]
        out = []
        for index, overrides in enumerate(self.phases):
            if not isinstance(overrides, dict):
                raise ValueError(f"phases[{index}] must be an object, got {overrides!r}.")
            bad = sorted(set(overrides) - set(PHASE_FIELDS))
            if bad:
                raise ValueError(
                    f"phases[{index}]: {bad} cannot change between phases; a phase sets "
                    f"only {list(PHASE_FIELDS)}."
                )
            values = dict(self.to_dict(), phases=None, evaluate_test=False, **overrides)
            out.append(TrainConfig(**values))
        return out


# what a phase may change: the optimisation, never the model or the data
PHASE_FIELDS = (
    "epochs", "batch_size", "optimizer", "learning_rate", "lr_decay", "min_learning_rate", "clipnorm",
    "weight_decay", "ema", "kernel_l1", "kernel_l2", "patience", "seed", "max_minutes",
    "steps_per_epoch",
)

"""The model kinds `keras-ar train` knows, keyed by the name a recipe uses.

To add a kind, add one entry to `MODEL_KINDS`:

    "deep_nade": ModelKind(models.DeepNADE, {"hidden_units": "hidden_units"}),

`options` maps `TrainConfig` fields to constructor arguments (a field the kind does not
list is refused when set). Image kinds also receive `input_dim`, `image_shape` and the
recipe's `ordering`; text kinds (`text=True`) receive the data's `vocabulary`; `extra`
computes further arguments from the config and the prepared data. Any other constructor
argument goes through the recipe's `model_options` (CLI: `--model-option KEY=VALUE`).
"""

import dataclasses

import numpy as np

from keras_ar import models


@dataclasses.dataclass(frozen=True)
class ModelKind:
    """How to build one model class from a `TrainConfig` and the prepared data."""

    model_class: type
    options: dict = dataclasses.field(default_factory=dict)  # config field -> constructor arg
    text: bool = False
    extra: object = None  # (config, data) -> dict of further constructor arguments

    def check_options(self, config):
        """ValueError for a hyper-parameter set in `config` that this kind does not take."""
        accepted = set(self.options) | set(self.extra_fields)
        for name in HYPER_PARAMETERS:
            if getattr(config, name) is not None and name not in accepted:
                raise ValueError(
                    f"{name} is not an option of model {config.model!r} "
                    f"(its options: {sorted(accepted)})."
                )

    @property
    def extra_fields(self):
        return getattr(self.extra, "fields", ())

    def build(self, config, data):
        kwargs = {arg: getattr(config, field) for field, arg in self.options.items()
                  if getattr(config, field) is not None}
        if self.text:
            kwargs["vocabulary"] = data.vocabulary
        else:
            kwargs["input_dim"] = data.input_dim
            if data.image_shape is not None:
                kwargs["image_shape"] = data.image_shape
            ordering = named_ordering(config, data)
            if ordering is not None:
                kwargs["ordering"] = ordering
        if self.extra is not None:
            kwargs.update(self.extra(config, data))
        kwargs.update(config.model_options or {})
        return self.model_class(**kwargs)


def _fields(*names):
    def mark(function):
        function.fields = names
        return function

    return mark


@_fields("kernel_l1", "kernel_l2")
def _weight_penalty(config, data):
    if not (config.kernel_l1 or config.kernel_l2):
        return {}
    penalty = {"l1": config.kernel_l1 or 0.0, "l2": config.kernel_l2 or 0.0}
    return {"kernel_regularizer": {"class_name": "L1L2", "config": penalty}}


@_fields("num_categories")
def _num_categories(config, data):
    return {"num_categories": data.num_categories}


_HIDDEN = {"hidden_units": "hidden_units", "activation": "activation"}

MODEL_KINDS = {
    "fvsbn": ModelKind(models.FVSBN, extra=_weight_penalty),
    "nade": ModelKind(models.NADE, _HIDDEN),
    "categorical_nade": ModelKind(models.CategoricalNADE, _HIDDEN, extra=_num_categories),
    "logistic_mixture_nade": ModelKind(models.LogisticMixtureNADE,
                                       {"hidden_units": "hidden_units",
                                        "num_components": "num_components"},
                                       extra=_num_categories),
    "rnade": ModelKind(models.RNADE, {"hidden_units": "hidden_units",
                                      "num_components": "num_components"}),
    "made": ModelKind(models.MADE, dict(_HIDDEN, num_masks="num_masks")),
    "char_rnn": ModelKind(models.CharRNN, {"hidden_units": "units", "num_layers": "num_layers",
                                           "cell": "cell", "dropout": "dropout",
                                           "embedding_dim": "embedding_dim"}, text=True),
}

# TrainConfig fields that are model hyper-parameters (a kind accepts a subset)
HYPER_PARAMETERS = ("hidden_units", "activation", "num_layers", "cell", "dropout",
                    "embedding_dim", "num_components", "num_masks", "num_categories",
                    "kernel_l1", "kernel_l2")


def model_kind(name):
    """The `ModelKind` registered under `name` (ValueError listing the known kinds)."""
    if name not in MODEL_KINDS:
        raise ValueError(f"Unknown model {name!r}; choose one of {tuple(MODEL_KINDS)}.")
    return MODEL_KINDS[name]


def kind_of(model):
    """The registered name of a model instance's class ("nade" for a NADE)."""
    for name, kind in MODEL_KINDS.items():
        if type(model) is kind.model_class:
            return name
    raise ValueError(f"{type(model).__name__} is not a registered model kind.")


def build_model(config, data):
    """The keras-ar model described by `config` for the `PreparedData`."""
    return model_kind(config.model).build(config, data)


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

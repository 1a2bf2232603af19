"""keras-ar: exact autoregressive density models (FVSBN, NADE, RNADE, MADE, char-RNN).

Names are imported on first use (PEP 562), so `import keras_ar` and `keras-ar --help`
do not start TensorFlow; `keras_ar.NADE` and `from keras_ar import NADE` work as usual.
To export a new name, add it to `_EXPORTS`.
"""

import importlib

from keras_ar.version import __version__

# public name -> module that defines it (modules themselves map to None)
_EXPORTS = {
    "FVSBN": "keras_ar.models",
    "NADE": "keras_ar.models",
    "CategoricalNADE": "keras_ar.models",
    "RNADE": "keras_ar.models",
    "MADE": "keras_ar.models",
    "LogisticMixtureNADE": "keras_ar.models",
    "DeepNADE": "keras_ar.models",
    "CharRNN": "keras_ar.models",
    "Vocabulary": "keras_ar.vocabulary",
    "Sampler": "keras_ar.samplers",
    "RandomSampler": "keras_ar.samplers",
    "GreedySampler": "keras_ar.samplers",
    "TopKSampler": "keras_ar.samplers",
    "load_model": "keras_ar.saving",
    "distributions": None,
    "layers": None,
    "models": None,
    "samplers": None,
}

__all__ = list(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'keras_ar' has no attribute {name!r}")
    module = _EXPORTS[name]
    value = (importlib.import_module(f"keras_ar.{name}") if module is None
             else getattr(importlib.import_module(module), name))
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))

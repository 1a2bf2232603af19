"""Training recipes: the Python API behind `keras-ar train / evaluate / sample`.

    from keras_ar.training import train
    results = train({"model": "nade", "data": "digits", "hidden_units": 64}, "runs/nade")

Modules, one job each:
- `config`: `TrainConfig`, the recipe schema (with `phases` for continuations);
- `model_kinds`: the model kinds by name (`MODEL_KINDS`; add a kind there);
- `data`: `PreparedData`, a data set's splits as training arrays;
- `schedule`: the optimizer and its per-epoch learning-rate decay;
- `callbacks`: history file, time limit, TensorBoard scalars;
- `trainer`: `train()`;
- `runs`: the files of a run folder and `load_run`;
- `evaluation`: NLL of a model or run on a split;
- `ensembles`: mixtures of runs, weights fitted by EM;
- `sampling`: samples of a run as PNG or text;
- `reports`: results.json and its lines of text.
Data sets are registered in `keras_ar.datasets.DATASETS`.
"""

from keras_ar.environment import environment
from keras_ar.training.config import TrainConfig
from keras_ar.training.data import PreparedData, text_windows
from keras_ar.training.ensembles import evaluate_ensemble, fit_mixture_weights
from keras_ar.training.evaluation import batched_log_prob, evaluate, evaluate_model
from keras_ar.training.model_kinds import MODEL_KINDS, build_model, kind_of
from keras_ar.training.runs import load_run
from keras_ar.training.sampling import sample
from keras_ar.training.schedule import FlooredExponentialDecay, make_optimizer
from keras_ar.training.trainer import train

__all__ = [
    "MODEL_KINDS", "FlooredExponentialDecay", "PreparedData", "TrainConfig",
    "batched_log_prob", "build_model", "environment", "evaluate", "evaluate_ensemble",
    "evaluate_model", "fit_mixture_weights", "kind_of", "load_run", "make_optimizer",
    "sample", "text_windows", "train",
]

from keras_ar.models.autoregressive_model import AutoregressiveModel
from keras_ar.models.categorical_nade import CategoricalNADE
from keras_ar.models.char_rnn import CharRNN
from keras_ar.models.deep_nade import DeepNADE
from keras_ar.models.fvsbn import FVSBN
from keras_ar.models.logistic_mixture_nade import LogisticMixtureNADE
from keras_ar.models.made import MADE
from keras_ar.models.nade import NADE
from keras_ar.models.nan_guard import NaNGuard
from keras_ar.models.rnade import RNADE

__all__ = ["AutoregressiveModel", "NaNGuard", "FVSBN", "NADE", "CategoricalNADE", "RNADE", "LogisticMixtureNADE", "MADE", "DeepNADE", "CharRNN"]

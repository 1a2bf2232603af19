import numbers

import keras
import numpy as np
from keras import ops

from keras_ar import backend as fast
from keras_ar.distributions import Categorical
from keras_ar.layers import gru_sequence
from keras_ar.models.autoregressive_model import AutoregressiveModel
from keras_ar.validation import check_positive_int
from keras_ar.vocabulary import Vocabulary

_CELLS = {"gru": keras.layers.GRU, "simple_rnn": keras.layers.SimpleRNN, "lstm": None}


@keras.saving.register_keras_serializable(package="keras_ar")
class CharRNN(AutoregressiveModel):
    """p(x_t | x_<t) = softmax(W_o h_t^L + b_o), h_t^l = cell(h_{t-1}^l, h_t^{l-1}).

    Character language model: h_t^0 = E[x_{t-1}] (x_{-1} = the boundary token 0),
    then stacked recurrent layers (GRU, or the simple cell h_t = tanh(W_hh h_{t-1} +
    W_xh x_t + b)). `log_prob(ids)` is log p(x) = sum_t log p(x_t | BOS, x_<t); ids
    < 0 are right padding and score 0. Generation is step-wise with the hidden state of
    every layer as explicit state (no `stateful=True`).

    Args:
        vocab_size: number of token ids (including the boundary id 0).
        units: hidden units per layer.
        num_layers: stacked recurrent layers.
        cell: "gru" or "simple_rnn".
        dropout: dropout between layers (training only).
        embedding_dim: input embedding size (defaults to `units`).
        vocabulary: optional `Vocabulary` (or its config) for text in/out; saved.
    """

    input_kind = "tokens"

    def __init__(
        self,
        vocab_size=None,
        units=256,
        num_layers=2,
        cell="gru",
        dropout=0.0,
        embedding_dim=None,
        vocabulary=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(vocabulary, dict):
            vocabulary = Vocabulary.from_config(vocabulary)
        if vocabulary is not None and not isinstance(vocabulary, Vocabulary):
            raise TypeError(
                f"`vocabulary` must be a keras_ar.Vocabulary, got {type(vocabulary).__name__}; "
                "build one with `Vocabulary.from_text(text)`."
            )
        self.vocabulary = vocabulary
        if vocab_size is None:
            if vocabulary is None:
                raise ValueError("Give `vocab_size` or a `vocabulary`.")
            vocab_size = vocabulary.size
        if vocabulary is not None and vocabulary.size != vocab_size:
            raise ValueError(f"vocab_size={vocab_size} but the vocabulary has {vocabulary.size} tokens.")
        self.vocab_size = check_positive_int("vocab_size", vocab_size, minimum=2)
        self.units = check_positive_int("units", units)
        self.num_layers = check_positive_int("num_layers", num_layers)
        if cell not in ("gru", "simple_rnn"):
            raise ValueError(f"cell must be 'gru' or 'simple_rnn', got {cell!r}.")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.cell = cell
        self.dropout = float(dropout)
        self.embedding_dim = check_positive_int(
            "embedding_dim", units if embedding_dim is None else embedding_dim
        )
        self.distribution = Categorical(self.vocab_size)
        self.embedding = keras.layers.Embedding(self.vocab_size, self.embedding_dim, name="embedding",
                                                dtype=self.dtype_policy)
        self.recurrent_layers = [
            _CELLS[cell](self.units, return_sequences=True, name=f"{cell}_{i}", dtype=self.dtype_policy)
            for i in range(self.num_layers)
        ]
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)
        self.head = keras.layers.Dense(self.vocab_size, name="logits", dtype=self.dtype_policy)

    def build(self, input_shape):
        self.embedding.build((None, None))
        in_dim = self.embedding_dim
        for layer in self.recurrent_layers:
            layer.build((None, None, in_dim))
            in_dim = self.units
        self.head.build((None, self.units))

    def default_input_shape(self):
        return (None, None)

    def state_names(self):
        return [f"hidden_{i}" for i in range(self.num_layers)]

    def logits(self, tokens, training=False):
        """Logits of every position, `(batch, T, V)`, for ids `(batch, T)`."""
        tokens = ops.transpose(ops.cast(tokens, "int32"))
        return ops.transpose(self._time_major_logits(tokens, training), (1, 0, 2))

    def _time_major_logits(self, tokens, training=False, inference=False):
        """Logits `(T, batch, V)` for time-major ids `(T, batch)`: the recurrent loops'
        own layout, so that no (batch, T, units) tensor or gradient is ever transposed.
        `inference`: no gradient will be asked for (GRU loops then keep no residuals)."""
        # inputs are the previous tokens: boundary first, padding read as boundary
        previous = ops.concatenate([ops.zeros_like(tokens[:1]), tokens[:-1]], axis=0)
        previous = ops.maximum(previous, 0)
        folded = gru_sequence.supports(self.recurrent_layers[0])
        hidden = None if folded else self.embedding(previous)  # (T, batch, E)
        for layer in self.recurrent_layers:
            if hidden is None:  # a GRU first: the embedding folded into its input projection
                hidden = gru_sequence.embedded_gru_sequence(layer, self.embedding.embeddings, previous,
                                                            differentiable=not inference)
            elif gru_sequence.supports(layer):  # the same layer, a faster loop and backward
                hidden = gru_sequence.gru_sequence(layer, hidden, differentiable=not inference)
            else:  # Keras' recurrent layers are batch major
                hidden = ops.transpose(layer(ops.transpose(hidden, (1, 0, 2)), training=training), (1, 0, 2))
            hidden = self.dropout_layer(hidden, training=training)
        return self.head(hidden)  # (T, batch, V)

    def call(self, tokens, training=False):
        if training:
            return self._in_batch_parts(tokens, training=True)
        return self._log_prob(tokens)

    def fast_log_prob(self, tokens):
        """`model.log_prob`'s computation: evaluation only, so its GRU loops keep nothing
        for a backward pass (differentiate `model(x, training=True)` instead)."""
        return self._in_batch_parts(tokens, inference=True)

    def _log_prob(self, tokens, training=False, inference=False):
        tokens = ops.transpose(ops.cast(tokens, "int32"))  # (T, batch)
        log_probs = self.distribution.log_prob(
            {"logits": self._time_major_logits(tokens, training, inference)}, ops.maximum(tokens, 0)
        )  # (T, batch)
        return ops.sum(log_probs * ops.cast(tokens >= 0, "float32"), axis=0)

    def trains_in_lanes(self):
        uses_keras_rnn = not all(gru_sequence.supports(layer) for layer in self.recurrent_layers)
        return fast.has_fast_paths() and (fast.keras_rnn_in_lanes() or not uses_keras_rnn)

    def _in_batch_parts(self, tokens, training=False, inference=False):
        """`_log_prob` on `fast.batch_parts()` equal parts of the batch, whose recurrent
        loops the graph runs on different cores (padding rows are all padding, -1,
        and dropped). Not where the backend cannot run Keras' own recurrent layers
        (the simple cell) in lanes."""
        if not self.trains_in_lanes():
            return self._log_prob(tokens, training, inference)
        return fast.in_batch_parts(
            lambda part: self._log_prob(part, training, inference), ops.cast(tokens, "int32"), fill=-1
        )

    def conditionals(self, x, training=False):
        return {"logits": self.logits(x, training)}

    def dims_per_example(self, x):
        return ops.sum(ops.cast(ops.cast(x, "int32") >= 0, "float32"), axis=-1)

    def nll_per_unit(self, x, log_prob):
        """Nats per character (padding excluded)."""
        return -ops.sum(log_prob) / ops.maximum(ops.sum(self.dims_per_example(x)), 1.0)

    def metric_weight(self, x):
        """Batches count by their number of characters, so epoch metrics are per character."""
        return ops.sum(self.dims_per_example(x))

    def bits_per_dim(self, x, nll):
        return nll / np.log(2.0)

    def compute_initial_state(self, batch_size, noise):
        return {name: ops.zeros((batch_size, self.units)) for name in self.state_names()}

    def compute_step(self, state, x_prev):
        hidden = self.embedding(ops.cast(x_prev, "int32"))  # (batch, E)
        new_state = {}
        for name, layer in zip(self.state_names(), self.recurrent_layers):
            hidden, _ = layer.cell(hidden, [state[name]], training=False)
            new_state[name] = hidden
        return {"logits": self.head(hidden)}, new_state

    def sample_length(self, length=None):
        if length is None:
            raise ValueError("CharRNN.sample needs `length`, the number of tokens to draw.")
        return check_positive_int("length", length)

    def generate(self, prompt="", max_length=100, num_samples=1, temperature=1.0, seed=None, sampler=None):
        """Text continuing `prompt` until the boundary token or `max_length` characters.

        An empty prompt starts from the boundary token. A prompt must be shorter than
        `max_length` and use only vocabulary characters (else ValueError naming them,
        unless the vocabulary maps them to `<unk>`).
        """
        if self.vocabulary is None:
            raise ValueError("generate() needs a model built with `vocabulary=`.")
        if not isinstance(prompt, str):
            raise TypeError(f"`prompt` must be a string, got {type(prompt).__name__}.")
        max_length = check_positive_int("max_length", max_length)
        prompt_ids = self.vocabulary.encode(prompt)
        if len(prompt_ids) >= max_length:
            raise ValueError(
                f"The prompt has {len(prompt_ids)} characters, more than allowed: "
                f"max_length={max_length} counts the prompt too. Shorten the prompt or "
                f"use max_length > {len(prompt_ids)}."
            )
        given = np.zeros((num_samples, max_length), "float32")
        observed = np.zeros((num_samples, max_length), bool)
        given[:, : len(prompt_ids)] = prompt_ids
        observed[:, : len(prompt_ids)] = True
        ids = ops.convert_to_numpy(
            self.sample(num_samples, seed=seed, temperature=temperature, given=given if len(prompt_ids) else None,
                        observed=observed if len(prompt_ids) else None, sampler=sampler, length=max_length)
        )
        return [prompt + self.vocabulary.decode(row[len(prompt_ids):]) for row in ids]

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "units": self.units,
            "num_layers": self.num_layers,
            "cell": self.cell,
            "dropout": self.dropout,
            "embedding_dim": self.embedding_dim,
            "vocabulary": None if self.vocabulary is None else self.vocabulary.get_config(),
        }

"""`PreparedData`: one data set's splits as the arrays a model trains on.

Text data:
- `names` / `embedded_names`: one item per row, padded with -1; the boundary token
  ends every item, so NLLs are nats per character *including* the end token.
- `tiny_shakespeare`: the split's text is cut into consecutive, non-overlapping
  windows of `seq_len` characters (the last one padded). CharRNN conditions position
  0 of every window on the boundary token, so each window is scored as a fresh
  sequence (no state carried across windows): the reported nats/char is slightly
  pessimistic compared to a stateful evaluation over the whole text.
"""

import functools
import operator

import numpy as np

from keras_ar import datasets

# kinds whose data are integer grey levels (int32), with a number of categories
GREY_LEVEL_KINDS = ("categorical_nade", "logistic_mixture_nade")


class PreparedData:
    """Train/valid arrays (each split loaded once, on demand) plus what the model needs."""

    def __init__(self, config):
        spec = datasets.dataset_spec(config.data)
        self.config = config
        self.name = config.data
        self.options = dict(config.data_options or {})
        self.is_text = spec.kind == "text"
        self.vocabulary = None
        self.image_shape = spec.image_shape
        self.input_dim = None
        self.log_jacobian = 0.0
        self._cache = {}
        if self.is_text:
            self.vocabulary = self._vocabulary()
        else:
            self.input_dim = int(self.load("valid").shape[1])
            if self.image_shape is not None and int(np.prod(self.image_shape)) != self.input_dim:
                self.image_shape = None
            if spec.log_jacobian is not None:
                self.log_jacobian = spec.log_jacobian(self.input_dim)
        self.num_categories = None
        if config.model in GREY_LEVEL_KINDS:
            self.num_categories = config.num_categories or self.options.get("num_levels")
            if self.num_categories is None:
                self.num_categories = int(self.load("train").max()) + 1

    def _vocabulary(self):
        from keras_ar.vocabulary import Vocabulary

        splits = ("train", "valid") if self.name == "tiny_shakespeare" else ("train", "valid", "test")
        texts = [datasets.load(self.name, split, **self.options) for split in splits]
        # tiny_shakespeare: valid == test (char-rnn convention); one string per split
        return Vocabulary.from_text(functools.reduce(operator.add, texts))

    def load(self, split):
        if split in self._cache:
            return self._cache[split]
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

    def units(self, data):
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

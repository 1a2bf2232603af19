"""A character GRU in PyTorch with `keras_ar.CharRNN`'s parameterization.

Embedding(V, E) of the previous token (the boundary id 0 before position 0), stacked
`torch.nn.GRU` layers (the reset-after formulation, as Keras' GRU with
reset_after=True), Linear(H, V) logits; log p(x) = sum_t log softmax(logits_t)[x_t].
"""

import numpy as np
import torch

from peers.torch_training import AdamTrained


class TorchCharGRU(AdamTrained):
    def __init__(self, vocab_size, units, num_layers=1, embedding_dim=None):
        super().__init__()
        embedding_dim = embedding_dim or units
        self.embedding = torch.nn.Embedding(vocab_size, embedding_dim)
        self.gru = torch.nn.GRU(embedding_dim, units, num_layers, batch_first=True)
        self.head = torch.nn.Linear(units, vocab_size)
        self.num_layers, self.units = num_layers, units

    def log_prob(self, tokens):
        previous = torch.nn.functional.pad(tokens[:, :-1], (1, 0))  # boundary first
        hidden, _ = self.gru(self.embedding(previous))
        logits = self.head(hidden)  # (batch, T, V)
        return -torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), tokens, reduction="none").sum(-1)

    def loss(self, tokens):
        """Mean NLL per character (the CharRNN training loss)."""
        return -self.log_prob(tokens).sum() / tokens.numel()

    @torch.no_grad()
    def sample(self, count, length, generator=None):
        token = torch.zeros(count, 1, dtype=torch.long)
        state = torch.zeros(self.num_layers, count, self.units)
        out = torch.empty(count, length, dtype=torch.long)
        for t in range(length):
            hidden, state = self.gru(self.embedding(token), state)
            probs = torch.softmax(self.head(hidden[:, 0]), -1)
            token = torch.multinomial(probs, 1, generator=generator)
            out[:, t] = token[:, 0]
        return out

    def load_keras(self, model):
        """Copies a keras-ar CharRNN (GRU cells, reset_after=True) into this module.

        Keras: kernel (in, 3H) and recurrent_kernel (H, 3H) with gates [z, r, h], bias
        (2, 3H) = [input bias, recurrent bias]. torch: weight_ih (3H, in), gates [r, z, n].
        """
        import keras

        def numpy(v):
            return keras.ops.convert_to_numpy(v)

        def reorder(a):  # [z, r, h] -> [r, z, n] along the last axis
            z, r, h = np.split(a, 3, axis=-1)
            return np.concatenate([r, z, h], axis=-1)

        with torch.no_grad():
            self.embedding.weight.copy_(torch.from_numpy(numpy(model.embedding.embeddings)))
            for i, layer in enumerate(model.recurrent_layers):
                cell = layer.cell
                if not cell.reset_after:
                    raise ValueError("torch's GRU is the reset_after=True formulation.")
                bias = numpy(cell.bias)
                for name, value in ((f"weight_ih_l{i}", reorder(numpy(cell.kernel)).T),
                                    (f"weight_hh_l{i}", reorder(numpy(cell.recurrent_kernel)).T),
                                    (f"bias_ih_l{i}", reorder(bias[0])),
                                    (f"bias_hh_l{i}", reorder(bias[1]))):
                    getattr(self.gru, name).copy_(torch.from_numpy(np.ascontiguousarray(value)))
            self.head.weight.copy_(torch.from_numpy(numpy(model.head.kernel).T.copy()))
            self.head.bias.copy_(torch.from_numpy(numpy(model.head.bias)))
        return self

"""MADE and order-agnostic NADE in PyTorch, written the way their public code writes them.

- `MADE`: karpathy/pytorch-made's structure (masked `nn.Linear` layers, the mask a
  buffer multiplied into the weight at every call, ReLU), one mask, natural ordering:
  log p(x) = -sum_i BCE(logit_i(x), x_i).
- `DeepNADE`: the order-agnostic training step of Uria et al. (2014) as a torch user
  writes it: an MLP on [x * m, m], a random ordering per example by a double argsort
  and a split d ~ U{0..n-1}; loss -(n / (n - d)) sum_{i not in S} log p(x_i | x_S).

Same parameters as keras-ar's `MADE` and `DeepNADE` (`load_keras` copies them), so the
benchmark compares implementations of one model.
"""

from itertools import pairwise

import torch
import torch.nn.functional as F

from peers.torch_training import AdamTrained


def _numpy(tensor):
    import keras

    return keras.ops.convert_to_numpy(tensor)


def copy_dense(linears, keras_layers):
    """Keras kernels (in, out) into torch weights (out, in), and the biases."""
    with torch.no_grad():
        for mine, theirs in zip(linears, keras_layers):
            mine.weight.copy_(torch.from_numpy(_numpy(theirs.kernel).T.copy()))
            mine.bias.copy_(torch.from_numpy(_numpy(theirs.bias)))


class MaskedLinear(torch.nn.Linear):
    """y = x (mask * W)^T + b: the mask is a buffer, (out, in)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.register_buffer("mask", torch.ones(out_features, in_features))

    def forward(self, x):
        return F.linear(x, self.mask * self.weight, self.bias)


class MADE(AdamTrained):
    def __init__(self, n, hidden_units):
        super().__init__()
        sizes = [n, *hidden_units, n]
        self.layers = torch.nn.ModuleList(MaskedLinear(a, b) for a, b in pairwise(sizes))

    def load_keras(self, model):
        """Kernels (transposed), biases and mask 0 of a keras-ar `MADE` (1 mask, no
        direct connection)."""
        keras_layers = [*model.hidden_layers, model.output_layer]
        copy_dense(self.layers, keras_layers)
        with torch.no_grad():
            for mine, theirs in zip(self.layers, keras_layers):
                mine.mask.copy_(torch.from_numpy(_numpy(theirs.kernel_mask(0)).T.copy()))
        return self

    def logits(self, x):
        h = x
        for layer in self.layers[:-1]:
            h = torch.relu(layer(h))
        return self.layers[-1](h)

    def log_prob(self, x):
        return -F.binary_cross_entropy_with_logits(self.logits(x), x, reduction="none").sum(-1)


class DeepNADE(AdamTrained):
    def __init__(self, n, hidden_units):
        super().__init__()
        self.n = n
        sizes = [2 * n, *hidden_units, n]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in pairwise(sizes))

    def load_keras(self, model):
        """The weights of a keras-ar `DeepNADE` (kernels transposed)."""
        copy_dense(self.layers, [model.input_layer, *model.hidden_layers, model.output_layer])
        return self

    def masked_logits(self, x, known):
        h = torch.cat([x * known, known], dim=-1)
        for layer in self.layers[:-1]:
            h = torch.relu(layer(h))
        return self.layers[-1](h)

    def estimate(self, x, known):
        """(n / (n - d)) sum_{i not in S} log p(x_i | x_S) for the observed mask `known`."""
        scores = -F.binary_cross_entropy_with_logits(self.masked_logits(x, known), x, reduction="none")
        missing = (1.0 - known).sum(-1)
        return self.n / missing * (scores * (1.0 - known)).sum(-1)

    def loss(self, x):
        batch = x.shape[0]
        rank = torch.rand(batch, self.n).argsort(-1).argsort(-1)  # a random ordering
        split = torch.randint(0, self.n, (batch, 1))
        return -self.estimate(x, (rank < split).float()).mean()

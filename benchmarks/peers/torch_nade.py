"""NADE in PyTorch, two ways: the per-pixel loop and the vectorized cumsum.

Same parameters as `keras_ar.NADE` (W (n, d) input weights, c (d,) hidden bias,
V (n, d) output weights, b (n,) output bias):
p(x_i = 1 | x_<i) = sigmoid(b_i + V_i . act(c + sum_{j<i} x_j W_j)).
"""

import torch

from peers.torch_training import AdamTrained

ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": torch.relu}


class TorchNADE(AdamTrained):
    """Parameters and training step shared by both formulations."""

    def __init__(self, n, d, activation="sigmoid"):
        super().__init__()
        self.n, self.d = n, d
        self.act = ACTIVATIONS[activation]
        self.W = torch.nn.Parameter(torch.randn(n, d) * 0.01)
        self.c = torch.nn.Parameter(torch.zeros(d))
        self.V = torch.nn.Parameter(torch.randn(n, d) * 0.01)
        self.b = torch.nn.Parameter(torch.zeros(n))

    def load_keras(self, model):
        """Copies a keras-ar NADE's weights (same layout, no transpose)."""
        import keras

        with torch.no_grad():
            for mine, theirs in ((self.W, model.input_weights), (self.c, model.hidden_bias),
                                 (self.V, model.output_weights), (self.b, model.output_bias)):
                mine.copy_(torch.from_numpy(keras.ops.convert_to_numpy(theirs)))
        return self



class LoopNADE(TorchNADE):
    """The per-pixel loop as pytorch-generative writes it: a = a + x_i W_i after each
    pixel, eager autograd; sampling is the same loop under `no_grad`."""

    def log_prob(self, x):
        a = self.c.expand(x.shape[0], self.d)
        total = 0.0
        for i in range(self.n):
            h = self.act(a)
            logit = h @ self.V[i] + self.b[i]  # (batch,)
            total = total - torch.nn.functional.binary_cross_entropy_with_logits(
                logit, x[:, i], reduction="none")
            a = a + x[:, i : i + 1] * self.W[i]
        return total

    @torch.no_grad()
    def sample(self, count, generator=None):
        a = self.c.expand(count, self.d)
        x = torch.empty(count, self.n)
        for i in range(self.n):
            p = torch.sigmoid(self.act(a) @ self.V[i] + self.b[i])
            x[:, i] = (torch.rand(count, generator=generator) < p).float()
            a = a + x[:, i : i + 1] * self.W[i]
        return x


class CumsumNADE(TorchNADE):
    """All n conditionals at once: a_i = c + exclusive cumsum_j (x_j W_j), (batch, n, d)."""

    def log_prob(self, x):
        contributions = x[:, :, None] * self.W  # (batch, n, d)
        a = self.c + torch.cumsum(contributions, dim=1) - contributions
        logits = (self.act(a) * self.V).sum(-1) + self.b  # (batch, n)
        return -torch.nn.functional.binary_cross_entropy_with_logits(
            logits, x, reduction="none").sum(-1)

    @torch.no_grad()
    def sample(self, count, generator=None):  # sampling is sequential in any formulation
        return LoopNADE.sample(self, count, generator)

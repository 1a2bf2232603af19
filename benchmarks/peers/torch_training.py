"""The training step every torch peer shares: Adam with Keras' defaults."""

import torch


class AdamTrained(torch.nn.Module):
    """`train_step(x, optimizer)`: one Adam step on `loss(x)`, by default the mean NLL
    per example, -mean log_prob(x)."""

    def optimizer(self, learning_rate=1e-3):
        # Keras' Adam defaults (epsilon 1e-7; torch's default is 1e-8)
        return torch.optim.Adam(self.parameters(), lr=learning_rate, eps=1e-7)

    def loss(self, x):
        return -self.log_prob(x).mean()

    def train_step(self, x, optimizer):
        optimizer.zero_grad(set_to_none=True)
        loss = self.loss(x)
        loss.backward()
        optimizer.step()
        return loss.detach()

import math

import keras
import numpy as np
from keras import ops

from keras_ar.distributions import Bernoulli
from keras_ar.layers.masked_dense import MaskedDense
from keras_ar.layers.masks import create_degrees
from keras_ar.models.autoregressive_model import AutoregressiveModel
from keras_ar.models.buffer_state import buffer_initial_state, buffer_write_previous
from keras_ar.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_ar")
class MADE(AutoregressiveModel):
    """p(x_i = 1 | x_<i) = sigmoid(f_m(x)_i), f_m an MLP with autoregressive masks m.

    Masked autoencoder for distribution estimation (Germain et al. 2015): one forward
    pass gives every conditional. With M masks (different hidden connectivities) the
    model is the ensemble p(x) = (1/M) sum_m p_m(x), evaluated by log-mean-exp over
    masks, never by averaging logits. Training uses one random mask per batch;
    sampling picks a mask per sample (uniform), which samples the ensemble exactly.

    Args:
        input_dim: n.
        hidden_units: sizes of the hidden layers.
        num_masks: M.
        activation: hidden nonlinearity.
        hidden_degrees: "random" (MADE) or "equal".
        seed: seed of the masks (and of the training-time mask choice).
        order_agnostic: if True, mask m > 0 also has its own random input ordering
            (order- and connectivity-agnostic training, Germain et al. 2015, section
            4); mask 0 keeps `ordering`. `log_prob` is the exact ensemble either way.
        direct_connection: if True, the logits also get a direct masked linear term from
            the inputs, f_m(x) + x (A * L_m) with L_m strictly lower in member m's ordering
            (the "direct input connections" of the MADE paper's experiments: an FVSBN
            beside the MLP). Starts at zero.
    """

    input_kind = "binary"
    train_with_xla = True

    def __init__(
        self,
        input_dim,
        hidden_units=(500,),
        num_masks=1,
        activation="relu",
        hidden_degrees="random",
        seed=0,
        order_agnostic=False,
        direct_connection=False,
        **kwargs,
    ):
        super().__init__(input_dim=input_dim, **kwargs)
        if isinstance(hidden_units, int):
            hidden_units = (hidden_units,)
        self.hidden_units = tuple(check_positive_int("hidden_units", u) for u in hidden_units)
        self.num_masks = check_positive_int("num_masks", num_masks)
        self.activation = activation
        if hidden_degrees not in ("random", "equal"):
            raise ValueError(
                f"hidden_degrees must be 'random' or 'equal', got {hidden_degrees!r}."
            )
        self.hidden_degrees = hidden_degrees
        self.seed = int(seed)
        self.order_agnostic = bool(order_agnostic)
        self.distribution = Bernoulli()
        self.mask_seed_generator = keras.random.SeedGenerator(self.seed)
        # every layer gets its degrees here, as its weights' initial values (see MaskedDense)
        degrees = [self.mask_degrees(m) for m in range(self.num_masks)]
        stacked = [np.stack([d[i] for d in degrees]) for i in range(len(self.hidden_units) + 1)]
        self.hidden_layers = [
            MaskedDense(u, degrees=(stacked[i], stacked[i + 1]), activation=activation,
                        name=f"hidden_{i}", dtype=self.dtype_policy)
            for i, u in enumerate(self.hidden_units)
        ]
        # the output layer maps the last hidden degrees back to the input degrees (strict)
        self.output_layer = MaskedDense(self.input_dim, degrees=(stacked[-1], stacked[0]), strict=True,
                                        name="logits", dtype=self.dtype_policy)
        self.direct_connection = bool(direct_connection)
        self.direct_layer = (
            MaskedDense(self.input_dim, degrees=(stacked[0], stacked[0]), strict=True, use_bias=False,
                        kernel_initializer="zeros", name="direct", dtype=self.dtype_policy)
            if self.direct_connection else None
        )

    def build(self, input_shape):
        dims = (self.input_dim,) + self.hidden_units
        for layer, in_dim in zip(self.hidden_layers + [self.output_layer], dims):
            layer.build((None, in_dim))
        if self.direct_layer is not None:
            self.direct_layer.build((None, self.input_dim))

    def mask_degrees(self, m):
        """Degrees of mask m: inputs by position in member m's ordering, then hidden."""
        degrees = create_degrees(self.input_dim, self.hidden_units, self.seed + m, self.hidden_degrees)
        if self.order_agnostic and m > 0:
            permutation = np.random.default_rng([self.seed, m]).permutation(self.input_dim)
            degrees[0] = np.argsort(permutation) + 1  # step position -> its rank in member m
        return degrees

    def logits(self, x, mask_index=None):
        inputs = hidden = ops.cast(x, "float32")
        for layer in self.hidden_layers:
            hidden = layer(hidden, mask_index=mask_index)
        logits = self.output_layer(hidden, mask_index=mask_index)  # (batch, n)
        if self.direct_layer is not None:
            logits = logits + self.direct_layer(inputs, mask_index=mask_index)
        return logits

    def conditionals(self, x, training=False, mask_index=None):
        return {"logits": self.logits(x, mask_index)}

    def call(self, x, training=False):
        x = self.to_step_order(x)
        if self.num_masks == 1:
            return ops.sum(self.distribution.log_prob(self.conditionals(x), x), axis=-1)
        if training:
            mask_index = keras.random.randint((), 0, self.num_masks, seed=self.mask_seed_generator)
            params = self.conditionals(x, mask_index=mask_index)
            return ops.sum(self.distribution.log_prob(params, x), axis=-1)
        per_mask = ops.stack(
            [
                ops.sum(self.distribution.log_prob(self.conditionals(x, mask_index=m), x), axis=-1)
                for m in range(self.num_masks)
            ],
            axis=-1,
        )  # (batch, M)
        return ops.logsumexp(per_mask, axis=-1) - math.log(self.num_masks)

    def compute_initial_state(self, batch_size, noise):
        if self.order_agnostic and self.num_masks > 1:
            raise ValueError(
                "MADE(order_agnostic=True) averages members with different orderings, but "
                "step, sample and export follow the one `ordering`; use log_prob (the exact "
                "ensemble), or DeepNADE for sampling and exact conditionals given any mask."
            )
        state = buffer_initial_state(batch_size, self.input_dim)
        if noise is None:
            state["mask_index"] = ops.zeros((batch_size,), "int32")
        else:
            index = ops.cast(ops.floor(noise * self.num_masks), "int32")
            state["mask_index"] = ops.minimum(index, self.num_masks - 1)
        return state

    def state_names(self):
        return ["inputs", "position", "mask_index"]

    def compute_step(self, state, x_prev):
        inputs = buffer_write_previous(state, x_prev, self.input_dim)  # (batch, n)
        position = state["position"]
        all_masks = ops.stack(
            [self.logits(inputs, mask_index=m) for m in range(self.num_masks)], axis=1
        )  # (batch, M, n)
        choice = ops.one_hot(state["mask_index"], self.num_masks)  # (batch, M)
        logits = ops.sum(all_masks * ops.expand_dims(choice, -1), axis=1)  # (batch, n)
        logits = ops.sum(logits * ops.one_hot(position, self.input_dim), axis=-1)
        new_state = {"inputs": inputs, "position": position + 1, "mask_index": state["mask_index"]}
        return {"logits": logits}, new_state

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_units": list(self.hidden_units),
            "num_masks": self.num_masks,
            "activation": self.activation,
            "hidden_degrees": self.hidden_degrees,
            "seed": self.seed,
            "order_agnostic": self.order_agnostic,
            "direct_connection": self.direct_connection,
        }

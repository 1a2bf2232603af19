"""The optimizer of a run: Adam (AdamW with weight decay) or Adagrad, a per-epoch decay,
and optionally a moving average of the weights (Keras' `use_ema`)."""

import keras

from keras_ar.training.config import OPTIMIZERS


@keras.saving.register_keras_serializable(package="keras_ar")
class FlooredExponentialDecay(keras.optimizers.schedules.LearningRateSchedule):
    """lr(step) = max(initial * decay ** ((step - start_step) / steps_per_epoch), floor):
    smooth per-epoch decay; `start_step` > 0 for an optimizer that goes on from a saved
    step count (its decay then counts the new run's epochs)."""

    def __init__(self, initial, steps_per_epoch, decay, floor=0.0, start_step=0):
        self.initial, self.steps_per_epoch = float(initial), int(steps_per_epoch)
        self.decay, self.floor, self.start_step = float(decay), float(floor), int(start_step)

    def __call__(self, step):
        epochs = (keras.ops.cast(step, "float32") - float(self.start_step)) / float(self.steps_per_epoch)
        return keras.ops.maximum(self.initial * keras.ops.power(self.decay, epochs), self.floor)

    def get_config(self):
        return {
            "initial": self.initial,
            "steps_per_epoch": self.steps_per_epoch,
            "decay": self.decay,
            "floor": self.floor,
            "start_step": self.start_step,
        }


def make_optimizer(config, steps_per_epoch):
    """`optimizer(...)` with the config's kind, rate (decayed per epoch when `lr_decay` <
    1), clipnorm, weight decay and moving average."""
    rate = config.learning_rate
    if config.lr_decay < 1.0:
        rate = FlooredExponentialDecay(
            config.learning_rate, steps_per_epoch, config.lr_decay, config.min_learning_rate
        )
    return optimizer(config.optimizer, rate, weight_decay=config.weight_decay, ema=config.ema,
                     clipnorm=config.clipnorm)


def optimizer(kind, learning_rate, weight_decay=None, ema=None, clipnorm=None):
    """A Keras optimizer: "adam" (AdamW when `weight_decay` is set), or "adagrad" as
    Duchi et al. write it, no initial accumulator and epsilon 1e-6 under the root (Keras'
    default accumulator of 0.1 shrinks the first steps of small gradients 30-fold).
    `weight_decay`: decoupled, w <- w - lr * weight_decay * w, on weights, not biases.
    `ema`: w_avg <- ema * w_avg + (1 - ema) * w after every step (Keras' `use_ema`)."""
    if kind not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {kind!r}.")
    options = {"learning_rate": learning_rate}
    if clipnorm:
        options["clipnorm"] = clipnorm
    if ema:
        options.update(use_ema=True, ema_momentum=ema)
    if weight_decay:
        options["weight_decay"] = weight_decay
    if kind == "adagrad":
        result = keras.optimizers.Adagrad(initial_accumulator_value=0.0, epsilon=1e-6, **options)
    elif weight_decay:
        result = keras.optimizers.AdamW(**options)
    else:
        result = keras.optimizers.Adam(**options)
    if weight_decay:
        result.exclude_from_weight_decay(var_names=["bias"])
    return result

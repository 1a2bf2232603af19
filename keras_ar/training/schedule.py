"""The optimizer of a run: Adam (AdamW with weight decay), a per-epoch decay, and
optionally a moving average of the weights (Keras' `use_ema`)."""

import keras


@keras.saving.register_keras_serializable(package="keras_ar")
class FlooredExponentialDecay(keras.optimizers.schedules.LearningRateSchedule):
    """lr(step) = max(initial * decay ** (step / steps_per_epoch), floor): smooth per-epoch decay."""

    def __init__(self, initial, steps_per_epoch, decay, floor=0.0):
        self.initial, self.steps_per_epoch = float(initial), int(steps_per_epoch)
        self.decay, self.floor = float(decay), float(floor)

    def __call__(self, step):
        epochs = keras.ops.cast(step, "float32") / float(self.steps_per_epoch)
        return keras.ops.maximum(self.initial * keras.ops.power(self.decay, epochs), self.floor)

    def get_config(self):
        return {
            "initial": self.initial,
            "steps_per_epoch": self.steps_per_epoch,
            "decay": self.decay,
            "floor": self.floor,
        }


def make_optimizer(config, steps_per_epoch):
    """Adam (AdamW when `config.weight_decay`) with the config's rate, decay and clipnorm;
    with `config.ema` it also keeps w_avg <- ema w_avg + (1 - ema) w after every step."""
    rate = config.learning_rate
    if config.lr_decay < 1.0:
        rate = FlooredExponentialDecay(
            config.learning_rate, steps_per_epoch, config.lr_decay, config.min_learning_rate
        )
    options = {"learning_rate": rate}
    if config.clipnorm:
        options["clipnorm"] = config.clipnorm
    if config.ema:
        options.update(use_ema=True, ema_momentum=config.ema)
    if config.weight_decay:
        return keras.optimizers.AdamW(weight_decay=config.weight_decay, **options)
    return keras.optimizers.Adam(**options)

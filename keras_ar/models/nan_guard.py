import math

import keras


class NaNGuard(keras.callbacks.Callback):
    """Stops training with an error as soon as the loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            raise FloatingPointError(
                f"Training diverged: loss is {loss} at batch {batch}. Lower the learning "
                "rate (or clip gradients with `clipnorm`); no weights were saved by "
                "this guard."
            )

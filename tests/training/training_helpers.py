"""The smallest training configuration, shared by the training tests: a NADE with 8
hidden units, one epoch on 256 examples of the digits data set."""

TINY = dict(
    model="nade", data="digits", hidden_units=8, epochs=1, batch_size=64, max_train_examples=256
)

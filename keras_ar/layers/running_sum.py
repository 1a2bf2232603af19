from keras import ops


def exclusive_cumsum(contributions):
    """a_i = sum_{j<i} e_j over axis 1: NADE's running sum, O(n d) for all i at once.

    Shifts by one position before the cumulative sum (rather than subtracting the
    inclusive sum) so that a_i is exact, with no cancellation.
    """
    # (batch, n, d) -> (batch, n, d), position 0 all zeros
    shifted = ops.concatenate(
        [ops.zeros_like(contributions[:, :1]), contributions[:, :-1]], axis=1
    )
    return ops.cumsum(shifted, axis=1)


def per_position(weight, positions=None):
    """Per-position parameters aligned with a hidden tensor.

    For all positions at once (`positions=None`) the weight `(n, ...)` broadcasts
    against `(batch, n, ...)`; for one step it is gathered to `(batch, ...)`.
    """
    if positions is None:
        return weight
    return ops.take(weight, positions, axis=0)

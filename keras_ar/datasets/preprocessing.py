"""Small, deterministic array helpers shared by the loaders."""

import numpy as np


def quantize(values, num_levels, num_values=256):
    """Quantize integer grey levels ``0..num_values-1`` to ``num_levels`` levels.

    Level of value ``v`` is ``floor(v * num_levels / num_values)``, so the levels
    are equal-width bins and ``num_levels == num_values`` is the identity.

    Args:
        values: array of integers in ``[0, num_values)`` (any shape).
        num_levels: K, an int in ``[2, num_values]``.
        num_values: number of distinct input values (256 for 8-bit pixels, 17
            for scikit-learn's 8x8 digits whose values are 0..16).

    Returns:
        int32 array of the same shape with values in ``[0, num_levels)``.

    Raises:
        ValueError: `num_levels` out of range, or values outside ``[0, num_values)``.

    Example:
        >>> quantize(np.array([0, 63, 64, 255]), num_levels=4).tolist()
        [0, 0, 1, 3]
    """
    if isinstance(num_levels, bool) or not isinstance(num_levels, (int, np.integer)):
        if not (isinstance(num_levels, (float, np.floating)) and float(num_levels).is_integer()):
            raise ValueError(f"num_levels must be an integer in [2, {num_values}], got "
                             f"{num_levels!r}.")
    num_levels = int(num_levels)
    if not 2 <= num_levels <= num_values:
        raise ValueError(f"num_levels must be in [2, {num_values}], got {num_levels}.")
    v = np.asarray(values)
    if v.dtype.kind not in "biuf":
        raise TypeError(f"quantize: expected a numeric array, got dtype {v.dtype}.")
    if v.dtype.kind == "f" and v.size and not np.all(np.isfinite(v) & (v == np.floor(v))):
        raise ValueError("quantize: values must be integer grey levels (found NaN, inf or "
                         "fractions, which a cast would silently truncate).")
    if v.size and (v.min() < 0 or v.max() >= num_values):
        raise ValueError(f"quantize: values must be in [0, {num_values}), "
                         f"got range [{v.min()}, {v.max()}].")
    v = v.astype(np.int64)
    return (v * num_levels // num_values).astype(np.int32)


def check_split(dataset, split, splits):
    """Raise a ValueError listing the valid splits if `split` is not one of them."""
    if split not in splits:
        raise ValueError(f"Unknown split {split!r} for data set {dataset!r}; "
                         f"valid splits: {list(splits)}.")


def permutation(n, seed):
    """Fixed permutation of ``range(n)`` (legacy `RandomState`, stable across NumPy versions).

    Args:
        n: length.
        seed: integer seed.

    Returns:
        int64 array, a permutation of ``0..n-1``.

    Example:
        >>> sorted(permutation(5, seed=0).tolist())
        [0, 1, 2, 3, 4]
    """
    return np.random.RandomState(seed).permutation(n)


def split_by_sizes(n, sizes, seed):
    """Index arrays of disjoint splits of a fixed permutation of ``range(n)``.

    Args:
        n: number of examples.
        sizes: dict ``{split: size}`` in order; a size of None takes the rest.
        seed: permutation seed.

    Returns:
        dict ``{split: int64 index array}``.

    Example:
        >>> {k: len(v) for k, v in split_by_sizes(10, {"a": None, "b": 2}, 0).items()}
        {'a': 8, 'b': 2}
    """
    perm = permutation(n, seed)
    fixed = sum(s for s in sizes.values() if s is not None)
    rest = n - fixed
    out, start = {}, 0
    for name, size in sizes.items():
        size = rest if size is None else size
        out[name] = perm[start:start + size]
        start += size
    return out

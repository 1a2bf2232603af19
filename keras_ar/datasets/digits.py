"""scikit-learn's 8x8 digits: the embedded default (ships inside the sklearn wheel)."""

import numpy as np

from keras_ar.datasets.preprocessing import check_split, quantize, split_by_sizes

DIGITS_SPLITS = ("train", "valid", "test")
DIGITS_SPLIT_SIZES = {"train": None, "valid": 180, "test": 180}  # 1437/180/180
DIGITS_SPLIT_SEED = 0
DIGITS_NUM_VALUES = 17  # pixel values are 0..16
DIGITS_THRESHOLD = 8


def load_digits(split="train", num_levels=None, threshold=DIGITS_THRESHOLD):
    """Load scikit-learn's 8x8 digits (1797 images), binarized or grey, no download.

    Splits come from a fixed permutation (seed 0): 1437 train, 180 valid, 180 test.

    Args:
        split: ``"train"``, ``"valid"`` or ``"test"``.
        num_levels: None binarizes (``1.0`` where value ``>= threshold``);
            K in ``[2, 17]`` returns grey levels ``floor(v * K / 17)`` (17 =
            the raw values 0..16).
        threshold: binarization threshold on the 0..16 values (default 8).

    Returns:
        float32 ``(N, 64)`` of 0/1 when `num_levels` is None, else int32
        ``(N, 64)`` in ``[0, num_levels)``. Rows are 8x8 images in raster order.

    Raises:
        ValueError: unknown split or bad `num_levels`.

    Example:
        >>> x = load_digits("valid")
        >>> x.shape, x.dtype
        ((180, 64), dtype('float32'))
    """
    check_split("digits", split, DIGITS_SPLITS)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.number)) \
            or not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number (pixel values are 0..16), "
                         f"got {threshold!r}.")
    from sklearn.datasets import load_digits as sk_load_digits  # lazy: slow import

    v = sk_load_digits().data.astype(np.int64)  # (1797, 64), values 0..16
    idx = split_by_sizes(v.shape[0], DIGITS_SPLIT_SIZES, DIGITS_SPLIT_SEED)[split]
    v = v[idx]
    if num_levels is None:
        return (v >= threshold).astype(np.float32)
    return quantize(v, num_levels, DIGITS_NUM_VALUES)

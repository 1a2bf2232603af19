"""Frey faces for real-valued models (RNADE): uniformly dequantized, scaled to [0, 1).

Scaling and the log-Jacobian
----------------------------
Pixels ``v`` in ``0..255`` become ``x = (v + u) / 256`` with ``u ~ U[0, 1)``.
A density fitted to ``x`` relates to the density of ``y = v + u`` in the
``[0, 256)`` pixel space by ``p_y(y) = p_x(y / 256) / 256**D``, hence::

    NLL_pixel_space = NLL_scaled + freyfaces_log_jacobian(D)      # D * log(256) nats

With ``D = 560`` that adds about 3105.3 nats. Bits per dimension in pixel space:
``(NLL_scaled + D * log(256)) / (D * log(2))``.
"""

import logging
import math

import numpy as np

from keras_ar.datasets import paths
from keras_ar.datasets.preprocessing import check_split, split_by_sizes

logger = logging.getLogger(__name__)

FREYFACES_FILE = "freyfaces.npz"
FREYFACES_SPLITS = ("train", "valid", "test")
FREYFACES_FORMAT = ("a NumPy .npz with key 'images': uint8 grey levels 0..255, shape "
                    "(1965, 28, 20)")
FREYFACES_NUM_DIMS = 560
FREYFACES_SPLIT_SIZES = {"train": None, "valid": 200, "test": 200}  # 1565/200/200
FREYFACES_SPLIT_SEED = 0


def freyfaces_log_jacobian(num_dims=FREYFACES_NUM_DIMS):
    """Nats to add to an NLL of scaled Frey faces to get the NLL in pixel space.

    The loader maps ``y = v + u`` in ``[0, 256)`` to ``x = y / 256``; the change
    of variables gives ``-log p_y(y) = -log p_x(x) + num_dims * log(256)``.

    Args:
        num_dims: number of dimensions D of one example (560 for 28x20 faces).

    Returns:
        float, ``num_dims * log(256)`` (about 3105.3 for D = 560).

    Example:
        >>> round(freyfaces_log_jacobian(560), 1)
        3105.3
    """
    return float(num_dims) * math.log(256.0)


def load_freyfaces(split="train", path=None, data_dir=None, dequantize=True,
                   dequantize_seed=0):
    """Load Frey faces as float32 ``(N, 560)`` in ``[0, 1)`` for RNADE.

    Splits come from a fixed permutation (seed 0) of the 1965 faces: 1565 train,
    200 valid, 200 test. Dequantization noise ``u`` is drawn for the whole data
    set at once (so an image gets the same noise whichever split is loaded).
    Add `freyfaces_log_jacobian` (560 log 256 nats) to an NLL computed on these
    values to report it in the ``[0, 256)`` pixel space.

    Args:
        split: ``"train"``, ``"valid"`` or ``"test"``.
        path: explicit ``freyfaces.npz`` file or directory holding it.
        data_dir: directory searched for ``freyfaces.npz``.
        dequantize: True gives ``(v + u) / 256``; False gives ``v / 256``.
        dequantize_seed: seed of ``u`` (int, default 0, deterministic); None
            draws fresh noise on every call.

    Returns:
        float32 array ``(N, 560)``, values in ``[0, 1)`` with
        ``floor(x * 256) == v`` exactly; rows are 28x20 images in raster order.

    Raises:
        DatasetNotFoundError: file not found.
        ValueError: unknown split or corrupt npz (missing key, wrong shape,
            values outside 0..255).

    Example:
        >>> x = load_freyfaces("valid")  # doctest: +SKIP
        >>> x.shape, float(x.min()) >= 0.0, float(x.max()) < 1.0  # doctest: +SKIP
        ((200, 560), True, True)
    """
    check_split("freyfaces", split, FREYFACES_SPLITS)
    file, searched = paths.find_file(FREYFACES_FILE, path=path, data_dir=data_dir)
    if file is None:
        raise paths.DatasetNotFoundError(paths.not_found_message(
            "freyfaces", FREYFACES_FILE, FREYFACES_FORMAT, searched))
    data = paths.load_npz(file, ("images",))
    v = np.asarray(paths.read_array(data, file, "images"))
    if v.ndim == 3 and v.shape[1:] == (28, 20):
        v = v.reshape(v.shape[0], FREYFACES_NUM_DIMS)
    if v.ndim != 2 or v.shape[1] != FREYFACES_NUM_DIMS:
        raise ValueError(f"{file}: array 'images' has shape {v.shape}; expected "
                         f"(N, 28, 20) or (N, 560).")
    n_held_out = sum(s for s in FREYFACES_SPLIT_SIZES.values() if s)
    if v.shape[0] <= n_held_out:
        raise ValueError(f"{file}: 'images' has {v.shape[0]} rows; need more than "
                         f"{n_held_out} (200 valid + 200 test).")
    if v.size and (v.min() < 0 or v.max() > 255 or not np.all(v == np.floor(v))):
        raise ValueError(f"{file}: 'images' must hold integer grey levels 0..255, found "
                         f"range [{v.min()}, {v.max()}].")
    idx = split_by_sizes(v.shape[0], FREYFACES_SPLIT_SIZES, FREYFACES_SPLIT_SEED)[split]
    v = v.astype(np.float64)
    if dequantize:
        rng = np.random.RandomState(dequantize_seed)
        u = rng.random_sample(v.shape)  # whole data set, then select the split
        x = ((v[idx] + u[idx]) / 256.0).astype(np.float32)
        # float32 rounding may reach (v + 1) / 256 when u is within ~1e-5 of 1: clamp to
        # the largest float32 below it, so floor(x * 256) == v always and x < 1.
        upper = np.nextafter(((v[idx] + 1.0) / 256.0).astype(np.float32), np.float32(0))
        x = np.minimum(x, upper)
    else:
        x = (v[idx] / 256.0).astype(np.float32)
    logger.info("freyfaces %s: %s float32 in [0, 1); add %.4f nats "
                "(freyfaces_log_jacobian) to NLLs for the [0, 256) pixel space.",
                split, x.shape, freyfaces_log_jacobian(x.shape[1]))
    return x

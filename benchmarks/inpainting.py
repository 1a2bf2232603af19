"""Completions of test digits from the exact conditional p(x_missing | x_observed).

    python benchmarks/inpainting.py runs/deep_nade_2x500/best.keras \
        --out benchmarks/results/samples/deep_nade_2x500_inpainting.png

Rows, for 8 test digits: the digit; its right half (left half missing, grey); two
completions; a random mask (half of the pixels observed, grey = missing); two completions.
"""

import argparse
import time

import keras
import numpy as np

import keras_ar as ka
from keras_ar import datasets
from keras_ar.images import save_image_grid


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random-ordering", type=int, default=None, metavar="SEED",
                        help="step along a random ordering (DeepNADE) instead of the raster one")
    args = parser.parse_args()
    model = ka.load_model(args.model, compile=False)
    if args.random_ordering is not None:  # the missing pixels in a random order
        ordering = np.random.default_rng(args.random_ordering).permutation(model.input_dim)
        twin = type(model).from_config({**model.get_config(), "ordering": ordering.tolist()})
        twin.ensure_built()
        twin.set_weights(model.get_weights())
        model = twin
    test = datasets.load("binarized_mnist", "test")
    digits = test[np.linspace(0, len(test) - 1, args.count).astype(int)]  # spread over the file
    left_missing = np.zeros((28, 28), bool)
    left_missing[:, 14:] = True  # observed: the right half
    rng = np.random.default_rng(args.seed)
    random_mask = rng.random(digits.shape) < 0.5
    rows = [digits]
    tick = time.time()
    for observed in (np.broadcast_to(left_missing.reshape(-1), digits.shape), random_mask):
        rows.append(np.where(observed, digits, 0.5))
        for draw in range(2):
            samples = model.sample(len(digits), seed=args.seed + draw + 1, given=digits, observed=observed)
            rows.append(keras.ops.convert_to_numpy(samples))
    images = np.concatenate(rows).reshape(-1, 28, 28)
    save_image_grid(args.out, images, columns=args.count, scale=2)
    print(f"{args.out}: {len(images)} images, sampling {time.time() - tick:.1f} s")


if __name__ == "__main__":
    main()

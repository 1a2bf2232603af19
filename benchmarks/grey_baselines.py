"""Reference bits/dim on the Fashion-MNIST test set that need no training (a script).

- independent pixels: one categorical over 256 levels per pixel, fitted on the 50000
  training images (counts + 1, Laplace), scored exactly on the 10000 test images;
- PNG and lossless WebP (Pillow, their strongest settings) of the whole test set tiled
  into one 2800 x 2800 grey image (100 x 100 tiles of 28 x 28, row-major), so that
  per-file headers are paid once: bits/dim = 8 * file bytes / (10000 * 784).

Every codec is round-tripped (decoded and compared with the input) before its size
counts. The binarized view (x >= 128) gets the same three rows over 2 levels (PNG at
1 bit per pixel).

    python benchmarks/grey_baselines.py     # writes results/grey_baselines.{json,md}
"""

import argparse
import datetime
import io
import json
import math
import os
import platform

import numpy as np
from PIL import Image

from keras_ar import datasets

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def tile(images, side=28, columns=100):
    """(N, side*side) -> one (rows*side, columns*side) image, row-major tiles."""
    rows = -(-images.shape[0] // columns)
    padded = np.zeros((rows * columns, side * side), images.dtype)
    padded[: images.shape[0]] = images
    grid = padded.reshape(rows, columns, side, side).transpose(0, 2, 1, 3)
    return grid.reshape(rows * side, columns * side)


def independent_bits(train, test, num_levels):
    """Exact test bits/dim of per-pixel categoricals fitted by (counts + 1)."""
    n = train.shape[1]
    counts = np.ones((n, num_levels))
    for level in range(num_levels):
        counts[:, level] += (train == level).sum(0)
    log2_probs = np.log2(counts / counts.sum(1, keepdims=True))  # (n, K)
    bits = -log2_probs[np.arange(n)[None, :], test].sum()
    return float(bits / test.size)


def encoded_bits(image, pixels, fmt, **options):
    """8 * bytes of `image` in `fmt`, after checking that it decodes to `pixels` (uint8)."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    if not np.array_equal(decoded, pixels):
        raise AssertionError(f"{fmt} {options} is not lossless on this image")
    return 8 * len(buffer.getvalue())


def codec_rows(pixels, mode):
    """Best PNG and lossless WebP sizes of one tiled uint8 image (0/255 when binary),
    bits per pixel; mode "1" stores the binary image at 1 bit per pixel in PNG."""
    grey = Image.fromarray(pixels, "L")
    image = grey if mode == "L" else grey.convert("1", dither=Image.Dither.NONE)
    count = pixels.size
    png = min(
        encoded_bits(image, pixels, "PNG", optimize=True),
        encoded_bits(image, pixels, "PNG", compress_level=9),
    )
    webp = encoded_bits(grey, pixels, "WEBP", lossless=True, quality=100, method=6)
    return png / count, webp / count


def run():
    train = datasets.load("fashion_mnist", "train").astype(np.int64)
    test = datasets.load("fashion_mnist", "test")
    dims = test.size
    grey = tile(test)
    png, webp = codec_rows(grey, "L")
    rows = {
        "grey_256": {
            "independent_pixels_bits_per_dim": independent_bits(train, test.astype(np.int64), 256),
            "png_bits_per_dim": png,
            "webp_lossless_bits_per_dim": webp,
        }
    }
    binary_train = (train >= 128).astype(np.int64)
    binary_test = (test >= 128).astype(np.int64)
    png_b, webp_b = codec_rows((tile(binary_test.astype(np.uint8)) * 255).astype(np.uint8), "1")
    rows["binarized"] = {
        "independent_pixels_bits_per_dim": independent_bits(binary_train, binary_test, 2),
        "png_bits_per_dim": png_b,
        "webp_lossless_bits_per_dim": webp_b,
    }
    for view in rows.values():
        view["independent_pixels_nats_per_image"] = (
            view["independent_pixels_bits_per_dim"] * 784 * math.log(2.0)
        )
    return {
        "data": "fashion_mnist test split (10000 images, 28x28); independent pixels fitted on "
        "the 50000 train images",
        "tiling": "100 x 100 tiles of 28 x 28 in one image (2800 x 2800)",
        "dimensions": dims,
        "rows": rows,
        "environment": {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "pillow": Image.__version__,
            "numpy": np.__version__,
        },
    }


def markdown(results):
    lines = ["| view | independent pixels | PNG (tiled) | lossless WebP (tiled) |", "|---|---:|---:|---:|"]
    for view, row in results["rows"].items():
        lines.append(
            f"| {view} | {row['independent_pixels_bits_per_dim']:.3f} | "
            f"{row['png_bits_per_dim']:.3f} | {row['webp_lossless_bits_per_dim']:.3f} |"
        )
    return "bits/dim on the Fashion-MNIST test set\n\n" + "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    results = run()
    text = markdown(results)
    print(text)
    if not args.no_write:
        os.makedirs(RESULTS_DIR, exist_ok=True)
        with open(os.path.join(RESULTS_DIR, "grey_baselines.json"), "w") as handle:
            json.dump(results, handle, indent=2)
        with open(os.path.join(RESULTS_DIR, "grey_baselines.md"), "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()

"""`keras-ar compress` / `keras-ar decompress`: the codec of `keras_ar.codec` on .npy files."""

import json
from pathlib import Path

import numpy as np


def add_commands(commands):
    """Adds the two subcommands to the `keras-ar` argument parser's subparsers."""
    compress = commands.add_parser(
        "compress", help="losslessly compress images (.npy) with a trained image model"
    )
    compress.add_argument("model", help="run folder or .keras file of a discrete image model")
    compress.add_argument("images", help=".npy of images, (N, n) or (N, *image_shape)")
    compress.add_argument("-o", "--out", required=True, help="the .kar file to write")
    compress.add_argument("--batch-size", type=int, default=None)
    compress.add_argument("--json", help="also write the size report (file bits vs NLL) here")
    compress.set_defaults(handler=_compress)

    decompress = commands.add_parser("decompress", help="decode a .kar file back to .npy")
    decompress.add_argument("model", help="the same model that compressed the file")
    decompress.add_argument("file", help="the .kar file")
    decompress.add_argument("-o", "--out", required=True, help="the .npy file to write")
    decompress.set_defaults(handler=_decompress)


def _load_model(path):
    from keras_ar.training import load_run

    return load_run(path)[0]


def _load_images(path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable .npy array ({error}).") from None


def _compress(args):
    from keras_ar import codec

    model = _load_model(args.model)
    images = _load_images(args.images)
    data = codec.compress(model, images, batch_size=args.batch_size or codec.DEFAULT_BATCH_SIZE)
    codec.write_atomic(args.out, data)
    report = codec.compression_report(model, images, data)
    print(
        f"{report['images']} images: {report['file_bits']} bits in {args.out} "
        f"({report['file_bits_per_dim']:.4f} bits/dim); model NLL {report['nll_bits']:.0f} bits "
        f"({report['nll_bits_per_dim']:.4f} bits/dim); overhead "
        f"{report['overhead_bits_per_image']:.2f} bits/image ({report['overhead_percent']:.3f}%)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


def _decompress(args):
    from keras_ar import codec

    model = _load_model(args.model)
    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        raise FileNotFoundError(f"Cannot read {args.file} ({error}).") from None
    images = codec.decompress(model, data)
    codec.save_array_atomic(args.out, images)
    print(f"{images.shape[0]} images {images.shape} {images.dtype} -> {args.out}")

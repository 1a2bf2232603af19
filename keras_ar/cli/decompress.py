"""Decode a .kar file written by `keras-ar compress` back to a .npy array.

It needs the same model that compressed the file (checked by its fingerprint).

examples:
  keras-ar decompress runs/logistic_nade images.kar --out images.npy
"""

from pathlib import Path

from keras_ar import files
from keras_ar.cli import common

NAME = "decompress"
RUN, OUT = "one", "the .npy file to write (atomically)"


def add_arguments(parser):
    parser.add_argument("file", help="the .kar file")
    common.add_verbosity_arguments(parser, quiet=False)


def run(args):
    from keras_ar import codec
    from keras_ar.training.runs import load_run

    model, _ = load_run(args.model)
    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        raise FileNotFoundError(f"Cannot read {args.file} ({error}).") from None
    images = codec.decompress(model, data)
    files.save_array(args.out, images)
    print(f"{images.shape[0]} images {images.shape} {images.dtype} -> {args.out}")

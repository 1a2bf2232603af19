"""Losslessly compress images (.npy) with a trained discrete image model.

Range coding (constriction) of the model's exact conditionals: the file takes about the
model's NLL in bits, plus a few bits per image.

examples:
  keras-ar compress runs/logistic_nade images.npy --out images.kar
  keras-ar compress model.keras images.npy --out images.kar --json size.json
"""

from keras_ar import files
from keras_ar.cli import common

NAME = "compress"
RUN, OUT = "one", "the .kar file to write (atomically)"


def add_arguments(parser):
    parser.add_argument("images", help=".npy of images, (N, n) or (N, *image_shape)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="images coded per model call (default: the codec's)")
    common.add_json_argument(parser, "the size report (file bits vs NLL)")
    common.add_verbosity_arguments(parser, quiet=False)


def run(args):
    import numpy as np

    from keras_ar import codec
    from keras_ar.training.runs import load_run

    model, _ = load_run(args.model)
    try:
        images = np.load(args.images, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"{args.images}: not a readable .npy array ({error}).") from None
    data = codec.compress(model, images, batch_size=args.batch_size or codec.DEFAULT_BATCH_SIZE)
    files.write_bytes(args.out, data)
    report = codec.compression_report(model, images, data)
    print(
        f"{report['images']} images: {report['file_bits']} bits in {args.out} "
        f"({report['file_bits_per_dim']:.4f} bits/dim); model NLL {report['nll_bits']:.0f} bits "
        f"({report['nll_bits_per_dim']:.4f} bits/dim); overhead "
        f"{report['overhead_bits_per_image']:.2f} bits/image ({report['overhead_percent']:.3f}%)"
    )
    common.write_json(args.json, report)

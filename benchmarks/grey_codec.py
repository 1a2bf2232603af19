"""The codec on Fashion-MNIST: file bits of `keras-ar compress` next to the model's NLL.

Compresses the first N test images with a trained image model, decodes them, checks the
round trip bit for bit, and writes the sizes (file bits, range-coder payload bits, NLL
bits, the gap per image) and the wall times.

    python benchmarks/grey_codec.py runs/logistic_mixture_nade_fashion_mnist --images 1000
"""

import argparse
import datetime
import json
import os
import time

import numpy as np

from keras_ar import codec, datasets
from keras_ar.training import load_run

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run folder or .keras file")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--binarized", action="store_true", help="the binarized view")
    parser.add_argument("--out", default=os.path.join(RESULTS_DIR, "grey_codec.json"))
    args = parser.parse_args()
    model, _ = load_run(args.run)
    images = datasets.load("fashion_mnist", "test", binarized=args.binarized)[: args.images]
    start = time.time()
    data = codec.compress(model, images)
    encode_seconds = time.time() - start
    start = time.time()
    decoded = codec.decompress(model, data)
    decode_seconds = time.time() - start
    if not np.array_equal(decoded, images) or decoded.dtype != images.dtype:
        raise AssertionError("the round trip is not bit-exact")
    report = codec.compression_report(model, images, data)
    report.update(
        run=str(args.run), model=type(model).__name__, round_trip="bit-exact",
        encode_seconds=round(encode_seconds, 1), decode_seconds=round(decode_seconds, 1),
        date=datetime.datetime.now().isoformat(timespec="seconds"),
    )
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as handle:
        json.dump(report, handle, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

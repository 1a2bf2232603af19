"""Builds the models of the Android demo into app/src/main/assets/ (committed; run it again
when the exporter changes: tests/test_android_assets.py says when).

    cd <repository root>
    python android_demo/make_assets.py                      # train both, export both
    python android_demo/make_assets.py --only digits --epochs 10
    python android_demo/make_assets.py --digits-model demo_output/digits_nade.keras \\
        --names-model demo_output/names_char_rnn.keras      # export trained .keras files

Without a `.keras` file it trains with the project's own API on data embedded in the
package (no download):

- digits: `NADE(64, hidden_units=64, image_shape=(8, 8))` on
  `keras_ar.datasets.load("digits")` (scikit-learn's 8x8 digits, binarized);
- names: `CharRNN(vocabulary=Vocabulary.from_text(names), units=64, num_layers=1)` (GRU)
  on `keras_ar.datasets.load("embedded_names")`.

Each model is exported with `keras_ar.export.export_model(..., formats=("tflite",))` into
`app/src/main/assets/digits/` and `.../names/` (manifest.json + model.tflite, all the app
reads). The same can be done by hand for any saved model:

    keras-ar export MODEL.keras --out android_demo/app/src/main/assets/digits --formats tflite

Before it finishes, the script samples each export through `keras_ar.export.load` (the
reference runner of the app's step loop) and checks that it equals Keras' sample for the
same noise.
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "app" / "src" / "main" / "assets"
TARGETS = ("digits", "names")


def train_digits(epochs, verbose):
    """The demo's NADE on the binarized 8x8 digits (`keras_ar.demo.fit_digits_nade`)."""
    from keras_ar import datasets
    from keras_ar.demo import fit_digits_nade

    model, _ = fit_digits_nade(epochs, verbose)
    nll = model.evaluate(datasets.load("digits", "test"), verbose=0, return_dict=True)["nll"]
    print(f"digits: NADE test NLL {nll:.2f} nats (uniform: {64 * math.log(2):.2f})")
    return model


def train_names(epochs, verbose):
    """A GRU CharRNN on the embedded names (`keras_ar.demo.fit_names_rnn`, 64 units)."""
    from keras_ar import datasets
    from keras_ar.demo import fit_names_rnn

    model, _ = fit_names_rnn(epochs, verbose, units=64)
    test = model.vocabulary.encode_batch(datasets.load("embedded_names", "test"))
    nll = model.evaluate(test, verbose=0, return_dict=True)["nll"]
    print(f"names: CharRNN test NLL {nll:.3f} nats/char (uniform: {math.log(model.vocabulary.size):.3f})")
    return model


def _check_target(out_dir, force):
    """Refuses to replace a folder that does not look like an earlier export."""
    if not out_dir.exists():
        return False
    contents = [p.name for p in out_dir.iterdir() if p.name != ".gitkeep"]
    if contents and "manifest.json" not in contents and not force:
        raise SystemExit(
            f"{out_dir} holds {sorted(contents)[:5]} but no manifest.json; not replacing it "
            "(pass --force to replace it anyway)."
        )
    return True


def export(model, out_dir, force=False):
    from keras_ar.export import export_model, format_report

    overwrite = _check_target(out_dir, force)
    report = export_model(model, out_dir, formats=("tflite",), overwrite=overwrite)
    print(format_report(report))
    return report


def check_export(name, model, out_dir, seed=0):
    """Samples the export with the reference runner and compares with Keras; prints it."""
    from keras import ops

    from keras_ar.export import load

    runner = load(out_dir, backend="litert")
    rng = np.random.default_rng(seed)
    noise_size = int(runner.manifest["noise"]["size"])
    if name == "digits":
        n = runner.model["input_dim"]
        noise = rng.random((3, n, noise_size)).astype("float32")
        exported = np.stack([runner.sample(u) for u in noise])
        keras_values = np.asarray(ops.convert_to_numpy(model.sample(3, noise=noise)))
        shape = runner.model["image_shape"]
        rows = [exported[i].reshape(shape) for i in range(3)]
        for r in range(shape[0]):
            print("   ".join("".join("#" if v > 0.5 else "." for v in img[r]) for img in rows))
    else:
        length = 16
        noise = rng.random((5, length, noise_size)).astype("float32")
        exported = np.stack([runner.sample(u) for u in noise])
        keras_values = np.asarray(ops.convert_to_numpy(model.sample(5, noise=noise, length=length)))
        print("names:", ", ".join(model.vocabulary.decode(ids) for ids in exported))
    if not np.array_equal(exported, keras_values.astype(exported.dtype)):
        raise SystemExit(f"{name}: the exported model samples differently from Keras")
    print(f"{name}: exported samples equal Keras' for the same noise")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Train (or load) and export the Android demo's models into its assets."
    )
    parser.add_argument("--only", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--digits-model", help="a trained image model (.keras) instead of training")
    parser.add_argument("--names-model", help="a trained CharRNN (.keras) instead of training")
    parser.add_argument("--epochs", type=int, default=30, help="maximum epochs (early stopping)")
    parser.add_argument("--assets", default=str(ASSETS), help="the app's assets folder")
    parser.add_argument("--force", action="store_true", help="replace unexpected folders")
    parser.add_argument("--quiet", action="store_true", help="one line per epoch")
    args = parser.parse_args(argv)

    import keras

    from keras_ar import load_model

    keras.utils.set_random_seed(0)
    verbose = 2 if args.quiet else 1
    assets = Path(args.assets)
    for name in args.only:
        start = time.time()
        path = args.digits_model if name == "digits" else args.names_model
        if path:
            model = load_model(path)
            print(f"{name}: loaded {path}")
        elif name == "digits":
            model = train_digits(args.epochs, verbose)
        else:
            model = train_names(args.epochs, verbose)
        if name == "names" and getattr(model, "vocabulary", None) is None:
            raise SystemExit(f"{path} has no vocabulary: the text screen needs a CharRNN with one")
        out_dir = assets / name
        export(model, out_dir, args.force)
        check_export(name, model, str(out_dir))
        print(f"{name}: {out_dir} ({time.time() - start:.0f} s)")
        print()
    print(f"Now build the app: cd {os.path.relpath(HERE)} && ./gradlew installDebug")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`keras-ar demo`: the main job on embedded data, no download.

Trains a NADE on scikit-learn's binarized 8x8 digits and a CharRNN on the embedded
names list, prints validation/test NLLs, writes a PNG grid of samples, completions
of half-images and a few generated names.
"""

import math
import time
from pathlib import Path

import keras
import numpy as np

from keras_ar import datasets, files
from keras_ar.images import save_image_grid
from keras_ar.models import NADE, CharRNN
from keras_ar.vocabulary import Vocabulary


def _early_stopping():
    return keras.callbacks.EarlyStopping(
        monitor="val_nll", mode="min", patience=3, restore_best_weights=True
    )


def fit_digits_nade(epochs=30, verbose=2, units=64):
    """NADE(64) fitted on scikit-learn's binarized 8x8 digits; returns (model, seconds)."""
    train = datasets.load("digits", "train")
    valid = datasets.load("digits", "valid")
    model = NADE(64, hidden_units=units, image_shape=(8, 8))
    model.compile(optimizer=keras.optimizers.Adam(0.005))
    start = time.time()
    model.fit(train, validation_data=valid, epochs=epochs, batch_size=32, verbose=verbose,
              callbacks=[_early_stopping()])
    return model, time.time() - start


def fit_names_rnn(epochs=30, verbose=2, units=32):
    """A GRU CharRNN fitted on the embedded names list; returns (model, seconds)."""
    train = datasets.load("embedded_names", "train")
    valid = datasets.load("embedded_names", "valid")
    test = datasets.load("embedded_names", "test")
    vocab = Vocabulary.from_text(train + valid + test)
    model = CharRNN(vocabulary=vocab, units=units, num_layers=1)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    start = time.time()
    model.fit(vocab.encode_batch(train), validation_data=vocab.encode_batch(valid),
              epochs=epochs, batch_size=16, verbose=verbose, callbacks=[_early_stopping()])
    return model, time.time() - start


def train_digits_nade(out_dir, epochs, verbose):
    model, seconds = fit_digits_nade(epochs, verbose)
    test = datasets.load("digits", "test")
    result = model.evaluate(test, verbose=0, return_dict=True)
    samples = keras.ops.convert_to_numpy(model.sample(32, seed=0)).reshape(-1, 8, 8)
    save_image_grid(out_dir / "digits_samples.png", samples, columns=8, scale=8)
    given = test[:8].copy()
    given[:, 32:] = np.nan  # keep the top half, complete the bottom half
    completed = keras.ops.convert_to_numpy(model.sample(8, seed=1, given=given)).reshape(-1, 8, 8)
    save_image_grid(
        out_dir / "digits_completions.png",
        np.concatenate([test[:8].reshape(-1, 8, 8), completed]),
        columns=8,
        scale=8,
    )
    model.save(out_dir / "digits_nade.keras")
    return {
        "model": "NADE(64, hidden_units=64) on sklearn 8x8 digits (binarized)",
        "test_nll_nats": round(result["nll"], 3),
        "test_bits_per_dim": round(result["bits_per_dim"], 4),
        "uniform_nll_nats": round(64 * math.log(2), 3),
        "train_seconds": round(seconds, 1),
    }


def train_names_rnn(out_dir, epochs, verbose):
    model, seconds = fit_names_rnn(epochs, verbose)
    vocab = model.vocabulary
    result = model.evaluate(
        vocab.encode_batch(datasets.load("embedded_names", "test")), verbose=0, return_dict=True
    )
    names = model.generate(max_length=16, num_samples=10, seed=0, temperature=0.8)
    files.write_text(out_dir / "names.txt", "\n".join(names) + "\n")
    model.save(out_dir / "names_char_rnn.keras")
    return {
        "model": "CharRNN(GRU 1x32) on the embedded names list",
        "test_nats_per_char": round(result["nll"], 4),
        "uniform_nats_per_char": round(math.log(vocab.size), 4),
        "train_seconds": round(seconds, 1),
        "generated": names,
    }


def run(out_dir="demo_output", epochs=30, verbose=2):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)
    print("== NADE on binarized 8x8 digits (embedded in scikit-learn) ==")
    digits = train_digits_nade(out_dir, epochs, verbose)
    print(
        f"test NLL {digits['test_nll_nats']} nats ({digits['test_bits_per_dim']} bits/dim; "
        f"uniform: {digits['uniform_nll_nats']})"
    )
    print(f"samples:     {out_dir / 'digits_samples.png'}")
    print(f"completions: {out_dir / 'digits_completions.png'} (top: originals, bottom: "
          "bottom halves sampled given the top halves)")
    print("== CharRNN on embedded names ==")
    names = train_names_rnn(out_dir, epochs, verbose)
    print(f"test NLL {names['test_nats_per_char']} nats/char "
          f"(uniform: {names['uniform_nats_per_char']})")
    print("generated names:", ", ".join(names["generated"]))
    files.write_json(out_dir / "results.json", {"digits": digits, "names": names})
    print(f"results: {out_dir / 'results.json'}")
    return {"digits": digits, "names": names}

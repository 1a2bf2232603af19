"""NADE training in whole epochs: images per second of `model.fit` over the 50,000
binarized MNIST training images, as a user trains (the moonshot's number).

The speed table (`speed.py`) times short `fit` calls (6 batches of 100, 2 of 512) so that
it can interleave every model with its peers in ten minutes; each such call also pays
Keras' fixed cost of a `fit` call (its data pipeline, iterator and callbacks, about 30-60
ms, more than a whole batch of 100 takes), which a training run pays once. Here one model
per setting (NADE-784/500, sigmoid and ReLU, batch 100 and 512) trains whole epochs,
round by round: each round runs one epoch of every setting in turn, so the machine's
drift reaches them alike. The first epoch (compilation) is not timed; every number is
the median of the timed epochs, with their range.

    python benchmarks/epoch_rate.py                   # 3 timed epochs, ~5 minutes on 2 cores
    KERAS_BACKEND=jax python benchmarks/epoch_rate.py
    python benchmarks/epoch_rate.py --smoke           # tiny sizes, CI

Writes benchmarks/results/epoch-rate[-jax][-smoke].{json,md} (--out to change). No peer
runs here: the ratios against the torch loop are the speed table's.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from contestants import binary_images  # noqa: E402
from envinfo import environment, write_results  # noqa: E402

MODES = {
    "full": {"n": 784, "d": 500, "images": 50_000, "epochs": 3, "batch_sizes": (100, 512),
             "activations": ("sigmoid", "relu")},
    "smoke": {"n": 16, "d": 8, "images": 64, "epochs": 2, "batch_sizes": (8,),
              "activations": ("sigmoid",)},
}
GOAL = 3000  # images per second, the moonshot


def epoch_clock():
    """(a Keras callback, the list it appends each epoch's wall time to)."""
    import keras

    starts, seconds = [], []
    callback = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: starts.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: seconds.append(time.perf_counter() - starts[-1]),
    )
    return callback, seconds


def measure(mode):
    import keras

    import keras_ar as ka

    p = MODES[mode]
    x, source = binary_images(p["images"], p["n"])
    settings = [(a, b) for a in p["activations"] for b in p["batch_sizes"]]
    models, clocks = {}, {}
    for activation, batch in settings:  # build, compile and run the untimed first epoch
        keras.utils.set_random_seed(0)
        model = ka.NADE(p["n"], hidden_units=p["d"], activation=activation)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        clocks[activation, batch] = epoch_clock()
        model.fit(x, batch_size=batch, epochs=1, verbose=0, callbacks=[clocks[activation, batch][0]])
        models[activation, batch] = model
    first = {key: seconds.pop() for key, (_, seconds) in clocks.items()}
    for _ in range(p["epochs"]):
        for key, model in models.items():
            model.fit(x, batch_size=key[1], epochs=1, verbose=0, callbacks=[clocks[key][0]])
    rows = []
    for (activation, batch), (_, seconds) in clocks.items():
        rates = [len(x) / s for s in seconds]
        rows.append({"activation": activation, "batch": batch, "images": len(x),
                     "median": round(statistics.median(rates)), "min": round(min(rates)),
                     "max": round(max(rates)), "first_epoch_seconds": round(first[activation, batch], 1)})
    return {"mode": mode, "backend": keras.backend.backend(), "data": source, "sizes": p,
            "goal_images_per_second": GOAL, "rows": rows}


def markdown(report):
    env, p = report["environment"], report["sizes"]
    lines = [
        f"NADE-{p['n']}/{p['d']} training, `model.fit`, whole epochs of {p['images']:,} images "
        f"({report['data']}), backend {report['backend']}; median of {p['epochs']} timed epochs "
        f"(range), after one untimed epoch.",
        "",
        f"`{env['command']}`, {env['date_utc']} UTC, {env['machine']}, {env['logical_cpus']} "
        f"logical CPUs; " + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v),
        "",
        f"| hidden units | batch | images/s | >= {report['goal_images_per_second']:,} |",
        "|---|---:|---:|---|",
    ]
    for row in report["rows"]:
        met = "met" if row["median"] >= report["goal_images_per_second"] else "missed"
        lines.append(f"| {row['activation']} | {row['batch']} | {row['median']:,} "
                     f"({row['min']:,}-{row['max']:,}) | {met} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--out", help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "full"
    started = time.time()
    report = measure(mode)
    report["environment"] = environment(ROOT)
    report["total_seconds"] = round(time.time() - started, 1)
    stem = "epoch-rate" + ("-jax" if report["backend"] == "jax" else "") + ("-smoke" if args.smoke else "")
    out = Path(args.out) if args.out else HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    write_results(out, stem, report, markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
